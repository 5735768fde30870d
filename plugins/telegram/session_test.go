package telegram

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// connectAlice logs alice in and connects her session.
func connectAlice(t *testing.T, srv *tgfake.Server) (*Session, *testHost, sdk.LoginInfo, *Network) {
	t.Helper()
	n, h := newNetwork(t, srv)
	dir := t.TempDir()
	done := loginAlice(t, n, dir)
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}
	s := connect(t, n, h, info)
	return s, h, info, n
}

func connect(t *testing.T, n *Network, h *testHost, info sdk.LoginInfo) *Session {
	t.Helper()
	from := h.count()
	s, err := n.LoadLogin(ctxT(t), info)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Disconnect(ctxT(t)) })
	h.wait(t, from, "connected state", func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	return s
}

// reloaded is the login info loaded again and connected, disconnected
// at the test's end; its outcome is the test's to wait for.
func reloaded(t *testing.T, n *Network, info sdk.LoginInfo) *Session {
	t.Helper()
	s, err := n.LoadLogin(ctxT(t), info)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Disconnect(ctxT(t)) })
	return s
}

func isMessage(chat, text string) func(*pb.Event) bool {
	return func(ev *pb.Event) bool {
		return ev.ChatId == chat && strings.Contains(ev.GetMessage().GetText(), text)
	}
}

var bobPeer = &tg.PeerUser{UserID: bob.ID}

