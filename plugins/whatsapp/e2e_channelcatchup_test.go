package whatsapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// channelShownUpTo waits until the plugin's login folder keeps post
// serverID as channel's newest shown (what the next start catches up
// from).
func channelShownUpTo(t *testing.T, p *plugintest.Plugin, channel types.JID, serverID int) {
	t.Helper()
	deadline := time.Now().Add(plugintest.Timeout)
	for {
		var kept map[string]int
		b, err := os.ReadFile(filepath.Join(p.LoginDir(), "channels.json"))
		if err == nil && json.Unmarshal(b, &kept) == nil && kept[channel.String()] >= serverID {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the channel's newest post shown: %s (%v), want %d kept", b, err, serverID)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// livePost has WhatsApp deliver post NLH<n> (server ID 100+n) live.
func livePost(t *testing.T, srv *wafake.Server, channel types.JID, n int) {
	t.Helper()
	if err := srv.ChannelPost(types.MessageInfo{MessageSource: types.MessageSource{Chat: channel, Sender: channel},
		ID: types.MessageID(fmt.Sprintf("NLH%d", n)), ServerID: 100 + n, Timestamp: time.Now()},
		&waE2E.Message{Conversation: proto.String(fmt.Sprintf("post %d", n))}); err != nil {
		t.Fatal(err)
	}
}

// A channel's posts made while the plugin was stopped (WhatsApp never
// delivers them: a channel's posts come live only) come after the
// restart, once each, oldest first, as the channel's posts do, before
// the live ones; a live post that came meanwhile and that the catch-up
// brought is not shown again, and a later one follows. Before, posts 5
// and 6 never came: the plugin knew only the live one (and nothing of
// posts made while it was stopped when none came live).
func TestChannelCatchUpProcess(t *testing.T) {
	srv, p, evs, done := processLoggedIn(t)
	channel := types.NewJID("120363100000000075", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: channel, Name: "Cooking", Posts: channelPosts(3)})
	channelsSynced(t, srv, evs, "SYNC1")

	// Its room's history, as the host asks for it when the room appears:
	// shown up to NLH3 once the host stored it.
	ctx, cancel := p.CallContext()
	defer cancel()
	h, err := p.Client().History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: done.LoginId, ChatId: channel.String()}); err != nil {
		t.Fatal(err)
	}
	for {
		b, err := h.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Send(&pb.HistoryAck{UpToSeq: b.Seq}); err != nil {
			t.Fatal(err)
		}
		if b.ChatId == channel.String() {
			break
		}
	}
	channelShownUpTo(t, p, channel, 103)
	livePost(t, srv, channel, 4)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.EventId == "NLH4" })
	channelShownUpTo(t, p, channel, 104)

	// Stopped: posts 5 and 6 are made, 6 also delivered live once the
	// plugin is back (a post WhatsApp has for it).
	p.Stop()
	srv.Channel(wafake.Channel{JID: channel, Name: "Cooking", Posts: channelPosts(6)})
	livePost(t, srv, channel, 6)
	p.Restart()
	evs = p.Events()
	p.Connect(done.LoginId, done.SavedState)

	var got []string
	note := func(ev *pb.Event) {
		if ev.ChatId == channel.String() && ev.GetMessage() != nil && ev.EventId != "NLH4" { // NLH4: a replay, not acknowledged
			got = append(got, ev.EventId)
		}
	}
	evs.NextEvent(func(ev *pb.Event) bool {
		note(ev)
		return ev.EventId == "NLH6"
	})
	livePost(t, srv, channel, 7)
	evs.NextEvent(func(ev *pb.Event) bool {
		note(ev)
		return ev.EventId == "NLH7"
	})
	if want := []string{"NLH5", "NLH6", "NLH7"}; !slices.Equal(got, want) {
		t.Errorf("the channel's posts after the restart: %v, want %v (the missed ones once, in order, then the live one)", got, want)
	}
}

// batchIDs is b's event IDs, oldest first.
func batchIDs(b *pb.HistoryBatch) string {
	var ids []string
	for _, ev := range b.Events {
		ids = append(ids, ev.EventId)
	}
	return strings.Join(ids, ",")
}

