package store

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"passerelle.im/passerelle/internal/rawio"
)

// The log's fdatasync goes through io_uring: a blocking fdatasync keeps
// the goroutine's P (the gateway has one, see sdk.ShareCPUs) until the
// runtime's sysmon notices, and every stanza waits meanwhile. Through
// io_uring the kernel does the sync on a worker of its own and signals
// an eventfd, which the Go netpoller waits on without a P. Where io_uring
// cannot be set up (an old kernel, a seccomp profile that forbids it) or
// PASSERELLE_IO_URING=0, the plain system call is used.

const (
	uringOffSQRing  = 0
	uringOffCQRing  = 0x8000000
	uringOffSQEs    = 0x10000000
	uringOpFsync    = 3
	uringFsyncData  = 1 // IORING_FSYNC_DATASYNC
	uringRegEventFD = 4 // IORING_REGISTER_EVENTFD
	uringSQESize    = 64
	uringCQESize    = 16
)

// uringParams is struct io_uring_params.
type uringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	resv                                                                   [3]uint32
	sqOff                                                                  struct {
		head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
		userAddr                                                        uint64
	}
	cqOff struct {
		head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
		userAddr                                                        uint64
	}
}

// uring is a ring of one entry, used for one fsync at a time.
type uring struct {
	mu       sync.Mutex
	fd       int
	sq, cq   []byte
	sqes     []byte
	sqTail   *uint32
	sqMask   uint32
	sqArray  *uint32
	cqHead   *uint32
	cqTail   *uint32
	cqMask   uint32
	cqesOff  uint32
	ev       *os.File // the eventfd completions signal
	evBuf    [8]byte
	disabled atomic.Bool // an op the kernel refused: use the system call
}

var (
	ringOnce sync.Once
	ring     *uring
)

// fdatasync makes what was written to f durable, without its metadata.
func fdatasync(f *os.File) error {
	ringOnce.Do(func() {
		if os.Getenv("PASSERELLE_IO_URING") != "0" {
			ring, _ = newUring()
		}
	})
	if ring == nil || ring.disabled.Load() {
		return unix.Fdatasync(int(f.Fd()))
	}
	err := ring.datasync(int(f.Fd()))
	if errors.Is(err, errRing) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP) {
		// The ring itself failed, or the kernel does not know the op:
		// the system call from now on.
		ring.disabled.Store(true)
		return unix.Fdatasync(int(f.Fd()))
	}
	return err
}

// errRing marks a failure of the ring itself, not of the sync it ran.
var errRing = errors.New("io_uring")

func newUring() (*uring, error) {
	var p uringParams
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, fmt.Errorf("io_uring_setup: %w", errno)
	}
	u := &uring{fd: int(fd)}
	fail := func(err error) (*uring, error) {
		u.close()
		return nil, err
	}
	var err error
	if u.sq, err = unix.Mmap(u.fd, uringOffSQRing, int(p.sqOff.array+p.sqEntries*4), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		return fail(fmt.Errorf("mmap sq ring: %w", err))
	}
	if u.cq, err = unix.Mmap(u.fd, uringOffCQRing, int(p.cqOff.cqes+p.cqEntries*uringCQESize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		return fail(fmt.Errorf("mmap cq ring: %w", err))
	}
	if u.sqes, err = unix.Mmap(u.fd, uringOffSQEs, int(p.sqEntries*uringSQESize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		return fail(fmt.Errorf("mmap sqes: %w", err))
	}
	u.sqTail = (*uint32)(unsafe.Pointer(&u.sq[p.sqOff.tail]))
	u.sqMask = *(*uint32)(unsafe.Pointer(&u.sq[p.sqOff.ringMask]))
	u.sqArray = (*uint32)(unsafe.Pointer(&u.sq[p.sqOff.array]))
	u.cqHead = (*uint32)(unsafe.Pointer(&u.cq[p.cqOff.head]))
	u.cqTail = (*uint32)(unsafe.Pointer(&u.cq[p.cqOff.tail]))
	u.cqMask = *(*uint32)(unsafe.Pointer(&u.cq[p.cqOff.ringMask]))
	u.cqesOff = p.cqOff.cqes
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return fail(fmt.Errorf("eventfd: %w", err))
	}
	// Non-blocking, so os.File reads it through the netpoller.
	u.ev = os.NewFile(uintptr(efd), "io_uring eventfd")
	e32 := int32(efd)
	if _, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(u.fd), uringRegEventFD, uintptr(unsafe.Pointer(&e32)), 1, 0, 0); errno != 0 {
		return fail(fmt.Errorf("io_uring_register eventfd: %w", errno))
	}
	return u, nil
}

func (u *uring) close() {
	for _, m := range [][]byte{u.sq, u.cq, u.sqes} {
		if m != nil {
			_ = unix.Munmap(m)
		}
	}
	if u.ev != nil {
		u.ev.Close()
	}
	unix.Close(u.fd)
}

// datasync runs one fdatasync of fd through the ring and waits for it,
// parked in the netpoller.
func (u *uring) datasync(fd int) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	tail := atomic.LoadUint32(u.sqTail)
	idx := tail & u.sqMask
	sqe := u.sqes[idx*uringSQESize : (idx+1)*uringSQESize]
	clear(sqe)
	sqe[0] = uringOpFsync
	*(*int32)(unsafe.Pointer(&sqe[4])) = int32(fd)
	*(*uint32)(unsafe.Pointer(&sqe[28])) = uringFsyncData
	*(*uint32)(unsafe.Add(unsafe.Pointer(u.sqArray), 4*idx)) = idx
	atomic.StoreUint32(u.sqTail, tail+1)
	for {
		// Submitting does not wait for the fsync (io-wq runs it): raw,
		// so that it does not wake the runtime's monitor (see rawio).
		n, _, errno := unix.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(u.fd), 1, 0, 0, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return fmt.Errorf("%w: io_uring_enter: %w", errRing, errno)
		}
		if n != 1 {
			return fmt.Errorf("%w: io_uring_enter: %d submitted, want 1", errRing, n)
		}
		break
	}
	for {
		head := atomic.LoadUint32(u.cqHead)
		if head != atomic.LoadUint32(u.cqTail) {
			off := u.cqesOff + (head&u.cqMask)*uringCQESize
			res := *(*int32)(unsafe.Pointer(&u.cq[off+8]))
			atomic.StoreUint32(u.cqHead, head+1)
			if res < 0 {
				return unix.Errno(-res)
			}
			return nil
		}
		// Parked without a P until the kernel signals the completion.
		if _, err := rawio.ReadFile(u.ev, u.evBuf[:]); err != nil {
			return fmt.Errorf("%w: eventfd: %w", errRing, err)
		}
	}
}
