//go:build !linux

package sdk

// batchThreads does nothing off Linux, which has no batch class.
func batchThreads() (bool, error) { return false, nil }
