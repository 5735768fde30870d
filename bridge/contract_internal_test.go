package bridge

import (
	"testing"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// A nick change is refused with not-acceptable by a network without
// set_nick, with conflict when another occupant holds the nick (even with
// set_nick), and goes to the network otherwise.
func TestNickRefusal(t *testing.T) {
	for _, c := range []struct {
		setNick, taken bool
		want           wire.Condition
	}{
		{false, false, wire.NotAcceptable},
		{false, true, wire.Conflict},
		{true, true, wire.Conflict},
		{true, false, ""},
	} {
		got, text := nickRefusal(c.setNick, c.taken, "bob", "#go@x", "Echo")
		if got != c.want || (got != "" && text == "") {
			t.Errorf("set_nick=%v taken=%v: %q %q, want %q", c.setNick, c.taken, got, text, c.want)
		}
	}
}

func TestProgressText(t *testing.T) {
	for _, c := range []struct {
		p    *pb.ProgressEvent
		want string
	}{
		{&pb.ProgressEvent{Task: "history", Unit: "chats", Done: 40, Total: 120}, "history: 40 of 120 chats"},
		{&pb.ProgressEvent{Task: "history", Unit: "messages", Done: 7}, "history: 7 messages"},
		{&pb.ProgressEvent{Task: "history", Done: 130, Total: 120}, "history: 120 of 120"},
		{&pb.ProgressEvent{Task: "contacts"}, "contacts"},
		{&pb.ProgressEvent{Task: "contacts", Done: -3, Total: -1}, "contacts"},
		{&pb.ProgressEvent{Task: "contacts", Done: -3, Total: 10}, "contacts: 0 of 10"},
		{&pb.ProgressEvent{Task: "history", Done: 1, Total: 2, Text: "Syncing your chats"}, "Syncing your chats"},
	} {
		if got := progressText(c.p.Task, c.p); got != c.want {
			t.Errorf("%v: %q, want %q", c.p, got, c.want)
		}
	}
}

// The user's own member: marked is_self, or (in a list that marks none)
// the login's ID; once marked, its ID is the user's in later events.
func TestIsSelf(t *testing.T) {
	s := &session{loginID: "me", login: store.Login{LoginID: "me"}}
	r := &room{nicks: muc.NewNicks()}
	marked := []*pb.Member{{UserId: "me"}, {UserId: "nick-7", IsSelf: true, Nick: "gopher"}}
	if !anySelf(marked) || s.isSelfLocked(r, marked[0], true) || !s.isSelfLocked(r, marked[1], true) {
		t.Error("a list that marks the user: only the marked member is the user")
	}
	if !s.isSelfLocked(r, &pb.Member{UserId: "me"}, false) {
		t.Error("a list that marks nobody: the login's ID is the user")
	}
	s.takeSelfLocked(r, marked[1], false)
	if r.selfID != "nick-7" || r.selfNick != "gopher" {
		t.Errorf("taken: selfID %q, selfNick %q", r.selfID, r.selfNick)
	}
	if !s.isSelfLocked(r, &pb.Member{UserId: "nick-7"}, false) {
		t.Error("the marked ID is the user's afterwards")
	}
}

// Moving a chat's remembered messages keeps their quote and what the
// client asked for, under the new chat.
func TestRecentsMoveChat(t *testing.T) {
	var x recents
	x.put(chatKey("l", "old"), "m1", recentMsg{text: "hi", receipt: true})
	x.put(chatKey("l", "other"), "m1", recentMsg{text: "other"})
	x.moveChat(chatKey("l", "old"), chatKey("l", "new"))
	if got := x.get(chatKey("l", "new"), "m1"); got.text != "hi" || !got.receipt {
		t.Errorf("moved: %+v", got)
	}
	if x.get(chatKey("l", "old"), "m1").text != "" || x.asks(chatKey("l", "old")) || !x.asks(chatKey("l", "new")) {
		t.Error("the old chat still has the message")
	}
	if x.get(chatKey("l", "other"), "m1").text != "other" {
		t.Error("another chat changed")
	}
}
