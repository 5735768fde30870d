package telegram

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// isJoinRequest matches the room's notice of user's request to join.
func isJoinRequest(chat, user string) func(*pb.Event) bool {
	return func(ev *pb.Event) bool {
		m := ev.GetMessage()
		if ev.ChatId != chat || m == nil || ev.Sender != nil || !strings.Contains(m.Text, " asks to join this ") {
			return false
		}
		return len(m.Spans) == 1 && m.Spans[0].Style == pb.Span_STYLE_MENTION && m.Spans[0].UserId == user
	}
}

// countOf counts the events since from that f matches.
func countOf(h *testHost, from int, f func(*pb.Event) bool) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, ev := range h.events[min(from, len(h.events)):] {
		if f(ev) {
			n++
		}
	}
	return n
}

// Requests to join a supergroup and a basic group the user runs, on the
// fake Telegram: each told once in the room, naming who asks (a mention
// of them); an invitation from XMPP approves one (Erin, whom her privacy
// settings keep anyone from adding), a kick refuses one; a request
// refused on the phone is forgotten, so the same person asking again is
// told again; a restart tells none again, while a new request is told.
// Before, Telegram's updatePendingJoinRequests was ignored: the room
// never heard of them, and only the phone could answer.
func TestJoinRequests(t *testing.T) {
	gina := tgfake.User{ID: 1007, FirstName: "Gina", Phone: "33600000007"}
	hal := tgfake.User{ID: 1008, FirstName: "Hal", Phone: "33600000008"}
	srv := newFake(t)
	srv.AddUser(dave)
	srv.AddUser(erin)
	srv.AddUser(gina)
	srv.AddUser(hal)
	srv.AddChannel(tgfake.Channel{ID: 680, Title: "Vetted", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID, InviteHash: "Vet", InviteRequest: true})
	s, h, info, n := connectAlice(t, srv)
	ctx := ctxT(t)

	from := h.count()
	srv.AskToJoin(680, dave.ID)
	ev := h.wait(t, from, "dave's request told", isJoinRequest("-100680", "1004"))
	if m := ev.GetMessage(); !strings.HasPrefix(m.Text, "Dave asks to join this group.") || !strings.Contains(m.Text, "inviting them") || !strings.Contains(m.Text, "banning their address") {
		t.Errorf("notice %q: want Dave asking, and how to answer", m.Text)
	}
	srv.AskToJoin(680, erin.ID)
	h.wait(t, from, "erin's request told", isJoinRequest("-100680", "1005"))
	if n := countOf(h, from, isJoinRequest("-100680", "1004")); n != 1 {
		t.Errorf("dave's request told %d times, want once", n)
	}

	// Erin approved by an invitation, though nobody may add her.
	from = h.count()
	if err := s.Invite(ctx, sdk.Call{ChatID: "-100680"}, "1005"); err != nil {
		t.Fatalf("approving erin: %v", err)
	}
	h.wait(t, from, "erin joining", isMember("-100680", pb.MemberEvent_KIND_JOINED, "1005"))
	// Dave refused by a kick.
	if err := s.Kick(ctx, sdk.Call{ChatID: "-100680"}, &pb.Kick{UserId: "1004"}); err != nil {
		t.Fatalf("refusing dave: %v", err)
	}
	c := srv.ChannelInfo(680)
	if !slices.Contains(c.Members, erin.ID) || slices.Contains(c.Members, dave.ID) || slices.Contains(c.Banned, dave.ID) || len(c.Requests) != 0 {
		t.Errorf("members %v, banned %v, requests %v: want erin in, dave out and not banned, none pending", c.Members, c.Banned, c.Requests)
	}

	// Gina refused on the phone, then asking again: told again.
	from = h.count()
	srv.AskToJoin(680, gina.ID)
	h.wait(t, from, "gina's request told", isJoinRequest("-100680", "1007"))
	srv.DismissJoinRequest(680, gina.ID)
	srv.AskToJoin(680, dave.ID) // after the dismissal's update: it is read
	h.wait(t, from, "dave's second request told", isJoinRequest("-100680", "1004"))
	srv.AskToJoin(680, gina.ID)
	h.wait(t, h.count()-1, "gina's second request told", isJoinRequest("-100680", "1007"))
	if n := countOf(h, from, isJoinRequest("-100680", "1007")); n != 2 {
		t.Errorf("gina's requests told %d times, want twice (one per request)", n)
	}

	waitToldOnDisk(t, info.Dir, "-100680", []string{"1004", "1007"}) // noted once confirmed
	// A restart: the pending requests (Dave's, Gina's) are not told
	// again, by the connection's description nor by the next update,
	// which tells Hal's; a kick still refuses Dave's.
	if err := s.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	from = h.count()
	s = connect(t, n, h, info)
	if _, err := s.ChatInfo(ctx, "-100680"); err != nil { // as the gateway does at each connection
		t.Fatal(err)
	}
	srv.AskToJoin(680, hal.ID)
	h.wait(t, from, "hal's request told", isJoinRequest("-100680", "1008"))
	if n := countOf(h, from, func(ev *pb.Event) bool {
		return isJoinRequest("-100680", "1004")(ev) || isJoinRequest("-100680", "1007")(ev)
	}); n != 0 {
		t.Errorf("%d requests told again after the restart, want none", n)
	}
	if err := s.Kick(ctx, sdk.Call{ChatID: "-100680"}, &pb.Kick{UserId: "1004"}); err != nil {
		t.Fatalf("refusing dave after the restart: %v", err)
	}
	if c := srv.ChannelInfo(680); !slices.Equal(c.Requests, []int64{gina.ID, hal.ID}) {
		t.Errorf("requests after dave's refusal %v, want gina's and hal's", c.Requests)
	}

	// Hal refused by a ban, the gesture the gateway sends for an XMPP
	// ban (outcast) of an address not in the room: refused and banned.
	if err := s.Kick(ctx, sdk.Call{ChatID: "-100680"}, &pb.Kick{UserId: "1008", Ban: true}); err != nil {
		t.Fatalf("refusing hal by a ban: %v", err)
	}
	if c := srv.ChannelInfo(680); !slices.Equal(c.Requests, []int64{gina.ID}) || !slices.Contains(c.Banned, hal.ID) || slices.Contains(c.Members, hal.ID) {
		t.Errorf("requests %v, banned %v, members %v: want hal refused and banned, gina's still pending", c.Requests, c.Banned, c.Members)
	}
}

