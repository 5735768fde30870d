package bridge_test

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomCreateByCommand: the ad-hoc command creates a group on the
// network with a name and some contacts; the user is invited to its
// room, which holds them, and messages flow in it. A member who is no
// contact, or no name, is refused before the network is asked.
func TestRoomCreateByCommand(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	echo2, echo3 := "echo-2@"+domain, "echo-3@"+domain

	items, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`)
	if err != nil || !strings.Contains(items.XML, `node="create-group"`) {
		t.Fatalf("create-group not listed: %v %s", err, items.XML)
	}
	form, _ := command(t, alice, "create-group", "", "", nil)
	if typ, _, ok := form.Field("members"); !ok || typ != "list-multi" || form.Command.Status != "executing" ||
		!strings.Contains(form.XML, `<value>`+echo2+`</value>`) || !strings.Contains(form.XML, `label="Echo Two"`) {
		t.Fatalf("create-group form: %s", form.XML)
	}
	if _, _, ok := form.Field("name"); !ok {
		t.Fatalf("no name field: %s", form.XML)
	}
	submit := func(fields map[string][]string) cmdResponse {
		t.Helper()
		f, _ := command(t, alice, "create-group", "", "", nil)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		r, _, err := alice.CommandForm(ctx, domain, "create-group", f.Command.SessionID, "", fields)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := submit(map[string][]string{"name": {"Picnic"}, "members": {echo2, "nobody@elsewhere.example"}}); !strings.Contains(r.Notes(), "error: Not contacts on") {
		t.Fatalf("a member who is no contact: %s", r.XML)
	}
	if r := submit(map[string][]string{"name": {"  "}, "members": {echo2}}); !strings.Contains(r.Notes(), "error: A group needs a name.") {
		t.Fatalf("no name: %s", r.XML)
	}

	done := submit(map[string][]string{"name": {"Picnic"}, "members": {echo2, echo3}})
	notes := done.Notes()
	if done.Command.Status != "completed" || !strings.Contains(notes, "info: The group Picnic was created: its room is ") {
		t.Fatalf("create-group: %s", done.XML)
	}
	roomJID := strings.TrimSuffix(notes[strings.Index(notes, "its room is ")+len("its room is "):], ".\n")
	if !strings.HasSuffix(roomJID, "@"+domain) {
		t.Fatalf("no room address in %q", notes)
	}

	// Invited (the test server grants no bookmarks), and the room holds
	// the members asked for.
	awaitInvitation(t, alice, roomJID)
	if err := alice.SendRaw(ctxT(t), `<presence to='`+roomJID+`/ali'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	var occupants []string
	for {
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return bareJID(s.From) == roomJID })
		if err != nil {
			t.Fatalf("join %s: %v (occupants so far %v)", roomJID, err, occupants)
		}
		if st.Type == "error" {
			t.Fatalf("join refused: %s", st.XML)
		}
		if st.Name == "presence" {
			occupants = append(occupants, nick(st.From))
			// The user created it: its owner, as the network says.
			if strings.Contains(st.XML, `code="110"`) && (!strings.Contains(st.XML, `affiliation="owner"`) || !strings.Contains(st.XML, `role="moderator"`)) {
				t.Errorf("the creator's self-presence: %s", st.XML)
			}
		}
		if strings.Contains(st.XML, "<subject") {
			if !strings.Contains(st.XML, "Welcome to Picnic") {
				t.Errorf("subject: %s", st.XML)
			}
			break
		}
	}
	for _, want := range []string{"Echo Two", "Echo Three", "ali"} {
		if !strings.Contains(strings.Join(occupants, "|"), want) {
			t.Errorf("occupants %v lack %s", occupants, want)
		}
	}
	if err := alice.SendRaw(ctxT(t), `<message type='groupchat' to='`+roomJID+`' id='c1'><body>hello picnic</body></message>`); err != nil {
		t.Fatal(err)
	}
	if st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return bareJID(s.From) == roomJID && s.Name == "message" && strings.Contains(s.XML, "hello picnic") && nick(s.From) != "ali"
	}); err != nil || st.Type == "error" {
		t.Fatalf("no repeat of the message in the new group: %v %s", err, st.XML)
	}
}

