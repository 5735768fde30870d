package whatsapp_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// channelsSynced has the fake apply the server's commands so far: it
// applies them in order, so once bob's message is through, so is all
// before it.
func channelsSynced(t *testing.T, srv *wafake.Server, evs *plugintest.EventStream, id string) {
	t.Helper()
	info, msg := incoming(bob, id, "hi")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.EventId == id })
}

// listedChannels is the channels ChatList lists.
func listedChannels(t *testing.T, p *plugintest.Plugin, loginID string) []string {
	t.Helper()
	ctx, cancel := p.CallContext()
	defer cancel()
	list, err := p.Client().ChatList(ctx, &pb.LoginRef{LoginId: loginID})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range list.GetChats() {
		if c.Type == pb.ChatType_CHAT_TYPE_CHANNEL {
			out = append(out, c.ChatId)
		}
	}
	return out
}

// A channel is followed from XMPP, in the plugin process on the remote
// fake (WhatsApp's mex answers, read by whatsmeow): by joinchat@ with
// its link (https://whatsapp.com/channel/CODE) as the password, or by
// joining its own room <id>@newsletter. The join answers with the
// channel's room, announced as a channel, and ChatList lists it; a link
// no channel has is NOT_FOUND, nothing followed. Leaving the room
// unfollows it: no longer listed, nor described. Before, a join of a
// channel's room was NOT_FOUND ("you are not in"), its link no
// invitation link (BAD_REQUEST), and a leave "is not a group".
func TestChannelFollowLeaveProcess(t *testing.T) {
	srv, p, evs, done := processLoggedIn(t)
	cooking := types.NewJID("120363100000000021", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: cooking, Name: "Cooking", Role: types.NewsletterRoleGuest, Invite: "0029VaCoOkInG123"})
	garden := types.NewJID("120363100000000022", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: garden, Name: "Garden", Role: types.NewsletterRoleGuest})
	channelsSynced(t, srv, evs, "SYNC1")
	if got := listedChannels(t, p, done.LoginId); len(got) != 0 {
		t.Fatalf("channels listed before any is followed: %v", got)
	}
	cmds := p.Commands()
	join := func(txn, room, password string) *pb.CommandResult {
		t.Helper()
		return cmds.Send(plugintest.Act(done.LoginId, room, txn, &pb.JoinChat{Nick: "alice", Password: password}))
	}

	res := join("j0", "joinchat", "https://whatsapp.com/channel/NoSuchChannel0000")
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND || !strings.Contains(res.Error.GetText(), "no WhatsApp channel has the link") {
		t.Errorf("a link no channel has: %v, want NOT_FOUND saying so", res)
	}
	res = join("j1", "joinchat", "https://whatsapp.com/channel/0029VaCoOkInG123?utm=share")
	if res.Error != nil || res.ChatId != cooking.String() {
		t.Fatalf("join by the channel's link: %v, want its room %s", res, cooking)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == cooking.String() })
	if c := ev.GetChat().GetChat(); c.GetType() != pb.ChatType_CHAT_TYPE_CHANNEL || c.GetName() != "Cooking" || ev.ChatType != pb.ChatType_CHAT_TYPE_CHANNEL {
		t.Errorf("the followed channel announced as %v, want the channel Cooking", ev)
	}
	res = join("j2", garden.String(), "")
	if res.Error != nil || res.ChatId != garden.String() {
		t.Fatalf("join of the channel's room: %v", res)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == garden.String() })
	got := listedChannels(t, p, done.LoginId)
	if !slices.Contains(got, cooking.String()) || !slices.Contains(got, garden.String()) {
		t.Errorf("ChatList after the follows: %v, want both channels", got)
	}

	res = cmds.Send(plugintest.Act(done.LoginId, cooking.String(), "l1", &pb.LeaveChat{}))
	if res.Error != nil {
		t.Fatalf("leaving the channel's room: %v", res.Error)
	}
	if got := listedChannels(t, p, done.LoginId); slices.Contains(got, cooking.String()) || !slices.Contains(got, garden.String()) {
		t.Errorf("ChatList after leaving Cooking: %v, want Garden alone", got)
	}
	ctx, cancel := p.CallContext()
	defer cancel()
	if c, err := p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: done.LoginId, ChatId: cooking.String()}); status.Code(err) != codes.NotFound {
		t.Errorf("ChatInfo of the channel left: %v, %v, want NOT_FOUND", c, err)
	}
}