// A basic group's requests: one made while the gateway was away told
// at the connection's description of the group (updatePendingJoinRequests
// has no pts: no catch-up brings it), approved by an invitation.
func TestJoinRequestsBasicGroup(t *testing.T) {
	srv := newFake(t)
	srv.AddUser(dave)
	s, h, info, n := connectAlice(t, srv)
	ctx := ctxT(t)
	if err := s.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	srv.AskToJoinGroup(77, dave.ID)
	from := h.count()
	s = connect(t, n, h, info)
	if _, err := s.ChatInfo(ctx, "-77"); err != nil { // as the gateway does at each connection
		t.Fatal(err)
	}
	h.wait(t, from, "dave's request told", isJoinRequest("-77", "1004"))
	if err := s.Invite(ctx, sdk.Call{ChatID: "-77"}, "1004"); err != nil {
		t.Fatalf("approving dave: %v", err)
	}
	h.wait(t, from, "dave joining", isMember("-77", pb.MemberEvent_KIND_JOINED, "1004"))
	if g := srv.GroupInfo(77); !slices.Contains(g.Members, dave.ID) || len(g.Requests) != 0 {
		t.Errorf("members %v, requests %v: want dave in, none pending", g.Members, g.Requests)
	}
}

// A group the user left, a request to join it still pending: its
// requests told are forgotten, in the login's folder too, as the Signal
// transport does. Kept, they stayed in the file for good, and, the user
// back in the group, its pending requests were never told again.
func TestJoinRequestsForgottenWhenLeft(t *testing.T) {
	srv := newFake(t)
	srv.AddUser(dave)
	srv.AddChannel(tgfake.Channel{ID: 681, Title: "Vetted", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID, InviteHash: "Vet", InviteRequest: true})
	s, h, info, _ := connectAlice(t, srv)
	ctx := ctxT(t)

	from := h.count()
	srv.AskToJoin(681, dave.ID)
	h.wait(t, from, "dave's request told", isJoinRequest("-100681", "1004"))
	told := func() map[string][]string { t.Helper(); return toldOnDisk(t, info.Dir) }
	waitToldOnDisk(t, info.Dir, "-100681", []string{"1004"})
	if err := s.LeaveChat(ctx, sdk.Call{ChatID: "-100681"}); err != nil {
		t.Fatalf("leave: %v", err)
	}
	h.wait(t, from, "the room ended", func(ev *pb.Event) bool { return ev.ChatId == "-100681" && ev.GetChatRemoved() != nil })
	if s.asks.Told("-100681", "1004") {
		t.Error("dave's request still told after the user left the group")
	}
	if ids, ok := told()["-100681"]; ok {
		t.Errorf("the state file still lists %v for the group left", ids)
	}
}

