package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	waLog "go.mau.fi/whatsmeow/util/log"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

var _ Client = (*wafake.Client)(nil)

// testHost is the gateway as the plugin sees it: it keeps every event.
type testHost struct {
	mu      sync.Mutex
	changed chan struct{}
	events  []*pb.Event
	history []*pb.HistoryBatch
	log     *slog.Logger
	// gate, when set, runs before an event is kept (outside mu): a
	// test holds the plugin's handler there.
	gate func()
	// stored, when set, answers SendHistoryWait once the batch is kept
	// (outside mu): a host that has not stored it (yet).
	stored func(context.Context, *pb.HistoryBatch) error
	// durable, when set, answers EmitDurable first: an error is a
	// gateway that did not take the event (gone, or the plugin killed
	// before it was confirmed), which is then not kept.
	durable func(*pb.Event) error
}

func newTestHost(t *testing.T) *testHost {
	return &testHost{changed: make(chan struct{}), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func (h *testHost) Emit(ev *pb.Event) {
	h.mu.Lock()
	gate := h.gate
	h.mu.Unlock()
	if gate != nil {
		gate()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, proto.Clone(ev).(*pb.Event))
	close(h.changed)
	h.changed = make(chan struct{})
}
func (h *testHost) EmitWait(_ context.Context, ev *pb.Event) error { h.Emit(ev); return nil }
func (h *testHost) EmitDurable(_ context.Context, ev *pb.Event) error {
	h.mu.Lock()
	durable := h.durable
	h.mu.Unlock()
	if durable != nil {
		if err := durable(ev); err != nil {
			return err
		}
	}
	h.Emit(ev)
	return nil
}
func (h *testHost) SendHistory(_ context.Context, b *pb.HistoryBatch) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.history = append(h.history, proto.Clone(b).(*pb.HistoryBatch))
	close(h.changed)
	h.changed = make(chan struct{})
	return nil
}

// SendHistoryWait keeps b as SendHistory does; the host "stores" it
// then, unless stored is set: its answer.
func (h *testHost) SendHistoryWait(ctx context.Context, b *pb.HistoryBatch) error {
	if err := h.SendHistory(ctx, b); err != nil {
		return err
	}
	h.mu.Lock()
	stored := h.stored
	h.mu.Unlock()
	if stored != nil {
		return stored(ctx, b)
	}
	return nil
}
func (h *testHost) Logger() *slog.Logger { return h.log }

// next waits for the first event after index from that match wants and
// returns it with its index.
func (h *testHost) next(t *testing.T, from int, match func(*pb.Event) bool) (*pb.Event, int) {
	t.Helper()
	return h.nextFrom(t, from, eventWait, match)
}

// nextWithin is next from the start, waiting up to d.
func (h *testHost) nextWithin(t *testing.T, d time.Duration, match func(*pb.Event) bool) (*pb.Event, int) {
	t.Helper()
	return h.nextFrom(t, 0, d, match)
}

func (h *testHost) nextFrom(t *testing.T, from int, d time.Duration, match func(*pb.Event) bool) (*pb.Event, int) {
	t.Helper()
	deadline := time.After(d)
	for {
		h.mu.Lock()
		for i := from; i < len(h.events); i++ {
			if match(h.events[i]) {
				ev := h.events[i]
				h.mu.Unlock()
				return ev, i
			}
		}
		ch := h.changed
		n := len(h.events)
		h.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			h.mu.Lock()
			defer h.mu.Unlock()
			var got []string
			for _, ev := range h.events[from:] {
				got = append(got, ev.String())
			}
			t.Fatalf("no matching event after %d (of %d):\n%s", from, n, strings.Join(got, "\n"))
		}
	}
}

// since is a copy of the events from index from on.
func (h *testHost) since(from int) []*pb.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*pb.Event(nil), h.events[from:]...)
}

func (h *testHost) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.events)
}

func isState(st pb.LoginState) func(*pb.Event) bool {
	return func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == st }
}

