package bridge_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestOccupantAvatarPubSub: XEP-0084 asked of an occupant's JID (Prosody's
// MUC passes it to the occupant's bare JID) is the member's avatar, as
// its own address answers; from a resource not joined it is refused, as
// a vCard to an occupant is; of a nick nobody holds, item-not-found.
// Before, the contact path read the room's ID as a contact's: no avatar.
func TestOccupantAvatarPubSub(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	meta := func(to string) string {
		t.Helper()
		st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+to+`'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:metadata'/></pubsub></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st.XML
	}
	itemID := regexp.MustCompile(`<item id="([^"]+)"`)
	own := itemID.FindStringSubmatch(meta("echo-1@" + domain))
	if own == nil {
		t.Fatal("Echo One has no avatar on its own address")
	}
	if got := meta(room + "/Echo One"); !strings.Contains(got, `type="error"`) || !strings.Contains(got, "not-acceptable") {
		t.Errorf("an occupant's avatar asked before joining: %s, want not-acceptable, as Prosody answers", got)
	}
	join(t, alice, "a", "")
	got := meta(room + "/Echo One")
	if m := itemID.FindStringSubmatch(got); !strings.Contains(got, `type="result"`) || m == nil || m[1] != own[1] {
		t.Errorf("an occupant's avatar: %s, want Echo One's, item %s", got, own[1])
	}
	if got := meta(room + "/nobody"); !strings.Contains(got, "item-not-found") {
		t.Errorf("the avatar of a nick nobody holds: %s, want item-not-found", got)
	}
}
