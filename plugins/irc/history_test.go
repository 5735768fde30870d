package irc_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// histAt is the server time of the i-th message of a test's history.
func histAt(i int) time.Time {
	return time.Date(2025, 3, 4, 10, 0, i, 0, time.UTC)
}

// histLine is the i-th message of #hist as the server keeps it.
func histLine(i int) string {
	return fmt.Sprintf("@time=%s;msgid=h-%d :bob!b@h PRIVMSG #hist :line %d", histAt(i).Format(time.RFC3339Nano), i, i)
}

// nextBatch reads the next history batch and acknowledges it.
func nextBatch(t *testing.T, hist pb.Transport_HistoryClient) *pb.HistoryBatch {
	t.Helper()
	type got struct {
		b   *pb.HistoryBatch
		err error
	}
	ch := make(chan got, 1)
	go func() {
		b, err := hist.Recv()
		ch <- got{b, err}
	}()
	select {
	case g := <-ch:
		if g.err != nil {
			t.Fatalf("history stream: %v", g.err)
		}
		if err := hist.Send(&pb.HistoryAck{UpToSeq: g.b.Seq}); err != nil {
			t.Fatal(err)
		}
		return g.b
	case <-time.After(20 * time.Second):
		t.Fatal("no history batch came")
		return nil
	}
}

// batchIDs are the event IDs of a batch, with a check that each is a
// backfilled message of chat at its server time.
func batchIDs(t *testing.T, b *pb.HistoryBatch, chat string) []string {
	t.Helper()
	var ids []string
	for _, ev := range b.Events {
		if ev.ChatId != chat || !ev.IsBackfill || ev.GetMessage() == nil {
			t.Errorf("history event %v: want a backfilled message of %s", ev, chat)
		}
		var i int
		if _, err := fmt.Sscanf(ev.EventId, "h-%d", &i); err == nil {
			if want := histAt(i).UnixMicro(); ev.TimestampUnixMicro != want || ev.GetMessage().GetText() != fmt.Sprintf("line %d", i) {
				t.Errorf("history event %s: time %d, text %q; want %d, %q", ev.EventId, ev.TimestampUnixMicro, ev.GetMessage().GetText(), want, fmt.Sprintf("line %d", i))
			}
		}
		ids = append(ids, ev.EventId)
	}
	return ids
}

// histLogin starts the plugin with conf, opens its history stream and
// logs in to srv as kit, joined to channels ("": none), until connected.
func histLogin(t *testing.T, srv *scripted, conf []byte, channels string) (p *plugintest.Plugin, ctx context.Context, hist pb.Transport_HistoryClient, evs *plugintest.EventStream, login *pb.CompleteStep) {
	t.Helper()
	p = plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", conf)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hist, err := p.Client().History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	evs = p.Events()
	f := srv.fields("kit")
	if channels != "" {
		f["channels"] = channels
	}
	login = p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	return p, ctx, hist, evs, login
}