// Messages both ways, with formatting, replies, edits, deletions,
// reactions, receipts, typing and status; the user's own message from
// another app; a group.
func TestMessages(t *testing.T) {
	srv := newFake(t)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	alicePeer := &tg.PeerUser{UserID: alice.ID}

	// In, formatted (UTF-16 offsets past an emoji).
	from := h.count()
	text := "😀 bold and link"
	gid := srv.Send(bob.ID, alicePeer, text, tgfake.WithEntities(
		&tg.MessageEntityBold{Offset: 3, Length: 4},
		&tg.MessageEntityTextURL{Offset: 12, Length: 4, URL: "https://example.org"},
	))
	ev := h.wait(t, from, "bob's message", isMessage("1002", "bold"))
	m := ev.GetMessage()
	if ev.Sender.GetUserId() != "1002" || ev.Sender.IsFromMe || ev.Sender.Name != "Bob" {
		t.Errorf("sender %v", ev.Sender)
	}
	want := []*pb.Span{{Start: 5, End: 9, Style: pb.Span_STYLE_BOLD}, {Start: 14, End: 18, Style: pb.Span_STYLE_LINK, Url: "https://example.org"}}
	if len(m.Spans) != 2 || m.Spans[0].String() != want[0].String() || m.Spans[1].String() != want[1].String() {
		t.Errorf("spans %v, want %v", m.Spans, want)
	}
	bobMsg := ev.EventId

	// Out: a reply with bold, to bob's box.
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "t1"}, &pb.SendMessage{Text: "hi there", ReplyToId: bobMsg,
		Spans: []*pb.Span{{Start: 0, End: 2, Style: pb.Span_STYLE_BOLD}}})
	if err != nil {
		t.Fatal(err)
	}
	box := srv.Messages(bob.ID)
	last := box[len(box)-1]
	if last.Message != "hi there" || last.Out || len(last.Entities) != 1 {
		t.Fatalf("bob got %v", last)
	}
	if r, ok := last.ReplyTo.(*tg.MessageReplyHeader); !ok || r.ReplyToMsgID != srv.ID(gid, bob.ID) {
		t.Errorf("bob's copy replies to %v, want his message %d", last.ReplyTo, srv.ID(gid, bob.ID))
	}
	// Edit, react, delete, read, typing from the user.
	if _, err := s.EditMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.EditMessage{TargetId: res.MessageID, Text: "hi there!"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.React(ctx, sdk.Call{ChatID: "1002"}, &pb.React{TargetId: bobMsg, Emojis: []string{"👍"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkRead(ctx, sdk.Call{ChatID: "1002"}, &pb.MarkRead{UpToId: bobMsg}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTyping(ctx, sdk.Call{ChatID: "1002"}, pb.TypingState_TYPING_STATE_COMPOSING); err != nil {
		t.Fatal(err)
	}
	box = srv.Messages(bob.ID)
	if got := box[len(box)-1].Message; got != "hi there!" {
		t.Errorf("bob's copy after the edit: %q", got)
	}
	if ty := srv.Typings(); len(ty) != 1 {
		t.Errorf("typing sent: %v", ty)
	}
	if _, err := s.Retract(ctx, sdk.Call{ChatID: "1002"}, &pb.Retract{TargetId: res.MessageID}); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages(bob.ID)); n != 1 {
		t.Errorf("bob has %d messages after the deletion, want 1", n)
	}

	// From bob: edit, reaction, read receipt, typing, status, deletion.
	from = h.count()
	srv.Edit(gid, "😀 bold and link, edited")
	h.wait(t, from, "edit", func(ev *pb.Event) bool {
		return ev.GetEdit().GetTargetId() == bobMsg && strings.HasSuffix(ev.GetEdit().GetText(), "edited")
	})
	mine := srv.Send(alice.ID, bobPeer, "from my phone")
	ev = h.wait(t, from, "the user's message from another app", isMessage("1002", "from my phone"))
	if !ev.Sender.GetIsFromMe() {
		t.Errorf("the user's own message: sender %v", ev.Sender)
	}
	srv.React(bob.ID, mine, "❤️")
	ev = h.wait(t, from, "reaction", func(ev *pb.Event) bool { return ev.GetReaction() != nil && ev.Sender.GetUserId() == "1002" })
	if r := ev.GetReaction(); r.TargetId != strconv.Itoa(srv.ID(mine, alice.ID)) || !slices.Equal(r.Emojis, []string{"❤️"}) {
		t.Errorf("reaction %v", r)
	}
	srv.Read(bob.ID, mine)
	h.wait(t, from, "read receipt", func(ev *pb.Event) bool {
		return ev.GetReceipt().GetKind() == pb.ReceiptEvent_KIND_READ && ev.Sender.GetUserId() == "1002"
	})
	srv.TypingTo(bob.ID, alice.ID)
	h.wait(t, from, "typing", func(ev *pb.Event) bool {
		return ev.GetTyping().GetState() == pb.TypingState_TYPING_STATE_COMPOSING && ev.ChatId == "1002"
	})
	srv.Status(bob.ID, alice.ID, false)
	ev = h.wait(t, from, "status", func(ev *pb.Event) bool { return ev.GetPresence() != nil && ev.ChatId == "1002" })
	if p := ev.GetPresence().Presence; p.Show != pb.PresenceShow_PRESENCE_SHOW_AWAY || p.LastSeenUnix == 0 {
		t.Errorf("presence %v: want away with the last time seen", p)
	}
	srv.Delete(gid)
	h.wait(t, from, "deletion", func(ev *pb.Event) bool { return ev.GetRetraction().GetTargetId() == bobMsg })

	// The group, both ways.
	from = h.count()
	srv.Send(carol.ID, &tg.PeerChat{ChatID: 77}, "hello group")
	ev = h.wait(t, from, "group message", isMessage("-77", "hello group"))
	if ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || ev.Sender.GetUserId() != "1003" {
		t.Errorf("group message %v", ev)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "-77"}, &pb.SendMessage{Text: "hello all"}); err != nil {
		t.Fatal(err)
	}
	cb := srv.Messages(carol.ID)
	if got := cb[len(cb)-1]; got.Message != "hello all" || peerChatID(got.FromID) != "1001" {
		t.Errorf("carol got %v", got)
	}
	// None of the user's own commands came back as events.
	h.mu.Lock()
	for _, ev := range h.events {
		if strings.Contains(ev.GetMessage().GetText(), "hi there") || strings.Contains(ev.GetMessage().GetText(), "hello all") || ev.GetEdit().GetText() == "hi there!" {
			t.Errorf("the gateway's own command came back: %v", ev)
		}
	}
	h.mu.Unlock()
}

// Contacts, the chat list and a group's members and topic.
func TestContactsAndGroups(t *testing.T) {
	srv := newFake(t)
	srv.Send(carol.ID, &tg.PeerUser{UserID: alice.ID}, "hi, not a contact")
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	cs, err := s.ContactList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.UserId+"="+c.Name)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"1002=Bob", "1003=Carol"}) {
		t.Errorf("contacts %v: want bob (contact) and carol (private chat)", ids)
	}
	chats, err := s.ChatList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(chats) != 1 || chats[0].ChatId != "-77" || chats[0].Name != "Wonderland" || chats[0].Type != pb.ChatType_CHAT_TYPE_GROUP {
		t.Fatalf("chats %v", chats)
	}
	info, err := s.ChatInfo(ctx, "-77")
	if err != nil {
		t.Fatal(err)
	}
	if info.Topic != "tea party" || len(info.Members) != 3 {
		t.Fatalf("chat info %v", info)
	}
	roles := map[string]pb.Affiliation{}
	for _, m := range info.Members {
		roles[m.UserId] = m.Affiliation
		if m.IsSelf != (m.UserId == "1001") {
			t.Errorf("member %v: is_self wrong", m)
		}
	}
	if roles["1001"] != pb.Affiliation_AFFILIATION_OWNER || roles["1002"] != pb.Affiliation_AFFILIATION_ADMIN || roles["1003"] != pb.Affiliation_AFFILIATION_MEMBER {
		t.Errorf("affiliations %v", roles)
	}
}

