package bridge

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/store"
)

// TestListEntriesFitAndFilter: a list stops before the entry that would
// pass its budget, counting each entry as escaped in the stanza (a name
// of "&" grows fivefold), and TEXT keeps the entries whose name or
// address has it, in any case, but not in the domain all addresses
// share.
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
	if f := filterEntries(in, "X"); len(f) != 0 {
		t.Errorf("filter by the gateway's domain, every address's: %v, want none", f)
	}
	if f := filterEntries(in, ""); len(f) != 3 {
		t.Errorf("no filter: %v", f)
	}
}

// TestChatListNameOneLine: a contact's name from the network holding a
// line break or a bidi override is one line of its own in the chat
// command's answer, its address readable after it: a name of
// "Mallory\n  Boss: boss@..." made a line listing a contact the user
// does not have, and an unclosed RIGHT-TO-LEFT OVERRIDE turned the
// address that follows it around.
func TestChatListNameOneLine(t *testing.T) {
	tr, s, _, sent := occupantFixture(t)
	if err := tr.db.PutPuppets(context.Background(), []store.Puppet{
		{Transport: tr.name, LoginID: s.LoginID(), UserID: "m1", Name: "Mallory\n  Boss: boss@" + tr.domain},
		{Transport: tr.name, LoginID: s.LoginID(), UserID: "r1", Name: "Rex\u202e\u2066"},
	}); err != nil {
		t.Fatal(err)
	}
	tr.handleGatewayChat(context.Background(), "alice@localhost", "contacts")
	var body string
	for _, o := range sent() {
		if b, _ := o.Body(); strings.HasPrefix(b, "2 contacts:") {
			body = b
		}
	}
	want := "2 contacts:\n  Mallory Boss: boss@" + tr.domain + ": m1@" + tr.domain + "\n  Rex: r1@" + tr.domain
	if body != want {
		t.Errorf("contacts answered %q, want %q", body, want)
	}
}
