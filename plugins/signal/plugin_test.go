package signal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

var binary string

func pluginBinary(t *testing.T) string {
	if binary == "" {
		binary = plugintest.BuildBinary(t, pluginPkg)
	}
	return binary
}

// session is a plugin process logged in as alice on the fake daemon.
type session struct {
	t       *testing.T
	d       *fakesignal.Daemon
	p       *plugintest.Plugin
	evs     *plugintest.EventStream
	cmds    *plugintest.CommandStream
	loginID string
	saved   []byte // the login's saved state
	dir     string
	n       int
}

func newSession(t *testing.T, d *fakesignal.Daemon) *session {
	t.Helper()
	p := plugintest.Start(t, pluginBinary(t), "", socketConfig(d))
	done := p.Login("existing", map[string]string{"account": alice})
	s := &session{t: t, d: d, p: p, loginID: done.LoginId, saved: done.SavedState, dir: t.TempDir()}
	s.evs = p.Events()
	s.connect(done.SavedState)
	s.cmds = p.Commands()
	return s
}

func (s *session) connect(state []byte) {
	s.t.Helper()
	ctx, cancel := s.p.CallContext()
	defer cancel()
	if _, err := s.p.Client().Connect(ctx, &pb.ConnectRequest{LoginId: s.loginID, UserJid: plugintest.UserJID, SavedState: state, LoginDir: s.dir}); err != nil {
		s.t.Fatal(err)
	}
	s.state(pb.LoginState_LOGIN_STATE_CONNECTED)
}

// state waits for a login state event of the given state.
func (s *session) state(want pb.LoginState) *pb.LoginStateEvent {
	s.t.Helper()
	ev := s.evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == want })
	return ev.GetLoginState()
}

// next waits for an event that match accepts.
func (s *session) next(match func(*pb.Event) bool) *pb.Event {
	s.t.Helper()
	return s.evs.NextEvent(match)
}

func (s *session) txn() string {
	s.n++
	return "txn-" + s.t.Name() + "-" + string(rune('a'+s.n%26)) + time.Now().Format("150405.000000000")
}

func (s *session) do(chatID string, action any) *pb.CommandResult {
	s.t.Helper()
	return s.cmds.Send(plugintest.Act(s.loginID, chatID, s.txn(), action))
}

// lastRequest is the last request of a method alice's account made.
func lastRequest(d *fakesignal.Daemon, method string) (fakesignal.Request, bool) {
	rs := d.Requests(alice)
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].Method == method {
			return rs[i], true
		}
	}
	return fakesignal.Request{}, false
}

func isText(text string) func(*pb.Event) bool {
	return func(ev *pb.Event) bool { return ev.GetMessage().GetText() == text }
}

