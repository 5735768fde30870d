package testserver

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// holdPortsEnv makes a test binary the other test process of
// TestPortsReservedAcrossProcesses: it reserves ports and holds them.
const holdPortsEnv = "TESTSERVER_HOLD_PORTS"

// A block of the range ReservePorts picks from, and how many ports each
// process reserves there: random picks of two processes that do not
// see each other's overlap almost surely (some 10 ports of 100).
const (
	blockLow, blockSize, blockPicks = 21000, 1000, 100
)

// TestPortsReservedAcrossProcesses: a port another test process (another
// package, go test runs them at once) reserved is not given out, even
// while no server listens on it (its server is stopped for a restart, or
// not started yet).
func TestPortsReservedAcrossProcesses(t *testing.T) {
	if os.Getenv(holdPortsEnv) != "" {
		ports, err := reservePortsIn(blockPicks, blockLow, blockLow+blockSize)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(strings.Trim(fmt.Sprint(ports), "[]"))
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // held until the parent closes stdin
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPortsReservedAcrossProcesses$", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), holdPortsEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the other process said %q: %v", line, err)
	}
	theirs := map[int]bool{}
	for _, f := range strings.Fields(line) {
		p, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("the other process said %q", line)
		}
		theirs[p] = true
	}
	if len(theirs) != blockPicks {
		t.Fatalf("the other process reserved %d ports, want %d: %q", len(theirs), blockPicks, line)
	}

	ours, err := reservePortsIn(blockPicks, blockLow, blockLow+blockSize)
	if err != nil {
		t.Fatal(err)
	}
	defer ReleasePorts(ours)
	var both []int
	for _, p := range ours {
		if theirs[p] {
			both = append(both, p)
		}
	}
	if len(both) > 0 {
		t.Fatalf("ports reserved by the other process given out again: %v", both)
	}
}
