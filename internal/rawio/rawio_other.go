//go:build !linux

package rawio

import (
	"net"
	"os"
)

func wrap(c net.Conn) net.Conn { return c }

// WriteFile is f.Write here.
func WriteFile(f *os.File, p []byte) (int, error) { return f.Write(p) }

// ReadFile is f.Read here.
func ReadFile(f *os.File, p []byte) (int, error) { return f.Read(p) }