// Incoming messages of every kind become the contract's events.
func TestReceive(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)

	// A text from bob: a direct chat named by his number, with its
	// author in the metadata.
	ts := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", Timestamp: ts,
		DataMessage: &fakesignal.DataMessage{Timestamp: ts, Message: fakesignal.Text("hello alice")}})
	ev := s.next(isText("hello alice"))
	if ev.ChatId != bob || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || ev.Sender.UserId != bob || ev.Sender.IsFromMe ||
		ev.EventId != mid(ts, bobACI) || ev.TimestampUnixMicro != ts*1000 {
		t.Fatalf("text event: %v", ev)
	}
	var meta map[string]any
	if err := json.Unmarshal(ev.Meta, &meta); err != nil || meta["a"] != bob || meta["t"] != float64(ts) {
		t.Fatalf("meta %q: want bob as the author and the timestamp", ev.Meta)
	}

	// A reply quoting alice's message.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("a reply"), Quote: &fakesignal.Quote{ID: 1234, AuthorNumber: alice, AuthorUUID: aliceACI, Text: "x"}}})
	if ev := s.next(isText("a reply")); ev.GetMessage().ReplyToId != mid(1234, alice) {
		t.Fatalf("reply: %v", ev)
	}

	// An edit, a reaction, its removal and a remote delete of bob's text.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, EditMessage: &fakesignal.EditMessage{
		TargetSentTimestamp: ts, DataMessage: fakesignal.DataMessage{Timestamp: d.Now(), Message: fakesignal.Text("hello, alice")}}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetEdit() != nil }); ev.GetEdit().TargetId != mid(ts, bobACI) || ev.GetEdit().Text != "hello, alice" || ev.ChatId != bob {
		t.Fatalf("edit: %v", ev)
	}
	react := func(remove bool) {
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
			Reaction: &fakesignal.Reaction{Emoji: "👍", TargetAuthorNumber: alice, TargetAuthorUUID: aliceACI, TargetSentTimestamp: 1234, IsRemove: remove}}})
	}
	react(false)
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetReaction() != nil }); ev.GetReaction().TargetId != mid(1234, alice) || !slices.Equal(ev.GetReaction().Emojis, []string{"👍"}) {
		t.Fatalf("reaction: %v", ev)
	}
	react(true)
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetReaction() != nil }); len(ev.GetReaction().Emojis) != 0 {
		t.Fatalf("reaction removed: %v", ev)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{RemoteDelete: &fakesignal.RemoteDelete{Timestamp: ts}}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetRetraction() != nil }); ev.GetRetraction().TargetId != mid(ts, bobACI) || ev.Sender.UserId != bob {
		t.Fatalf("remote delete: %v", ev)
	}

	// Receipts of a message alice sent in the group name the group.
	res := s.do(group, &pb.SendMessage{Text: "to the group"})
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	sentTS := atoi(t, res.MessageId)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, ReceiptMessage: &fakesignal.ReceiptMessage{IsDelivery: true, Timestamps: []int64{sentTS}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, ReceiptMessage: &fakesignal.ReceiptMessage{IsRead: true, Timestamps: []int64{sentTS}}})
	for _, kind := range []pb.ReceiptEvent_Kind{pb.ReceiptEvent_KIND_DELIVERED, pb.ReceiptEvent_KIND_READ} {
		ev := s.next(func(ev *pb.Event) bool { return ev.GetReceipt() != nil })
		if r := ev.GetReceipt(); r.Kind != kind || !slices.Equal(r.MessageIds, []string{res.MessageId}) || ev.ChatId != group || ev.Sender.UserId != carol {
			t.Fatalf("receipt: %v, want %v in the group", ev, kind)
		}
	}

	// Typing, in the group: STARTED holds 15 s unless said again, as
	// Signal's apps have it.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, TypingMessage: &fakesignal.TypingMessage{Action: "STARTED", GroupID: gid}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetTyping() != nil }); ev.GetTyping().State != pb.TypingState_TYPING_STATE_COMPOSING || ev.GetTyping().TimeoutMs != 15000 || ev.ChatId != group {
		t.Fatalf("typing: %v, want composing holding 15000 ms", ev)
	}

	// A group message mentioning alice: the placeholder becomes a
	// mention span (offsets in UTF-8 bytes; Signal counts UTF-16).
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, DataMessage: &fakesignal.DataMessage{
		Message:   fakesignal.Text("é😀 \uFFFC look"),
		Mentions:  []fakesignal.Mention{{Number: alice, UUID: aliceACI, Start: 4, Length: 1}},
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	ev = s.next(func(ev *pb.Event) bool { return strings.HasSuffix(ev.GetMessage().GetText(), "look") })
	want := "é😀 @" + alice + " look"
	if m := ev.GetMessage(); m.Text != want || ev.ChatId != group || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || len(m.Spans) != 1 ||
		m.Spans[0].Style != pb.Span_STYLE_MENTION || m.Spans[0].UserId != alice || want[m.Spans[0].Start:m.Spans[0].End] != "@"+alice {
		t.Fatalf("mention: %v", ev)
	}

	// A file with a caption, fetched by reference.
	d.AddAttachment(alice, "att1.jpg", []byte("JPEG DATA"))
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message:     fakesignal.Text("a photo"),
		Attachments: []fakesignal.Attachment{{ContentType: "image/jpeg", Filename: "cat.jpg", ID: "att1.jpg", Size: 9, Width: 4, Height: 3, Caption: "my cat"}}}})
	ev = s.next(isText("a photo"))
	a := ev.GetMessage().Attachments
	if len(a) != 1 || a[0].GetRef() != "att1.jpg" || a[0].Name != "cat.jpg" || a[0].MimeType != "image/jpeg" || a[0].Caption != "my cat" || a[0].Size != 9 || a[0].Width != 4 {
		t.Fatalf("attachment: %v", a)
	}
	if got := download(t, s, bob, "att1.jpg"); got != "JPEG DATA" {
		t.Fatalf("downloaded %q", got)
	}

	// What alice sent from her phone is hers, in the chat it went to.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SourceDevice: 1, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: carol, DestinationUUID: carolACI, DataMessage: fakesignal.DataMessage{Timestamp: d.Now(), Message: fakesignal.Text("from my phone")}}}})
	ev = s.next(isText("from my phone"))
	if ev.ChatId != carol || !ev.Sender.IsFromMe || ev.Sender.UserId != alice {
		t.Fatalf("sync sent message: %v", ev)
	}

	// What alice read on her phone: her own read receipt, in the chat
	// of the message (a group's too).
	groupTS := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: groupTS, DataMessage: &fakesignal.DataMessage{
		Timestamp: groupTS, Message: fakesignal.Text("in the group"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	s.next(isText("in the group"))
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{ReadMessages: []fakesignal.ReadMessage{
		{SenderNumber: bob, SenderUUID: bobACI, Timestamp: ts}, {SenderNumber: bob, SenderUUID: bobACI, Timestamp: groupTS}}}})
	for _, chat := range []string{bob, group} {
		ev := s.next(func(ev *pb.Event) bool { return ev.GetReceipt() != nil })
		want := mid(ts, bobACI)
		if chat == group {
			want = mid(groupTS, bobACI)
		}
		if ev.ChatId != chat || !ev.Sender.GetIsFromMe() || ev.GetReceipt().Kind != pb.ReceiptEvent_KIND_READ || !slices.Equal(ev.GetReceipt().MessageIds, []string{want}) {
			t.Fatalf("read on the phone, in %s: %v", chat, ev)
		}
	}
}