// What comes while the session is away comes when it is back, once
// (gap recovery from the state in the login's folder).
func TestGapRecovery(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	from := h.count()
	srv.Send(bob.ID, alicePeer, "before")
	h.wait(t, from, "first message", isMessage("1002", "before"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv.Send(bob.ID, alicePeer, "while away 1")
	srv.Send(bob.ID, alicePeer, "while away 2")
	from = h.count()
	connect(t, n, h, info)
	h.wait(t, from, "second message", isMessage("1002", "while away 2"))
	h.wait(t, from, "first missed message", isMessage("1002", "while away 1"))
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[string]int{}
	for _, ev := range h.events {
		if ev.GetMessage() != nil {
			seen[ev.GetMessage().Text]++
		}
	}
	if seen["before"] != 1 || seen["while away 1"] != 1 || seen["while away 2"] != 1 {
		t.Errorf("messages delivered %v: want each once", seen)
	}
}

// Files both ways: a photo by reference, fetched with DownloadMedia; a
// file streamed in with UploadMedia and sent.
func TestMedia(t *testing.T) {
	srv := newFake(t)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	photo := bytes.Repeat([]byte("jpeg"), 40000)
	from := h.count()
	srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "look", tgfake.WithMedia(srv.AddMedia(photo, "image/jpeg")))
	ev := h.wait(t, from, "photo", isMessage("1002", "look"))
	as := ev.GetMessage().Attachments
	if len(as) != 1 || as[0].GetRef() == "" || as[0].MimeType != "image/jpeg" || as[0].Size != int64(len(photo)) || as[0].Width != 640 {
		t.Fatalf("attachments %v", as)
	}
	_, r, err := s.DownloadMedia(ctx, "1002", as[0].GetRef())
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, photo) {
		t.Fatalf("downloaded %d bytes (%v), want %d", len(got), err, len(photo))
	}
	voice := bytes.Repeat([]byte("ogg!"), 100000)
	id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "note.ogg", MimeType: "audio/ogg", Size: int64(len(voice)), VoiceNote: true, DurationMs: 3000}, bytes.NewReader(voice))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.SendMessage{Text: "listen", Attachments: []*pb.Attachment{{Source: &pb.Attachment_UploadId{UploadId: id}}}}); err != nil {
		t.Fatal(err)
	}
	box := srv.Messages(bob.ID)
	last := box[len(box)-1]
	if last.Message != "listen" || !bytes.Equal(srv.Media(last.Media), voice) {
		t.Fatalf("bob got %q with %d bytes of media", last.Message, len(srv.Media(last.Media)))
	}
	doc := last.Media.(*tg.MessageMediaDocument).Document.(*tg.Document)
	voiceAttr := false
	for _, a := range doc.Attributes {
		if au, ok := a.(*tg.DocumentAttributeAudio); ok && au.Voice && au.Duration == 3 {
			voiceAttr = true
		}
	}
	if !voiceAttr || doc.MimeType != "audio/ogg" {
		t.Errorf("document %v: want a voice note of 3 s", doc)
	}
}

