//go:build !linux

package testserver

import "syscall"

// SysProcAttr: only Linux has a parent-death signal; elsewhere a crashed
// test may leave its server running (it holds only its own free ports).
func SysProcAttr() *syscall.SysProcAttr { return nil }
