package echo_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

const echoPkg = "passerelle.im/passerelle/cmd/passerelle-echo"

func TestMain(m *testing.M) { plugintest.Main(m) }

func TestConformance(t *testing.T) {
	plugintest.Run(t, plugintest.Config{
		Binary:      plugintest.BuildBinary(t, echoPkg),
		LoginFields: map[string]string{"username": "alice"},
		Contact:     "bob",
		Group:       "echo-room", // every account's group (groups.go)
	})
}

// startAlice starts the echo plugin with alice logged in and connected.
func startAlice(t *testing.T) (*plugintest.Plugin, *plugintest.EventStream) {
	t.Helper()
	p := plugintest.Start(t, plugintest.BuildBinary(t, echoPkg), "", nil)
	done := p.Login("", map[string]string{"username": "alice"})
	if done.LoginId != "alice" {
		t.Fatalf("login_id = %q, want alice (the username)", done.LoginId)
	}
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState() != nil })
	if ev.LoginId != "alice" || ev.GetLoginState().State != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Fatalf("first login state event: %v", ev)
	}
	return p, evs
}

func TestCapabilities(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, echoPkg), "", nil)
	if p.Caps.Network != "echo" || p.Caps.Version != echo.Version || p.Caps.ApiVersion != sdk.APIVersion {
		t.Fatalf("capabilities %v", p.Caps)
	}
}

// A message to the one contact the echo network lacks fails with
// item-not-found, and the error keeps its code and text over the wire.
func TestSendToNobodyIsNotFound(t *testing.T) {
	p, evs := startAlice(t)
	cmds := p.Commands()
	res := cmds.Send(plugintest.SendText("alice", echo.NoSuchContact, "t1", "hello?"))
	if res.Error == nil {
		t.Fatalf("send to %q succeeded: %v", echo.NoSuchContact, res)
	}
	if res.Error.Code != pb.ErrorCode_ERROR_CODE_NOT_FOUND || res.Error.Text == "" || res.MessageId != "" {
		t.Fatalf("send to %q: %v, want NOT_FOUND with a text and no message ID", echo.NoSuchContact, res)
	}
	// A failure is not remembered as the answer to its txn_id: sent again
	// (here to a contact that exists) it acts. Nothing was echoed for the
	// failed send: the next message event is the echo of this one.
	if res := cmds.Send(plugintest.SendText("alice", "bob", "t1", "after")); res.Error != nil || res.MessageId == "" {
		t.Fatalf("send to bob with the failed txn_id: %v", res)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != "bob" || ev.GetMessage().Text != "after" {
		t.Fatalf("first message event: %v, want the echo of %q from bob", ev, "after")
	}
}

// Commands for a login that is not connected are refused with
// registration-required.
func TestSendBeforeConnectIsLoginRequired(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, echoPkg), "", nil)
	p.Login("", map[string]string{"username": "carol"})
	res := p.Commands().Send(plugintest.SendText("carol", "bob", "t", "hi"))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Fatalf("send before Connect: %v, want LOGIN_REQUIRED", res)
	}
}

// A reaction the network does not have is refused as unsupported; one on
// an unknown message as not found.
func TestUnsupportedReaction(t *testing.T) {
	p, _ := startAlice(t)
	cmds := p.Commands()
	sent := cmds.Send(plugintest.SendText("alice", "bob", "t0", "hi"))
	res := cmds.Send(&pb.Command{LoginId: "alice", ChatId: "bob", TxnId: "t1",
		Action: &pb.Command_React{React: &pb.React{TargetId: sent.MessageId, TargetMeta: sent.Meta, Emojis: []string{"🦄"}}}})
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		t.Fatalf("react 🦄: %v, want UNSUPPORTED", res)
	}
	res = cmds.Send(&pb.Command{LoginId: "alice", ChatId: "bob", TxnId: "t2",
		Action: &pb.Command_React{React: &pb.React{TargetId: "x", Emojis: []string{"👍"}}}})
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Fatalf("react to an unknown message: %v, want NOT_FOUND", res)
	}
}

// After Disconnect, sends are refused again.
func TestDisconnect(t *testing.T) {
	p, _ := startAlice(t)
	ctx, cancel := p.CallContext()
	defer cancel()
	if _, err := p.Client().Disconnect(ctx, &pb.LoginRef{LoginId: "alice"}); err != nil {
		t.Fatal(err)
	}
	res := p.Commands().Send(plugintest.SendText("alice", "bob", "t", "hi"))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Fatalf("send after Disconnect: %v, want LOGIN_REQUIRED", res)
	}
}

