package bridge_test

import (
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomGoneResourceDropped: a resource that went away without leaving
// the room is taken out of it at the first bounce of a room message to
// it (XEP-0045, "Service removes user because of error response"): the
// gateway stops sending to it, and the resource, back, is told it is no
// longer joined. Before, it stayed joined for good and every room
// message bounced.
//
// A client that merely closes its stream leaves: Prosody sends the
// rooms it sent presence to an unavailable presence for it. Prosody
// killed (a crash) sends none: the client's session is gone, and the
// gateway, linked again to the restarted server, still counts the
// resource joined.
func TestRoomGoneResourceDropped(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	gone := alice.JID().Resourcepart()
	self := nick(join(t, alice, "a", "").self.From)
	if err := s.srv.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := s.srv.Start(); err != nil {
		t.Fatal(err)
	}
	laptop := s.loginResource("alice", "laptop")
	s.waitGateway(laptop)
	join(t, laptop, "a", "")

	// An error about one stanza says nothing of the resource: the laptop
	// stays joined.
	if err := laptop.SendRaw(ctxT(t), `<message type='error' id='x1' to='`+room+`/Echo One'><error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`); err != nil {
		t.Fatal(err)
	}
	ping := `<iq type='get' to='` + room + `/` + self + `'><ping xmlns='urn:xmpp:ping'/></iq>`
	if st, err := laptop.IQ(ctxT(t), ping); err != nil || st.Type != "result" {
		t.Fatalf("self-ping of the laptop after its modify error: %v %s", err, st.XML)
	}

	// The first room message after the crash bounces, and the resource
	// is taken out. Room messages already on their way to it bounce
	// too; a later one's copy (the reflection of the laptop's message,
	// under the laptop's id) is never sent to it.
	bounced := `kind=message type=error from=alice@localhost/` + gone + ` `
	groupchat(t, laptop, "hello")
	roomMessage(t, laptop, "Echo One", "hello")
	s.logs.waitLog(t, bounced, timeout)
	s.logs.waitLog(t, "room resource gone: no longer joined", timeout)
	if !strings.Contains(s.logs.String(), "resource="+gone) {
		t.Errorf("the debug line does not name the gone resource %s", gone)
	}
	var later []string
	for _, body := range []string{"again", "and again"} {
		later = append(later, groupchat(t, laptop, body))
		roomMessage(t, laptop, self, body)
		roomMessage(t, laptop, "Echo One", body)
	}
	time.Sleep(500 * time.Millisecond) // a bounce would be back by now
	for _, line := range strings.Split(s.logs.String(), "\n") {
		for _, id := range later {
			if strings.Contains(line, bounced) && strings.HasSuffix(line, " id="+id) {
				t.Errorf("the gateway still sends to the gone resource: %s", line)
			}
		}
	}

	// The resource back (a client reconnecting with it) asks whether it
	// is still joined (XEP-0410), and is told it is not: it joins again.
	back := s.loginResource("alice", gone)
	if st, err := back.IQ(ctxT(t), ping); err != nil || st.Err == nil || st.Err.Condition != "not-acceptable" {
		t.Fatalf("self-ping of the gone resource: want not-acceptable, got %v %s", err, st.XML)
	}
	if st, err := laptop.IQ(ctxT(t), ping); err != nil || st.Type != "result" {
		t.Fatalf("self-ping of the laptop: %v %s", err, st.XML)
	}
	if j := join(t, back, "a", ""); !strings.Contains(j.self.XML, `code="110"`) {
		t.Errorf("rejoin: %s", j.self.XML)
	}
	groupchat(t, laptop, "all here")
	for _, c := range []*xmpptest.Client{laptop, back} {
		roomMessage(t, c, "Echo One", "all here")
	}
}