// TestRoomCreateWithoutFeature: a network that cannot create groups does
// not list the command, and refuses it when asked all the same.
func TestRoomCreateWithoutFeature(t *testing.T) {
	s := newStack(t, stackOptions{plugin: minimalBin(t)})
	alice := registered(t, s, "alice")
	items, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`)
	if err != nil || strings.Contains(items.XML, `node="create-group"`) || !strings.Contains(items.XML, `node="status"`) {
		t.Fatalf("commands without create_chat: %v %s", err, items.XML)
	}
	r, _ := command(t, alice, "create-group", "", "", nil)
	if !strings.Contains(r.Notes(), "error: ") || !strings.Contains(r.Notes(), "does not let the gateway create groups") {
		t.Fatalf("create-group without the feature: %s", r.XML)
	}
}

// TestRoomCreateByChat: in the gateway's chat, for clients without ad-hoc
// commands, "create-group NAME: CONTACT, ..." names contacts by name,
// address or ID; a name no contact has is said, and nothing is created.
func TestRoomCreateByChat(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	sendChat(t, alice, domain, "help")
	if st := nextMessage(t, alice, domain, timeout); !strings.Contains(st.Body, "create-group NAME: CONTACT") {
		t.Fatalf("help lacks create-group: %s", st.Body)
	}
	sendChat(t, alice, domain, "create-group Book club: echo two, Nobody")
	if st := nextMessage(t, alice, domain, timeout); st.Body != "No contact is named Nobody." {
		t.Fatalf("an unknown contact: %s", st.XML)
	}
	sendChat(t, alice, domain, "create-group Book club: echo two, echo-3@"+domain+", echo-1")
	st := nextMessage(t, alice, domain, timeout)
	if !strings.HasPrefix(st.Body, "The group Book club was created: its room is ") {
		t.Fatalf("create-group by chat: %s", st.XML)
	}
	roomJID := strings.TrimSuffix(strings.TrimPrefix(st.Body, "The group Book club was created: its room is "), ".")
	awaitInvitation(t, alice, roomJID)
	d, dst := getDiscoInfo(t, alice, roomJID, "")
	if dst.Type != "result" || !isMUC(d) || d.Identities[0].Name != "Book club" {
		t.Fatalf("disco#info of the new room: %s", dst.XML)
	}
}

// TestRoomLink: "/link" in a room answers, to the resource that asked
// only, with the group's invite link when the network gives one (a group
// the user created on the echo network), and says there is none
// otherwise (the echo room); neither goes to the network.
func TestRoomLink(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	groupchat(t, alice, "/link")
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "message" && s.From == room })
	if err != nil || !strings.Contains(st.Body, "gives no invite link for Echo room") {
		t.Fatalf("/link in the echo room: %v %s", err, st.XML)
	}

	sendChat(t, alice, domain, "create-group Linked: echo-2")
	made := nextMessage(t, alice, domain, timeout)
	roomJID := strings.TrimSuffix(strings.TrimPrefix(made.Body, "The group Linked was created: its room is "), ".")
	if err := alice.SendRaw(ctxT(t), `<presence to='`+roomJID+`/ali'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	if refused := joinAnswer(t, alice, roomJID+"/ali"); refused != nil {
		t.Fatalf("join %s: %s", roomJID, refused.XML)
	}
	if err := alice.SendRaw(ctxT(t), `<message type='groupchat' to='`+roomJID+`' id='l1'><body>/link</body></message>`); err != nil {
		t.Fatal(err)
	}
	st, err = alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "message" && s.From == roomJID })
	if err != nil || !strings.Contains(st.Body, "Invite link of Linked: https://echo.invalid/join/group-") {
		t.Fatalf("/link in a created group: %v %s", err, st.XML)
	}
}

// awaitInvitation waits for the XEP-0249 invitation to roomJID (the test
// server grants the gateway no bookmarks).
func awaitInvitation(t *testing.T, c *xmpptest.Client, roomJID string) {
	t.Helper()
	if _, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && strings.Contains(s.XML, "jabber:x:conference") && strings.Contains(s.XML, roomJID)
	}); err != nil {
		t.Fatalf("no invitation to %s: %v", roomJID, err)
	}
}
