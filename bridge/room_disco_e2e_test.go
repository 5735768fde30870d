package bridge_test

import (
	"regexp"
	"testing"
)

// TestRoomInfoChangeSubject: the room's disco#info form says occupants
// may change the subject (the echo network sets topics) in the field
// Conversations, Monocles and Cheogram read, muc#roomconfig_changesubject
// (as Prosody and slidge send it), not only in muc#roominfo_subjectmod;
// before, those clients offered no subject change to a non-moderator.
func TestRoomInfoChangeSubject(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || info.Type != "result" {
		t.Fatalf("room disco#info: %v %s", err, info.XML)
	}
	for _, v := range []string{"muc#roominfo_subjectmod", "muc#roomconfig_changesubject"} {
		if !regexp.MustCompile(`<field [^>]*var="` + regexp.QuoteMeta(v) + `"[^>]*><value>1</value>`).MatchString(info.XML) {
			t.Errorf("room disco#info: no %s true: %s", v, info.XML)
		}
	}
}
