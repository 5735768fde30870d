package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestJoinChatByIDAskedNick: a channel the network describes without its
// members when joined (an IRC channel before its NAMES ended; echo's
// #later-…) shows the user under the nick the join asked, which the
// network was given too, not under the login's name: once the members
// come, naming the user's member so, the user is not renamed. Before,
// the self-presence named the login's display name, and the members'
// arrival renamed the user (303) to the nick asked.
func TestJoinChatByIDAskedNick(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	s.logs.waitLog(t, "contacts synced", timeout) // members are named after them
	roomJID := channelRoom("later-go")
	j, jerr := joinChannel(t, alice, roomJID, "gopher", "")
	if jerr != nil {
		t.Fatalf("join refused: %s", jerr.XML)
	}
	if len(j.occupants) != 0 {
		t.Errorf("occupants before the members came: %v", j.occupants)
	}
	if nick(j.self.From) != "gopher" || strings.Contains(j.self.XML, `code="210"`) {
		t.Errorf("self-presence: want gopher as asked, got %s", j.self.XML)
	}

	// The members come before Echo One repeats the first message.
	raw(t, alice, `<message type='groupchat' id='g1' to='`+roomJID+`'><body>hi all</body></message>`)
	var renames []string
	echoOne := false
	for {
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return bareJID(s.From) == roomJID })
		if err != nil {
			t.Fatalf("no repeat from Echo One: %v", err)
		}
		if st.Name == "presence" && strings.Contains(st.XML, `code="303"`) {
			renames = append(renames, st.XML)
		}
		echoOne = echoOne || st.Name == "presence" && st.From == roomJID+"/Echo One"
		if st.Name == "message" && st.From == roomJID+"/Echo One" && st.Body == "hi all" {
			break
		}
	}
	if !echoOne {
		t.Error("the members never came: no presence of Echo One")
	}
	if len(renames) > 0 {
		t.Errorf("the user was renamed when the members came: %v", renames)
	}
}

// TestJoinKnownMemberlessAskedNick: a room already known from a chat that
// named no member of the user's (an IRC channel before its NAMES ended;
// echo's #later-…, left by the client and joined again) takes the nick a
// join asks, as a room that enforces no nick does (XEP-0045 §7.2): the
// network has not said which is the user's. Once the network names the
// user's member, its nick is the user's: the user is renamed to it
// (303), and a join asking another gets it with 210. Before, the rejoin
// got the nick of the earlier join with 210.
func TestJoinKnownMemberlessAskedNick(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	s.logs.waitLog(t, "contacts synced", timeout) // members are named after them
	roomJID := channelRoom("later-known")
	leaveAs := func(as string) {
		t.Helper()
		raw(t, alice, `<presence type='unavailable' to='`+roomJID+`/`+as+`'/>`)
		if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && s.Type == "unavailable" && s.From == roomJID+"/"+as && strings.Contains(s.XML, `code="110"`)
		}); err != nil {
			t.Fatalf("leaving as %s: %v", as, err)
		}
	}
	if _, jerr := joinChannel(t, alice, roomJID, "gopher", ""); jerr != nil {
		t.Fatalf("join refused: %s", jerr.XML)
	}
	leaveAs("gopher")

	j, jerr := joinChannel(t, alice, roomJID, "newt", "")
	if jerr != nil {
		t.Fatalf("rejoin refused: %s", jerr.XML)
	}
	if nick(j.self.From) != "newt" || strings.Contains(j.self.XML, `code="210"`) {
		t.Errorf("rejoin of a room that names no member of the user's: want newt as asked, got %s", j.self.XML)
	}

	// The members come (naming the user's as gopher, the nick the
	// network was given) before Echo One repeats the first message.
	raw(t, alice, `<message type='groupchat' id='g1' to='`+roomJID+`'><body>hi all</body></message>`)
	renamed := false
	for {
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return bareJID(s.From) == roomJID })
		if err != nil {
			t.Fatalf("no repeat from Echo One: %v", err)
		}
		if st.Name == "presence" && st.Type == "unavailable" && strings.Contains(st.XML, `code="303"`) && strings.Contains(st.XML, `nick="gopher"`) {
			renamed = true
		}
		if st.Name == "message" && st.From == roomJID+"/Echo One" && st.Body == "hi all" {
			break
		}
	}
	if !renamed {
		t.Error("the network named the user's member gopher: want a rename (303) to it")
	}
	leaveAs("gopher")
	j, jerr = joinChannel(t, alice, roomJID, "newt", "")
	if jerr != nil {
		t.Fatalf("second rejoin refused: %s", jerr.XML)
	}
	if nick(j.self.From) != "gopher" || !strings.Contains(j.self.XML, `code="210"`) {
		t.Errorf("rejoin once the network named the user: want its nick gopher with 210, got %s", j.self.XML)
	}
}
