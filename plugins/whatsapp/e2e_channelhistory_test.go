package whatsapp_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// channelPosts are n text posts of a channel, "NLH1" (server ID 101)
// the oldest, a minute apart, the newest an hour ago.
func channelPosts(n int) []wafake.Post {
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	var out []wafake.Post
	for i := 1; i <= n; i++ {
		out = append(out, wafake.TextPost(100+i, types.MessageID(fmt.Sprintf("NLH%d", i)), at.Add(-time.Duration(n-i)*time.Minute), fmt.Sprintf("post %d", i)))
	}
	return out
}

// A channel followed from XMPP, in the plugin process on the remote
// fake (WhatsApp's answer to the IQ asking for a channel's posts, read
// by whatsmeow): the host's Backfill of its room gets the channel's
// last 50 posts of 53, oldest first, done, each from the channel under
// its name and its own ID, its meta naming its server ID (a reaction to
// one names it). The live post that comes after under an ID the history
// gave comes under that same ID (the host drops it as seen), and a
// second Backfill (a second follow) gives the same IDs again. Before,
// the Backfill of a channel was done at once with nothing: its room
// stayed empty until its next post.
func TestChannelHistoryProcess(t *testing.T) {
	srv, p, evs, done := processLoggedIn(t)
	channel := types.NewJID("120363100000000071", types.NewsletterServer)
	posts := channelPosts(53)
	srv.Channel(wafake.Channel{JID: channel, Name: "Cooking", Role: types.NewsletterRoleGuest, Posts: posts})
	channelsSynced(t, srv, evs, "SYNC1")
	res := p.Commands().Send(plugintest.Act(done.LoginId, channel.String(), "j1", &pb.JoinChat{Nick: "alice"}))
	if res.Error != nil || res.ChatId != channel.String() {
		t.Fatalf("join of the channel's room: %v", res)
	}
	ctx, cancel := p.CallContext()
	defer cancel()
	h, err := p.Client().History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	backfill := func() *pb.HistoryBatch {
		t.Helper()
		if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: done.LoginId, ChatId: channel.String()}); err != nil {
			t.Fatal(err)
		}
		for {
			b, err := h.Recv()
			if err != nil {
				t.Fatal(err)
			}
			if b.ChatId == channel.String() {
				return b
			}
		}
	}
	b := backfill()
	if !b.Done || b.ChatType != pb.ChatType_CHAT_TYPE_CHANNEL || len(b.Events) != 50 {
		t.Fatalf("the channel's history: done %v, type %v, %d posts, want done, a channel's, 50", b.Done, b.ChatType, len(b.Events))
	}
	for i, ev := range b.Events {
		want := posts[3+i]
		if ev.EventId != string(want.ID) || ev.GetMessage().GetText() != fmt.Sprintf("post %d", 4+i) ||
			ev.GetSender().GetUserId() != channel.String() || ev.GetSender().GetName() != "Cooking" ||
			ev.TimestampUnixMicro != want.Time.UnixMicro() {
			t.Errorf("history post %d: %v, want %s (%q) from the channel Cooking", i, ev, want.ID, fmt.Sprintf("post %d", 4+i))
		}
	}

	newest := b.Events[len(b.Events)-1]
	if res := p.Commands().Send(plugintest.Act(done.LoginId, channel.String(), "r1", &pb.React{TargetId: newest.EventId, TargetMeta: newest.Meta, Emojis: []string{"👍"}})); res.Error != nil {
		t.Fatalf("a reaction to a post of the history: %v", res.Error)
	}
	if _, err := srv.WaitChannelReaction(plugintest.Timeout, func(r wafake.ChannelReaction) bool {
		return r.Channel == channel && r.ServerID == 153 && r.Reaction == "👍"
	}); err != nil {
		t.Errorf("the reaction to the history's newest post: %v", err)
	}

	if err := srv.ChannelPost(types.MessageInfo{MessageSource: types.MessageSource{Chat: channel, Sender: channel},
		ID: "NLH53", ServerID: 153, Timestamp: posts[52].Time}, &waE2E.Message{Conversation: proto.String("post 53")}); err != nil {
		t.Fatal(err)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == channel.String() && ev.GetMessage() != nil })
	if ev.EventId != newest.EventId {
		t.Errorf("the live copy of a post of the history: ID %q, want %q (the host's key to drop it)", ev.EventId, newest.EventId)
	}

	again := backfill()
	if !again.Done || len(again.Events) != 50 || again.Events[0].EventId != "NLH4" || again.Events[49].EventId != "NLH53" {
		t.Errorf("the history asked again: done %v, %d posts, want the same 50 IDs", again.Done, len(again.Events))
	}
}

