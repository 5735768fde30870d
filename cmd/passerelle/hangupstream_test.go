package main

import (
	"bytes"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestHangupStreamConfigNotChecked: a SIGHUP to a gateway started with
// its configuration from a stream (-c /dev/stdin, a pipe read to its end
// at the start) says the configuration cannot be read again, not that it
// has problems now. The pipe, read again, gave nothing, and the log said
// a restart would stop at "no enabled transport".
func TestHangupStreamConfigNotChecked(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w.WriteString(valid)
	w.Close()
	path := "/dev/fd/" + strconv.Itoa(int(r.Fd()))
	// The start read it to its end.
	if _, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	answerHangup(path, slog.New(slog.NewTextHandler(&logs, nil)))
	if got := logs.String(); strings.Contains(got, "has problems now") || !strings.Contains(got, "cannot be read again") {
		t.Errorf("SIGHUP with the configuration from a pipe logged:\n%s\nwant that it cannot be read again, no problems", got)
	}
}
