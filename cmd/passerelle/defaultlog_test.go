package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/prosodytest"
)

// TestStoreWarningsInTheConfiguredLog: what the store logs of no one
// transport (here a log file whose tail a crash tore, read at the
// start) is in the log the configuration asks for, a JSON line in a
// JSON log. It went to Go's default logger, a plain
// "2026/12/07 22:38:36 WARN store: ..." line among the JSON.
func TestStoreWarningsInTheConfiguredLog(t *testing.T) {
	s := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "echo.localhost", Secret: "hunter2"}}})
	dir := t.TempDir()
	db := filepath.Join(dir, "passerelle.db")
	path := setup(t, serverConfig(s.ComponentAddr())+"[store]\npath = \""+db+"\"\n[log]\nformat = \"json\"\n")
	g := startGateway(t, path)
	g.waitLog(t, 1, `"msg":"component link up"`)
	g.cmd.Process.Signal(os.Interrupt)
	<-g.done
	// A log generation the store has not applied, all of it torn.
	if err := os.WriteFile(db+".wal.9", []byte(strings.Repeat("\xa5", 300)), 0o600); err != nil {
		t.Fatal(err)
	}
	g = startGateway(t, path)
	g.waitLog(t, 1, `"msg":"component link up"`, "torn or zero-filled tail")
	for _, line := range strings.Split(strings.TrimSpace(g.log.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("a line of the JSON log is not JSON (%v): %s", err, line)
		}
	}
	g.cmd.Process.Signal(os.Interrupt)
	<-g.done
}