// rig is a network on fakes with a test host.
type rig struct {
	n    *Network
	host *testHost
	made *wafake.Made
	caps *pb.Capabilities // Init's answer
}

func newRig(t *testing.T, config string) *rig {
	t.Helper()
	made := wafake.NewMade()
	n := NewWithClient(func(dev *store.Device, log waLog.Logger) Client { return made.New(dev, log) })
	// Never WhatsApp Web: no version newer than the pinned one.
	n.SetVersionLookup(func(context.Context) (store.WAVersionContainer, error) {
		return store.WAVersionContainer{}, errors.New("no network in tests")
	})
	n.SetFetch(func(_ context.Context, url string) ([]byte, error) {
		if url == "https://pps.invalid/alice.jpg" {
			return []byte("JPEG alice"), nil
		}
		return nil, errors.New("no such picture")
	})
	h := newTestHost(t)
	caps, err := n.Init(context.Background(), sdk.InitRequest{ConfigJSON: []byte(config), DataDir: t.TempDir()}, h)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	return &rig{n: n, host: h, made: made, caps: caps}
}

var phone = types.NewJID("33600000000", types.DefaultUserServer)

// loginQR logs in by QR code into dir, the test "scanning" the second
// code, and returns the completed step.
func (r *rig) loginQR(t *testing.T, dir string) *pb.CompleteStep {
	t.Helper()
	return r.loginQRStep(t, dir).GetComplete()
}

