package signal

import (
	"log/slog"
	"testing"
)

// An ID names its author by ACI; read back, the author is a user ID as
// the metadata has it: the user's own ACI is the user (whose user ID is
// their number), so that an edit or deletion of the user's message named
// by its ID alone is theirs, and a read of it tells no one. (Before the
// fix: the ACI, which is no user ID, and the edit was refused as
// another's.)
func TestMsgRefAuthorIsUserID(t *testing.T) {
	const number, aci = "+15550000001", "a11ce000-0000-4000-8000-000000000001"
	const bob, bobACI = "+15550000002", "b0b00000-0000-4000-8000-000000000002"
	s := &Session{acc: Account{Number: number, ACI: aci, Linked: true}, ids: loadIdentities("", nil), chats: loadMsgChats("", slog.New(slog.DiscardHandler))}
	s.ids.userID(bob, bobACI, "Bob")
	mine := s.idFor(1700000000000, s.selfID())
	if mine != "1700000000000:"+aci {
		t.Fatalf("the user's message ID %q, want their ACI in it", mine)
	}
	if ts, a, err := s.msgRef(mine, nil); err != nil || ts != 1700000000000 || a != number {
		t.Fatalf("msgRef(%q) = %d %q %v, want the user's own number", mine, ts, a, err)
	}
	if _, a, _ := s.msgRef(s.idFor(1700000000001, bob), nil); a != bob {
		t.Fatalf("bob's message read back as by %q", a)
	}
}

// A quote or reaction that names no author (an older signal-cli's) names
// the message by the author noted for its timestamp, not by a bare
// timestamp the gateway does not know.
func TestRefIDWithoutAuthor(t *testing.T) {
	const bob, bobACI = "+15550000002", "b0b00000-0000-4000-8000-000000000002"
	s := &Session{acc: Account{Number: "+15550000001"}, ids: loadIdentities("", nil), chats: loadMsgChats("", slog.New(slog.DiscardHandler))}
	s.ids.userID(bob, bobACI, "Bob")
	s.chats.note(1700000000000, bob, bob)
	if got, want := s.refID(1700000000000, "", ""), "1700000000000:"+bobACI; got != want {
		t.Fatalf("refID without author = %q, want %q", got, want)
	}
}