// History: oldest first, in batches with a cursor, bounded by
// history_limit (5 here), then done.
func TestBackfill(t *testing.T) {
	srv := newFake(t)
	var old1 int
	for i := range 7 {
		gid := srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "old "+strconv.Itoa(i))
		if i == 4 {
			old1 = gid // the first message of the first batch (old 4, 5, 6)
		}
	}
	s, h, _, _ := connectAlice(t, srv)
	var texts []string
	cursor := ""
	for i := 0; ; i++ {
		if i == 4 {
			t.Fatal("no batch said done")
		}
		if err := s.Backfill(ctxT(t), sdk.BackfillRequest{ChatID: "1002", Cursor: cursor, Limit: 3}); err != nil {
			t.Fatal(err)
		}
		b := h.waitHistory(t, i)
		var page []string
		for _, ev := range b.Events {
			page = append(page, ev.GetMessage().GetText())
		}
		texts = append(page, texts...)
		cursor = b.Cursor
		if b.Done {
			break
		}
	}
	want := []string{"old 2", "old 3", "old 4", "old 5", "old 6"}
	if !slices.Equal(texts, want) {
		t.Errorf("history %q, want %q", texts, want)
	}
	h.wait(t, 0, "progress", func(ev *pb.Event) bool {
		p := ev.GetProgress()
		return p != nil && p.Task == "history" && p.Done == 5 && p.Total == 5
	})
	// A message known only from the history can be deleted.
	old := h.history[0].Events[0]
	srv.Delete(old1)
	h.wait(t, 0, "deletion of a message from the history", func(ev *pb.Event) bool {
		return ev.GetRetraction().GetTargetId() == old.EventId
	})
}

// A session ended from another device is a LOGGED_OUT state that says
// so, and no retry.
func TestRevokedSession(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv.Revoke(alice.ID)
	from := h.count()
	reloaded(t, n, info)
	ev := h.wait(t, from, "logged-out state", func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_LOGGED_OUT
	})
	if !strings.Contains(ev.GetLoginState().Message, "log in again") {
		t.Errorf("message %q", ev.GetLoginState().Message)
	}
}

