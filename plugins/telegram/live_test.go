package telegram

import (
	"context"
	"encoding/json"
	"errors"
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
)

// TestLive runs against the real Telegram, only when the environment
// gives an account (see README.md, "The live test"):
//
//	TELEGRAM_LIVE_API_ID, TELEGRAM_LIVE_API_HASH  an application's pair
//	TELEGRAM_LIVE_DIR       a folder kept between runs (the session)
//	TELEGRAM_LIVE_PHONE     the account's number, for the first run
//	TELEGRAM_LIVE_PASSWORD  its 2FA password, if it has one
//	TELEGRAM_LIVE_JOIN      a group to join: a public name (golang) or
//	                        an invite link (https://t.me/+AbCdEf123)
//	TELEGRAM_LIVE_SEARCH    a name to find public groups by (golang)
//	TELEGRAM_LIVE_POLL_CHAT a chat to start and close a poll in: a
//	                        group's ID (-N, -100N) or a user's; Saved
//	                        Messages when unset
//
// The first run asks Telegram for a code and waits up to 3 minutes for
// it in the file "code" in TELEGRAM_LIVE_DIR; later runs reuse the
// session. It connects, lists contacts and chats, finds public groups
// by name, and sends one message to the account's Saved Messages; pins
// it there and finds it among the chat's pins (ChatInfo with_pins:
// PinnedMessages), with the chat's timer, then unpins it; starts a poll
// in TELEGRAM_LIVE_POLL_CHAT, closes it (ClosePoll) and waits for the
// correction to the closed poll; with TELEGRAM_LIVE_JOIN, it joins that
// group as the gateway would (join.go, join_invite.go).
func TestLive(t *testing.T) {
	id, hash, dir := os.Getenv("TELEGRAM_LIVE_API_ID"), os.Getenv("TELEGRAM_LIVE_API_HASH"), os.Getenv("TELEGRAM_LIVE_DIR")
	if id == "" || hash == "" || dir == "" {
		t.Skip("no TELEGRAM_LIVE_API_ID, TELEGRAM_LIVE_API_HASH and TELEGRAM_LIVE_DIR: the live test is off")
	}
	apiID, err := strconv.Atoi(id)
	if err != nil {
		t.Fatalf("TELEGRAM_LIVE_API_ID: %v", err)
	}
	cfg, _ := json.Marshal(map[string]any{"api_id": apiID, "api_hash": hash})
	h := newTestHost()
	n := New()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := n.Init(ctx, sdk.InitRequest{ConfigJSON: cfg, DataDir: t.TempDir()}, h); err != nil {
		t.Fatal(err)
	}
	statePath := filepath.Join(dir, "login.json")
	state, err := os.ReadFile(statePath)
	if err != nil {
		state = liveLogin(t, ctx, n, dir)
		if err := os.WriteFile(statePath, state, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var st saved
	if err := json.Unmarshal(state, &st); err != nil {
		t.Fatal(err)
	}
	s, err := n.LoadLogin(ctx, sdk.LoginInfo{LoginID: userID(st.UserID), SavedState: state, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect(ctx)
	h.wait(t, 0, "connected state", func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	cs, err := s.ContactList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	chats, err := s.ChatList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d contacts, %d groups and channels", len(cs), len(chats))
	liveSearch(t, ctx, s)
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: userID(st.UserID)}, &pb.SendMessage{Text: "passerelle live test " + time.Now().Format(time.RFC3339),
		Spans: []*pb.Span{{Start: 0, End: 10, Style: pb.Span_STYLE_BOLD}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sent message %s to Saved Messages", res.MessageID)
	liveChatInfo(t, ctx, s, userID(st.UserID), res.MessageID)
	pollChat := os.Getenv("TELEGRAM_LIVE_POLL_CHAT")
	if pollChat == "" {
		pollChat = userID(st.UserID)
	}
	livePollClose(t, ctx, s, h, pollChat)
	if join := os.Getenv("TELEGRAM_LIVE_JOIN"); join != "" {
		liveJoin(t, ctx, s, h, join)
	}
}

// liveChatInfo pins message id of chat, reads the chat's description
// (ChatInfo: its timer, known, off or set) and its pins as a ChatInfo
// asked with_pins has them (PinnedMessages): the message among them;
// then unpins it, leaving the chat as it was.
func liveChatInfo(t *testing.T, ctx context.Context, s *Session, chat, id string) {
	if err := s.Pin(ctx, sdk.Call{ChatID: chat}, &pb.Pin{TargetId: id}); err != nil {
		t.Fatalf("pin %s in %s: %v", id, chat, err)
	}
	defer func() {
		if err := s.Pin(ctx, sdk.Call{ChatID: chat}, &pb.Pin{TargetId: id, Unpin: true}); err != nil {
			t.Errorf("unpin %s in %s: %v", id, chat, err)
		}
	}()
	c, err := s.ChatInfo(ctx, chat)
	if err != nil {
		t.Fatalf("chat info of %s: %v", chat, err)
	}
	if c.GetTimer() == nil {
		t.Errorf("chat info of %s: no timer (want one, 0 when off)", chat)
	}
	t.Logf("chat %s %q: timer %d s", chat, c.GetName(), c.GetTimer().GetSeconds())
	pins, err := s.PinnedMessages(ctx, chat)
	if err != nil {
		t.Fatalf("pins of %s: %v", chat, err)
	}
	if !slices.Contains(pins, id) {
		t.Errorf("pins of %s: %v, want message %s among them", chat, pins, id)
	}
	t.Logf("chat %s: pinned %v", chat, pins)
}

// livePollClose starts a poll in chat (StartPoll), waits for the user's
// message corrected to the poll, closes it (ClosePoll) and waits for the
// correction to the closed poll, "(closed)" with its counts.
func livePollClose(t *testing.T, ctx context.Context, s *Session, h *testHost, chat string) {
	q := "passerelle live test poll " + time.Now().Format(time.RFC3339)
	from := h.count()
	res, err := s.StartPoll(ctx, sdk.Call{ChatID: chat, TxnID: "live-poll-" + strconv.FormatInt(time.Now().UnixNano(), 10)},
		&pb.Poll{Question: q, Options: []string{"Yes", "No"}})
	if err != nil {
		t.Fatalf("start a poll in %s (a chat that takes polls: TELEGRAM_LIVE_POLL_CHAT): %v", chat, err)
	}
	corrected := func(what, suffix string) {
		t.Helper()
		ev := h.wait(t, from, what, func(ev *pb.Event) bool {
			text := ev.GetEdit().GetText()
			return ev.ChatId == chat && ev.GetEdit().GetTargetId() == res.MessageID &&
				strings.HasPrefix(text, "Poll: "+q+"\n") && strings.HasSuffix(text, suffix)
		})
		if !ev.GetSender().GetIsFromMe() {
			t.Errorf("%s: from %v, want the user", what, ev.GetSender())
		}
		t.Logf("%s: %q", what, ev.GetEdit().GetText())
	}
	corrected("the poll as sent", "\n1. Yes\n2. No\n(vote with a reply: /vote 1, or in Telegram)")
	from = h.count()
	if err := s.ClosePoll(ctx, sdk.Call{ChatID: chat}, &pb.ClosePoll{TargetId: res.MessageID}); err != nil {
		t.Fatalf("close poll %s in %s: %v", res.MessageID, chat, err)
	}
	// Its counts are Telegram's: whatever votes came meanwhile.
	corrected("the poll closed", "\n(closed)")
	// Closed already: no error.
	if err := s.ClosePoll(ctx, sdk.Call{ChatID: chat}, &pb.ClosePoll{TargetId: res.MessageID}); err != nil {
		t.Errorf("close poll %s again: %v", res.MessageID, err)
	}
}

// liveSearch finds public groups by name (contacts.search, read only):
// TELEGRAM_LIVE_SEARCH, "golang" when unset, finds at least one. A
// FLOOD_WAIT is Telegram's answer, logged, not failed.
func liveSearch(t *testing.T, ctx context.Context, s *Session) {
	q := os.Getenv("TELEGRAM_LIVE_SEARCH")
	if q == "" {
		q = "golang"
	}
	found, err := s.SearchChats(ctx, &pb.SearchChats{Query: q, Limit: 5})
	var se *sdk.Error
	switch {
	case errors.As(err, &se) && se.Code == pb.ErrorCode_ERROR_CODE_RATE_LIMITED:
		t.Logf("search %q: %s", q, se.Text)
		return
	case err != nil:
		t.Fatalf("search %q: %v", q, err)
	case len(found) == 0:
		t.Fatalf("search %q found no public group", q)
	}
	for _, f := range found {
		t.Logf("found %s %q (%v, %d members, %s)", f.ChatId, f.Name, f.Type, f.MemberCount, f.Description)
	}
}

// liveJoin joins a group by its public name or its invite link, as the
// gateway asks for a join of name@ or of joinchat@ with the link as the
// room's password, and waits for the group to come. A request sent for
// an admin's approval is logged, not failed: that is Telegram's answer.
func liveJoin(t *testing.T, ctx context.Context, s *Session, h *testHost, join string) {
	call, req := sdk.Call{ChatID: join}, &pb.JoinChat{}
	if _, ok := linkHash(join); ok && !publicName(join) {
		call.ChatID, req.Password = inviteRoom, join
	}
	from := h.count()
	chat, err := s.JoinChat(ctx, call, req)
	var se *sdk.Error
	switch {
	case errors.As(err, &se) && strings.Contains(se.Text, "INVITE_REQUEST_SENT"):
		t.Logf("join %s: %s", join, se.Text)
		return
	case err != nil:
		t.Fatalf("join %s: %v", join, err)
	}
	ev := h.wait(t, from, "the joined group "+chat, func(ev *pb.Event) bool { return ev.ChatId == chat && ev.GetChat() != nil })
	c := ev.GetChat().Chat
	t.Logf("joined %s: %s %q, %d members listed", join, chat, c.Name, len(c.Members))
}

// liveLogin logs in by phone; the code comes from the file "code".
func liveLogin(t *testing.T, ctx context.Context, n *Network, dir string) []byte {
	phone := os.Getenv("TELEGRAM_LIVE_PHONE")
	if phone == "" {
		t.Fatal("no session in TELEGRAM_LIVE_DIR yet: set TELEGRAM_LIVE_PHONE for the first run")
	}
	p, err := n.StartLogin(ctx, sdk.LoginRequest{FlowID: FlowPhone, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Cancel()
	if _, err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	step := submit(t, p, map[string]string{"phone": phone})
	codeFile := filepath.Join(dir, "code")
	os.Remove(codeFile)
	for step.GetComplete() == nil {
		f := step.GetForm()
		if f == nil || step.Error != "" && !strings.Contains(step.Error, "wrong") {
			t.Fatalf("login: %v", step)
		}
		switch f.Fields[0].Id {
		case "code":
			t.Logf("write the code Telegram sent into %s", codeFile)
			var code []byte
			for deadline := time.Now().Add(3 * time.Minute); len(code) == 0; time.Sleep(time.Second) {
				if time.Now().After(deadline) {
					t.Fatal("no code in 3 minutes")
				}
				code, _ = os.ReadFile(codeFile)
			}
			os.Remove(codeFile)
			step = submit(t, p, map[string]string{"code": strings.TrimSpace(string(code))})
		case "password":
			if step.Error != "" {
				t.Fatalf("login: %s", step.Error)
			}
			step = submit(t, p, map[string]string{"password": os.Getenv("TELEGRAM_LIVE_PASSWORD")})
		default:
			t.Fatalf("login: %v", step)
		}
	}
	return step.GetComplete().SavedState
}

// The live test's pins, timer and poll closing, run on the fake Telegram
// so that a tester's run is known to work: in a private chat with a
// timer set and in a group (the poll's chat, TELEGRAM_LIVE_POLL_CHAT).
func TestLivePollAndPinsOnFake(t *testing.T) {
	srv := newFake(t)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	srv.SetTTL(alice.ID, &tg.PeerUser{UserID: bob.ID}, 86400)
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "live-pin"}, &pb.SendMessage{Text: "pin me"})
	if err != nil {
		t.Fatal(err)
	}
	liveChatInfo(t, ctx, s, "1002", res.MessageID)
	if ids, err := s.PinnedMessages(ctx, "1002"); err != nil || len(ids) != 0 {
		t.Errorf("pins after the live test: %v, %v; want none (unpinned)", ids, err)
	}
	livePollClose(t, ctx, s, h, "1002")
	livePollClose(t, ctx, s, h, "-77")
}
