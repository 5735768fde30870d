package bridge

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
)

// TestListEntriesFitAndFilter: a list stops before the entry that would
// pass its budget, counting each entry as escaped in the stanza (a name
// of "&" grows fivefold), and TEXT keeps the entries whose name or
// address has it, in any case.
func TestListEntriesFitAndFilter(t *testing.T) {
	line := func(w *wire.Writer, e listEntry) { w.Text(e.name + e.jid) }
	es := []listEntry{{jid: "a", name: "0123456789"}, {jid: "b", name: "0123456789"}, {jid: "c", name: "&&&&&&&&&&"}}
	if n := fitEntries(es, 22, line); n != 2 {
		t.Errorf("fitted %d of 3 in 22 bytes, want 2", n)
	}
	if n := fitEntries(es, 40, line); n != 2 {
		t.Errorf("fitted %d in 40 bytes, want 2: the third is 51 bytes escaped", n)
	}
	if n := fitEntries(es, 1000, line); n != 3 {
		t.Errorf("fitted %d in 1000 bytes, want 3", n)
	}
	if n := fitEntries(es, 5, line); n != 0 {
		t.Errorf("fitted %d in 5 bytes, want 0", n)
	}
	in := []listEntry{{jid: "echo-1@x", name: "Echo One"}, {jid: "echo-2@x", name: "Echo Two"}, {jid: "bob@x", name: "Robert"}}
	var got []string
	for _, e := range filterEntries(in, "  TWO ") {
		got = append(got, e.name)
	}
	if strings.Join(got, ",") != "Echo Two" {
		t.Errorf("filter by name: %v", got)
	}
	if f := filterEntries(in, "bob@"); len(f) != 1 || f[0].name != "Robert" {
		t.Errorf("filter by address: %v", f)
	}
	if f := filterEntries(in, ""); len(f) != 3 {
		t.Errorf("no filter: %v", f)
	}
}
