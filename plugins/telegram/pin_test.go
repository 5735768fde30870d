package telegram

import (
	"context"
	"strconv"
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/botmode"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

const (
	pinned   = "📌 Pinned a message"
	unpinned = "Unpinned a message"
)

// pinNotices are the pin notices (text, a pin's or an unpin's) of chat
// after the first from events.
func (h *testHost) pinNotices(from int, chat, text string) []*pb.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*pb.Event
	for _, ev := range h.events[min(from, len(h.events)):] {
		if ev.ChatId == chat && ev.GetMessage().GetText() == text {
			out = append(out, ev)
		}
	}
	return out
}

// The user pins and unpins from XMPP (sdk.Pinner,
// messages.updatePinnedMessage) in a private chat, a basic group, a
// supergroup and a forum's topic (pinned in the forum, the notices in the
// topic's room): the message is pinned on Telegram (then no longer), and
// the notice comes once, from the user, replying to the message, though
// Telegram's updates come both in the answer and pushed. Pins and unpins
// made on Telegram by others come as their notices: a pin from whoever
// pinned (the user's own from another app as the user's), an unpin from
// no one (Telegram does not say who); in a private chat, whose notices
// the gateway shows from the contact's address, an unpin (the contact's
// or the user's own from another app alike) says in its words that
// Telegram does not tell who. Where only admins may pin
// (CHAT_ADMIN_REQUIRED) is NOT_ALLOWED, a message Telegram does not know
// (MESSAGE_ID_INVALID) NOT_FOUND.
func TestPin(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 740, Title: "Mine", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID})
	srv.AddGroup(tgfake.Group{ID: 731, Title: "Strict", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, AdminsPin: true})
	srv.AddChannel(tgfake.Channel{ID: 711, Title: "Strict too", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, AdminsPin: true})
	srv.AddChannel(tgfake.Channel{ID: 760, Title: "Forum", Forum: true, Members: []int64{alice.ID, bob.ID}, Creator: alice.ID})
	lunch := srv.CreateTopic(760, bob.ID, "Lunch")
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if f, _ := sdk.Features(s, nil); !f.Pin {
		t.Error("pin is not advertised")
	}
	if _, err := s.ChatList(ctx); err != nil { // the channels' access hashes
		t.Fatal(err)
	}
	n := 0
	// message is a message from bob in chat (Telegram's peer to, as bob
	// sends, with opts), as alice's event, and its ID for Pinned.
	message := func(chat string, to tg.PeerClass, opts ...tgfake.MsgOpt) (*pb.Event, int) {
		t.Helper()
		n++
		text := "pin me " + string(rune('a'+n))
		from := h.count()
		id := srv.Send(bob.ID, to, text, opts...)
		return h.wait(t, from, "bob's "+text, isMessage(chat, text)), id
	}
	// notice waits for the one notice text in chat after from, replying
	// to target, and returns it; bob's message after it (sent with opts)
	// shows a second would have come by then.
	notice := func(from int, chat string, to tg.PeerClass, text, target string, opts ...tgfake.MsgOpt) *pb.Event {
		t.Helper()
		ev := h.wait(t, from, text+" in "+chat, func(ev *pb.Event) bool {
			return ev.ChatId == chat && ev.GetMessage().GetText() == text
		})
		if got := ev.GetMessage().GetReplyToId(); got != target {
			t.Errorf("%s in %s: replies to %q, want %q", text, chat, got, target)
		}
		message(chat, to, opts...) // a barrier
		if got := h.pinNotices(from, chat, text); len(got) != 1 {
			t.Errorf("%s in %s: %d notices, want 1: %v", text, chat, len(got), got)
		}
		return ev
	}
	mine := func(what string, ev *pb.Event) {
		t.Helper()
		if snd := ev.GetSender(); !snd.GetIsFromMe() || snd.GetUserId() != "1001" {
			t.Errorf("%s: the notice is from %v, want the user", what, snd)
		}
	}
	// pin pins (unpins) msg of chat as the user and checks Telegram and
	// the notice.
	pin := func(chat string, to, peer tg.PeerClass, msg *pb.Event, id int, unpin bool) {
		t.Helper()
		from := h.count()
		if err := s.Pin(ctx, sdk.Call{ChatID: chat}, &pb.Pin{TargetId: msg.EventId, Unpin: unpin}); err != nil {
			t.Fatalf("%s: pin %s (unpin %v): %v", chat, msg.EventId, unpin, err)
		}
		if got := srv.Pinned(peer, id); got == unpin {
			t.Errorf("%s: message %s pinned %v on Telegram, want %v", chat, msg.EventId, got, !unpin)
		}
		text := pinned
		if unpin {
			text = unpinned
		}
		mine(chat+": "+text, notice(from, chat, to, text, msg.EventId))
	}

	toAlice := &tg.PeerUser{UserID: alice.ID}
	bobChat := &tg.PeerUser{UserID: bob.ID}
	msg, gid := message("1002", toAlice)
	pin("1002", toAlice, bobChat, msg, gid, false)
	pin("1002", toAlice, bobChat, msg, gid, true)
	group := &tg.PeerChat{ChatID: 77}
	msg, gid = message("-77", group)
	pin("-77", group, group, msg, gid, false)
	pin("-77", group, group, msg, gid, true)
	ch := &tg.PeerChannel{ChannelID: 740}
	msg, cid := message("-100740", ch)
	pin("-100740", ch, ch, msg, cid, false)
	pin("-100740", ch, ch, msg, cid, true)

	// A forum's topic: pinned in the forum, the notices in the topic's
	// room.
	fp := &tg.PeerChannel{ChannelID: 760}
	topic := "-100760_" + strconv.Itoa(lunch)
	from := h.count()
	cid = srv.Send(bob.ID, fp, "pin me in the topic", tgfake.WithTopic(lunch))
	msg = h.wait(t, from, "bob's message in the topic", isMessage(topic, "pin me in the topic"))
	for _, unpin := range []bool{false, true} {
		from := h.count()
		if err := s.Pin(ctx, sdk.Call{ChatID: topic}, &pb.Pin{TargetId: msg.EventId, Unpin: unpin}); err != nil {
			t.Fatalf("pin in a topic (unpin %v): %v", unpin, err)
		}
		if srv.Pinned(fp, cid) == unpin {
			t.Errorf("pin in a topic (unpin %v): not so on Telegram", unpin)
		}
		text := pinned
		if unpin {
			text = unpinned
		}
		mine("a topic: "+text, notice(from, topic, fp, text, msg.EventId, tgfake.WithTopic(lunch)))
	}

	// Others' pins: from whoever pinned, the user's from another app as
	// the user's; an unpin from no one.
	msg, gid = message("-77", group)
	from = h.count()
	srv.Pin(carol.ID, group, gid, false)
	if ev := notice(from, "-77", group, pinned, msg.EventId); ev.GetSender().GetUserId() != "1003" || ev.GetSender().GetIsFromMe() {
		t.Errorf("carol's pin: from %v", ev.GetSender())
	}
	from = h.count()
	srv.Pin(carol.ID, group, gid, true)
	if ev := notice(from, "-77", group, unpinned, msg.EventId); ev.GetSender().GetUserId() != "" {
		t.Errorf("carol's unpin: from %v, want no one", ev.GetSender())
	}
	msg, gid = message("1002", toAlice)
	from = h.count()
	srv.Pin(alice.ID, bobChat, srv.GID(alice.ID, mustAtoi(t, msg.EventId)), false)
	mine("a pin from another app", notice(from, "1002", toAlice, pinned, msg.EventId))
	// An unpin in a private chat, the user's from another app or bob's:
	// Telegram does not say which, and the chat shows it from bob's
	// address, so the words say it is not known.
	for _, who := range []int64{alice.ID, bob.ID} {
		if who == bob.ID {
			from = h.count()
			srv.Pin(bob.ID, toAlice, gid, false)
			notice(from, "1002", toAlice, pinned, msg.EventId)
		}
		from = h.count()
		srv.Pin(who, bobChat, gid, true)
		if ev := notice(from, "1002", toAlice, unpinByWhomText, msg.EventId); ev.GetSender().GetUserId() != "" {
			t.Errorf("an unpin by %d in the private chat: from %v, want no one", who, ev.GetSender())
		}
		if h.pinNotices(from, "1002", unpinned) != nil {
			t.Errorf("an unpin by %d in the private chat: said as %q, from bob's address", who, unpinned)
		}
	}
	msg, cid = message("-100740", ch)
	from = h.count()
	srv.Pin(bob.ID, ch, cid, false)
	if ev := notice(from, "-100740", ch, pinned, msg.EventId); ev.GetSender().GetUserId() != "1002" {
		t.Errorf("bob's pin in the channel: from %v", ev.GetSender())
	}

	// Refusals.
	strict := &tg.PeerChat{ChatID: 731}
	msg, gid = message("-731", strict)
	err := s.Pin(ctx, sdk.Call{ChatID: "-731"}, &pb.Pin{TargetId: msg.EventId})
	wantCode(t, "a group where admins pin", err, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "admins", "CHAT_ADMIN_REQUIRED")
	if srv.Pinned(strict, gid) {
		t.Error("a refused pin reached the group")
	}
	strictCh := &tg.PeerChannel{ChannelID: 711}
	msg, _ = message("-100711", strictCh)
	err = s.Pin(ctx, sdk.Call{ChatID: "-100711"}, &pb.Pin{TargetId: msg.EventId})
	wantCode(t, "a supergroup where admins pin", err, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "CHAT_ADMIN_REQUIRED")
	err = s.Pin(ctx, sdk.Call{ChatID: "1002"}, &pb.Pin{TargetId: "9999"})
	wantCode(t, "a message Telegram does not know", err, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "MESSAGE_ID_INVALID")
	err = s.Pin(ctx, sdk.Call{ChatID: "1002"}, &pb.Pin{TargetId: "x"})
	wantCode(t, "no message ID", err, pb.ErrorCode_ERROR_CODE_NOT_FOUND)
	if got := srv.Requests("messages.updatePinnedMessage"); got != 11 {
		t.Errorf("%d pins asked of Telegram, want 11 (8 made, 3 refused)", got)
	}
}