func upload(t *testing.T, p *plugintest.Plugin, loginID, name string, data []byte) string {
	t.Helper()
	ctx, cancel := p.CallContext()
	defer cancel()
	st, err := p.Client().UploadMedia(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&pb.MediaChunk{LoginId: loginID, Info: &pb.MediaInfo{Name: name, Size: int64(len(data))}, Data: data}); err != nil {
		t.Fatal(err)
	}
	res, err := st.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	return res.UploadId
}

// The user's actions reach signal-cli with the parameters it documents.
func TestSend(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)

	first := s.do(bob, &pb.SendMessage{Text: "hi bob"})
	if first.Error != nil || first.MessageId == "" {
		t.Fatalf("send: %v", first)
	}
	req, _ := lastRequest(d, "send")
	if req.Params["message"] != "hi bob" || !slices.Equal(anyStrings(req.Params["recipient"]), []string{bob}) || mid(req.Timestamp, alice) != first.MessageId {
		t.Fatalf("send request: %v", req)
	}
	var meta map[string]any
	if json.Unmarshal(first.Meta, &meta); meta["a"] != alice || meta["t"] != float64(req.Timestamp) {
		t.Fatalf("send result meta %q", first.Meta)
	}

	// A reply quotes the message by timestamp and author.
	bobMeta, _ := json.Marshal(map[string]string{"a": bob})
	if res := s.do(bob, &pb.SendMessage{Text: "yes", ReplyToId: "777", ReplyToMeta: bobMeta}); res.Error != nil {
		t.Fatal(res.Error)
	}
	req, _ = lastRequest(d, "send")
	if req.Params["quoteTimestamp"] != float64(777) || req.Params["quoteAuthor"] != bob {
		t.Fatalf("reply request: %v", req.Params)
	}

	// A location (a geo: URI, as XMPP clients send one) goes as the text
	// the gateway shows locations as, with a map link; a geo: URI among
	// other words goes as typed. A location corrected is the new
	// location's text.
	loc := s.do(bob, &pb.SendMessage{Text: "geo:48.8584,2.2945;u=12"})
	if loc.Error != nil {
		t.Fatal(loc.Error)
	}
	req, _ = lastRequest(d, "send")
	if m, _ := req.Params["message"].(string); !strings.HasPrefix(m, "Location\ngeo:48.8584,2.2945\nhttps://www.openstreetmap.org/?mlat=48.8584&mlon=2.2945") {
		t.Errorf("a location sent as %q", req.Params["message"])
	}
	if res := s.do(bob, &pb.EditMessage{TargetId: loc.MessageId, TargetMeta: loc.Meta, Text: "geo:48.86,2.3"}); res.Error != nil {
		t.Fatal(res.Error)
	}
	req, _ = lastRequest(d, "send")
	if m, _ := req.Params["message"].(string); !strings.HasPrefix(m, "Location\ngeo:48.86,2.3\nhttps://www.openstreetmap.org/?mlat=48.86&mlon=2.3") || req.Params["editTimestamp"] == nil {
		t.Errorf("a location corrected as %v", req.Params)
	}
	if res := s.do(bob, &pb.SendMessage{Text: "at geo:1,2"}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if req, _ = lastRequest(d, "send"); req.Params["message"] != "at geo:1,2" {
		t.Errorf("text with a geo: URI sent as %q", req.Params["message"])
	}

	// A mention and bold text in the group, in UTF-16 offsets.
	text := "é😀 @Carol hi"
	at := strings.Index(text, "@")
	spans := []*pb.Span{{Start: uint32(at), End: uint32(at + 6), Style: pb.Span_STYLE_MENTION, UserId: carol},
		{Start: uint32(len(text) - 2), End: uint32(len(text)), Style: pb.Span_STYLE_BOLD}}
	if res := s.do(group, &pb.SendMessage{Text: text, Spans: spans}); res.Error != nil {
		t.Fatal(res.Error)
	}
	req, _ = lastRequest(d, "send")
	if req.Params["groupId"] != gid || !slices.Equal(anyStrings(req.Params["mentions"]), []string{"4:6:" + carol}) ||
		!slices.Equal(anyStrings(req.Params["textStyles"]), []string{"11:2:BOLD"}) {
		t.Fatalf("mention request: %v", req.Params)
	}

	// Edit, react, unreact, delete: the message named by timestamp (and
	// author).
	act := func(action any, method string) fakesignal.Request {
		t.Helper()
		if res := s.do(bob, action); res.Error != nil {
			t.Fatalf("%T: %v", action, res.Error)
		}
		req, ok := lastRequest(d, method)
		if !ok {
			t.Fatalf("no %s request", method)
		}
		return req
	}
	ts := float64(atoi(t, first.MessageId))
	if req := act(&pb.EditMessage{TargetId: first.MessageId, TargetMeta: first.Meta, Text: "hi Bob"}, "send"); req.Params["editTimestamp"] != ts || req.Params["message"] != "hi Bob" {
		t.Fatalf("edit: %v", req.Params)
	}
	if req := act(&pb.React{TargetId: "555", TargetMeta: bobMeta, Emojis: []string{"❤️"}}, "sendReaction"); req.Params["emoji"] != "❤️" ||
		req.Params["targetAuthor"] != bob || req.Params["targetTimestamp"] != float64(555) || req.Params["remove"] != nil {
		t.Fatalf("react: %v", req.Params)
	}
	if req := act(&pb.React{TargetId: "555", TargetMeta: bobMeta}, "sendReaction"); req.Params["emoji"] != "❤️" || req.Params["remove"] != true {
		t.Fatalf("unreact: %v", req.Params)
	}
	if req := act(&pb.Retract{TargetId: first.MessageId, TargetMeta: first.Meta}, "remoteDelete"); req.Params["targetTimestamp"] != ts {
		t.Fatalf("remote delete: %v", req.Params)
	}
	if req := act(&pb.MarkRead{UpToId: "555", UpToMeta: bobMeta}, "sendReceipt"); req.Params["type"] != "read" || req.Params["recipient"] != bob {
		t.Fatalf("read receipt: %v", req.Params)
	}
	// Typing: a stop only after a start.
	if res := s.do(bob, &pb.SetTyping{State: pb.TypingState_TYPING_STATE_ACTIVE}); res.Error != nil || d.Calls("sendTyping") != 0 {
		t.Fatalf("active without typing: %v, %d typing requests", res, d.Calls("sendTyping"))
	}
	if req := act(&pb.SetTyping{State: pb.TypingState_TYPING_STATE_COMPOSING}, "sendTyping"); req.Params["stop"] != nil {
		t.Fatalf("typing: %v", req.Params)
	}
	if req := act(&pb.SetTyping{State: pb.TypingState_TYPING_STATE_PAUSED}, "sendTyping"); req.Params["stop"] != true {
		t.Fatalf("typing stopped: %v", req.Params)
	}

	// Someone else's message cannot be deleted for everyone.
	if res := s.do(bob, &pb.Retract{TargetId: "555", TargetMeta: bobMeta}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Fatalf("retract bob's message: %v", res)
	}
	// A reaction to a message whose author is unknown is refused.
	if res := s.do(bob, &pb.React{TargetId: "555", Emojis: []string{"x"}}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Fatalf("react without meta: %v", res)
	}
	// A group alice is not in.
	if res := s.do(hexGroup(fakesignal.NewGroupID()), &pb.SendMessage{Text: "x"}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND || !strings.Contains(res.Error.Text, "no such Signal group") {
		t.Fatalf("unknown group: %v", res)
	}

	// A recipient not on Signal, a changed safety number.
	d.Fail(carol, "UNREGISTERED_FAILURE")
	if res := s.do(carol, &pb.SendMessage{Text: "x"}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND || !strings.Contains(res.Error.Text, "not on Signal") {
		t.Fatalf("unregistered recipient: %v", res)
	}
	d.Fail(carol, "IDENTITY_FAILURE")
	if res := s.do(carol, &pb.SendMessage{Text: "x"}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(res.Error.Text, "safety number") {
		t.Fatalf("changed safety number: %v", res)
	}
	d.Fail(carol, "")

	// A file, uploaded then sent with its caption as the text.
	id := upload(t, s.p, s.loginID, "notes.txt", []byte("file body"))
	if res := s.do(bob, &pb.SendMessage{Attachments: []*pb.Attachment{{Name: "notes.txt", Caption: "my notes", Source: &pb.Attachment_UploadId{UploadId: id}}}}); res.Error != nil {
		t.Fatal(res.Error)
	}
	req, _ = lastRequest(d, "send")
	files := anyStrings(req.Params["attachments"])
	if len(files) != 1 || filepath.Base(files[0]) != "notes.txt" || string(req.Files[files[0]]) != "file body" || req.Params["message"] != "my notes" {
		t.Fatalf("file request: %v %q", req.Params, req.Files)
	}
	if _, err := os.Stat(files[0]); !os.IsNotExist(err) {
		t.Errorf("the sent upload is still there: %v", err)
	}
	// A voice note says so.
	id = upload(t, s.p, s.loginID, "voice.m4a", []byte("AAC"))
	if res := s.do(bob, &pb.SendMessage{Attachments: []*pb.Attachment{{Name: "voice.m4a", MimeType: "audio/aac", VoiceNote: true, Source: &pb.Attachment_UploadId{UploadId: id}}}}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if req, _ := lastRequest(d, "send"); req.Params["voiceNote"] != true {
		t.Fatalf("voice note request: %v", req.Params)
	}
	// An upload ID that is not one.
	if res := s.do(bob, &pb.SendMessage{Attachments: []*pb.Attachment{{Source: &pb.Attachment_UploadId{UploadId: "../../etc/passwd"}}}}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Fatalf("bad upload id: %v", res)
	}
}

func anyStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

// An ACI-only contact whose number becomes known moves to it.
func TestIdentityMoves(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.Deliver(alice, fakesignal.Envelope{SourceUUID: daveACI, SourceName: "Dave", DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("number hidden")}})
	if ev := s.next(isText("number hidden")); ev.Sender.UserId != daveACI || ev.ChatId != daveACI {
		t.Fatalf("ACI-only sender: %v", ev)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: daveNum, SourceUUID: daveACI, SourceName: "Dave", DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("number shared")}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetIdentity() != nil })
	if id := ev.GetIdentity(); id.OldUserId != daveACI || id.Contact.UserId != daveNum || ev.ChatId != "" || ev.LoginId != s.loginID {
		t.Fatalf("identity: %v", ev)
	}
	if ev := s.next(isText("number shared")); ev.Sender.UserId != daveNum || ev.ChatId != daveNum {
		t.Fatalf("after the move: %v", ev)
	}
	// Known now, even by the ACI alone; and no second move.
	d.Deliver(alice, fakesignal.Envelope{SourceUUID: daveACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("by ACI again")}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetIdentity() != nil || ev.GetMessage().GetText() == "by ACI again" }); ev.Sender.GetUserId() != daveNum {
		t.Fatalf("by ACI after the move: %v", ev)
	}
	// The plugin remembers across a restart (the login's folder).
	if b, err := os.ReadFile(filepath.Join(s.dir, "identities.json")); err != nil || !strings.Contains(string(b), daveNum) {
		t.Fatalf("identities.json: %q %v", b, err)
	}
}

