package signal

import (
	"log/slog"
	"testing"
)

// The user's own messages of a login that named them by its number
// before its ACI was known keep that number in their IDs, whatever
// number changes follow: one back to a number it had (A, B, then A
// again) too, and one that teaches the ACI of a login that had none.
// (Before: the ID named B after A→B→A, the first of the former numbers
// then; and the ACI after a change taught it.)
func TestOwnIDsKeepTheirNumber(t *testing.T) {
	const a, b = "+15550000001", "+15550000009"
	const aci = "a11ce000-0000-4000-8000-000000000001"
	newSession := func(acc Account) *Session {
		return &Session{n: &Network{host: &recordingHost{}}, acc: acc, renamed: make(chan struct{}), ids: loadIdentities("", nil), chats: loadMsgChats("", slog.New(slog.DiscardHandler))}
	}
	for name, acc := range map[string]Account{
		"ACI learnt":    {Number: a, ACI: aci, IDNumber: a},
		"ACI not known": {Number: a},
	} {
		s := newSession(acc)
		want := s.idFor(1700000000000, s.selfID())
		if want != "1700000000000:"+a {
			t.Fatalf("%s: the user's message ID %q, want it naming %s", name, want, a)
		}
		s.renameTo(candidate{number: b, srcNumber: b, srcUUID: aci})
		if got := s.idFor(1700000000000, s.selfID()); got != want {
			t.Fatalf("%s: after a change to %s, the ID is %q, want %q", name, b, got, want)
		}
		s.renameTo(candidate{number: a, srcNumber: a, srcUUID: aci})
		if got := s.idFor(1700000000000, s.selfID()); got != want {
			t.Fatalf("%s: after a change back to %s, the ID is %q, want %q", name, a, got, want)
		}
	}
}