// mustAtoi is a message ID as a number.
func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	id, err := msgID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A pin's service message (messageActionPinMessage) is the notice of
// the chat, live and in history alike: from whoever pinned (the user's
// own as the user's), replying to the message its reply_to names, by
// the service message's ID; in a forum, in the topic of the message
// pinned. An unpin (updatePinnedMessages, updatePinnedChannelMessages
// with pinned false) is one notice per message, from no one (in a
// private chat in words saying Telegram does not tell who; in Saved
// Messages the user's), by IDs that the same update told again repeats;
// a pin's update (pinned true) is nothing, its service message said it.
func TestPinNotices(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, []tg.ChatClass{forum})
	ctx := context.Background()
	svc := func(id int, out bool, peer, from tg.PeerClass, reply *tg.MessageReplyHeader) *tg.MessageService {
		m := &tg.MessageService{ID: id, Out: out, PeerID: peer, FromID: from, Date: 1700000000, ReplyTo: reply, Action: &tg.MessageActionPinMessage{}}
		m.SetFlags()
		return m
	}
	for _, c := range []struct {
		what       string
		m          *tg.MessageService
		chat, from string
		mine       bool
		target     string
	}{
		{"bob's, private", svc(20, false, &tg.PeerUser{UserID: 1002}, nil, &tg.MessageReplyHeader{ReplyToMsgID: 7}), "1002", "1002", false, "7"},
		{"the user's, private", svc(21, true, &tg.PeerUser{UserID: 1002}, nil, &tg.MessageReplyHeader{ReplyToMsgID: 8}), "1002", "1001", true, "8"},
		{"bob's, group", svc(22, false, &tg.PeerChat{ChatID: 77}, &tg.PeerUser{UserID: 1002}, &tg.MessageReplyHeader{ReplyToMsgID: 9}), "-77", "1002", false, "9"},
		{"bob's, a forum's topic", svc(23, false, &tg.PeerChannel{ChannelID: 600}, &tg.PeerUser{UserID: 1002},
			&tg.MessageReplyHeader{ForumTopic: true, ReplyToMsgID: 40, ReplyToTopID: 30}), "-100600_30", "1002", false, "40"},
	} {
		for _, history := range []bool{false, true} {
			ev, text := onlyMessage(t, c.what, s.messageEvents(ctx, c.m, history))
			if text != pinned || ev.ChatId != c.chat || ev.GetSender().GetUserId() != c.from || ev.GetSender().GetIsFromMe() != c.mine ||
				ev.GetMessage().GetReplyToId() != c.target || ev.EventId != strconv.Itoa(c.m.ID) || ev.TimestampUnixMicro != 1700000000e6 {
				t.Errorf("%s (history %v): %v; want %q in %s from %s replying to %s", c.what, history, ev, pinned, c.chat, c.from, c.target)
			}
		}
	}

	// Unpins, one notice per message: in a group or channel the room's
	// own; in a private chat from no one (there: the contact's address)
	// in words that say Telegram does not tell who; in the user's own
	// chat (Saved Messages) the user's.
	for _, c := range []struct {
		what       string
		u          tg.UpdateClass
		chat, text string
		from       string
	}{
		{"private", &tg.UpdatePinnedMessages{Peer: &tg.PeerUser{UserID: 1002}, Messages: []int{7, 9}, Pts: 31, PtsCount: 1}, "1002", unpinByWhomText, ""},
		{"group", &tg.UpdatePinnedMessages{Peer: &tg.PeerChat{ChatID: 77}, Messages: []int{7, 9}, Pts: 31, PtsCount: 1}, "-77", unpinned, ""},
		{"channel", &tg.UpdatePinnedChannelMessages{ChannelID: 500, Messages: []int{7, 9}, Pts: 31, PtsCount: 1}, "-100500", unpinned, ""},
		{"saved messages", &tg.UpdatePinnedMessages{Peer: &tg.PeerUser{UserID: 1001}, Messages: []int{7, 9}, Pts: 31, PtsCount: 1}, "1001", unpinned, "1001"},
	} {
		evs := s.convert(ctx, c.u)
		again := s.convert(ctx, c.u)
		if len(evs) != 2 || len(again) != 2 {
			t.Fatalf("%s unpin: %v, want two notices", c.what, evs)
		}
		for i, ev := range evs {
			target := []string{"7", "9"}[i]
			if ev.ChatId != c.chat || ev.GetMessage().GetText() != c.text || ev.GetMessage().GetReplyToId() != target ||
				ev.GetSender().GetUserId() != c.from || ev.GetSender().GetIsFromMe() != (c.from != "") {
				t.Errorf("%s unpin %d: %v; want %q in %s replying to %s, from %q", c.what, i, ev, c.text, c.chat, target, c.from)
			}
			if ev.EventId == "" || ev.EventId != again[i].EventId || i > 0 && ev.EventId == evs[0].EventId {
				t.Errorf("%s unpin %d: event ID %q, told again %q: want one of its own, the same again", c.what, i, ev.EventId, again[i].EventId)
			}
		}
	}
	for _, u := range []tg.UpdateClass{
		&tg.UpdatePinnedMessages{Pinned: true, Peer: &tg.PeerUser{UserID: 1002}, Messages: []int{7}, Pts: 32, PtsCount: 1},
		&tg.UpdatePinnedChannelMessages{Pinned: true, ChannelID: 500, Messages: []int{7}, Pts: 32, PtsCount: 1},
	} {
		if evs := s.convert(ctx, u); len(evs) != 0 {
			t.Errorf("%T pinned: %v, want nothing", u, evs)
		}
	}
}

