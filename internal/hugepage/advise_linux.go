//go:build linux

package hugepage

import "syscall"

// advise is madvise(MADV_HUGEPAGE) on [addr, addr+n), both multiples of
// Size inside one Go allocation. Errors (no THP in the kernel, THP off)
// leave the pages as they are.
func advise(addr, n uintptr) {
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, addr, n, syscall.MADV_HUGEPAGE)
}