// Logging out ends the session on Telegram too, connected or not, and
// removes its files.
func TestLogout(t *testing.T) {
	srv := newFake(t)
	s, _, info, n := connectAlice(t, srv)
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if !srv.LoggedIn(alice.ID) {
		t.Fatal("alice is not logged in on the server")
	}
	// As the SDK does for a login not connected: only its ID and folder.
	s2, err := n.LoadLogin(ctxT(t), sdk.LoginInfo{LoginID: info.LoginID, Dir: info.Dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Logout(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if srv.LoggedIn(alice.ID) {
		t.Error("the session is still open on Telegram")
	}
	if _, err := os.Stat(filepath.Join(info.Dir, sessionFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("session file: %v", err)
	}
}

// A supergroup both ways, and what it said while the session was away
// (the channel's own pts, recovered with getChannelDifference); a
// broadcast channel as a read-only room with posts from the channel.
func TestSupergroupLive(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 600, Title: "Big", About: "large", Members: []int64{alice.ID, bob.ID, carol.ID}, Admins: []int64{carol.ID}, Creator: bob.ID})
	srv.AddChannel(tgfake.Channel{ID: 700, Title: "News", Broadcast: true, Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	s, h, info, n := connectAlice(t, srv)
	ctx := ctxT(t)
	chats, err := s.ChatList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*pb.Chat{}
	for _, c := range chats {
		byID[c.ChatId] = c
	}
	if c := byID["-100600"]; c == nil || c.Type != pb.ChatType_CHAT_TYPE_GROUP || c.ReadOnly || c.Name != "Big" {
		t.Errorf("supergroup %v", c)
	}
	if c := byID["-100700"]; c == nil || c.Type != pb.ChatType_CHAT_TYPE_CHANNEL || !c.ReadOnly {
		t.Errorf("channel %v", c)
	}
	ci, err := s.ChatInfo(ctx, "-100600")
	if err != nil || len(ci.Members) != 3 || ci.Topic != "large" {
		t.Fatalf("supergroup info %v %v", ci, err)
	}
	from := h.count()
	srv.Send(bob.ID, &tg.PeerChannel{ChannelID: 600}, "big hello")
	ev := h.wait(t, from, "supergroup message", isMessage("-100600", "big hello"))
	if ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || ev.Sender.GetUserId() != "1002" {
		t.Errorf("event %v", ev)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "-100600"}, &pb.SendMessage{Text: "big reply"}); err != nil {
		t.Fatal(err)
	}
	if ms := srv.ChannelMessages(600); ms[len(ms)-1].Message != "big reply" {
		t.Errorf("channel has %v", ms[len(ms)-1])
	}
	srv.Send(bob.ID, &tg.PeerChannel{ChannelID: 700}, "extra extra")
	ev = h.wait(t, from, "channel post", isMessage("-100700", "extra extra"))
	if ev.ChatType != pb.ChatType_CHAT_TYPE_CHANNEL || ev.Sender.GetUserId() != "-100700" {
		t.Errorf("post %v", ev)
	}
	if lim, _ := s.ChatLimits(ctx, "-100700"); !lim.ReadOnly {
		t.Error("the channel is not read-only")
	}

	if err := s.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Send(carol.ID, &tg.PeerChannel{ChannelID: 600}, "away 1")
	srv.Send(carol.ID, &tg.PeerChannel{ChannelID: 600}, "away 2")
	from = h.count()
	connect(t, n, h, info)
	h.wait(t, from, "missed supergroup message", isMessage("-100600", "away 2"))
	if srv.Requests("updates.getChannelDifference") == 0 {
		t.Error("the gap was not recovered with getChannelDifference")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[string]int{}
	for _, ev := range h.events {
		if ev.ChatId == "-100600" && ev.GetMessage() != nil {
			seen[ev.GetMessage().Text]++
		}
	}
	if seen["big hello"] != 1 || seen["away 1"] != 1 || seen["away 2"] != 1 || seen["big reply"] != 0 {
		t.Errorf("supergroup messages %v: want each once, the user's own none", seen)
	}
}

// A dropped connection is a transient state, and gotd's own reconnection
// makes the login connected again; messages keep coming.
func TestReconnect(t *testing.T) {
	srv := newFake(t)
	_, h, _, _ := connectAlice(t, srv)
	from := h.count()
	srv.Disconnect(alice.ID)
	h.wait(t, from, "transient state", func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT
	})
	srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "still there?")
	h.wait(t, from, "connected again", func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	h.wait(t, from, "message after the drop", isMessage("1002", "still there?"))
}

// A contact's profile photo: its ID in the contact list, the picture in
// UserInfo.
func TestAvatar(t *testing.T) {
	srv := newFake(t)
	pic := bytes.Repeat([]byte{0xff, 0xd8, 1, 2}, 2000)
	b := bob
	b.Photo = pic
	srv.AddUser(b)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	cs, err := s.ContactList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) == 0 || cs[0].AvatarId == "" {
		t.Fatalf("contacts %v: want bob with an avatar ID", cs)
	}
	c, err := s.UserInfo(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Avatar, pic) || c.AvatarMime != "image/jpeg" || c.AvatarId != cs[0].AvatarId {
		t.Errorf("user info: %d bytes of %s, ID %q", len(c.Avatar), c.AvatarMime, c.AvatarId)
	}
}

// Telegram refusing the client (here as too old) stops the login with a
// message saying so; the credentials stay good.
func TestRefusedClient(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv.SetRefuse("UPDATE_APP_TO_LOGIN")
	from := h.count()
	reloaded(t, n, info)
	ev := h.wait(t, from, "stopped state", func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_STOPPED
	})
	if !strings.Contains(ev.GetLoginState().Message, "UPDATE_APP_TO_LOGIN") {
		t.Errorf("message %q", ev.GetLoginState().Message)
	}
}

// The user's XMPP presence is their Telegram status.
func TestSetPresence(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if err := s.SetPresence(ctx, &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}); err != nil {
		t.Fatal(err)
	}
	if !srv.Online(alice.ID) {
		t.Error("available is not online")
	}
	if err := s.SetPresence(ctx, &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_XA}); err != nil {
		t.Fatal(err)
	}
	if srv.Online(alice.ID) {
		t.Error("xa is still online")
	}
}