// A bot login's pin is bot mode's (pinChatMessage, see botmode's
// TestPin): the shared session hands it over, asking MTProto nothing; a
// bot login without its token (not logged in) is refused as such.
func TestPinBot(t *testing.T) {
	srv := newFake(t)
	n, _ := newNetwork(t, srv)
	ctx := ctxT(t)
	s, err := n.LoadLogin(ctx, sdk.LoginInfo{LoginID: botmode.LoginIDFor(42), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := any(s.bot).(sdk.Pinner); !ok {
		t.Error("bot mode's session is no Pinner")
	}
	err = s.Pin(ctx, sdk.Call{ChatID: "1002"}, &pb.Pin{TargetId: "5"})
	wantCode(t, "a pin of a bot login not logged in", err, pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED)
	if srv.Requests("messages.updatePinnedMessage") != 0 {
		t.Error("a bot login asked Telegram to pin over MTProto")
	}
}

// A user's /unpin run again (the gateway's resend of the same command,
// its txn, to the plugin restarted before its answer was kept; or the
// user's own second /unpin) shows its notice once: Telegram answers the
// second unpin with an update of its own (a new pts), which changes
// nothing, and the notice of an unpin that changed nothing is not shown.
// A later pin and unpin of the message shows both again. In a basic group
// and a channel (their own pts).
func TestUnpinReplayed(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 740, Title: "Mine", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID})
	s, h, info, n := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil { // the channel's access hash
		t.Fatal(err)
	}
	unpinText := mediatext.PinText(true)
	for _, tc := range []struct {
		chat string
		peer tg.PeerClass
	}{{"-77", &tg.PeerChat{ChatID: 77}}, {"-100740", &tg.PeerChannel{ChannelID: 740}}} {
		from := h.count()
		text := "pinned in " + tc.chat
		srv.Send(bob.ID, tc.peer, text)
		msg := h.wait(t, from, text, isMessage(tc.chat, text))
		// barrier is bob's message after the updates before it.
		barrier := func(what string) {
			t.Helper()
			f := h.count()
			srv.Send(bob.ID, tc.peer, what)
			h.wait(t, f, what, isMessage(tc.chat, what))
		}
		call := sdk.Call{ChatID: tc.chat, TxnID: "unpin-" + tc.chat}
		if err := s.Pin(ctx, sdk.Call{ChatID: tc.chat}, &pb.Pin{TargetId: msg.EventId}); err != nil {
			t.Fatal(err)
		}
		if err := s.Pin(ctx, call, &pb.Pin{TargetId: msg.EventId, Unpin: true}); err != nil {
			t.Fatal(err)
		}
		barrier("after the unpin in " + tc.chat)
		if got := h.pinNotices(from, tc.chat, unpinText); len(got) != 1 || !got[0].GetSender().GetIsFromMe() {
			t.Fatalf("%s: unpin notices %v, want one, the user's", tc.chat, got)
		}

		// The plugin restarts; the gateway resends the command. (Only
		// for the group: after a restart, the fake channel's first
		// update is not always told before bob's message after it.)
		if _, ch := tc.peer.(*tg.PeerChannel); !ch {
			if err := s.Disconnect(ctxT(t)); err != nil {
				t.Fatal(err)
			}
			s = connect(t, n, h, info)
		}
		if err := s.Pin(ctx, call, &pb.Pin{TargetId: msg.EventId, Unpin: true}); err != nil {
			t.Fatal(err)
		}
		// And the user sends /unpin again.
		if err := s.Pin(ctx, sdk.Call{ChatID: tc.chat}, &pb.Pin{TargetId: msg.EventId, Unpin: true}); err != nil {
			t.Fatal(err)
		}
		barrier("after the unpins again in " + tc.chat)
		ids := map[string]bool{}
		for _, ev := range h.pinNotices(from, tc.chat, unpinText) {
			ids[ev.EventId] = true
		}
		if len(ids) != 1 {
			t.Errorf("%s: %d unpin notices (by event ID) after the unpin replayed, want 1: %v", tc.chat, len(ids), h.pinNotices(from, tc.chat, unpinText))
		}

		// Pinned and unpinned again: a notice each.
		from = h.count()
		if err := s.Pin(ctx, sdk.Call{ChatID: tc.chat}, &pb.Pin{TargetId: msg.EventId}); err != nil {
			t.Fatal(err)
		}
		srv.Pin(bob.ID, tc.peer, pinTargetOf(t, srv, tc.peer, msg.EventId), true) // bob unpins, on Telegram
		barrier("after the second pin in " + tc.chat)
		if got := h.pinNotices(from, tc.chat, unpinText); len(got) != 1 || got[0].GetSender().GetIsFromMe() {
			t.Errorf("%s: bob's unpin after a new pin: notices %v, want one, not the user's", tc.chat, got)
		}
	}
}

// pinTargetOf is alice's message id (an event ID) as tgfake's Pin names
// it: a channel's own ID, another's gid.
func pinTargetOf(t *testing.T, srv *tgfake.Server, peer tg.PeerClass, id string) int {
	t.Helper()
	n := mustAtoi(t, id)
	if _, ok := peer.(*tg.PeerChannel); ok {
		return n
	}
	return srv.GID(alice.ID, n)
}