// A server with draft/chathistory: joining a channel fetches what was
// said before (the newest, within the server's CHATHISTORY limit) as a
// history batch, not as live messages; the gateway's Backfill pages back
// from the batch's cursor until the server has no older message; after a
// reconnection the join fetches what was said since the newest message
// seen.
func TestChatHistory(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory", "")
	srv.mu.Lock()
	srv.isupport = "CHATHISTORY=3 "
	for i := 1; i <= 5; i++ {
		srv.history = append(srv.history, histLine(i))
	}
	srv.history = append(srv.history, "@time=2025-03-04T10:00:03Z;msgid=o-1 :bob!b@h PRIVMSG #other :elsewhere")
	srv.mu.Unlock()
	p, ctx, hist, evs, login := histLogin(t, srv, []byte(`{"reconnect_min":"20ms","reconnect_max":"50ms"}`), "#hist")

	srv.got("CHATHISTORY LATEST #hist * 3")
	b := nextBatch(t, hist)
	if ids := batchIDs(t, b, "#hist"); !slices.Equal(ids, []string{"h-3", "h-4", "h-5"}) || b.Done || b.Cursor == "" ||
		b.ChatType != pb.ChatType_CHAT_TYPE_GROUP || b.LoginId != login.LoginId {
		t.Fatalf("the join's history: %v (events %v); want h-3..h-5, not done, with a cursor", b, ids)
	}

	// A live line after it: the first message event, so the history did
	// not come as live messages.
	live := histAt(6).Format(time.RFC3339Nano)
	srv.send("@time=%s;msgid=live-1 :bob!b@h PRIVMSG #hist :now", live)
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.EventId != "live-1" || ev.IsBackfill {
		t.Fatalf("first message event %v; want the live line live-1", ev)
	}

	// The gateway's Backfill from the cursor: pages of 3, each
	// overlapping the last by its boundary, until none is older.
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "#hist", Cursor: b.Cursor, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	srv.got("CHATHISTORY BEFORE #hist timestamp=2025-03-04T10:00:03.001Z 3")
	b = nextBatch(t, hist)
	if ids := batchIDs(t, b, "#hist"); !slices.Equal(ids, []string{"h-1", "h-2", "h-3"}) || b.Done || b.Cursor != "timestamp=2025-03-04T10:00:01.000Z" {
		t.Fatalf("first page back: %v (events %v)", b, ids)
	}
	srv.got("CHATHISTORY BEFORE #hist timestamp=2025-03-04T10:00:01.001Z 3")
	if b = nextBatch(t, hist); !b.Done {
		t.Fatalf("last page back: %v; want done", b)
	}

	// Said while the connection was down: fetched at the rejoin, from
	// the newest message seen (the live one, which the overlap brings
	// back and the plugin leaves out: the gateway has it).
	srv.mu.Lock()
	srv.history = append(srv.history, fmt.Sprintf("@time=%s;msgid=live-1 :bob!b@h PRIVMSG #hist :now", live), histLine(7), histLine(8))
	srv.mu.Unlock()
	srv.hangUp()
	srv.got("CHATHISTORY LATEST #hist timestamp=2025-03-04T10:00:05.999Z 3")
	b = nextBatch(t, hist)
	if ids := batchIDs(t, b, "#hist"); !slices.Equal(ids, []string{"h-7", "h-8"}) || b.Done {
		t.Fatalf("the rejoin's history: %v (events %v); want h-7, h-8", b, ids)
	}
}