// loginQRStep is loginQR's last step whole, with its instructions.
func (r *rig) loginQRStep(t *testing.T, dir string) *pb.LoginStep {
	t.Helper()
	// 30 s: CI runs every package at once; 10 s ran out under load.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := r.n.StartLogin(ctx, sdk.LoginRequest{ProcessID: "p1", UserJID: "u@example.org", FlowID: flowQR, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	step, err := p.Start(ctx)
	if err != nil || step.GetDisplay().GetType() != pb.DisplayType_DISPLAY_TYPE_QR || step.GetDisplay().GetData() != "2@fake-qr-1" {
		t.Fatalf("first step: %v, %v", step, err)
	}
	fake, err := r.made.Wait(len(r.made.All())-1, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fake.RotateQR("2@fake-qr-2")
	w := p.(sdk.LoginWaiter)
	step, err = w.Wait(ctx)
	if err != nil || step.GetDisplay().GetData() != "2@fake-qr-2" {
		t.Fatalf("rotated code: %v, %v", step, err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		if err := fake.Scan(ctx, phone, "Me"); err != nil {
			t.Error(err)
			cancel()
		}
	}()
	step, err = w.Wait(ctx)
	if err != nil || step.GetComplete() == nil {
		cancel()
		<-scanned // its t.Error not after the test's end (a panic)
		t.Fatalf("after the scan: %v, %v", step, err)
	}
	<-scanned // its Connected dispatched: not told later, mid-test
	return step
}

func TestLoginQRThenConnect(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	step := r.loginQRStep(t, dir)
	done := step.GetComplete()
	if done.LoginId != "+33600000000" || done.DisplayName != "Me (+33600000000)" {
		t.Errorf("completed: %v", done)
	}
	// The gateway shows it after "You are logged in": the history sync
	// that follows the pairing comes in over a while.
	if step.Instructions != historyOnItsWay {
		t.Errorf("instructions on the completed step: %q, want %q", step.Instructions, historyOnItsWay)
	}
	var st savedState
	if err := json.Unmarshal(done.SavedState, &st); err != nil || st.JID != "33600000000@s.whatsapp.net" {
		t.Errorf("saved state %q: %v", done.SavedState, err)
	}
	if _, err := os.Stat(filepath.Join(dir, dbName)); err != nil {
		t.Errorf("no database in the login's folder: %v", err)
	}

	// The session takes over the connected device.
	s, err := r.n.LoadLogin(context.Background(), sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.host.next(t, 0, isState(pb.LoginState_LOGIN_STATE_CONNECTED))
	_ = s.Disconnect(context.Background())

	// After a restart: a new network reads the device from the folder.
	r2 := newRig(t, "")
	s2, err := r2.n.LoadLogin(context.Background(), sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if s2.d.dev == nil || s2.d.dev.ID == nil || *s2.d.dev.ID != phone {
		t.Fatalf("device after restart: %+v", s2.d.dev)
	}
	if err := s2.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	r2.host.next(t, 0, isState(pb.LoginState_LOGIN_STATE_CONNECTING))
	r2.host.next(t, 0, isState(pb.LoginState_LOGIN_STATE_CONNECTED))

	// Logout removes the device from the database.
	if err := s2.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	r3 := newRig(t, "")
	s3, err := r3.n.LoadLogin(context.Background(), sdk.LoginInfo{LoginID: done.LoginId, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if s3.d.dev != nil {
		t.Errorf("a device is left after logout: %v", s3.d.dev.ID)
	}
	_ = s3.Connect(context.Background())
	r3.host.next(t, 0, isState(pb.LoginState_LOGIN_STATE_LOGGED_OUT))
	s3.Disconnect(context.Background())
}

func TestLoginQRTimeoutThenRetry(t *testing.T) {
	r := newRig(t, "")
	ctx := context.Background()
	p, err := r.n.StartLogin(ctx, sdk.LoginRequest{FlowID: flowQR, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	fake, _ := r.made.Wait(0, time.Second)
	fake.ExpireQR()
	step, err := p.(sdk.LoginWaiter).Wait(ctx)
	if err != nil || step.GetForm() == nil || !strings.Contains(step.Error, "No QR code was scanned in time") {
		t.Fatalf("after the codes ran out: %v, %v", step, err)
	}
	step, err = p.(sdk.LoginSubmitter).Submit(ctx, map[string]string{"retry": "true"})
	if err != nil || step.GetDisplay().GetType() != pb.DisplayType_DISPLAY_TYPE_QR {
		t.Fatalf("retry: %v, %v", step, err)
	}
	if _, err := r.made.Wait(1, time.Second); err != nil {
		t.Errorf("the retry made no new client: %v", err)
	}
	p.Cancel()
}

func TestLoginPhoneCode(t *testing.T) {
	r := newRig(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := r.n.StartLogin(ctx, sdk.LoginRequest{FlowID: flowPhone, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	step, err := p.Start(ctx)
	if err != nil || step.GetForm() == nil {
		t.Fatalf("start: %v, %v", step, err)
	}
	sub := p.(sdk.LoginSubmitter)
	step, err = sub.Submit(ctx, map[string]string{"phone": "hello"})
	if err != nil || step.GetForm() == nil || step.Error == "" {
		t.Fatalf("a wrong number must be asked again: %v, %v", step, err)
	}
	step, err = sub.Submit(ctx, map[string]string{"phone": "+33 6 00 00 00 00"})
	if err != nil || step.GetDisplay().GetType() != pb.DisplayType_DISPLAY_TYPE_CODE || step.GetDisplay().GetData() != "FAKE-CODE" {
		t.Fatalf("code step: %v, %v", step, err)
	}
	fake, _ := r.made.Wait(len(r.made.All())-1, time.Second)
	if fake.PairedPhone() != "33600000000" {
		t.Errorf("PairPhone got %q", fake.PairedPhone())
	}
	go fake.Scan(ctx, phone, "")
	step, err = p.(sdk.LoginWaiter).Wait(ctx)
	if err != nil || step.GetComplete().GetLoginId() != "+33600000000" {
		t.Fatalf("after typing the code: %v, %v", step, err)
	}
	if step.Instructions != historyOnItsWay {
		t.Errorf("instructions on the completed step: %q, want %q", step.Instructions, historyOnItsWay)
	}
}

// With history_days = -1 no history comes: the completed step promises
// none.
func TestLoginNoHistoryNoPromise(t *testing.T) {
	r := newRig(t, `{"history_days": -1}`)
	if step := r.loginQRStep(t, t.TempDir()); step.Instructions != "" {
		t.Errorf("instructions with history_days -1: %q", step.Instructions)
	}
}

func TestLoginPhoneCodeExpires(t *testing.T) {
	setFor(t, pairCodeWait, 50*time.Millisecond)
	r := newRig(t, "")
	ctx := context.Background()
	p, _ := r.n.StartLogin(ctx, sdk.LoginRequest{FlowID: flowPhone, Dir: t.TempDir()})
	p.Start(ctx)
	if _, err := p.(sdk.LoginSubmitter).Submit(ctx, map[string]string{"phone": "+33600000000"}); err != nil {
		t.Fatal(err)
	}
	step, err := p.(sdk.LoginWaiter).Wait(ctx)
	if err != nil || step.GetForm() == nil || !strings.Contains(step.Error, "not typed in time") {
		t.Fatalf("expired code: %v, %v", step, err)
	}
	p.Cancel()
}

func TestOldMediaSpoolRemoved(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, mediaDirName, "up-123")
	if err := os.MkdirAll(filepath.Dir(old), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(old, []byte("left by a crash"), 0o600); err != nil {
		t.Fatal(err)
	}
	n := NewWithClient(nil)
	if _, err := n.Init(context.Background(), sdk.InitRequest{DataDir: dir}, newTestHost(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("old spooled file still there: %v", err)
	}
}

func TestConfigRefused(t *testing.T) {
	for _, bad := range []string{`{"histroy_days": 3}`, `{"history_days": -5}`, `[`} {
		n := NewWithClient(nil)
		if _, err := n.Init(context.Background(), sdk.InitRequest{ConfigJSON: []byte(bad)}, newTestHost(t)); err == nil {
			t.Errorf("config %s accepted", bad)
		}
	}
}

// connected logs in and connects, and returns the session and its fake.
func (r *rig) connected(t *testing.T) (*Session, *wafake.Client) {
	t.Helper()
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	return r.load(t, sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir})
}

// load loads a login and connects it, as the plugin does at start.
func (r *rig) load(t *testing.T, info sdk.LoginInfo) (*Session, *wafake.Client) {
	t.Helper()
	s, err := r.n.LoadLogin(context.Background(), info)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Disconnect(context.Background()) })
	r.host.next(t, 0, isState(pb.LoginState_LOGIN_STATE_CONNECTED))
	fake, _ := r.made.Wait(len(r.made.All())-1, time.Second)
	return s, fake
}

// The connection's states, through whatsmeow's own dispatch.
func TestConnectionStates(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	cases := []struct {
		evt  any
		want pb.LoginState
		text string
	}{
		{&events.KeepAliveTimeout{ErrorCount: 3, LastSuccess: when}, pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, "3 keep-alives missed"},
		{&events.KeepAliveRestored{}, pb.LoginState_LOGIN_STATE_CONNECTED, "answers again"},
		{&events.StreamReplaced{}, pb.LoginState_LOGIN_STATE_STOPPED, "relogin"},
		{&events.TemporaryBan{Code: events.TempBanSentToTooManyPeople, Expire: time.Hour}, pb.LoginState_LOGIN_STATE_STOPPED, "1h0m0s"},
		{&events.ClientOutdated{}, pb.LoginState_LOGIN_STATE_STOPPED, "newer passerelle"},
		{&events.LoggedOut{Reason: events.ConnectFailureLoggedOut}, pb.LoginState_LOGIN_STATE_LOGGED_OUT, "log in again"},
	}
	for _, tc := range cases {
		from := r.host.count()
		fake.Emit(tc.evt)
		// The connection's own "connected" state may still come in
		// between (Connect's and whatsmeow's Connected both say it).
		ev, _ := r.host.next(t, from, func(ev *pb.Event) bool {
			st := ev.GetLoginState()
			return st.GetState() == tc.want && strings.Contains(st.GetMessage(), tc.text)
		})
		if ev.LoginId != "+33600000000" {
			t.Errorf("%T: login %q", tc.evt, ev.LoginId)
		}
	}
}

// Messages through whatsmeow's HandleDecryptedMessage, as if decrypted
// from the server: unwrapped and dispatched by whatsmeow itself.
func TestIncomingThroughWhatsmeow(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "IN1", Timestamp: when, PushName: "Alice"},
		&waE2E.Message{EphemeralMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{Conversation: proto.String("hi there")}}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "hi there" || ev.ChatId != "+33611111111" || ev.EventId != "IN1" || ev.LoginId != "+33600000000" || string(ev.Meta) != "33611111111@s.whatsapp.net|0||"+strconv.FormatInt(when.UnixMilli(), 10) {
		t.Errorf("message: %v", ev)
	}

	// An edit, as the phone sends it.
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "ED1", Timestamp: when, Edit: types.EditAttributeMessageEdit},
		&waE2E.Message{EditedMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(), Key: key(alice, "IN1", false), EditedMessage: &waE2E.Message{Conversation: proto.String("hi there!")}}}}})
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if ev.GetEdit().TargetId != "IN1" || ev.GetEdit().Text != "hi there!" {
		t.Errorf("edit: %v", ev)
	}

	// A receipt and typing, dispatched.
	fake.Emit(&events.Receipt{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, MessageIDs: []string{"OUT1"}, Type: types.ReceiptTypeRead, Timestamp: when})
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetReceipt() != nil })
	if ev.GetReceipt().Kind != pb.ReceiptEvent_KIND_READ || ev.GetReceipt().MessageIds[0] != "OUT1" {
		t.Errorf("receipt: %v", ev)
	}
	fake.Emit(&events.ChatPresence{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, State: types.ChatPresenceComposing})
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetTyping().GetState() == pb.TypingState_TYPING_STATE_COMPOSING })

	// Statuses are not chats.
	n := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: types.StatusBroadcastJID, Sender: alice, IsGroup: true}, ID: "ST1", Timestamp: when},
		&waE2E.Message{Conversation: proto.String("my status")})
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "IN2", Timestamp: when}, &waE2E.Message{Conversation: proto.String("fence")})
	ev, i := r.host.next(t, n, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "fence" {
		t.Errorf("a status came through: %v (at %d)", ev, i)
	}
}