// A group's changes become member, topic and chat events; the user's own
// changes reach signal-cli and come back as events.
func TestGroups(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	chats, err := s.p.Client().ChatList(ctx, &pb.LoginRef{LoginId: s.loginID})
	if err != nil || len(chats.Chats) != 1 {
		t.Fatalf("ChatList: %v %v", chats, err)
	}
	c := chats.Chats[0]
	if c.ChatId != group || c.Name != groupName || c.Topic != "old friends" || len(c.Members) != 3 {
		t.Fatalf("chat: %v", c)
	}
	for _, m := range c.Members {
		if (m.UserId == alice) != m.IsSelf || (m.UserId == alice) != (m.Affiliation == pb.Affiliation_AFFILIATION_ADMIN) {
			t.Errorf("member %v", m)
		}
	}

	// Bob adds dave and changes the description on his phone.
	g, _ := d.GetGroup(alice, gid)
	g.Members = append(g.Members, fakesignal.Member{Number: daveNum, UUID: daveACI})
	g.Description = "new friends"
	g.Revision++
	d.SetGroup(alice, g)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetTopic() != nil })
	if ev.GetTopic().Topic != "new friends" || ev.Sender.UserId != bob || ev.ChatId != group {
		t.Fatalf("topic: %v", ev)
	}
	ev = s.next(func(ev *pb.Event) bool { return ev.GetMember() != nil })
	if m := ev.GetMember(); m.Kind != pb.MemberEvent_KIND_JOINED || m.Member.UserId != daveNum {
		t.Fatalf("member: %v", ev)
	}

	// Alice renames the group and removes carol.
	if res := s.do(group, &pb.SetChatName{Name: "Best friends"}); res.Error != nil {
		t.Fatal(res.Error)
	}
	// (The first update's news that the group has no picture may come
	// before: the plugin had seen none since it started.)
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetChat() != nil && !ev.GetChat().Chat.NoAvatar }); ev.GetChat().Chat.Name != "Best friends" || !ev.Sender.IsFromMe {
		t.Fatalf("rename: %v", ev)
	}
	if res := s.do(group, &pb.Kick{UserId: carol}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetMember() != nil }); ev.GetMember().Kind != pb.MemberEvent_KIND_KICKED || ev.GetMember().Member.UserId != carol {
		t.Fatalf("kick: %v", ev)
	}
	if g, _ := d.GetGroup(alice, gid); g.Name != "Best friends" || len(g.Members) != 3 {
		t.Fatalf("the daemon's group: %v", g)
	}

	// Alice is removed from the group by bob.
	g, _ = d.GetGroup(alice, gid)
	g.Members = slices.DeleteFunc(g.Members, func(m fakesignal.Member) bool { return m.Number == alice })
	d.SetGroup(alice, g)
	d.RemoveGroup(alice, gid)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "UPDATE"}}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil }); ev.ChatId != group {
		t.Fatalf("removed: %v", ev)
	}
}

