//go:build !linux

package background

// lowerPriority does nothing off Linux: a thread's priority is set
// there by other means.
func lowerPriority() {}
