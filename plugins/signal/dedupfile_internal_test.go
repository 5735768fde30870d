package signal

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A crash mid-append leaves handled.jsonl with a last line cut short,
// or whole but without its newline: the next start reads every whole
// line and drops the cut one, saying so, and what it appends then is
// read back at the start after (a line appended after one without its
// newline would make both unreadable).
func TestDedupFileTornLastLine(t *testing.T) {
	line := func(k string) string {
		b, _ := json.Marshal(dedupLine{K: k})
		return string(b)
	}
	for name, tail := range map[string]string{
		"cut short":       `{"k":"c|b0b|+1555`,
		"without newline": line("c"),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, dedupFileName)
			if err := os.WriteFile(path, []byte(line("a")+"\n"+line("b")+"\n"+tail), 0o600); err != nil {
				t.Fatal(err)
			}
			var logged bytes.Buffer
			var d strayDedup
			d.load(dir, slog.New(slog.NewTextHandler(&logged, nil)))
			if !d.seenKey("a") || !d.seenKey("b") {
				t.Fatalf("the whole lines before the cut one are not read: %v", d.order)
			}
			cut := tail != line("c")
			if warned := strings.Contains(logged.String(), "level=WARN") && strings.Contains(logged.String(), "cut short"); warned != cut {
				t.Errorf("a warning of the cut line: %v, want %v; logged: %s", warned, cut, logged.String())
			}
			log := slog.New(slog.DiscardHandler)
			d.keep(handledKey{key: "d"})
			var again strayDedup
			again.load(dir, log)
			for _, k := range []string{"a", "b", "d"} {
				if !again.seenKey(k) {
					b, _ := os.ReadFile(path)
					t.Fatalf("%q not read back after the restart; the file: %q", k, b)
				}
			}
			if whole := tail == line("c"); again.seenKey("c") != whole {
				t.Errorf("the last line %q read back: %v, want %v", tail, again.seenKey("c"), whole)
			}
		})
	}
}