// A daemon that dies is a login state; what arrives while it is down
// comes when it is back, and a send waits for it.
func TestDaemonCrash(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.Crash()
	st := s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT)
	if !strings.Contains(st.Message, "unreachable") {
		t.Errorf("state message %q", st.Message)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("while down")}})
	sent := s.cmds.Go(plugintest.SendText(s.loginID, bob, s.txn(), "sent while down"))
	time.Sleep(300 * time.Millisecond)
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	s.state(pb.LoginState_LOGIN_STATE_CONNECTED)
	s.next(isText("while down"))
	if res := s.cmds.Wait(sent); res.Error != nil {
		t.Fatalf("send while down: %v", res.Error)
	}
	if got := sentTexts(d, bob); !slices.Equal(got, []string{"sent while down"}) {
		t.Fatalf("bob got %q", got)
	}
}

// Logout of an account passerelle linked unregisters the device and
// deletes the account from signal-cli; an account the admin put there is
// left alone (unregistering a primary device takes the number off Signal).
func TestLogout(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d) // alice: the "existing" flow
	res := s.do(bob, &pb.SendMessage{Text: "before logout"})
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	if res := s.do(bob, &pb.Pin{TargetId: res.MessageId, TargetMeta: res.Meta}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if _, err := os.Stat(filepath.Join(s.dir, "pinned.jsonl")); err != nil {
		t.Fatalf("no pins kept: %v", err)
	}
	ctx, cancel := s.p.CallContext()
	defer cancel()
	if _, err := s.p.Client().Logout(ctx, &pb.LogoutRequest{LoginId: s.loginID}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"message-chats.jsonl", "pinned.jsonl"} {
		if _, err := os.Stat(filepath.Join(s.dir, f)); !os.IsNotExist(err) {
			t.Fatalf("%s outlives the logout: %v", f, err)
		}
	}
	if !d.HasAccount(alice) || d.Calls("unregister") != 0 || d.Calls("deleteLocalAccountData") != 0 {
		t.Fatalf("the admin's account was touched: kept %v, unregister %d, delete %d", d.HasAccount(alice), d.Calls("unregister"), d.Calls("deleteLocalAccountData"))
	}

	// Carol links by QR code, connects, and logs out; then her login
	// again, not connected (the gateway's Logout without saved state).
	for _, connected := range []bool{true, false} {
		login := linkAccount(t, s.p, d, carol, carolACI)
		if connected {
			evs := s.p.Events()
			s.p.Connect(login.LoginId, login.SavedState)
			evs.NextEvent(func(ev *pb.Event) bool {
				return ev.LoginId == carol && ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
			})
		}
		calls := d.Calls("unregister")
		if _, err := s.p.Client().Logout(ctx, &pb.LogoutRequest{LoginId: login.LoginId}); err != nil {
			t.Fatal(err)
		}
		if d.HasAccount(carol) || d.Calls("unregister") != calls+1 {
			t.Fatalf("connected %v: signal-cli still has the linked account (unregister %d)", connected, d.Calls("unregister"))
		}
	}

	// The account is gone: connecting again says so.
	ctx2, cancel2 := s.p.CallContext()
	defer cancel2()
	state, _ := json.Marshal(map[string]any{"number": carol, "linked": true})
	evs := s.p.Events()
	s.p.Client().Connect(ctx2, &pb.ConnectRequest{LoginId: carol, UserJid: plugintest.UserJID, SavedState: state})
	st := evs.NextEvent(func(ev *pb.Event) bool {
		return ev.LoginId == carol && ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS
	})
	if !strings.Contains(st.GetLoginState().Message, "log in again") {
		t.Fatalf("state %q", st.GetLoginState().Message)
	}
}

