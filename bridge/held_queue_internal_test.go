package bridge

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/store"
)

// TestHeldQueueRecords: the new messages read into a chat whose worker
// is busy with an earlier one are recorded, in the order read; a chat
// state is not, and a stanza handled before its record was written gets
// none. Each record is forgotten once the worker is done with its stanza,
// and this process's records are its own (not replayed by it).
func TestHeldQueueRecords(t *testing.T) {
	tr := newTestTransport(t)
	tr.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "l"})
	msg := func(to, id, inner string) *wire.Stanza {
		st, err := wire.Parse(`<message xmlns="jabber:component:accept" from="alice@localhost/phone" to="` + to + `" type="chat" id="` + id + `">` + inner + `</message>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	body := func(b string) string { return "<body>" + b + "</body>" }
	release := make(chan struct{})
	handled := make(chan string, 16)
	tr.in.handle = func(ctx context.Context, st *wire.Stanza) {
		defer tr.handledQueued(ctx, st)
		if st.ID() == "m0" {
			<-release
		}
		handled <- st.ID()
	}
	records := func() []string {
		t.Helper()
		hs, err := tr.db.HeldMessages("echo")
		if err != nil {
			t.Fatal(err)
		}
		if earlier, err := tr.db.HeldBefore("echo"); err != nil || len(earlier) != 0 {
			t.Errorf("records taken for an earlier process's: %v, %v", earlier, err)
		}
		var ids []string
		for _, h := range hs {
			ids = append(ids, h.ID)
			// c1's record may be read before its deletion is written
			// (the deletion is not waited for): the waits below go on
			// until the records are the ones wanted.
			chat := "bob"
			if h.ID == "c1" {
				chat = "carol"
			}
			if st := heldStanza(h); st == nil || st.ID() != h.ID || h.LoginID != "l" || h.ChatID != chat || len(h.Command) != 0 {
				t.Errorf("record %+v", h)
			}
		}
		return ids
	}

	tr.route(msg("bob@echo.localhost", "m0", body("held")))
	tr.route(msg("bob@echo.localhost", "m1", body("one")))
	tr.route(msg("bob@echo.localhost", "m2", `<composing xmlns="http://jabber.org/protocol/chatstates"/>`))
	tr.route(msg("bob@echo.localhost", "m3", body("fixed")+`<replace xmlns="urn:xmpp:message-correct:0" id="m1"/>`))
	tr.route(msg("carol@echo.localhost", "c1", body("other chat")))
	for i := 4; i < 8; i++ {
		tr.route(msg("bob@echo.localhost", "m"+strconv.Itoa(i), body(strconv.Itoa(i))))
	}
	if got := <-handled; got != "c1" {
		t.Fatalf("handled %s first, want the other chat's c1", got)
	}
	want := []string{"m0", "m1", "m3", "m4", "m5", "m6", "m7"}
	for deadline := time.Now().Add(10 * time.Second); !slices.Equal(records(), want); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("recorded %v, want %v", records(), want)
		}
	}
	close(release)
	var order []string
	for range 8 {
		order = append(order, <-handled)
	}
	if w := []string{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"}; !slices.Equal(order, w) {
		t.Fatalf("handled %v, want %v", order, w)
	}
	for deadline := time.Now().Add(10 * time.Second); len(records()) != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("records left after their stanzas were handled: %v", records())
		}
	}
	// Recorded as read, forgotten once handled.
	tr.route(msg("bob@echo.localhost", "m8", body("later")))
	if got := <-handled; got != "m8" {
		t.Fatalf("handled %s, want m8", got)
	}
	for deadline := time.Now().Add(10 * time.Second); len(records()) != 0 || tr.heldQ.nrecs.Load() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after the wait: records %v, %d stanzas taken in", records(), tr.heldQ.nrecs.Load())
		}
	}
}