// waitNoted waits until user's request to join chat is noted told: once
// the host confirmed its notice, just after the host has it.
func waitNoted(t *testing.T, s *Session, chat, user string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !s.asks.Told(chat, user) {
		if time.Now().After(deadline) {
			t.Fatalf("%s's request to join %s never noted told", user, chat)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// toldOnDisk are the requests to join noted told in the login's folder
// dir, by chat.
func toldOnDisk(t *testing.T, dir string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, joinRequestsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var st map[string][]string
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	if err != nil {
		t.Fatalf("the requests told on disk: %v", err)
	}
	return st
}

// waitToldOnDisk waits until the folder dir notes want told of chat:
// a request is noted once the host confirmed its notice, just after
// the host has it.
func waitToldOnDisk(t *testing.T, dir, chat string, want []string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := toldOnDisk(t, dir)[chat]
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the state file lists %v for %s, want %v", got, chat, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A request to join is noted told on disk only once the gateway
// confirmed its notice: while the gateway has not, the file does not
// list it (a plugin killed then tells it again at its next start); the
// session ended before the confirmation, the next connection tells it
// again; confirmed, a restart tells it no more. Before, it was noted
// told as it was read, before its notice left: a plugin killed in
// between never told it.
func TestJoinRequestNotedOnceConfirmed(t *testing.T) {
	gina := tgfake.User{ID: 1007, FirstName: "Gina", Phone: "33600000007"}
	srv := newFake(t)
	srv.AddUser(dave)
	srv.AddUser(erin)
	srv.AddUser(gina)
	srv.AddChannel(tgfake.Channel{ID: 682, Title: "Vetted", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID, InviteHash: "Vet", InviteRequest: true})
	s, h, info, n := connectAlice(t, srv)
	ctx := ctxT(t)

	got, release := h.holdDurable()
	srv.AskToJoin(682, dave.ID)
	deadline := time.After(20 * time.Second)
	for held := false; !held; {
		select {
		case ev := <-got:
			held = isJoinRequest("-100682", "1004")(ev)
		case <-deadline:
			release(errors.New("test over"))
			t.Fatal("dave's request never reached the gateway")
		}
	}
	// The notice on its way, not confirmed: a kill now must find it untold.
	if ids := toldOnDisk(t, info.Dir)["-100682"]; slices.Contains(ids, "1004") {
		t.Errorf("dave's request noted told on disk (%v) before the gateway confirmed its notice", ids)
	}
	// Meanwhile a read of the requests (a connection's ChatInfo), which
	// Erin's too brings: hers is told, Dave's, on its way, not again.
	srv.AskToJoin(682, erin.ID)
	if _, err := s.ChatInfo(ctx, "-100682"); err != nil {
		release(errors.New("test over"))
		t.Fatal(err)
	}
	for held := false; !held; {
		select {
		case ev := <-got:
			held = isJoinRequest("-100682", "1005")(ev)
			if isJoinRequest("-100682", "1004")(ev) {
				t.Error("dave's request, on its way, told again by a read meanwhile")
			}
		case <-deadline:
			release(errors.New("test over"))
			t.Fatal("erin's request never reached the gateway")
		}
	}
	if n := countOf(h, 0, isJoinRequest("-100682", "1004")); n != 0 {
		t.Errorf("dave's request, on its way, told again %d times by a read meanwhile", n)
	}
	// The session ends before the gateway confirmed them: they are told
	// again, by the read Erin's update started (it waited for the first)
	// or by the next start's, whichever comes first; confirmed, noted.
	from := h.count()
	release(errors.New("sdk: plugin shutting down"))
	if err := s.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	s = connect(t, n, h, info)
	if _, err := s.ChatInfo(ctx, "-100682"); err != nil { // as the gateway does at each connection
		t.Fatal(err)
	}
	h.wait(t, from, "dave's request told again", isJoinRequest("-100682", "1004"))
	h.wait(t, from, "erin's request told again", isJoinRequest("-100682", "1005"))
	waitToldOnDisk(t, info.Dir, "-100682", []string{"1004", "1005"})
	if err := s.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}

	// Confirmed: a restart tells it no more, while a new request is told.
	from = h.count()
	s = connect(t, n, h, info)
	if _, err := s.ChatInfo(ctx, "-100682"); err != nil {
		t.Fatal(err)
	}
	srv.AskToJoin(682, gina.ID)
	h.wait(t, from, "gina's request told", isJoinRequest("-100682", "1007"))
	if n := countOf(h, from, isJoinRequest("-100682", "1004")); n != 0 {
		t.Errorf("dave's confirmed request told %d times again after a restart, want none", n)
	}
}