// startLink starts the plugin on d's daemon and a login by QR code:
// its client, the context of the test's calls, and the first step.
func startLink(t *testing.T, d *fakesignal.Daemon) (pb.TransportClient, context.Context, *pb.LoginStep) {
	t.Helper()
	p := plugintest.Start(t, pluginBinary(t), "", socketConfig(d))
	c := p.Client()
	ctx, cancel := p.CallContext()
	t.Cleanup(cancel)
	step, err := c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID, FlowId: "link", LoginDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return c, ctx, step
}

// linkAccount links an account by QR code, scanning as its phone.
func linkAccount(t *testing.T, p *plugintest.Plugin, d *fakesignal.Daemon, number, aci string) *pb.CompleteStep {
	t.Helper()
	ctx, cancel := p.CallContext()
	defer cancel()
	step, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID, FlowId: "link"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Scan(step.GetDisplay().GetData(), number, aci); err != nil {
		t.Fatal(err)
	}
	done, err := p.Client().WaitLogin(ctx, &pb.LoginProcessRef{ProcessId: step.ProcessId})
	if err != nil || done.GetComplete() == nil {
		t.Fatalf("link: %v %v", done, err)
	}
	return done.GetComplete()
}

// Linking: a QR code of signal-cli's link URI, a new one when it expires,
// the login once the phone scanned it.
func TestLinkByQR(t *testing.T) {
	d, _ := startFake(t)
	c, ctx, step := startLink(t, d)
	qr := step.GetDisplay()
	if qr.GetType() != pb.DisplayType_DISPLAY_TYPE_QR || !fakesignal.IsLinkURI(qr.Data) || step.Instructions == "" {
		t.Fatalf("first step: %v", step)
	}
	// Nobody scans: the code expires and a new one is shown.
	d.SetLinkTimeout(200 * time.Millisecond)
	again, err := c.WaitLogin(ctx, &pb.LoginProcessRef{ProcessId: step.ProcessId})
	if err != nil {
		t.Fatal(err)
	}
	if again.GetDisplay().GetData() == qr.Data || !fakesignal.IsLinkURI(again.GetDisplay().GetData()) || again.Error == "" {
		t.Fatalf("after expiry: %v", again)
	}
	d.SetLinkTimeout(time.Minute)
	wait := make(chan *pb.LoginStep, 1)
	go func() {
		s, err := c.WaitLogin(ctx, &pb.LoginProcessRef{ProcessId: step.ProcessId})
		if err != nil {
			t.Error(err)
		}
		wait <- s
	}()
	// The phone scans it.
	uri := again.GetDisplay().Data
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := d.Scan(uri, carol, carolACI); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
	done := (<-wait).GetComplete()
	if done == nil || done.LoginId != carol {
		t.Fatalf("complete: %v", done)
	}
	var acc map[string]string
	json.Unmarshal(done.SavedState, &acc)
	if acc["number"] != carol || acc["aci"] != carolACI {
		t.Fatalf("saved state %s", done.SavedState)
	}
	if len(d.PendingLinks()) != 1 { // the expired one's was dropped by the daemon
		t.Logf("pending links: %v", d.PendingLinks())
	}
}

