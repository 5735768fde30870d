package signal

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/rpc"
)

// What tells the user something once (a request to join, an invitation,
// a call's offer and its correction) is noted told on disk only once the
// host confirmed its notice. Each test holds the host's confirmation,
// takes the login's folder as a process killed then leaves it (a copy),
// and starts a session on it, which tells the thing again: before, it
// was noted first, and the restarted session told nothing. Once
// confirmed, a session started on the folder tells it not again.

// lostConfirmationHost has every durable event, and fails the
// confirmation of those lose picks: the gateway had them, their answer
// was lost.
type lostConfirmationHost struct {
	*recordingHost
	lose func(*pb.Event) bool
}

func (h *lostConfirmationHost) EmitDurable(_ context.Context, ev *pb.Event) error {
	h.Emit(ev)
	if h.lose(ev) {
		return errors.New("confirmation lost")
	}
	return nil
}

// heldHost is a recordingHost holding its confirmations until released.
func heldHost() *recordingHost {
	return &recordingHost{hold: make(chan struct{}), entered: make(chan struct{})}
}

// waitEntered waits until a notice is on its way to h.
func waitEntered(t *testing.T, h *recordingHost) {
	t.Helper()
	select {
	case <-h.entered:
	case <-time.After(20 * time.Second):
		t.Fatal("no notice went to the host")
	}
}

// killedCopy is a copy of the login's folder dir as it is now: what a
// process killed now leaves.
func killedCopy(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "login")
	if err := os.CopyFS(out, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return out
}

// inBackground runs f, returning a channel closed when it returned.
func inBackground(f func()) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	return done
}

// waitDone waits for done, a telling h released (which may send it
// more notices).
func waitDone(t *testing.T, h *recordingHost, done chan struct{}) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case <-done:
			return
		case <-h.entered:
		case <-deadline:
			t.Fatal("the telling did not end once the host confirmed it")
		}
	}
}

func TestJoinRequestNotedOnceConfirmed(t *testing.T) {
	ctx := context.Background()
	b, _ := json.Marshal(map[string]string{"number": daveNum, "uuid": daveACI})
	g := groupEntry{RequestingMembers: []json.RawMessage{b}}
	start := func(h *recordingHost, dir string) *Session {
		return &Session{n: &Network{host: h}, loginID: "l", dir: dir, ids: loadIdentities(dir, nil), acc: Account{Number: "+15550000001"},
			requestsTold: loadRequestsTold(dir, h.Logger()), requestTimes: loadRequestTimes(dir, h.Logger())}
	}
	// Found in the groups read at a connection (no time of its own): the
	// time first given names it after the restart too.
	h, dir := heldHost(), t.TempDir()
	s := start(h, dir)
	done := inBackground(func() { s.joinRequests(ctx, "group", g, 0) })
	waitEntered(t, h)
	again := &recordingHost{}
	start(again, killedCopy(t, dir)).joinRequests(ctx, "group", g, 0)
	// The groups read at a connection meanwhile tell it not twice.
	second := inBackground(func() { s.joinRequests(ctx, "group", g, 0) })
	select {
	case <-second:
	case <-h.entered:
		t.Error("a read while the notice was on its way told it again")
	case <-time.After(20 * time.Second):
		t.Fatal("a read while the notice was on its way waited for it")
	}
	close(h.hold)
	waitDone(t, h, done)
	told := h.events()
	if len(told) != 1 {
		t.Fatalf("%d notices, want 1", len(told))
	}
	if evs := again.events(); len(evs) != 1 || !strings.Contains(evs[0].GetMessage().GetText(), "asks to join") || evs[0].EventId != told[0].EventId {
		t.Errorf("killed before the host confirmed, then started again: %v, want the request told as %s", evs, told[0].EventId)
	}
	after := &recordingHost{}
	start(after, dir).joinRequests(ctx, "group", g, 0)
	if evs := after.events(); len(evs) != 0 {
		t.Errorf("started again once confirmed: %v, want nothing told", evs)
	}
}

func TestInvitationNotedOnceConfirmed(t *testing.T) {
	ctx := context.Background()
	const bob, chat = "+15550000002", "Z3JvdXA="
	bobNum, _ := json.Marshal(map[string]any{"number": bob})
	g := groupEntry{Name: "Hikers", Members: []json.RawMessage{bobNum}}
	start := func(h *recordingHost, dir string) *Session {
		return &Session{n: &Network{host: h}, loginID: "l", dir: dir, ids: loadIdentities(dir, nil), acc: Account{Number: "+15550000001"},
			invited: loadInvitations(dir, h.Logger())}
	}
	// No time of its own (the group list the phone sends): the time
	// first given names it after the restart too.
	h, dir := heldHost(), t.TempDir()
	s := start(h, dir)
	done := inBackground(func() { s.invitation(ctx, chat, g, &pb.Sender{UserId: bob, Name: "Bob"}, 0) })
	waitEntered(t, h)
	again := &recordingHost{}
	start(again, killedCopy(t, dir)).invitation(ctx, chat, g, &pb.Sender{UserId: bob, Name: "Bob"}, 0)
	close(h.hold)
	waitDone(t, h, done)
	told := h.events()
	if len(told) != 2 || told[1].GetInvited() == nil {
		t.Fatalf("told %v, want the notice and the invitation", told)
	}
	if evs := again.events(); len(evs) != 2 || evs[1].GetInvited() == nil || evs[0].EventId != told[0].EventId {
		t.Errorf("killed before the host confirmed, then started again: %v, want the invitation told as %s", evs, told[0].EventId)
	}
	after := &recordingHost{}
	start(after, dir).invitation(ctx, chat, g, &pb.Sender{UserId: bob, Name: "Bob"}, 0)
	if evs := after.events(); len(evs) != 0 {
		t.Errorf("started again once confirmed: %v, want nothing told", evs)
	}
}