func TestOutgoing(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	aliceMeta := msgMeta{Sender: alice}.encode()

	res, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.SendMessage{
		Text: "hi Alice, bold", Spans: []*pb.Span{{Start: 3, End: 8, Style: pb.Span_STYLE_MENTION, UserId: "+33611111111"}, {Start: 10, End: 14, Style: pb.Span_STYLE_BOLD}},
		ReplyToId: "IN1", ReplyToMeta: aliceMeta,
	})
	if err != nil || res.MessageID == "" || !strings.HasPrefix(string(res.Meta), "33600000000@s.whatsapp.net|1||") {
		t.Fatalf("send: %v, %v", res, err)
	}
	sent, _ := fake.WaitSent(1, eventWait)
	ext := sent[0].Msg.GetExtendedTextMessage()
	if sent[0].To != alice || ext.GetText() != "hi @33611111111, *bold*" || ext.GetContextInfo().GetStanzaID() != "IN1" ||
		!slices.Equal(ext.GetContextInfo().GetMentionedJID(), []string{alice.String()}) {
		t.Errorf("sent: %v to %v", sent[0].Msg, sent[0].To)
	}

	// Edit, react, retract, read, typing, presence.
	if _, err := s.EditMessage(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.EditMessage{TargetId: res.MessageID, TargetMeta: res.Meta, Text: "fixed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EditMessage(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.EditMessage{TargetId: "IN1", TargetMeta: aliceMeta, Text: "theirs"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Errorf("editing someone else's message: %v", err)
	}
	if _, err := s.React(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.React{TargetId: "IN1", TargetMeta: aliceMeta, Emojis: []string{"👍"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retract(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.Retract{TargetId: res.MessageID, TargetMeta: res.Meta}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.React(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.React{TargetId: "IN1", Emojis: []string{"👍"}}); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("a reaction without metadata: %v", err)
	}
	sent, _ = fake.WaitSent(4, eventWait)
	if sent[1].Msg.GetEditedMessage().GetMessage().GetProtocolMessage().GetEditedMessage().GetConversation() != "fixed" ||
		sent[2].Msg.GetReactionMessage().GetText() != "👍" || sent[3].Msg.GetProtocolMessage().GetType() != waE2E.ProtocolMessage_REVOKE {
		t.Errorf("edit, reaction, revoke: %v", sent[1:])
	}
	if err := s.MarkRead(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.MarkRead{UpToId: "IN1", UpToMeta: aliceMeta}); err != nil {
		t.Fatal(err)
	}
	if rd := fake.Reads(); len(rd) != 1 || rd[0].IDs[0] != "IN1" || rd[0].Chat != alice {
		t.Errorf("reads: %v", rd)
	}
	if err := s.SetTyping(ctx, sdk.Call{ChatID: "+33611111111"}, pb.TypingState_TYPING_STATE_COMPOSING); err != nil {
		t.Fatal(err)
	}
	if ty := fake.Typings(); len(ty) != 1 || ty[0].State != types.ChatPresenceComposing {
		t.Errorf("typing: %v", ty)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "nobody"}, &pb.SendMessage{Text: "x"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("send to a bad chat ID: %v", err)
	}
	fake.SendErr = whatsmeow.ErrNotConnected
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.SendMessage{Text: "x"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("send while disconnected: %v", err)
	}
}

func TestMediaBothWays(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()

	// Out: streamed in, uploaded, sent with the text as caption.
	id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "cat.jpg", MimeType: "image/jpeg"}, strings.NewReader("JPEGDATA"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.SendMessage{Text: "my cat",
		Attachments: []*pb.Attachment{{Name: "cat.jpg", MimeType: "image/jpeg", Source: &pb.Attachment_UploadId{UploadId: id}}}}); err != nil {
		t.Fatal(err)
	}
	sent, _ := fake.WaitSent(1, eventWait)
	img := sent[0].Msg.GetImageMessage()
	if img.GetCaption() != "my cat" || string(fake.Media(img.GetDirectPath())) != "JPEGDATA" {
		t.Errorf("image sent: %v", sent[0].Msg)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.SendMessage{
		Attachments: []*pb.Attachment{{Name: "x", Source: &pb.Attachment_UploadId{UploadId: id}}}}); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("an upload used twice: %v", err)
	}

	// In: the event's reference downloads the file.
	fake.AddMedia("/v/doc", []byte("%PDF-1.7"))
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "DOC1", Timestamp: when},
		&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{DirectPath: proto.String("/v/doc"), Mimetype: proto.String("application/pdf"), FileName: proto.String("a.pdf"), FileLength: proto.Uint64(8)}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	a := ev.GetMessage().Attachments[0]
	info, rc, err := s.DownloadMedia(ctx, ev.ChatId, a.GetRef())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "%PDF-1.7" || info.Size != 8 || a.Name != "a.pdf" {
		t.Errorf("downloaded %q (%v) of %v", b, info, a)
	}
	if _, _, err := s.DownloadMedia(ctx, ev.ChatId, "!!"); codeOf(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("a damaged reference: %v", err)
	}
	fake.AddMedia("/v/doc", nil)
	gone, _, _ := decodeRef(a.GetRef())
	gone.DocumentMessage.DirectPath = proto.String("/v/gone")
	if _, _, err := s.DownloadMedia(ctx, ev.ChatId, encodeMediaRef(gone)); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("an expired file: %v", err)
	}
}

