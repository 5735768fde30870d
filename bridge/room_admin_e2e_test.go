package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomAdmin: the user runs the echo group from XMPP as a room's
// moderator and owner would: lists the members, promotes one, kicks one,
// adds a contact by a mediated invitation and bans them, renames the
// group through the configuration form. Each reaches the network, whose
// events bring the change to the room. What cannot be done gets a clear
// error.
func TestRoomAdmin(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	iq := func(body string) xmpptest.Stanza {
		t.Helper()
		st, err := alice.IQ(ctxT(t), body)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	admin := func(typ, items string) xmpptest.Stanza {
		t.Helper()
		return iq(`<iq type='` + typ + `' to='` + room + `'><query xmlns='http://jabber.org/protocol/muc#admin'>` + items + `</query></iq>`)
	}
	presenceOf := func(nick, typ, want string) xmpptest.Stanza {
		t.Helper()
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && s.From == room+"/"+nick && s.Type == typ
		})
		if err != nil || !strings.Contains(st.XML, want) {
			t.Fatalf("presence of %s (%q, want %s): %v %s", nick, typ, want, err, st.XML)
		}
		return st
	}
	failsWith := func(st xmpptest.Stanza, cond string) {
		t.Helper()
		if st.Type != "error" || st.Err == nil || st.Err.Condition != cond {
			t.Fatalf("want %s, got %s", cond, st.XML)
		}
	}

	// The member list, with the contacts' JIDs.
	list := admin("get", `<item affiliation='member'/>`)
	if list.Type != "result" || !strings.Contains(list.XML, `jid="echo-1@`+domain+`"`) || !strings.Contains(list.XML, `nick="Echo Two"`) {
		t.Fatalf("member list: %s", list.XML)
	}
	// The user is the group's owner (the echo network makes every
	// account one), as the self-presence says: the owner list has them,
	// alone, with their own JID; it was empty (found by review).
	if st := admin("get", `<item affiliation='owner'/>`); st.Type != "result" || strings.Count(st.XML, "<item") != 1 ||
		!strings.Contains(st.XML, `jid="alice@localhost"`) || !strings.Contains(st.XML, `affiliation="owner"`) {
		t.Fatalf("owner list: want alice alone, got %s", st.XML)
	}
	if strings.Contains(list.XML, `jid="alice@localhost"`) {
		t.Fatalf("member list has the owner: %s", list.XML)
	}

	// Echo One becomes a moderator.
	if st := admin("set", `<item nick='Echo One' role='moderator'/>`); st.Type != "result" {
		t.Fatalf("promote: %s", st.XML)
	}
	presenceOf("Echo One", "", `role="moderator"`)

	// Echo Two is kicked, with a reason.
	if st := admin("set", `<item nick='Echo Two' role='none'><reason>too loud</reason></item>`); st.Type != "result" {
		t.Fatalf("kick: %s", st.XML)
	}
	st := presenceOf("Echo Two", "unavailable", `code="307"`)
	if !strings.Contains(st.XML, "too loud") {
		t.Errorf("kick without its reason: %s", st.XML)
	}

	// echo-5 is added by a mediated invitation, then banned by JID.
	if err := alice.SendRaw(ctxT(t), `<message to='`+room+`'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='echo-5@`+domain+`'><reason>join us</reason></invite></x></message>`); err != nil {
		t.Fatal(err)
	}
	added, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && bareJID(s.From) == room && s.Type == "" && strings.Contains(s.XML, `jid="echo-5@`+domain+`"`)
	})
	if err != nil {
		t.Fatalf("echo-5 never came: %v", err)
	}
	if st := admin("set", `<item affiliation='outcast' jid='echo-5@`+domain+`'/>`); st.Type != "result" {
		t.Fatalf("ban: %s", st.XML)
	}
	presenceOf(nick(added.From), "unavailable", `code="301"`)

	// Echo Three (joined by the network's "join 3") loses their
	// membership: in a network's group, that is leaving it.
	groupchat(t, alice, "join 3")
	presenceOf("Echo Three", "", `jid="echo-3@`+domain+`"`)
	if st := admin("set", `<item nick='Echo Three' affiliation='none'/>`); st.Type != "result" {
		t.Fatalf("revoke membership: %s", st.XML)
	}
	presenceOf("Echo Three", "unavailable", `code="307"`)

	// The configuration form renames the group.
	form := iq(`<iq type='get' to='` + room + `'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>`)
	if form.Type != "result" || !strings.Contains(form.XML, `var="muc#roomconfig_roomname"`) || !strings.Contains(form.XML, "<value>Echo room</value>") {
		t.Fatalf("configuration form: %s", form.XML)
	}
	set := iq(`<iq type='set' to='` + room + `'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>` +
		`<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>` +
		`<field var='muc#roomconfig_roomname'><value>Bridges</value></field></x></query></iq>`)
	if set.Type != "result" {
		t.Fatalf("rename: %s", set.XML)
	}
	if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.From == room && strings.Contains(s.XML, `code="104"`)
	}); err != nil {
		t.Fatalf("no notice of the new configuration: %v", err)
	}
	if info := iq(`<iq type='get' to='` + room + `'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`); !strings.Contains(info.XML, `name="Bridges"`) {
		t.Fatalf("disco#info after the rename: %s", info.XML)
	}

	// What cannot be done.
	failsWith(admin("set", `<item nick='Nobody' role='none'/>`), "item-not-found")
	failsWith(admin("set", `<item nick='Echo One' affiliation='overlord'/>`), "bad-request")
	failsWith(admin("set", ``), "bad-request")
	failsWith(admin("get", `<item/>`), "bad-request")
	// An owner's destroy deletes the group now: room_destroy_e2e_test.go.
	failsWith(iq(`<iq type='set' to='no-such-group@`+domain+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='x' role='none'/></query></iq>`), "item-not-found")
	if err := alice.SendRaw(ctxT(t), `<message id='inv2' to='`+room+`'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='bob@localhost'/></x></message>`); err != nil {
		t.Fatal(err)
	}
	st, err = alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.ID == "inv2" })
	if err != nil || st.Type != "error" || st.Err == nil || st.Err.Condition != "not-acceptable" {
		t.Fatalf("inviting an XMPP user: %v %s", err, st.XML)
	}
	// Items go in turn: the second finds Echo One gone, and the network's
	// refusal is the answer; the first is done all the same.
	failsWith(admin("set", `<item nick='Echo One' role='none'/><item nick='Echo One' role='none'/>`), "item-not-found")
	presenceOf("Echo One", "unavailable", `code="307"`)
}

// TestRoomConfigNotOffered: where the network does not let the user
// rename a group (the chat's own features leave group_name out: a Signal
// group whose details only admins edit, a Telegram group where the user
// may not change the info), the room's configuration form, whose one
// setting is the name, is neither offered nor taken: forbidden, as
// XEP-0045 §10.2 answers one who is not an owner; a later chat event
// that does not restate the features keeps it so. Before, every member
// was offered the form and the network refused the rename.
func TestRoomConfigNotOffered(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "") // the command is a groupchat message
	groupchat(t, alice, `net-event {"chatId":"locked","chat":{"chat":{"chatId":"locked","type":"CHAT_TYPE_GROUP","name":"Locked","features":{"groups":true,"groupTopic":true}}}}`)
	locked := "locked@" + domain
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.Contains(st.XML, `jid="`+locked+`"`)
	}); err != nil {
		t.Fatalf("no invitation to the group: %v", err)
	}
	owner := func(typ, body string) xmpptest.Stanza {
		t.Helper()
		st, err := alice.IQ(ctxT(t), `<iq type='`+typ+`' to='`+locked+`'><query xmlns='http://jabber.org/protocol/muc#owner'>`+body+`</query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	submit := `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>` +
		`<field var='muc#roomconfig_roomname'><value>Open</value></field></x>`
	forbidden := func(when string) {
		t.Helper()
		for _, st := range []xmpptest.Stanza{owner("get", ""), owner("set", submit)} {
			if st.Type != "error" || st.Err == nil || st.Err.Condition != "forbidden" {
				t.Errorf("%s: the configuration form of a group the user may not rename: want forbidden, got %s", when, st.XML)
			}
		}
	}
	forbidden("first")
	// Joined, the new topic shows when the event is through.
	raw(t, alice, `<presence to='`+locked+`/a'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && bareJID(st.From) == locked && strings.Contains(st.XML, `code="110"`)
	}); err != nil {
		t.Fatalf("join: %v", err)
	}
	groupchat(t, alice, `net-event {"chatId":"locked","chat":{"chat":{"chatId":"locked","type":"CHAT_TYPE_GROUP","name":"Locked","topic":"news"}}}`)
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && st.From == locked && strings.Contains(st.XML, "<subject>news</subject>")
	}); err != nil {
		t.Fatalf("the chat event never came: %v", err)
	}
	forbidden("after a chat event without features")
}
