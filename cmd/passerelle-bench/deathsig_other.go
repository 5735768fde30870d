//go:build !linux

package main

import "os/exec"

// dieWithParent does nothing where the kernel cannot kill a child with
// its parent (Pdeathsig is Linux's): the bench's own stop ends them.
func dieWithParent(*exec.Cmd) {}