// codeOf is an error's contract code (UNSPECIFIED for nil too).
func codeOf(err error) pb.ErrorCode {
	if err == nil {
		return pb.ErrorCode_ERROR_CODE_UNSPECIFIED
	}
	return sdk.ToProto(err).GetCode()
}

// A Logout of a login not connected since the plugin started (the
// gateway's after a restart, or one owed while the plugin was down)
// dials first: WhatsApp hears of it and unlinks the device, instead of
// the device staying linked on the phone while only the folder forgets
// it.
func TestLogoutNotConnected(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)

	r2 := newRig(t, "") // a new plugin process
	s, err := r2.n.LoadLogin(context.Background(), sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	fake, err := r2.made.Wait(0, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if fake.IsConnected() {
		t.Fatal("loading a login connected it")
	}
	if err := s.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !fake.Unlinked() {
		t.Fatal("WhatsApp never heard the logout of a login not connected")
	}
	r3 := newRig(t, "")
	s3, err := r3.n.LoadLogin(context.Background(), sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if s3.d.dev != nil && s3.d.dev.ID != nil {
		t.Errorf("a device is left after logout: %v", s3.d.dev.ID)
	}
}

// Several files in one message: one WhatsApp message each; the result
// names the first and its meta the others, so that retracting it
// deletes them all.
func TestSeveralFilesRetracted(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	var atts []*pb.Attachment
	for _, name := range []string{"a.jpg", "b.jpg", "c.jpg"} {
		id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: name, MimeType: "image/jpeg"}, strings.NewReader("JPEG "+name))
		if err != nil {
			t.Fatal(err)
		}
		atts = append(atts, &pb.Attachment{Name: name, MimeType: "image/jpeg", Source: &pb.Attachment_UploadId{UploadId: id}})
	}
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.SendMessage{Text: "three", Attachments: atts})
	if err != nil {
		t.Fatal(err)
	}
	sent, _ := fake.WaitSent(3, eventWait)
	m, err := decodeMeta(res.Meta)
	if err != nil || res.MessageID != sent[0].ID || !m.FromMe || !slices.Equal(m.Parts, []types.MessageID{sent[1].ID, sent[2].ID}) {
		t.Fatalf("result %v (meta %v, %v), sent %v", res, m, err, sent)
	}
	if _, err := s.Retract(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.Retract{TargetId: res.MessageID, TargetMeta: res.Meta}); err != nil {
		t.Fatal(err)
	}
	sent, _ = fake.WaitSent(6, eventWait)
	var revoked []types.MessageID
	for _, x := range sent[3:] {
		if pm := x.Msg.GetProtocolMessage(); pm.GetType() == waE2E.ProtocolMessage_REVOKE && pm.GetKey().GetFromMe() {
			revoked = append(revoked, pm.GetKey().GetID())
		}
	}
	if !slices.Equal(revoked, []types.MessageID{sent[0].ID, sent[1].ID, sent[2].ID}) {
		t.Errorf("revoked %v, want the three", revoked)
	}
}

// Disconnect while whatsmeow hands the session an event returns: the
// handler takes the session's lock, and whatsmeow removes a handler
// under the lock its dispatch holds while a handler runs, so removing it
// under the session's lock deadlocked (the WhatsApp package hung in CI).
func TestDisconnectDuringEvent(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	inHandler, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	r.host.mu.Lock()
	r.host.gate = func() {
		once.Do(func() {
			close(inHandler)
			<-release
		})
	}
	r.host.mu.Unlock()
	dispatched := make(chan struct{})
	go func() {
		fake.Emit(&events.Connected{}) // its handler emits, then takes s.mu
		close(dispatched)
	}()
	<-inHandler
	disconnected := make(chan struct{})
	go func() {
		s.Disconnect(context.Background())
		close(disconnected)
	}()
	// Let Disconnect reach the handler's removal, then the handler go on.
	time.Sleep(100 * time.Millisecond)
	close(release)
	for _, c := range []struct {
		done chan struct{}
		what string
	}{{disconnected, "Disconnect"}, {dispatched, "the event's handler"}} {
		select {
		case <-c.done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s never returned: deadlocked with the other", c.what)
		}
	}
}
