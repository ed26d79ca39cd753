// Package live holds the current version of a value that is rebuilt whole
// and swapped, never changed in place: the compiled domain matcher
// (lists.Live) and the wallet index (wallet.Live). Readers on the query
// path load it without a lock and never wait for a rebuild; the owner
// builds a new value and calls Replace.
package live

import "sync/atomic"

// Value holds the current *T. The zero value holds nil. A *T handed to
// Replace must not be modified afterwards: readers may hold it for as long
// as they like.
type Value[T any] struct {
	current atomic.Pointer[T]
}

// Load returns the current value (nil before the first Replace).
func (v *Value[T]) Load() *T { return v.current.Load() }

// Replace makes x the value every later Load returns. nil empties it.
func (v *Value[T]) Replace(x *T) { v.current.Store(x) }
