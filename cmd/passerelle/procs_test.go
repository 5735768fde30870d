package main

import (
	"os"
	"runtime"
	"strconv"
	"testing"
)

func TestShareCPUs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	t.Run("unset", func(t *testing.T) {
		t.Setenv("GOMAXPROCS", "")
		os.Unsetenv("GOMAXPROCS")
		runtime.GOMAXPROCS(4)
		n, chosen := shareCPUs()
		if n != 2 || !chosen || runtime.GOMAXPROCS(0) != 2 {
			t.Fatalf("shareCPUs from 4 Ps = %d, %v (in force %d), want 2, true", n, chosen, runtime.GOMAXPROCS(0))
		}
		if got := os.Getenv("GOMAXPROCS"); got != "2" {
			t.Fatalf("GOMAXPROCS for the plugins = %q, want 2", got)
		}
		os.Unsetenv("GOMAXPROCS")
		runtime.GOMAXPROCS(1)
		if n, _ := shareCPUs(); n != 1 {
			t.Fatalf("shareCPUs from 1 P = %d, want 1", n)
		}
	})
	t.Run("set by the admin", func(t *testing.T) {
		t.Setenv("GOMAXPROCS", "3")
		runtime.GOMAXPROCS(3)
		n, chosen := shareCPUs()
		if n != 3 || chosen || os.Getenv("GOMAXPROCS") != strconv.Itoa(3) {
			t.Fatalf("shareCPUs with GOMAXPROCS=3 = %d, %v, want 3, false", n, chosen)
		}
	})
}
