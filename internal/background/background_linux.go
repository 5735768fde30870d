package background

import "syscall"

// backgroundNice is how much lower than the process's the priority of
// Run's thread is.
const backgroundNice = 10

// threadNice returns the nice value of the calling thread.
func threadNice() (int, error) {
	// The raw system call returns 20 - nice, to stay positive.
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	return 20 - p, err
}

// lowerPriority lowers the calling thread's priority by backgroundNice;
// it is best effort: fn runs anyway.
func lowerPriority() {
	n, err := threadNice()
	if err != nil {
		return
	}
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), min(n+backgroundNice, 19))
}
