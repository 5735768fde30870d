//go:build !linux

package schedclass

import "errors"

var errNotLinux = errors.New("scheduling classes are read on Linux only")

// Count is Linux's only.
func Count(int) (map[uint32]int, error) { return nil, errNotLinux }

// CanSet is Linux's only.
func CanSet() error { return errNotLinux }

// SetBatch is Linux's only.
func SetBatch() error { return errNotLinux }
