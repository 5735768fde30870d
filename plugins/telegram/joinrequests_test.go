package telegram

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
	told := func() map[string][]string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(info.Dir, joinRequestsFile))
		var st map[string][]string
		if err == nil {
			err = json.Unmarshal(b, &st)
		}
		if err != nil {
			t.Fatalf("the requests told on disk: %v", err)
		}
		return st
	}
	if ids := told()["-100681"]; !slices.Equal(ids, []string{"1004"}) {
		t.Fatalf("the state file lists %v for the group, want dave's request", ids)
	}
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
