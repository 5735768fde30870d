package bridge_test

import (
	"strings"
	"testing"
)

// TestRoomLastActivity: XEP-0012 asked of a room's JID is
// service-unavailable, as Prosody's MUC answers (no handler for it: a
// room is never online), not a contact's item-not-found saying "when
// this contact was last online".
func TestRoomLastActivity(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='jabber:iq:last'/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	if st.Type != "error" || st.Err == nil || st.Err.Condition != "service-unavailable" || strings.Contains(st.Err.Text, "contact") {
		t.Errorf("a room's last activity: %s, want service-unavailable", st.XML)
	}
}
