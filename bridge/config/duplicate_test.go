package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestDuplicateTableNamesFirstLine: the README's [metrics] snippet
// appended to examples/passerelle.toml, which has a [metrics] table
// already, is reported as that table opened twice, with both lines and
// what to do, not as the decoder's bare "Key 'metrics' has already been
// defined".
func TestDuplicateTableNamesFirstLine(t *testing.T) {
	isolate(t)
	example, err := os.ReadFile("../../examples/passerelle.toml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(example), "\n")
	first := slices.Index(lines, "[metrics]") + 1
	if first == 0 {
		t.Fatal("examples/passerelle.toml has no [metrics] line")
	}
	data := string(example) + "\n[metrics]\nlisten = \"127.0.0.1:9464\"\n"
	again := len(lines) + 1
	_, err = parse(t, data)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *Error", err)
	}
	if e.Line != again || e.Key != "metrics" {
		t.Errorf("error at line %d, key %q; want line %d, key metrics: %v", e.Line, e.Key, again, err)
	}
	want := fmt.Sprintf("[metrics] opened twice (first at line %d): a table is opened once, so put these keys under the first [metrics]", first)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q\nwant it to say %q", err, want)
	}
}

// TestDuplicateKeyNamesBlock: a key set twice in the second
// [[transport]] block, and a [transport.config] opened twice in one
// block, name the block as every other problem does.
func TestDuplicateKeyNamesBlock(t *testing.T) {
	isolate(t)
	two := minimal + "[[transport]]\nname = \"two\"\ndomain = \"two.localhost\"\nname = \"three\"\n"
	_, err := parse(t, two)
	if want := "/passerelle.toml:11: transport[1].name: set twice (first at line 9): keep one"; err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error = %v\nwant it to end %s", err, want)
	}
	config := minimal + "[transport.config]\na = 1\n[transport.config]\nb = 2\n"
	_, err = parse(t, config)
	if want := "/passerelle.toml:10: transport[0].config: [transport.config] opened twice (first at line 8)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v\nwant it to say %s", err, want)
	}
}

// TestTransportNamedTwiceIsOneProblem: a [[transport]] block copied and
// given a new domain but not a new name is one problem, its name's, with
// the line of the name. The data folder, which follows the name when not
// set, was said to clash too, first and on the block's first line, as
// a second problem to chase. A data_dir the file gives is still checked.
func TestTransportNamedTwiceIsOneProblem(t *testing.T) {
	isolate(t)
	_, err := parse(t, minimal+"[[transport]]\nname = \"echo\"\ndomain = \"e2.localhost\"\nsecret = \"x\"\nplugin = \"passerelle-echo\"\n")
	want := `passerelle.toml:9: transport[1].name: "echo" is already the name of transport[0]`
	if err == nil || strings.Count(err.Error(), "\n") != 0 || !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v\nwant one line: %s", err, want)
	}

	_, err = parse(t, minimal+"data_dir = \"d\"\n[[transport]]\nname = \"echo\"\ndomain = \"e2.localhost\"\nsecret = \"x\"\nplugin = \"passerelle-echo\"\ndata_dir = \"d\"\n")
	if err == nil || !strings.Contains(err.Error(), "transport[1].data_dir: ") || !strings.Contains(err.Error(), "transport[1].name: ") {
		t.Errorf("a data_dir given twice beside the name: error = %v, want both said", err)
	}
}