// An unreachable daemon is a clear error for a login and a login state
// for a session.
func TestDaemonUnreachable(t *testing.T) {
	cfg, _ := json.Marshal(map[string]string{"socket": filepath.Join(t.TempDir(), "nobody.sock")})
	p := plugintest.Start(t, pluginBinary(t), "", cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID, FlowId: "link"})
	e := sdk.FromGRPC(err)
	if e.Code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(e.Text, "nobody.sock") {
		t.Fatalf("StartLogin: %v", err)
	}
	evs := p.Events()
	state, _ := json.Marshal(map[string]string{"number": alice})
	if _, err := p.Client().Connect(ctx, &pb.ConnectRequest{LoginId: alice, UserJid: plugintest.UserJID, SavedState: state}); err != nil {
		t.Fatal(err)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT
	})
	if !strings.Contains(ev.GetLoginState().Message, "nobody.sock") {
		t.Fatalf("state: %v", ev)
	}
}

// Malformed notifications and envelopes are passed over; what follows
// them still arrives.
func TestHostileInput(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.Notify("receive", "not an object")
	d.Notify("somethingElse", map[string]any{"x": 1})
	for _, raw := range []string{
		`"a string"`,
		`{"timestamp":"yesterday"}`,
		`{"sourceUuid":"","timestamp":5,"dataMessage":{"message":"no sender"}}`,
		`{"sourceNumber":"+15550000002","timestamp":6,"dataMessage":{"message":"bad group","groupInfo":{"groupId":"%%%","type":"DELIVER"}}}`,
		`{"sourceNumber":"+15550000002","timestamp":7,"dataMessage":{"message":"\ufffc","mentions":[{"uuid":"x","start":9,"length":-4}]}}`,
		`{"sourceNumber":"+15550000002","timestamp":8,"receiptMessage":{"isRead":true,"timestamps":[]}}`,
		`{"sourceNumber":"+15550000002","timestamp":9,"syncMessage":{}}`,
	} {
		d.DeliverRaw(alice, json.RawMessage(raw))
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("still here")}})
	ev := s.next(func(ev *pb.Event) bool {
		m := ev.GetMessage()
		if m != nil && (m.Text == "no sender" || m.Text == "bad group") {
			t.Errorf("a malformed envelope became a message: %v", ev)
		}
		return m.GetText() == "still here"
	})
	if ev.ChatId != bob {
		t.Fatalf("after malformed input: %v", ev)
	}
}

// Contacts: by number, with names and profile avatars.
func TestContacts(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	list, err := s.p.Client().ContactList(ctx, &pb.LoginRef{LoginId: s.loginID})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*pb.Contact{}
	for _, c := range list.Contacts {
		got[c.UserId] = c
	}
	if len(got) != 3 || got[alice].GetName() != "Note to Self" || got[bob].GetName() != "Bob" || got[bob].AvatarId == "" || got[carol].GetName() != "Carol" || got[carol].AvatarId != "" {
		t.Fatalf("contacts: %v", list.Contacts)
	}
	info, err := s.p.Client().UserInfo(ctx, &pb.UserRef{LoginId: s.loginID, UserId: bob})
	if err != nil || !bytes.Equal(info.Avatar, bobAvatar) || info.AvatarMime != "image/png" || info.AvatarId != got[bob].AvatarId {
		t.Fatalf("UserInfo(bob): %v %v", info, err)
	}
	if info, err := s.p.Client().UserInfo(ctx, &pb.UserRef{LoginId: s.loginID, UserId: carol}); err != nil || info.Name != "Carol" || info.Avatar != nil {
		t.Fatalf("UserInfo(carol): %v %v", info, err)
	}
	if _, err := s.p.Client().UserInfo(ctx, &pb.UserRef{LoginId: s.loginID, UserId: "nobody"}); sdk.FromGRPC(err).Code != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Fatalf("UserInfo(nobody): %v", err)
	}

	// The phone sends its contact list (as after a link): each contact
	// is announced, a new one too.
	d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Bob"}, fakesignal.Contact{Number: daveNum, UUID: daveACI, Name: "Dave"})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{Type: "CONTACTS_SYNC"}})
	seen := map[string]string{}
	for len(seen) < 2 {
		ev := s.next(func(ev *pb.Event) bool { return ev.GetContact() != nil })
		seen[ev.GetContact().Contact.UserId] = ev.GetContact().Contact.Name
	}
	if seen[bob] != "Bob" || seen[daveNum] != "Dave" {
		t.Fatalf("synced contacts: %v", seen)
	}
	// And its groups: a group the session did not know is announced.
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "New", Members: []fakesignal.Member{{Number: alice, UUID: aliceACI}, {Number: bob, UUID: bobACI}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{Type: "GROUPS_SYNC"}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == hexGroup(gid) })
	if c := ev.GetChat().Chat; c.Name != "New" || len(c.Members) != 2 {
		t.Fatalf("synced group: %v", c)
	}
}