// Message IDs stay unique across plugin restarts, so the host's message
// map never confuses two messages.
func TestMessageIDsUniqueAcrossRestart(t *testing.T) {
	p, _ := startAlice(t)
	first := p.Commands().Send(plugintest.SendText("alice", "bob", "t1", "one"))
	p.Restart()
	p.Connect("alice", nil)
	second := p.Commands().Send(plugintest.SendText("alice", "bob", "t2", "two"))
	if first.Error != nil || second.Error != nil {
		t.Fatalf("sends: %v, %v", first.Error, second.Error)
	}
	if first.MessageId == second.MessageId {
		t.Fatalf("message ID %q reused after a restart", first.MessageId)
	}
}

// A saved state asking for numbered contacts gives the account that many,
// the first "online" of them available; other accounts keep their three
// friends.
func TestNumberedContacts(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, echoPkg), "", nil)
	p.Connect("bulk", []byte(`{"username":"bulk","contacts":5,"online":2}`))
	p.Connect("alice", []byte(`{"username":"alice"}`))
	ctx, cancel := p.CallContext()
	defer cancel()
	res, err := p.Client().ContactList(ctx, &pb.LoginRef{LoginId: "bulk"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Contacts) != 5 {
		t.Fatalf("%d contacts, want 5: %v", len(res.Contacts), res.Contacts)
	}
	for _, c := range res.Contacts {
		var i int
		if _, err := fmt.Sscanf(c.UserId, "c%d", &i); err != nil || i < 0 || i >= 5 {
			t.Fatalf("unexpected contact %v", c)
		}
		id, name := echo.NumberedContact(i)
		if c.UserId != id || c.Name != name {
			t.Errorf("contact %v, want %s %q", c, id, name)
		}
		if online := c.Presence.GetShow() == pb.PresenceShow_PRESENCE_SHOW_AVAILABLE; online != (i < 2) {
			t.Errorf("contact %s presence %v", c.UserId, c.Presence)
		}
	}
	res, err = p.Client().ContactList(ctx, &pb.LoginRef{LoginId: "alice"})
	if err != nil || len(res.Contacts) != 3 {
		t.Fatalf("alice's contacts: %v %v, want the three friends", err, res.GetContacts())
	}
}

// A message's echo is found from its ID after a restart (the network
// keeps no memory of it): a correction, a reaction and a retraction of a
// message sent before land on its echo. What was not echoed, and IDs the
// network never gave, are refused.
func TestEchoFoundAfterRestart(t *testing.T) {
	p, evs := startAlice(t)
	sent := p.Commands().Send(plugintest.SendText("alice", "bob", "t1", "before"))
	echoEv := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	phone := p.Commands().Send(plugintest.SendText("alice", "bob", "t2", "from-phone hi"))
	if sent.Error != nil || phone.Error != nil {
		t.Fatalf("sends: %v, %v", sent.Error, phone.Error)
	}
	p.Restart()
	evs = p.Events()
	p.Connect("alice", nil)
	cmds := p.Commands()
	cmd := func(txn string, a any) *pb.CommandResult { return cmds.Send(plugintest.Act("alice", "bob", txn, a)) }
	if res := cmd("e1", &pb.EditMessage{TargetId: sent.MessageId, TargetMeta: sent.Meta, Text: "after"}); res.Error != nil {
		t.Fatalf("edit after restart: %v", res.Error)
	} else if res.MessageId != sent.MessageId {
		// As the real networks answer an edit (the gateway's rooms rely
		// on that not hiding the correction: TestRoomRichFeatures).
		t.Errorf("edit answered with message %q, want the edited one's %q", res.MessageId, sent.MessageId)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if ev.GetEdit().TargetId != echoEv.EventId || ev.GetEdit().Text != "after" {
		t.Fatalf("edit event %v, want a correction of the echo %q", ev, echoEv.EventId)
	}
	// A reaction on the echo lands on the user's message.
	if res := cmd("r1", &pb.React{TargetId: echoEv.EventId, TargetMeta: echoEv.Meta, Emojis: []string{"👍"}}); res.Error != nil {
		t.Fatalf("react after restart: %v", res.Error)
	}
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetReaction() != nil })
	if ev.GetReaction().TargetId != sent.MessageId {
		t.Fatalf("reaction event %v, want one on %q", ev, sent.MessageId)
	}
	if res := cmd("x1", &pb.Retract{TargetId: sent.MessageId, TargetMeta: sent.Meta}); res.Error != nil {
		t.Fatalf("retract after restart: %v", res.Error)
	}
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetRetraction() != nil })
	if ev.GetRetraction().TargetId != echoEv.EventId {
		t.Fatalf("retraction event %v, want one of %q", ev, echoEv.EventId)
	}
	for _, target := range []string{phone.MessageId, echoEv.EventId, "nope", "abc-12.sent.sent", "xyz-1.sent"} {
		if res := cmd("x-"+target, &pb.Retract{TargetId: target}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
			t.Errorf("retract %q: %v, want NOT_ALLOWED", target, res)
		}
		if res := cmd("e-"+target, &pb.EditMessage{TargetId: target, Text: "x"}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
			t.Errorf("edit %q: %v, want NOT_FOUND", target, res)
		}
	}
}

