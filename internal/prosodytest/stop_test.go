package prosodytest_test

import (
	"os"
	"path/filepath"
	"testing"

	"passerelle.im/passerelle/internal/prosodytest"
)

// hangingProsody stands in for Prosody 0.12.3 as a CI run met it: it
// serves its c2s port, and on SIGTERM logs "Shutdown complete" and never
// exits (its timer code failed while closing the last connections).
const hangingProsody = `#!/usr/bin/env python3
import os, re, signal, socket, sys
cfg = sys.argv[sys.argv.index("--config") + 1]
port = int(re.search(r"c2s_ports = \{ (\d+) \}", open(cfg).read()).group(1))
log = os.path.join(os.path.dirname(cfg), "prosody.log")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen()
def term(*_):
    with open(log, "a") as f:
        f.write("general info Shutdown complete\n")
        f.write("general error Top-level error, please report: indexedbheap.lua:125: table index is nil\n")
signal.signal(signal.SIGTERM, term)
while True:
    c, _ = s.accept()
    c.recv(512)
    c.sendall(b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>")
    c.close()
`

// TestStopAfterShutdownComplete: a Prosody that finished its shutdown
// and then hung (its own bug) is killed, and its stop is no error: a
// test failed for it before, at the SIGTERM deadline. (Waiting for that
// deadline is an error too, so no clock is read here: a slow machine
// fails nothing.)
func TestStopAfterShutdownComplete(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Fatalf("the stand-in Prosody needs /usr/bin/python3 (scripts/install-deps.sh installs it): %v", err)
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "prosody"), []byte(hangingProsody), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	s, err := prosodytest.New(prosodytest.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("stop after the shutdown completed: %v", err)
	}
}