// A server without chathistory (ngircd offers none of it): no
// CHATHISTORY is sent, and the gateway's Backfill is answered at once
// with a done, empty batch.
func TestNoChatHistory(t *testing.T) {
	srv := startScripted(t, "message-tags server-time", "")
	srv.mu.Lock()
	srv.history = []string{histLine(1)}
	srv.mu.Unlock()
	p, ctx, hist, _, login := histLogin(t, srv, nil, "#hist")
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "#hist", Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if b := nextBatch(t, hist); !b.Done || len(b.Events) != 0 || b.ChatId != "#hist" {
		t.Fatalf("backfill without chathistory: %v; want a done, empty batch", b)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for _, l := range srv.lines {
		if strings.HasPrefix(l, "CHATHISTORY") || strings.HasPrefix(l, "CAP REQ") && strings.Contains(l, "chathistory") {
			t.Errorf("sent to a server without chathistory: %q", l)
		}
	}
}

// dmLine is the i-th private message from bob as the server keeps it.
func dmLine(i int) string {
	return fmt.Sprintf("@time=%s;msgid=h-%d :bob!b@h PRIVMSG kit :line %d", histAt(i).Format(time.RFC3339Nano), i, i)
}

// Private chats on a reconnection: CHATHISTORY TARGETS since the newest
// message heard names who wrote meanwhile, and their chats catch up
// (the live message the overlap brings back left out). A first
// connection asks for no targets: nothing was heard yet.
func TestPrivateChatHistory(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory", "")
	_, _, hist, evs, _ := histLogin(t, srv, []byte(`{"reconnect_min":"20ms","reconnect_max":"50ms"}`), "")

	srv.send("%s", dmLine(1))
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.EventId != "h-1" || ev.ChatId != "bob" {
		t.Fatalf("live private message %v", ev)
	}
	srv.mu.Lock()
	for _, l := range srv.lines {
		if strings.HasPrefix(l, "CHATHISTORY") {
			t.Errorf("first connection sent %q", l)
		}
	}
	srv.history = append(srv.history, dmLine(1), dmLine(2), dmLine(3),
		fmt.Sprintf("@time=%s;msgid=x-1 :carol!c@h PRIVMSG #elsewhere :not ours", histAt(2).Format(time.RFC3339Nano)))
	srv.mu.Unlock()
	srv.hangUp()
	srv.got("CHATHISTORY TARGETS timestamp=2025-03-04T10:00:00.999Z ")
	srv.got("CHATHISTORY LATEST bob timestamp=2025-03-04T10:00:00.999Z 100")
	b := nextBatch(t, hist)
	if ids := batchIDs(t, b, "bob"); !slices.Equal(ids, []string{"h-2", "h-3"}) || b.Done || b.ChatType != pb.ChatType_CHAT_TYPE_DIRECT {
		t.Fatalf("private history after the reconnection: %v (events %v); want h-2, h-3", b, ids)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for _, l := range srv.lines {
		if strings.HasPrefix(l, "CHATHISTORY LATEST #elsewhere") {
			t.Errorf("a channel the user is not in caught up: %q", l)
		}
	}
}

// A request the server refuses (FAIL) gets no batch: the next batch of
// the same chat answers the next request. Here the join's fetch is
// refused, and the gateway's Backfill then gets the newest page and asks
// for the one before it.
func TestChatHistoryRefused(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory", "")
	srv.mu.Lock()
	srv.isupport = "CHATHISTORY=3 "
	for i := 1; i <= 5; i++ {
		srv.history = append(srv.history, histLine(i))
	}
	srv.failHistory = 1
	srv.mu.Unlock()
	p, ctx, hist, _, login := histLogin(t, srv, nil, "#hist")
	srv.got("CHATHISTORY LATEST #hist * 3")
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "#hist", Limit: 10}); err != nil {
		t.Fatal(err)
	}
	b := nextBatch(t, hist)
	if ids := batchIDs(t, b, "#hist"); !slices.Equal(ids, []string{"h-3", "h-4", "h-5"}) || b.Done {
		t.Fatalf("backfill after a refused request: %v (events %v)", b, ids)
	}
	srv.got("CHATHISTORY BEFORE #hist timestamp=2025-03-04T10:00:03.001Z 3")
	if b = nextBatch(t, hist); !slices.Equal(batchIDs(t, b, "#hist"), []string{"h-1", "h-2", "h-3"}) {
		t.Fatalf("the page before: %v", b)
	}
}

// The user's IDENTIFY to NickServ is left out of history whatever nick
// they had when they sent it: at connecting the login's nick was taken
// (kit_), the IDENTIFY went under that nick, and the nick is kit
// again now. Before, history (a bouncer that keeps the user's lines to
// NickServ) brought it back with its password, as a message from kit_.
func TestIdentifyUnderAnotherNickNotFromHistory(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory", "")
	srv.mu.Lock()
	srv.history = append(srv.history,
		fmt.Sprintf("@time=%s;msgid=n-1 :kit_!u@h PRIVMSG NickServ :IDENTIFY s3cret", histAt(1).Format(time.RFC3339Nano)),
		fmt.Sprintf("@time=%s;msgid=n-2 :NickServ!NickServ@services. NOTICE kit :You are now identified for kit.", histAt(2).Format(time.RFC3339Nano)))
	srv.mu.Unlock()
	p, ctx, hist, _, login := histLogin(t, srv, nil, "")
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "nickserv", Limit: 10}); err != nil {
		t.Fatal(err)
	}
	b := nextBatch(t, hist)
	for _, ev := range b.Events {
		if strings.Contains(ev.GetMessage().GetText(), "s3cret") {
			t.Errorf("history brought back %q from %s", ev.GetMessage().GetText(), ev.GetSender().GetName())
		}
	}
	if len(b.Events) != 1 || b.Events[0].EventId != "n-2" {
		t.Errorf("NickServ's history: %v; want its answer n-2 alone", b.Events)
	}
}