func TestCallNoticesNotedOnceConfirmed(t *testing.T) {
	const bob = "+15550000002"
	msg := func(t *testing.T, s string) *callMessage {
		c := &callMessage{}
		if err := json.Unmarshal([]byte(s), c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	start := func(h *recordingHost, dir string) *Session {
		c := rpc.Dial(filepath.Join(dir, "no-daemon.sock"), rpc.Options{})
		t.Cleanup(func() { c.Close() })
		return &Session{n: &Network{host: h}, loginID: "l", dir: dir, c: c, calls: loadRinging(dir, h.Logger())}
	}
	ringing := func(t *testing.T, dir string, rc ringingCall) {
		s := start(&recordingHost{}, dir)
		s.calls.calls["77"] = rc
		s.calls.save()
	}
	now := time.Now()
	for _, tc := range []struct {
		name string
		was  *ringingCall // kept before, else none
		tell func(context.Context, *Session)
		want string // the event ID told
	}{
		{name: "offer", want: "call-77", tell: func(ctx context.Context, s *Session) {
			s.callNotice(ctx, &pb.Sender{UserId: bob}, bob, now.UnixMilli(), msg(t, `{"offerMessage":{"id":77,"type":"AUDIO_CALL"}}`))
		}},
		{name: "answered", want: "call-77-answered", was: &ringingCall{Chat: bob, At: now, Offer: now.UnixMilli()}, tell: func(ctx context.Context, s *Session) {
			s.callNotice(ctx, &pb.Sender{UserId: bob}, bob, now.UnixMilli(), msg(t, `{"hangupMessage":{"id":77,"type":"ACCEPTED"}}`))
		}},
		{name: "hung up", want: "call-77-missed", was: &ringingCall{Chat: bob, At: now, Offer: now.UnixMilli()}, tell: func(ctx context.Context, s *Session) {
			s.callNotice(ctx, &pb.Sender{UserId: bob}, bob, now.UnixMilli(), msg(t, `{"hangupMessage":{"id":77,"type":"NORMAL"}}`))
		}},
		{name: "rung out", want: "call-77-missed", was: &ringingCall{Chat: bob, At: now.Add(-2 * ringLimit), Offer: now.Add(-2 * ringLimit).UnixMilli()},
			tell: func(_ context.Context, s *Session) { s.ringOut("77") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			h, dir := heldHost(), t.TempDir()
			if tc.was != nil {
				ringing(t, dir, *tc.was)
			}
			s := start(h, dir)
			done := inBackground(func() { tc.tell(ctx, s) })
			waitEntered(t, h)
			again := &recordingHost{}
			tc.tell(ctx, start(again, killedCopy(t, dir)))
			if evs := again.events(); len(evs) != 1 || evs[0].EventId != tc.want {
				t.Errorf("killed before the host confirmed, then started again: %v, want %s told", evs, tc.want)
			}
			close(h.hold)
			waitDone(t, h, done)
			if evs := h.events(); len(evs) != 1 || evs[0].EventId != tc.want {
				t.Fatalf("told %v, want %s", evs, tc.want)
			}
			after := &recordingHost{}
			tc.tell(ctx, start(after, dir))
			if evs := after.events(); len(evs) != 0 {
				t.Errorf("started again once confirmed: %v, want nothing told", evs)
			}
		})
	}
}

// The time of a request not confirmed is dropped with its group, when
// the user is out of it: the file does not keep it for good.
func TestRequestTimesOfGroupLeftDropped(t *testing.T) {
	dir := t.TempDir()
	h := &recordingHost{failing: true}
	s := &Session{n: &Network{host: h}, loginID: "l", dir: dir, ids: loadIdentities(dir, nil), acc: Account{Number: "+15550000001"},
		requestsTold: loadRequestsTold(dir, h.Logger()), requestTimes: loadRequestTimes(dir, h.Logger())}
	b, _ := json.Marshal(map[string]string{"number": daveNum, "uuid": daveACI})
	g := groupEntry{RequestingMembers: []json.RawMessage{b}}
	s.joinRequests(context.Background(), "left", g, 0)
	s.joinRequests(context.Background(), "out", g, 0)
	s.joinRequests(context.Background(), "in", g, 0)
	if n := len(loadRequestTimes(dir, h.Logger()).m); n != 3 {
		t.Fatalf("%d groups' times kept for requests not confirmed, want 3", n)
	}
	s.requestTimesForget("left")
	s.requestTimesKeepOnly(map[string]bool{"in": true})
	if m := loadRequestTimes(dir, h.Logger()).m; len(m) != 1 || m["in"] == nil {
		t.Fatalf("kept %v, want the times of the group the user is in alone", m)
	}
}

func TestPollCorrectionNotedOnceConfirmed(t *testing.T) {
	const ts, bob, carol = 1700000000000, "+15550000002", "+15550000003"
	for _, tc := range []struct {
		name string
		dm   *dataMessage
		who  string
	}{
		{name: "vote", who: carol, dm: &dataMessage{PollVote: &pollVote{AuthorNumber: bob, TargetSentTimestamp: ts, OptionIndexes: []int{1}, VoteCount: 1}}},
		{name: "end", who: bob, dm: &dataMessage{PollTerminate: &pollTerminate{TargetSentTimestamp: ts}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			start := func(h *recordingHost, dir string) *Session {
				s := &Session{n: &Network{host: h}, loginID: "l", dir: dir, ids: loadIdentities(dir, nil), acc: Account{Number: "+15550000001"}}
				s.polls.load(dir, h.Logger())
				return s
			}
			h, dir := heldHost(), t.TempDir()
			s := start(h, dir)
			s.polls.remember(ts, &pollEntry{author: bob, chat: "g", sender: &pb.Sender{UserId: bob}, poll: pollCreate{Question: "Q", Options: []string{"A", "B"}}})
			done := inBackground(func() { s.pollUpdate(ctx, "g", tc.who, ts+1, tc.dm) })
			waitEntered(t, h)
			again := &recordingHost{}
			start(again, killedCopy(t, dir)).pollUpdate(ctx, "g", tc.who, ts+1, tc.dm)
			if evs := again.events(); len(evs) != 1 || evs[0].GetEdit() == nil {
				t.Errorf("killed before the host confirmed, then started again: %v, want the poll corrected", evs)
			}
			close(h.hold)
			waitDone(t, h, done)
			if evs := h.events(); len(evs) != 1 || evs[0].GetEdit() == nil {
				t.Fatalf("told %v, want the poll corrected", evs)
			}
			after := &recordingHost{}
			start(after, dir).pollUpdate(ctx, "g", tc.who, ts+1, tc.dm)
			if evs := after.events(); len(evs) != 0 {
				t.Errorf("started again once confirmed: %v, want nothing told", evs)
			}
		})
	}
}

// heldForHost holds the confirmation of the notices whose event ID
// names id alone, and confirms the others at once.
type heldForHost struct {
	*recordingHost
	id string
}

func (h *heldForHost) EmitDurable(ctx context.Context, ev *pb.Event) error {
	if strings.HasSuffix(ev.EventId, "-"+h.id) {
		return h.recordingHost.EmitDurable(ctx, ev)
	}
	h.Emit(ev)
	return nil
}

// A request confirmed while an earlier one's notice is still on its
// way (a group's update read beside the groups read at a connection)
// stays noted told once the earlier one is confirmed. Before, the
// earlier one, noting itself told beside the requests it had read,
// dropped the later one from the set, which the next read told again
// under a new time.
func TestJoinRequestConfirmedMeanwhileKept(t *testing.T) {
	ctx := context.Background()
	const erinNum = "+15550000005"
	dave, _ := json.Marshal(map[string]string{"number": daveNum, "uuid": daveACI})
	erin, _ := json.Marshal(map[string]string{"number": erinNum})
	rec := heldHost()
	dir := t.TempDir()
	s := &Session{n: &Network{host: &heldForHost{recordingHost: rec, id: daveNum}}, loginID: "l", dir: dir, ids: loadIdentities(dir, nil),
		acc: Account{Number: "+15550000001"}, requestsTold: loadRequestsTold(dir, rec.Logger()), requestTimes: loadRequestTimes(dir, rec.Logger())}
	done := inBackground(func() { s.joinRequests(ctx, "group", groupEntry{RequestingMembers: []json.RawMessage{dave}}, 0) })
	waitEntered(t, rec)
	both := groupEntry{RequestingMembers: []json.RawMessage{dave, erin}}
	s.joinRequests(ctx, "group", both, 0) // erin's told and confirmed
	close(rec.hold)
	waitDone(t, rec, done)
	if n := len(rec.events()); n != 2 {
		t.Fatalf("%d notices, want dave's and erin's", n)
	}
	s.joinRequests(ctx, "group", both, 0)
	if evs := rec.events(); len(evs) != 2 {
		t.Fatalf("read again once both were confirmed: %v, want nothing more told", evs[2:])
	}
}