// Backfill sends a chat's history on the History stream in batches,
// newest batch first and oldest first within one, with a cursor to go on
// from; the last batch says it is done.
func TestBackfill(t *testing.T) {
	p, _ := startAlice(t)
	ctx, cancel := p.CallContext()
	defer cancel()
	hist, err := p.Client().History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: "alice", ChatId: "bob", Limit: 25}); err != nil {
		t.Fatal(err)
	}
	var texts []string
	var last *pb.HistoryBatch
	for len(texts) < 25 {
		b, err := hist.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if b.ChatId != "bob" || b.Events[0].GetSender().GetUserId() != "bob" || !b.Events[0].IsBackfill {
			t.Fatalf("batch %v", b)
		}
		var batch []string
		for _, ev := range b.Events {
			batch = append(batch, ev.GetMessage().GetText())
		}
		texts = append(batch, texts...)
		last = b
		hist.Send(&pb.HistoryAck{UpToSeq: b.Seq})
	}
	if texts[0] != "history 6 of 30" || texts[24] != "history 30 of 30" || last.Cursor != "6" || last.Done {
		t.Fatalf("history %q, cursor %q, done %v", texts, last.Cursor, last.Done)
	}
	// Going on from the cursor reaches the start.
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: "alice", ChatId: "bob", Cursor: last.Cursor}); err != nil {
		t.Fatal(err)
	}
	b, err := hist.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 5 || !b.Done || b.Events[0].GetMessage().GetText() != "history 1 of 30" {
		t.Fatalf("last batch %v", b)
	}
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: "alice", ChatId: "bob", Cursor: "x"}); err == nil {
		t.Error("a cursor the network never gave was accepted")
	}
}

// A channel is read-only: sending, reacting and typing there are refused
// as not allowed, marking it read is not.
func TestChannelReadOnly(t *testing.T) {
	p, _ := startAlice(t)
	cmds := p.Commands()
	ch := echo.ChannelPrefix + "news"
	for _, a := range []any{&pb.SendMessage{Text: "hi"}, &pb.React{TargetId: "x", Emojis: []string{"👍"}}, &pb.SetTyping{State: pb.TypingState_TYPING_STATE_COMPOSING}} {
		if res := cmds.Send(plugintest.Act("alice", ch, fmt.Sprintf("t-%T", a), a)); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
			t.Errorf("%T in a channel: %v, want NOT_ALLOWED", a, res)
		}
	}
	if res := cmds.Send(plugintest.Act("alice", ch, "t-read", &pb.MarkRead{UpToId: "x"})); res.Error != nil {
		t.Errorf("marking a channel read: %v", res.Error)
	}
}

// Every message the echo network makes carries metadata, and a command
// naming a message without it, or with another message's, is refused
// with a text saying so: the gateway must hand it back (target_meta,
// reply_to_meta, up_to_meta).
func TestMetaRequired(t *testing.T) {
	p, evs := startAlice(t)
	cmds := p.Commands()
	sent := cmds.Send(plugintest.SendText("alice", "bob", "t1", "hello"))
	echoEv := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if sent.Error != nil || len(sent.Meta) == 0 || len(echoEv.Meta) == 0 || string(sent.Meta) == string(echoEv.Meta) {
		t.Fatalf("send %v and its echo %v: want each its own metadata", sent, echoEv)
	}
	cmd := func(txn string, a any) *pb.CommandResult { return cmds.Send(plugintest.Act("alice", "bob", txn, a)) }
	for _, meta := range [][]byte{nil, echoEv.Meta} {
		for txn, a := range map[string]any{
			"e": &pb.EditMessage{TargetId: sent.MessageId, TargetMeta: meta, Text: "x"},
			"r": &pb.React{TargetId: sent.MessageId, TargetMeta: meta, Emojis: []string{"👍"}},
			"x": &pb.Retract{TargetId: sent.MessageId, TargetMeta: meta},
			"m": &pb.MarkRead{UpToId: sent.MessageId, UpToMeta: meta},
			"q": &pb.SendMessage{Text: "re", ReplyToId: sent.MessageId, ReplyToMeta: meta},
		} {
			res := cmd(fmt.Sprintf("%s-%d", txn, len(meta)), a)
			if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(res.Error.GetText(), "metadata") {
				t.Errorf("%T with metadata %q: %v, want BAD_REQUEST about the metadata", a, meta, res)
			}
		}
	}
	if res := cmd("q-ok", &pb.SendMessage{Text: "re", ReplyToId: echoEv.EventId, ReplyToMeta: echoEv.Meta}); res.Error != nil {
		t.Fatalf("reply with the right metadata: %v", res.Error)
	}
}