// No password the user sent comes back from history (a bouncer such
// as soju keeps the user's lines): a command with one to a service,
// whoever the service (Q, X, NickServ by its nick@server), and a
// PRIVMSG of the login's commands after connecting, whatever its
// target. Before, only NickServ's IDENTIFY, REGAIN and GHOST were
// left out: QuakeNet's AUTH to Q, a REGISTER or SET PASSWORD to
// NickServ came back as the user's messages, password and all.
func TestSecretsNotFromHistory(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory", "")
	line := func(i int, rest string) string {
		return fmt.Sprintf("@time=%s;msgid=s-%d %s", histAt(i).Format(time.RFC3339Nano), i, rest)
	}
	srv.mu.Lock()
	srv.history = append(srv.history,
		line(1, ":kit!u@h PRIVMSG Q :AUTH kit s3cret"),
		line(2, ":kit!u@h PRIVMSG X :login kit s3cret"),
		line(3, ":kit!u@h PRIVMSG NickServ :REGISTER s3cret kit@example.org"),
		line(4, ":kit!u@h PRIVMSG NickServ :SET PASSWORD s3cret"),
		line(5, ":kit!u@h PRIVMSG AuthBot :letmein s3cret"),
		line(6, ":kit!u@h PRIVMSG AuthBot :hello"),
		line(7, ":kit!u@h PRIVMSG NickServ :INFO kit"),
	)
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hist, err := p.Client().History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	evs := p.Events()
	f := srv.fields("kit")
	f["commands"] = "PRIVMSG AuthBot :letmein s3cret"
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	for chat, want := range map[string][]string{"q": nil, "x": nil, "nickserv": {"INFO kit"}, "authbot": {"hello"}} {
		if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: chat, Limit: 10}); err != nil {
			t.Fatal(err)
		}
		var texts []string
		if b := nextBatch(t, hist); b.ChatId == chat {
			for _, ev := range b.Events {
				texts = append(texts, ev.GetMessage().GetText())
			}
		} else {
			t.Fatalf("a batch of %s, want %s", b.ChatId, chat)
		}
		if !slices.Equal(texts, want) {
			t.Errorf("history of %s: %q, want %q", chat, texts, want)
		}
	}
}

// The server's own chat (its answers to commands, server.go) has no
// history on the server: its backfill is answered at once, done, with
// nothing (before, NOT_FOUND: no one has that nick).
func TestServerChatBackfill(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory", "")
	p, ctx, hist, _, login := histLogin(t, srv, nil, "")
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "127.0.0.1", Limit: 10}); err != nil {
		t.Fatalf("backfill of the server's chat: %v", err)
	}
	if b := nextBatch(t, hist); b.ChatId != "127.0.0.1" || !b.Done || len(b.Events) != 0 {
		t.Errorf("the server's chat's history %v, want none, done", b)
	}
}

// CTCP replies and a /me sent as a NOTICE in history are shown as live
// ones are: "CTCP VERSION reply: irssi 1.4" and a /me; a query (PRIVMSG
// VERSION), the user's own answers (the plugin's, to a query) and the
// server's CTCP notices are not. Before, every CTCP notice of history
// was dropped.
func TestCTCPReplyFromHistory(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory", "")
	line := func(i int, rest string) string {
		return fmt.Sprintf("@time=%s;msgid=c-%d %s", histAt(i).Format(time.RFC3339Nano), i, rest)
	}
	srv.mu.Lock()
	srv.history = append(srv.history,
		line(1, ":dave!d@h PRIVMSG kit :\x01VERSION\x01"),
		line(2, ":kit!u@h NOTICE dave :\x01VERSION passerelle\x01"),
		line(3, ":dave!d@h NOTICE kit :\x01VERSION irssi 1.4\x01"),
		line(4, ":dave!d@h NOTICE kit :\x01ACTION waves\x01"),
		line(5, ":dave!d@h PRIVMSG kit :hi"),
	)
	srv.mu.Unlock()
	p, ctx, hist, _, login := histLogin(t, srv, nil, "")
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "dave", Limit: 10}); err != nil {
		t.Fatal(err)
	}
	b := nextBatch(t, hist)
	var got []string
	for _, ev := range b.Events {
		m := ev.GetMessage()
		got = append(got, ev.EventId+" "+m.GetText())
	}
	want := []string{"c-3 CTCP VERSION reply: irssi 1.4", "c-4 /me waves", "c-5 hi"}
	if !slices.Equal(got, want) {
		t.Errorf("history of dave: %q, want %q", got, want)
	}
}