// A channel followed through a real Prosody, the gateway (backfill on)
// and the plugin process on the remote fake: once the user joins its
// room (following it), the room's archive holds the channel's posts,
// oldest first. The newest of them coming live again is not archived
// twice, a new post after it is; left and followed again, the room's
// archive still holds each post once. Before, the archive stayed empty
// until the channel's next post.
func TestEndToEndChannelHistory(t *testing.T) {
	srv := startRemote(t)
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: fakePlugin(t), Name: "whatsapp", Privileged: true, Backfill: 50,
		PluginConfig: `wafake_socket = "` + srv.Socket + `"`})
	alice := g.User("alice")
	g.WaitReady(alice)
	loginByQR(t, g, srv, alice)
	channel := types.NewJID("120363100000000091", types.NewsletterServer)
	posts := channelPosts(3)
	srv.Channel(wafake.Channel{JID: channel, Name: "Garden Tips", Role: types.NewsletterRoleGuest, Posts: posts})
	info, msg := incoming(bob, "SYNC", "hi")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	g.NextMessage(alice, g.JID("+"+bob.User))
	room := g.JID(channel.String())
	ctx, cancel := context.WithTimeout(context.Background(), 2*gatewaytest.Timeout)
	defer cancel()
	join := func() {
		t.Helper()
		if err := alice.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
			t.Fatal(err)
		}
		st := g.Next(alice, "the join of the channel's room", func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && gatewaytest.Bare(s.From) == room && (s.Type == "error" || strings.Contains(s.XML, `code="110"`))
		})
		if st.Err != nil {
			t.Fatalf("join of the channel's room: %s", st.XML)
		}
	}
	archived := func(want string) {
		t.Helper()
		deadline := time.Now().Add(gatewaytest.Timeout)
		for {
			got := strings.Join(roomArchive(t, alice, room), "|")
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the channel room's archive: %q, want %q", got, want)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	join()
	archived("post 1|post 2|post 3")

	live := func(id types.MessageID, serverID int, text string) {
		t.Helper()
		if err := srv.ChannelPost(types.MessageInfo{MessageSource: types.MessageSource{Chat: channel, Sender: channel},
			ID: id, ServerID: serverID, Timestamp: time.Now()}, &waE2E.Message{Conversation: proto.String(text)}); err != nil {
			t.Fatal(err)
		}
	}
	live("NLH3", 103, "post 3")
	live("NLH4", 104, "post 4")
	g.Next(alice, "the new post", func(s xmpptest.Stanza) bool {
		if s.Name == "message" && gatewaytest.Bare(s.From) == room && s.Body == "post 3" && !strings.Contains(s.XML, "urn:xmpp:delay") {
			t.Errorf("a post of the history shown again live: %s", s.XML)
		}
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && s.Body == "post 4"
	})
	archived("post 1|post 2|post 3|post 4")

	if err := alice.SendRaw(ctx, `<message type='groupchat' to='`+room+`' id='bye'><body>/leave</body></message>`); err != nil {
		t.Fatal(err)
	}
	g.Next(alice, "the room gone", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.Type == "unavailable" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, `code="321"`)
	})
	join()
	live("NLH5", 105, "post 5")
	g.Next(alice, "a post after the second follow", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && s.Body == "post 5"
	})
	archived("post 1|post 2|post 3|post 4|post 5")
}