// A channel followed on the phone, in the plugin process on the remote
// fake (WhatsApp's <notification type="mex"> with
// xwa2_notify_newsletter_on_join, read by whatsmeow), comes as its room,
// named; left on the phone (_on_leave), the room goes: the user left it.
// Before, both were dropped (no handler), the room coming only at the
// next listing and staying until then.
func TestChannelFollowedElsewhereProcess(t *testing.T) {
	srv, _, evs, _ := processLoggedIn(t)
	news := types.NewJID("120363100000000051", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: news, Name: "Town News", Role: types.NewsletterRoleGuest})
	srv.ChannelFollowed(news, true)
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == news.String() })
	if c := ev.GetChat().GetChat(); c.GetType() != pb.ChatType_CHAT_TYPE_CHANNEL || c.GetName() != "Town News" {
		t.Errorf("the channel followed on the phone: %v, want its room, Town News", ev)
	}
	srv.ChannelFollowed(news, false)
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == news.String() })
	if r := ev.GetChatRemoved(); r == nil || r.Reason != pb.ChatRemovedEvent_REASON_LEFT {
		t.Errorf("the channel left on the phone: %v, want its room removed, left", ev)
	}
}

// Following a channel by its link through a real Prosody, the gateway
// and the plugin process on the remote fake: the join of joinchat@ with
// the link is answered gone, naming the channel's room, which the user
// joins; "/leave" there unfollows it and the room goes (321). Before,
// the link was refused as no invitation link.
func TestEndToEndChannelFollowByLink(t *testing.T) {
	g, srv, alice := aliceLoggedIn(t)
	channel := types.NewJID("120363100000000061", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: channel, Name: "Garden Tips", Role: types.NewsletterRoleGuest, Invite: "0029VaGaRdEn456"})
	info, msg := incoming(bob, "SYNC", "hi")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	g.NextMessage(alice, g.JID("+"+bob.User))
	ctx, cancel := context.WithTimeout(context.Background(), 2*gatewaytest.Timeout)
	defer cancel()
	join := func(room, password string) xmpptest.Stanza {
		t.Helper()
		x := `<x xmlns='http://jabber.org/protocol/muc'/>`
		if password != "" {
			x = `<x xmlns='http://jabber.org/protocol/muc'><password>` + gatewaytest.Escape(password) + `</password></x>`
		}
		if err := alice.SendRaw(ctx, `<presence to='`+room+`/alice'>`+x+`</presence>`); err != nil {
			t.Fatal(err)
		}
		return g.Next(alice, "the answer to the join of "+room, func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && gatewaytest.Bare(s.From) == room && (s.Type == "error" || strings.Contains(s.XML, `code="110"`))
		})
	}
	room := g.JID(channel.String())
	st := join(g.JID("joinchat"), "https://whatsapp.com/channel/0029VaGaRdEn456")
	if st.Err == nil || st.Err.Condition != "gone" || !strings.Contains(st.XML, "xmpp:"+strings.ReplaceAll(room, `\`, "%5C")+"?join") {
		t.Fatalf("join by the channel's link: want gone naming %s, got %s", room, st.XML)
	}
	if st := join(room, ""); st.Err != nil {
		t.Fatalf("join of the channel's room: %s", st.XML)
	}
	if err := alice.SendRaw(ctx, `<message type='groupchat' to='`+room+`' id='bye'><body>/leave</body></message>`); err != nil {
		t.Fatal(err)
	}
	g.Next(alice, "the room gone", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.Type == "unavailable" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, `code="321"`)
	})
}
