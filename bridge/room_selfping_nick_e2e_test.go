package bridge_test

import (
	"testing"
)

// TestRoomSelfPingStaleNick: a joined client's self-ping of a nick that
// nobody in the room holds (its own from before a rename it missed, or
// the nick it asked for where the room gave it another, status 210) is
// item-not-found, which XEP-0410 has the client take for "not joined"
// and join again, as Prosody answers. It was a result: the client took
// itself for joined under a nick it no longer had. Its own nick and a
// member's still answer.
func TestRoomSelfPingStaleNick(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	ping := func(to string) string {
		t.Helper()
		st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`/`+to+`'><ping xmlns='urn:xmpp:ping'/></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		if st.Err != nil {
			return st.Err.Condition
		}
		return st.Type
	}
	if got := ping(self); got != "result" {
		t.Fatalf("self-ping of the own nick: %s", got)
	}
	if got := ping("Echo One"); got != "result" {
		t.Errorf("ping of a member: %s", got)
	}
	if self == "a" {
		t.Fatal("the test wants the room to have renamed the join")
	}
	for _, n := range []string{"a", "nobody"} {
		if got := ping(n); got != "item-not-found" {
			t.Errorf("self-ping as %q, a nick nobody holds: want item-not-found, got %s", n, got)
		}
	}
}