// A supergroup's picture: none said in the chat list, the picture for the
// host's asking (sdk.ChatAvatarer), and a change or removal on Telegram
// (the service message) told as the group's chat with the new photo's ID.
func TestGroupPicture(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 650, Title: "Pics", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	chats, err := s.ChatList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chats {
		if c.ChatId == "-100650" && (!c.NoAvatar || c.AvatarId != "") {
			t.Fatalf("chat list: %v", c)
		}
	}
	if b, _, err := s.ChatAvatar(ctx, "-100650"); err != nil || b != nil {
		t.Fatalf("no picture yet: %d bytes, %v", len(b), err)
	}
	isPicture := func(ev *pb.Event) bool { return ev.GetChat().GetChat().GetChatId() == "-100650" }
	from := h.count()
	pic := bytes.Repeat([]byte{0xff, 0xd8, 7, 8}, 500)
	srv.SetChannelPhoto(650, bob.ID, pic)
	ev := h.wait(t, from, "the new picture", isPicture)
	c := ev.GetChat().Chat
	if c.AvatarId == "" || c.NoAvatar || c.Name != "Pics" {
		t.Fatalf("picture set: %v", c)
	}
	b, mime, err := s.ChatAvatar(ctx, "-100650")
	if err != nil || !bytes.Equal(b, pic) || mime != "image/jpeg" {
		t.Fatalf("the picture: %d bytes of %s, %v", len(b), mime, err)
	}
	if _, _, err := s.ChatAvatar(ctx, "1002"); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("a person's ID as a group: %v", err)
	}
	from = h.count()
	srv.SetChannelPhoto(650, bob.ID, nil)
	ev = h.wait(t, from, "the picture removed", isPicture)
	if c := ev.GetChat().Chat; !c.NoAvatar || c.AvatarId != "" {
		t.Fatalf("picture removed: %v", c)
	}
}

// A flood wait when the session connects (Telegram asking to slow down,
// say after many restarts) is no end of the login: it says so, dials
// again once the wait is over, and connects.
func TestConnectFloodWait(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	old := RetryDelay
	RetryDelay = 100 * time.Millisecond
	t.Cleanup(func() { RetryDelay = old })
	srv.SetRefuse("FLOOD_WAIT_1")
	from := h.count()
	reloaded(t, n, info)
	ev := h.wait(t, from, "the flood wait's state", func(ev *pb.Event) bool {
		st := ev.GetLoginState()
		return st != nil && strings.Contains(st.Message, "FLOOD_WAIT")
	})
	if st := ev.GetLoginState().State; st != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT {
		t.Errorf("state %v (%q), want a transient disconnect", st, ev.GetLoginState().Message)
	}
	srv.SetRefuse("")
	h.wait(t, from, "connected once the wait is over", func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
}

// An update whose events the SDK could not keep (its journal failing:
// a full disk, the plugin shutting down) is not counted as handled: gotd
// saves the update state after the handler whatever it answered, so the
// login's database keeps no state past it until the next Connect, whose
// catch-up brings it again.
func TestEmitFailedNotSkipped(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	from := h.count()
	srv.Send(bob.ID, alicePeer, "kept")
	h.wait(t, from, "a message", isMessage("1002", "kept"))
	failed := h.failDurable(errors.New("sdk: plugin shutting down"))
	srv.Send(bob.ID, alicePeer, "not kept")
	select {
	case <-failed:
	case <-time.After(20 * time.Second):
		t.Fatal("the message was not handled")
	}
	h.failDurable(nil)
	srv.Send(bob.ID, alicePeer, "after")
	h.wait(t, from, "the message after", isMessage("1002", "after"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	from = h.count()
	connect(t, n, h, info)
	h.wait(t, from, "the message not kept, again", isMessage("1002", "not kept"))
}