// historyOf is the next batch of chat on h, each batch acknowledged (the
// host stored it); nil when none came within plugintest.Timeout.
func historyOf(t *testing.T, h pb.Transport_HistoryClient, chat string) *pb.HistoryBatch {
	t.Helper()
	got := make(chan *pb.HistoryBatch, 1)
	go func() {
		defer close(got)
		for {
			b, err := h.Recv()
			if err != nil {
				return
			}
			if err := h.Send(&pb.HistoryAck{UpToSeq: b.Seq}); err != nil {
				return
			}
			if b.ChatId == chat {
				got <- b
				return
			}
		}
	}()
	select {
	case b := <-got:
		return b
	case <-time.After(plugintest.Timeout):
		return nil
	}
}

// A channel followed before the plugin kept what it showed of channels
// (here: followed at the login, its history never asked for, as the
// rooms of channels followed when their history was done at once with
// nothing, which the host never asks for again): at the next start, the
// plugin sends its last posts as its history unasked, done, oldest
// first, once; from then on it catches up from the newest. Before,
// nothing came: the room stayed without history.
func TestChannelHistoryUnaskedProcess(t *testing.T) {
	srv, p, evs, done := processLoggedIn(t)
	channel := types.NewJID("120363100000000076", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: channel, Name: "Garden", Posts: channelPosts(3)})
	channelsSynced(t, srv, evs, "SYNC1")

	p.Restart()
	ctx, cancel := p.CallContext()
	defer cancel()
	h, err := p.Client().History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Connect(done.LoginId, done.SavedState)
	b := historyOf(t, h, channel.String())
	if b == nil {
		t.Fatal("no history of the channel followed before, after the restart")
	}
	if !b.Done || b.ChatType != pb.ChatType_CHAT_TYPE_CHANNEL || batchIDs(b) != "NLH1,NLH2,NLH3" {
		t.Errorf("the channel's history sent unasked: %s (done %v, type %v), want NLH1 to NLH3, done, a channel's", batchIDs(b), b.Done, b.ChatType)
	}
	channelShownUpTo(t, p, channel, 103)
}

// A channel room made when the plugin gave a channel no history (here
// with history off: its history done at once with nothing, as every
// channel's was before channelhistory.go; the gateway never asks for a
// done room's history again), through a real Prosody, the gateway and
// the plugin process: the next start, history on, fills the room's
// archive with the channel's posts, a post made while the gateway was
// stopped among them. A further stop, a post made meanwhile that
// WhatsApp also delivers live after it: the room's archive holds each
// post once. Before, the room's archive stayed empty and the posts made
// while away never came.
func TestEndToEndChannelHistoryOlderRoom(t *testing.T) {
	srv := startRemote(t)
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: fakePlugin(t), Name: "whatsapp", Privileged: true, Backfill: 50,
		PluginConfig: `wafake_socket = "` + srv.Socket + `"` + "\nhistory_days = -1"})
	alice := g.User("alice")
	g.WaitReady(alice)
	loginByQR(t, g, srv, alice)
	channel := types.NewJID("120363100000000093", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: channel, Name: "Old Garden", Role: types.NewsletterRoleGuest, Posts: channelPosts(3)})
	info, msg := incoming(bob, "SYNC", "hi")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	g.NextMessage(alice, g.JID("+"+bob.User))
	room := g.JID(channel.String())
	ctx, cancel := context.WithTimeout(context.Background(), 4*gatewaytest.Timeout)
	defer cancel()
	if err := alice.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	if st := g.Next(alice, "the join of the channel's room", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && (s.Type == "error" || strings.Contains(s.XML, `code="110"`))
	}); st.Type == "error" {
		t.Fatalf("join of the channel's room: %s", st.XML)
	}
	g.WaitLog("history done with nothing") // stored so: history off

	archived := func(want string) {
		t.Helper()
		deadline := time.Now().Add(2 * gatewaytest.Timeout)
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
	cfg := filepath.Join(g.Dir, "passerelle.toml")
	g.Stop()
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(b), "history_days = -1", "history_days = 30", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.Channel(wafake.Channel{JID: channel, Name: "Old Garden", Posts: channelPosts(4)})
	g.Run()
	g.WaitReady(alice)
	archived("post 1|post 2|post 3|post 4")

	g.Stop()
	srv.Channel(wafake.Channel{JID: channel, Name: "Old Garden", Posts: channelPosts(5)})
	if err := srv.ChannelPost(types.MessageInfo{MessageSource: types.MessageSource{Chat: channel, Sender: channel},
		ID: "NLH5", ServerID: 105, Timestamp: time.Now()}, &waE2E.Message{Conversation: proto.String("post 5")}); err != nil {
		t.Fatal(err)
	}
	g.Run()
	g.WaitReady(alice)
	archived("post 1|post 2|post 3|post 4|post 5")
}
