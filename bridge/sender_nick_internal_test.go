package bridge

import (
	"context"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestDirectMessageSenderNick: a direct message carries the name the
// network gives its sender (XEP-0172 <nick/>), so that a client shows
// someone the user never saved (no roster item: a WhatsApp stranger) by
// name, not by address; the user's own words and rooms carry none.
// Before, no name came at all.
func TestDirectMessageSenderNick(t *testing.T) {
	tr := newTestTransport(t)
	render := func(s *pb.Sender, group bool) string {
		ev := &pb.Event{LoginId: "l", ChatId: "33600000000", Sender: s}
		c := chatOut{t: tr, ev: ev, xid: "m-1", user: "alice@localhost", puppet: "33600000000@wa.localhost", group: group}
		out := c.message(context.Background(), &pb.MessageEvent{Text: "hello"})
		if len(out) != 1 {
			t.Fatalf("%d stanzas", len(out))
		}
		return string(out[0])
	}
	nick := `<nick xmlns="http://jabber.org/protocol/nick">Zoé &lt;3</nick>`
	if got := render(&pb.Sender{UserId: "33600000000", Name: "Zoé <3"}, false); !strings.Contains(got, nick) {
		t.Errorf("direct message without the sender's nick: %s", got)
	}
	if got := render(&pb.Sender{UserId: "me", Name: "Alice", IsFromMe: true}, false); strings.Contains(got, "protocol/nick") {
		t.Errorf("the user's own message with a nick: %s", got)
	}
	if got := render(&pb.Sender{UserId: "33600000000", Name: "Zoé"}, true); strings.Contains(got, "protocol/nick") {
		t.Errorf("a room message with a nick: %s", got)
	}
}