// The existing flow gives an admin's account only to the user the config
// names, and never an account passerelle linked for someone.
func TestExistingFlowGuarded(t *testing.T) {
	d, _ := startFake(t)
	p := plugintest.Start(t, pluginBinary(t), "", socketConfig(d))
	linkAccount(t, p, d, carol, carolACI) // carol's, linked by QR code
	ctx, cancel := p.CallContext()
	defer cancel()
	try := func(user, number string) *pb.LoginStep {
		t.Helper()
		step, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: user, FlowId: "existing"})
		if err != nil {
			t.Fatal(err)
		}
		step, err = p.Client().SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: map[string]string{"account": number}})
		if err != nil {
			t.Fatal(err)
		}
		return step
	}
	for _, tc := range []struct{ user, number string }{
		{"mallory@plugintest.localhost", alice}, // not hers
		{plugintest.UserJID, carol},             // linked by someone
		{plugintest.UserJID, bob},               // not in the config
	} {
		if step := try(tc.user, tc.number); step.GetComplete() != nil || !strings.Contains(step.Error, "not an account of this gateway for you") {
			t.Errorf("%s as %s: %v", tc.number, tc.user, step)
		}
	}
	if step := try(plugintest.UserJID, alice); step.GetComplete().GetLoginId() != alice {
		t.Fatalf("alice's own: %v", step)
	}
	// Without accounts in the config, the flow is not offered.
	bare, _ := json.Marshal(map[string]string{"socket": d.Path()})
	p2 := plugintest.Start(t, pluginBinary(t), "", bare)
	flows, err := p2.Client().LoginFlows(ctx, &pb.LoginFlowsRequest{})
	if err != nil || len(flows.Flows) != 1 || flows.Flows[0].Id != "link" {
		t.Fatalf("flows: %v %v", flows, err)
	}
}

// A group where only admins post is read-only for the others, and its
// details theirs to change.
func TestGroupPermissions(t *testing.T) {
	d, _ := startFake(t)
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "Announcements", OnlyAdminsSend: true, OnlyAdminsEdit: true,
		Members: []fakesignal.Member{{Number: bob, UUID: bobACI, Admin: true}, {Number: alice, UUID: aliceACI}}})
	s := newSession(t, d)
	group := hexGroup(gid)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	chat, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group})
	if err != nil || !chat.ReadOnly || chat.Features.GetGroupTopic() || !chat.Features.GetReactions() {
		t.Fatalf("ChatInfo: %v %v", chat, err)
	}
	for _, action := range []any{&pb.SendMessage{Text: "may I?"}, &pb.SetTopic{Topic: "mine"}} {
		if res := s.do(group, action); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
			t.Errorf("%T in an admins-only group: %v", action, res)
		}
	}
	for _, r := range d.Requests(alice) {
		if r.Method == "send" || r.Method == "updateGroup" {
			t.Fatalf("refused action reached signal-cli: %v", r)
		}
	}
}

// A group's picture: fetched for the host (ChatInfo with_avatar), and a
// group update that changes it or removes it told as the group's chat
// with the picture's new ID and no members; an update that leaves it
// alone tells nothing of it.
func TestGroupPicture(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	c, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group, WithAvatar: true})
	if err != nil || c.Avatar != nil || !c.NoAvatar {
		t.Fatalf("a group without a picture: %v %v", c, err)
	}
	update := func() {
		t.Helper()
		g, _ := d.GetGroup(alice, gid)
		g.Revision++
		d.SetGroup(alice, g)
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
			GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}})
	}
	pic := []byte("\x89PNG\r\n\x1a\n a group picture")
	g, _ := d.GetGroup(alice, gid)
	g.Avatar = pic
	d.SetGroup(alice, g)
	update()
	// The picture's news: the chat with its picture's ID alone (an
	// update that changes nothing else also tells the whole group).
	isPicture := func(ev *pb.Event) bool {
		c := ev.GetChat().GetChat()
		return ev.ChatId == group && (c.GetAvatarId() != "" || c.GetNoAvatar())
	}
	ev := s.next(isPicture)
	first := ev.GetChat().Chat
	if first.AvatarId == "" || first.NoAvatar || len(first.Members) != 0 || first.Name != groupName || ev.Sender.GetUserId() != bob {
		t.Fatalf("picture set: %v", ev)
	}
	c, err = s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group, WithAvatar: true})
	if err != nil || !bytes.Equal(c.Avatar, pic) || c.AvatarMime != "image/png" || c.NoAvatar {
		t.Fatalf("the group's picture: %v %v", c, err)
	}

	// A description change leaves the picture alone: no word of it.
	g, _ = d.GetGroup(alice, gid)
	g.Description = "same picture"
	d.SetGroup(alice, g)
	update()
	s.next(func(ev *pb.Event) bool { return ev.GetTopic().GetTopic() == "same picture" })

	g, _ = d.GetGroup(alice, gid)
	g.Avatar = nil
	d.SetGroup(alice, g)
	update()
	ev = s.next(isPicture)
	if ev.GetChat().Chat.AvatarId == first.AvatarId && !ev.GetChat().Chat.NoAvatar {
		t.Fatalf("an update that left the picture alone told of it: %v", ev)
	}
	if c := ev.GetChat().Chat; !c.NoAvatar || c.AvatarId != "" {
		t.Fatalf("picture removed: %v", c)
	}
}
