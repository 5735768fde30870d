//go:build !unix

package main

import "os/exec"

// ownGroup does nothing where there are no process groups: the demo
// needs Prosody, which runs on Unix; this keeps `go build ./...` whole.
func ownGroup(*exec.Cmd) {}
