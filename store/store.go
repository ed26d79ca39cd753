// Package store keeps scamblock's researcher submissions, published
// indicators, appeals, API tokens and an append-only audit log in one bbolt
// file in the data directory.
//
// Every method that changes something commits (and so fsyncs) before it
// returns: a caller that acknowledges a write after a nil error never loses
// it. The store is not on the DNS query path; the server reads Published()
// when something changes and compiles it into the matcher.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// FileName is the database file inside the data directory.
const FileName = "scamblock.db"

// pidFileName records which process holds the database, for the error a
// second process gets.
const pidFileName = "scamblock.db.pid"

// DefaultTTL is how long an approved indicator stays published unless the
// reviewer says otherwise or it is renewed.
const DefaultTTL = 180 * 24 * time.Hour

// Errors callers branch on (wrapped; test with errors.Is).
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict") // the record is not in a state that allows the change
	ErrOwnRecord   = errors.New("reviewers cannot decide on their own submission")
	ErrInUse       = errors.New("database is in use by another scamblock")
	ErrInvalidRole = errors.New("invalid role")
	ErrNameTaken   = errors.New("name taken")
)

var (
	bucketSubmissions = []byte("submissions") // id → Submission
	bucketIndicators  = []byte("indicators")  // indicator value → id of its current submission
	bucketAppeals     = []byte("appeals")     // id → Appeal
	bucketTokens      = []byte("tokens")      // id → Token
	bucketAudit       = []byte("audit")       // seq → Event (append-only)
	bucketMeta        = []byte("meta")        // schema version
	bucketSessions    = []byte("sessions")    // SHA-256 of session id → Session
	bucketAllow       = []byte("allowlist")   // name → AllowEntry
	bucketAppealCodes = []byte("appealcodes") // SHA-256 of a follow code → appeal id
	allBuckets        = [][]byte{bucketSubmissions, bucketIndicators, bucketAppeals, bucketTokens, bucketAudit, bucketMeta,
		bucketSessions, bucketAllow, bucketAppealCodes}
	schemaVersionKey = []byte("schema")
	schemaVersion    = []byte("1")
)

// Options tune Open. The zero value is usable.
type Options struct {
	// LockTimeout is how long Open waits for another process to release the
	// database file (default 1 s).
	LockTimeout time.Duration
	// Now returns the current time (default time.Now); tests set a clock.
	Now func() time.Time
	// DefaultTTL is the publication lifetime when a reviewer gives none
	// (default DefaultTTL, 180 days).
	DefaultTTL time.Duration
}

// Store is an open database. It is safe for concurrent use.
type Store struct {
	db      *bolt.DB
	dir     string
	now     func() time.Time
	ttl     time.Duration
	pidFile string
}

// Open opens (creating if needed) the database in dir. When another process
// holds it, Open fails after opts.LockTimeout with an error wrapping ErrInUse
// that names that process's pid when it is known.
func Open(dir string, opts Options) (*Store, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.DefaultTTL <= 0 {
		opts.DefaultTTL = DefaultTTL
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	pidFile := filepath.Join(dir, pidFileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		holder := "pid unknown"
		if b, rerr := os.ReadFile(pidFile); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = "pid " + strconv.Itoa(pid)
			}
		}
		return nil, fmt.Errorf("open %s: %w (%s); stop it or use another --data-dir", path, ErrInUse, holder)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(schemaVersionKey); v != nil && string(v) != string(schemaVersion) {
			return fmt.Errorf("schema version %s, this scamblock reads %s", v, schemaVersion)
		}
		return meta.Put(schemaVersionKey, schemaVersion)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Group concurrent submissions into one commit (one fsync), but do not
	// make a lone writer wait the default 10 ms for company.
	db.MaxBatchDelay = 2 * time.Millisecond
	// Best effort: only used to name the holder in another process's error.
	_ = os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	return &Store{db: db, dir: dir, now: opts.Now, ttl: opts.DefaultTTL, pidFile: pidFile}, nil
}

// Close releases the database.
func (s *Store) Close() error {
	_ = os.Remove(s.pidFile)
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Check verifies the database's internal consistency (bbolt's page checks).
func (s *Store) Check() error {
	return s.db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

func itob(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func btoi(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func jsonBytes(v any) ([]byte, error) {
	buf, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return buf, nil
}

func put(b *bolt.Bucket, id uint64, v any) error {
	buf, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode record %d: %w", id, err)
	}
	return b.Put(itob(id), buf)
}

func get(b *bolt.Bucket, id uint64, v any) error {
	buf := b.Get(itob(id))
	if buf == nil {
		return ErrNotFound
	}
	if err := decode(buf, v); err != nil {
		return fmt.Errorf("decode record %d: %w", id, err)
	}
	return nil
}

// decode unmarshals a stored value. bbolt values are only valid inside
// their transaction; json.Unmarshal copies what it keeps.
func decode(buf []byte, v any) error { return json.Unmarshal(buf, v) }

// each decodes every record of bucket in key order into a fresh T.
func each[T any](tx *bolt.Tx, bucket []byte, fn func(T) error) error {
	return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
		var rec T
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("decode %s record %d: %w", bucket, btoi(k), err)
		}
		return fn(rec)
	})
}
