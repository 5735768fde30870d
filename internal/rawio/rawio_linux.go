package rawio

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

type conn struct {
	net.Conn
	rc syscall.RawConn
}

func wrap(c net.Conn) net.Conn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	return &conn{Conn: c, rc: rc}
}

// Read reads once, waiting on the netpoller while nothing is there, as
// net.Conn's Read does.
func (c *conn) Read(p []byte) (int, error) {
	n, errno, err := rawRead(c.rc, p)
	switch {
	case err != nil:
		return 0, err // the RawConn's, an *net.OpError already
	case errno != 0:
		return 0, c.opError("read", os.NewSyscallError("read", errno))
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return n, nil
}

// ReadFile reads once from f, a file the netpoller can wait on (a pipe,
// an eventfd), waiting while nothing is there, as f.Read does.
func ReadFile(f *os.File, p []byte) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return f.Read(p)
	}
	n, errno, err := rawRead(rc, p)
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, &os.PathError{Op: "read", Path: f.Name(), Err: errno}
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return n, nil
}

func rawRead(rc syscall.RawConn, p []byte) (n int, errno syscall.Errno, err error) {
	if len(p) == 0 {
		return 0, 0, nil
	}
	err = rc.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false
			}
			n, errno = int(r), e
			return true
		}
	})
	return n, errno, err
}

// Write writes all of p, waiting on the netpoller while the socket's
// buffer is full.
func (c *conn) Write(p []byte) (int, error) {
	n, errno, err := rawWrite(c.rc, p)
	switch {
	case err != nil:
		return n, err
	case errno != 0:
		return n, c.opError("write", os.NewSyscallError("write", errno))
	}
	return n, nil
}

// rawWrite writes all of p; EAGAIN (a socket's full buffer) waits on the
// netpoller, which a regular file never asks for.
func rawWrite(rc syscall.RawConn, p []byte) (n int, errno syscall.Errno, err error) {
	err = rc.Write(func(fd uintptr) bool {
		for n < len(p) {
			r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[n])), uintptr(len(p)-n))
			switch e {
			case 0:
				n += int(r)
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false
			default:
				errno = e
				return true
			}
		}
		return true
	})
	return n, errno, err
}

func (c *conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// WriteFile writes all of p to f, a regular file, without entersyscall.
// Only for small appends to files kept in the page cache: a write that
// blocks (the kernel throttling dirty pages) holds the P meanwhile.
func WriteFile(f *os.File, p []byte) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return f.Write(p)
	}
	n, errno, err := rawWrite(rc, p)
	if err == nil && errno != 0 {
		err = &os.PathError{Op: "write", Path: f.Name(), Err: errno}
	}
	return n, err
}
