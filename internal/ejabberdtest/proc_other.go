//go:build !linux

package ejabberdtest

import "syscall"

// sysProcAttr: only Linux has a parent-death signal; elsewhere a crashed
// test may leave ejabberd running (it holds only its own free ports).
func sysProcAttr() *syscall.SysProcAttr { return nil }
