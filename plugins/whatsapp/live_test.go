package whatsapp

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The live tests talk to WhatsApp's real servers, so they run only when
// asked (see README.md, "Live test"):
//
//	PASSERELLE_WA_LIVE_PAIR=DIR  TestLivePair links a new device into DIR:
//	                             it prints QR codes to scan with the phone.
//	PASSERELLE_WA_LIVE_DIR=DIR   TestLive connects the device paired in DIR,
//	                             lists contacts and groups and, with
//	                             PASSERELLE_WA_LIVE_TO=+<phone> (or a
//	                             group's <id>@g.us), sends one text there,
//	                             pins it ("/pins" lists it) and unpins it,
//	                             and sets the chat's disappearing-messages
//	                             timer to 24 hours ("/timer" says so) and
//	                             back.
const (
	envLivePair = "PASSERELLE_WA_LIVE_PAIR"
	envLiveDir  = "PASSERELLE_WA_LIVE_DIR"
	envLiveTo   = "PASSERELLE_WA_LIVE_TO"
)

func TestLivePair(t *testing.T) {
	dir := os.Getenv(envLivePair)
	if dir == "" {
		t.Skip(envLivePair + " not set: no live pairing")
	}
	n := New()
	h := newTestHost(t)
	if _, err := n.Init(context.Background(), sdk.InitRequest{DataDir: t.TempDir()}, h); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p, err := n.StartLogin(ctx, sdk.LoginRequest{FlowID: flowQR, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Cancel()
	step, err := p.Start(ctx)
	for err == nil && step.GetComplete() == nil {
		if d := step.GetDisplay(); d != nil {
			t.Logf("scan this QR code (render it with: qrencode -t ansiutf8 '%s')", d.Data)
		} else if step.Error != "" {
			t.Fatalf("pairing: %s", step.Error)
		}
		step, err = p.(sdk.LoginWaiter).Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("paired as %s in %s", step.GetComplete().LoginId, dir)
	if d := n.paired[step.GetComplete().LoginId]; d != nil {
		d.close()
	}
}

func TestLive(t *testing.T) {
	dir := os.Getenv(envLiveDir)
	if dir == "" {
		t.Skip(envLiveDir + " not set: no live test")
	}
	n := New()
	h := newTestHost(t)
	if _, err := n.Init(context.Background(), sdk.InitRequest{DataDir: t.TempDir()}, h); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := n.LoadLogin(ctx, sdk.LoginInfo{LoginID: "live", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect(ctx)
	if s.d.dev == nil {
		t.Fatalf("no paired device in %s (make one with %s)", dir, envLivePair)
	}
	s.login.LoginID = loginIDOf(s.d.dev.ID.User)
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	ev, _ := h.nextWithin(t, time.Minute, isState(pb.LoginState_LOGIN_STATE_CONNECTED))
	t.Logf("connected: %s", ev.GetLoginState().Message)
	cs, err := s.ContactList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	chats, err := s.ChatList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d contacts, %d groups", len(cs), len(chats))
	if to := os.Getenv(envLiveTo); to != "" {
		res, err := s.SendMessage(ctx, sdk.Call{ChatID: to}, &pb.SendMessage{Text: "passerelle live test " + time.Now().Format(time.RFC3339)})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("sent %s to %s", res.MessageID, to)
		livePinCheck(ctx, t, s, to, res)
		liveTimerCheck(ctx, t, s, to)
	}
}

// livePinCheck pins the message sent, sees it in ChatInfo's pins ("/pins"),
// unpins it and sees it gone.
func livePinCheck(ctx context.Context, t *testing.T, s *Session, to string, sent sdk.Result) {
	t.Helper()
	pinned := func() bool {
		t.Helper()
		c, err := s.ChatInfo(ctx, to)
		if err != nil {
			t.Fatalf("ChatInfo of %s: %v", to, err)
		}
		return slices.Contains(c.PinnedIds, sent.MessageID)
	}
	for _, unpin := range []bool{false, true} {
		txn := "live-pin-" + strconv.FormatBool(unpin) + "-" + time.Now().Format(time.RFC3339Nano)
		err := s.Pin(ctx, sdk.Call{ChatID: to, TxnID: txn}, &pb.Pin{TargetId: sent.MessageID, TargetMeta: sent.Meta, Unpin: unpin})
		if codeOf(err) == pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
			t.Logf("pins not tried: %v (a group where only admins pin)", err)
			return
		}
		if err != nil {
			t.Fatalf("pin (unpin %v) of %s: %v", unpin, sent.MessageID, err)
		}
		if got := pinned(); got == unpin {
			t.Errorf("after the pin (unpin %v): pinned %v", unpin, got)
		}
	}
	t.Logf("pinned %s in %s, and unpinned it", sent.MessageID, to)
}

// liveTimerCheck sets the chat's disappearing-messages timer to 24 hours,
// sees it in ChatInfo ("/timer"), and sets it back as it was (off when
// the plugin did not know it).
func liveTimerCheck(ctx context.Context, t *testing.T, s *Session, to string) {
	t.Helper()
	timer := func() *pb.ChatTimer {
		t.Helper()
		c, err := s.ChatInfo(ctx, to)
		if err != nil {
			t.Fatalf("ChatInfo of %s: %v", to, err)
		}
		return c.Timer
	}
	before := timer()
	if before == nil {
		t.Logf("timer of %s before: not known (set back to off)", to)
	} else {
		t.Logf("timer of %s before: %d s", to, before.GetSeconds())
	}
	set := func(d time.Duration) error {
		return s.SetChatTimer(ctx, sdk.Call{ChatID: to, TxnID: "live-timer-" + time.Now().Format(time.RFC3339Nano)}, d)
	}
	if err := set(24 * time.Hour); codeOf(err) == pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Logf("timer not tried: %v (a group where only admins change it)", err)
		return
	} else if err != nil {
		t.Fatalf("set the timer of %s to 24 hours: %v", to, err)
	}
	defer func() {
		if err := set(time.Duration(before.GetSeconds()) * time.Second); err != nil {
			t.Errorf("set the timer of %s back to %v: %v", to, before, err)
		}
	}()
	if got := timer(); got.GetSeconds() != 86400 {
		t.Errorf("timer of %s after /timer 24h: %v, want 86400 s", to, got)
	}
}