// A username ending in +history<N> gives every chat N messages of
// history, in batches of at most 100.
func TestBackfillLength(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, echoPkg), "", nil)
	done := p.Login("", map[string]string{"username": "erin+history250"})
	p.Connect(done.LoginId, done.SavedState)
	ctx, cancel := p.CallContext()
	defer cancel()
	hist, err := p.Client().History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: done.LoginId, ChatId: "bob", Limit: 1000}); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for {
		b, err := hist.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Events) > 100 || b.Total != 250 {
			t.Fatalf("batch of %d events, total %d", len(b.Events), b.Total)
		}
		var batch []string
		for _, ev := range b.Events {
			batch = append(batch, ev.GetMessage().GetText())
		}
		texts = append(batch, texts...)
		hist.Send(&pb.HistoryAck{UpToSeq: b.Seq})
		if b.Done {
			break
		}
	}
	if len(texts) != 250 || texts[0] != "history 1 of 250" || texts[249] != "history 250 of 250" {
		t.Fatalf("%d messages, from %q to %q", len(texts), texts[0], texts[len(texts)-1])
	}
}

// A username ending in +members<N> makes the account's group one of N
// members, echo-1 to echo-N, where echo-1 still repeats the user's
// messages; other accounts keep the fixed group of Echo One and Echo Two.
func TestBigRoom(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, echoPkg), "", nil)
	big := p.Login("", map[string]string{"username": "bea+members1000"})
	small := p.Login("", map[string]string{"username": "sam"})
	evs := p.Events()
	p.Connect(big.LoginId, big.SavedState)
	p.Connect(small.LoginId, small.SavedState)
	ctx, cancel := p.CallContext()
	defer cancel()
	members := func(login string) []string {
		t.Helper()
		res, err := p.Client().ChatList(ctx, &pb.LoginRef{LoginId: login})
		if err != nil || len(res.Chats) != 1 || res.Chats[0].ChatId != echo.RoomID {
			t.Fatalf("%s's chats: %v %v", login, err, res.GetChats())
		}
		var ids []string
		for _, m := range res.Chats[0].Members {
			ids = append(ids, m.UserId)
		}
		return ids
	}
	ids := members(big.LoginId)
	if len(ids) != 1001 || ids[0] != big.LoginId || ids[1] != "echo-1" || ids[1000] != "echo-1000" {
		t.Fatalf("%d members, first %q, last %q; want the user and echo-1 to echo-1000", len(ids), ids[0], ids[len(ids)-1])
	}
	if ids := members(small.LoginId); !slices.Equal(ids, []string{small.LoginId, echo.RoomRepeater, echo.RoomReactor}) {
		t.Fatalf("the fixed group's members: %v", ids)
	}
	res := p.Commands().Send(plugintest.SendText(big.LoginId, echo.RoomID, "t1", "hello, big room"))
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool {
		return ev.LoginId == big.LoginId && ev.ChatId == echo.RoomID && ev.GetMessage().GetText() == "hello, big room" && !ev.GetSender().GetIsFromMe()
	})
	if ev.Sender.UserId != echo.RoomRepeater {
		t.Fatalf("repeated by %q, want %s", ev.Sender.UserId, echo.RoomRepeater)
	}
}

// A command sent again under its txn to a plugin with no answer for it
// (the gateway's resend after the plugin died between its echo and the
// answer's journal, modelled by a second plugin on a fresh data folder)
// makes the same message: the same ID, and an echo of the same event ID,
// which the gateway drops as seen. Another txn is another message.
func TestResendSameMessage(t *testing.T) {
	send := func(txn string) (*pb.CommandResult, *pb.Event) {
		t.Helper()
		p, evs := startAlice(t)
		res := p.Commands().Send(plugintest.SendText("alice", "bob", txn, "once"))
		if res.Error != nil {
			t.Fatal(res.Error)
		}
		return res, evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	}
	first, firstEcho := send("origin-1")
	again, againEcho := send("origin-1")
	if first.MessageId != again.MessageId || firstEcho.EventId != againEcho.EventId {
		t.Errorf("sent again: message %q, echo %q; the first time %q, %q", again.MessageId, againEcho.EventId, first.MessageId, firstEcho.EventId)
	}
	if other, _ := send("origin-2"); other.MessageId == first.MessageId {
		t.Errorf("another txn made message %q again", other.MessageId)
	}
}
