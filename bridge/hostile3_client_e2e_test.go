package bridge_test

import (
	"fmt"
	"strings"
	"testing"
)

// Probes of what a hostile or careless XMPP client sends the gateway's
// own addresses (the gateway, a contact, a room): each IQ get or set is
// answered, a result or error is never answered, the link stays up, the
// plugin is not restarted, and the transport goes on.

// TestOddIQs: IQs of odd shapes to the gateway, a contact and a room,
// each answered with a result or an error (RFC 6120 §8.2.3); unsolicited
// results and errors are not answered (an answer to them could loop).
func TestOddIQs(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	bob := "bob@" + domain
	b64 := strings.Repeat("QUFB", 40000)
	for i, c := range []struct{ to, payload string }{
		{domain, `<query xmlns='http://jabber.org/protocol/disco#items' node='no such node'/>`},
		{domain, `<query xmlns='http://jabber.org/protocol/disco#info' node='` + strings.Repeat("n", 3000) + `'/>`},
		{bob, `<query xmlns='http://jabber.org/protocol/disco#items' node='x'/>`},
		{bob + "/res", `<query xmlns='http://jabber.org/protocol/disco#info'/>`},
		{room, `<query xmlns='http://jabber.org/protocol/disco#items' node='x'/>`},
		{room + "/nobody", `<query xmlns='http://jabber.org/protocol/disco#info'/>`},
		{domain, `<request xmlns='urn:xmpp:http:upload:0' filename='../../etc/passwd' size='-1' content-type='x'/>`},
		{domain, `<request xmlns='urn:xmpp:http:upload:0' filename='a' size='99999999999999999999'/>`},
		{bob, `<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>` + b64 + `</BINVAL></PHOTO></vCard>`},
		{domain, `<vCard xmlns='vcard-temp'><PHOTO><BINVAL>!!!not base64!!!</BINVAL></PHOTO></vCard>`},
		{bob, `<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:avatar:data'><item id='x'><data xmlns='urn:xmpp:avatar:data'>!!!</data></item></publish></pubsub>`},
		{bob, `<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:data'><item id='` + strings.Repeat("f", 3000) + `'/></items></pubsub>`},
		{bob, `<pubsub xmlns='http://jabber.org/protocol/pubsub'/>`},
		{bob, `<pubsub xmlns='http://jabber.org/protocol/pubsub'><items/></pubsub>`},
		{bob, `<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>-1</max></set></query>`},
		{room, `<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>-1</max></set></query>`},
		{room, `<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>1000000</max></set></query>`},
		{room, `<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>99999999999999999999999</max></set></query>`},
		{room, `<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><after>garbage</after></set></query>`},
		{room, `<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><before>` + strings.Repeat("g", 5000) + `</before></set></query>`},
		{room, `<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>0</max><before/></set></query>`},
		{room, `<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>5</max><after>a</after><before>b</before></set></query>`},
		{room, `<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field><field var='start'><value>not a date</value></field></x></query>`},
		{room, `<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field><field var='with'><value>@@@</value></field></x></query>`},
		{room, `<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field><field var='ids'>` + strings.Repeat("<value>x</value>", 5000) + `</field></x></query>`},
		{room, `<query xmlns='urn:xmpp:mam:2' queryid='q'><x xmlns='jabber:x:data' type='submit'><field var='start'><value>9999-12-31T23:59:59Z</value></field><field var='end'><value>0001-01-01T00:00:00Z</value></field></x></query>`},
		{room, `<metadata xmlns='urn:xmpp:mam:2'/>`},
		{domain, `<query xmlns='urn:xmpp:mam:2'/>`},
		{domain, `<query xmlns='jabber:iq:gateway'><prompt>` + strings.Repeat("x", 100000) + `</prompt></query>`},
		{domain, `<query xmlns='jabber:iq:gateway'/>`},
		{domain, `<query xmlns='jabber:iq:register'><username/><password>` + strings.Repeat("p", 100000) + `</password></query>`},
		{domain, `<query xmlns='jabber:iq:roster'><item jid='x@y'/></query>`},
		{bob, `<query xmlns='jabber:iq:roster'/>`},
		{bob, `<query xmlns='jabber:iq:version'/>`},
		{bob, `<time xmlns='urn:xmpp:time'/>`},
		{room, `<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>` + strings.Repeat("<field var='muc#roomconfig_roomname'><value>x</value></field>", 2000) + `</x></query>`},
		{room, `<query xmlns='http://jabber.org/protocol/muc#admin'>` + strings.Repeat("<item affiliation='outcast' jid='x@y'/>", 1000) + `</query>`},
		{room, `<query xmlns='http://jabber.org/protocol/muc#admin'><item role='moderator' nick='` + strings.Repeat("n", 3000) + `'/></query>`},
	} {
		for _, typ := range []string{"get", "set"} {
			id := fmt.Sprintf("odd%d%s", i, typ)
			st, err := alice.IQ(ctxT(t), `<iq type='`+typ+`' id='`+id+`' to='`+c.to+`'>`+c.payload+`</iq>`)
			if err != nil {
				t.Fatalf("%s to %s %.200s: %v", typ, c.to, c.payload, err)
			}
			if st.Type != "result" && st.Type != "error" {
				t.Fatalf("%s to %s %.200s: %.300s", typ, c.to, c.payload, st.XML)
			}
		}
	}
	// Unsolicited results and errors, which no one may answer.
	for i, to := range []string{domain, bob, room, room + "/x", bob + "/r"} {
		raw(t, alice, fmt.Sprintf(`<iq type='result' id='u%d' to='%s'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, i, to))
		raw(t, alice, fmt.Sprintf(`<iq type='error' id='e%d' to='%s'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`, i, to))
		raw(t, alice, fmt.Sprintf(`<iq type='result' id='r%d' to='%s'/>`, i, to))
	}
	stillWell(t, s, alice, "odd IQs")
	for _, p := range alice.Pending() {
		if p.Name == "iq" && len(p.ID) == 2 && strings.ContainsAny(p.ID[:1], "uer") {
			t.Errorf("an unsolicited IQ was answered: %s", p.XML)
		}
	}
}

// TestUserMessageTargets: what a client's correction, retraction or
// reactions name must be a message of that chat the gateway knows: one
// of another contact's chat, one never sent, none at all are refused
// with an error naming it, and nothing reaches the network; a thousand
// of the same reaction go as one; a reply to an unknown message still
// goes, as words.
func TestUserMessageTargets(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	one := "echo-1@" + domain
	m1 := echoID(t, alice, "m1", "first")
	refused := func(id, cond, text string) {
		t.Helper()
		e := answered(t, alice, id, id, "")
		if e.Err == nil || e.Err.Condition != cond || !strings.Contains(e.Err.Text, text) {
			t.Errorf("%s: want %s saying %q, got %s", id, cond, text, e.XML)
		}
	}
	for _, id := range []string{"m1", m1} {
		raw(t, alice, `<message type='chat' id='x`+id+`' to='`+one+`'><body>fixed</body><replace xmlns='urn:xmpp:message-correct:0' id='`+id+`'/></message>`)
		refused("x"+id, "item-not-found", "does not know the message "+id)
		raw(t, alice, `<message type='chat' id='r`+id+`' to='`+one+`'><retract xmlns='urn:xmpp:message-retract:1' id='`+id+`'/><body>retracted</body></message>`)
		refused("r"+id, "item-not-found", "does not know the message "+id)
	}
	raw(t, alice, `<message type='chat' id='p2' to='`+bob+`'><retract xmlns='urn:xmpp:message-retract:1' id='never'/><body>retracted</body></message>`)
	refused("p2", "item-not-found", "does not know the message never")
	raw(t, alice, `<message type='chat' id='p3' to='`+bob+`'><reactions xmlns='urn:xmpp:reactions:0' id='never'><reaction>👍</reaction></reactions></message>`)
	refused("p3", "item-not-found", "does not know the message never")
	raw(t, alice, `<message type='chat' id='p4' to='`+bob+`'><reactions xmlns='urn:xmpp:reactions:0'><reaction>👍</reaction></reactions></message>`)
	refused("p4", "bad-request", "without the id")
	raw(t, alice, `<message type='chat' id='p5' to='`+bob+`'><body>fixed</body><replace xmlns='urn:xmpp:message-correct:0'/></message>`)
	refused("p5", "bad-request", "without the id")
	raw(t, alice, `<message type='chat' id='p6' to='`+bob+`'><reactions xmlns='urn:xmpp:reactions:0' id='m1'>`+strings.Repeat("<reaction>👍</reaction>", 1000)+`</reactions></message>`)
	r := next(t, alice, "reaction", has("<reactions"))
	if n := strings.Count(r.XML, "<reaction>"); n != 1 || !strings.Contains(r.XML, `id="m1"`) {
		t.Errorf("a thousand of one reaction: want one, got %s", r.XML)
	}
	raw(t, alice, `<message type='chat' id='p7' to='`+bob+`'><body>reply to none</body><reply xmlns='urn:xmpp:reply:0' id='never' to='`+bob+`'/></message>`)
	answered(t, alice, "reply to an unknown message", "p7", "reply to none")
	stillWell(t, s, alice, "message targets")
	// The echo network reflects what it takes: no correction or
	// retraction went.
	for _, p := range alice.Pending() {
		if strings.Contains(p.XML, "urn:xmpp:message-retract") || strings.Contains(p.XML, "urn:xmpp:message-correct") {
			t.Errorf("a refused correction or retraction reached the network: %s", p.XML)
		}
	}
}

// TestPluginTargetsAcrossChats: a network's edit, retraction or
// reaction in one chat naming a message of another chat changes nothing
// the user sees; a reply to it is delivered without the quote; an event
// ID seen before in the chat is dropped, its second body unseen.
func TestPluginTargetsAcrossChats(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	sendChat(t, alice, bob, `net-event {"eventId":"n1","message":{"text":"first n1"}}`)
	nextMessage(t, alice, bob, timeout)
	for i, j := range []string{
		`{"eventId":"n1","message":{"text":"second n1"}}`,
		`{"chatId":"echo-1","eventId":"e1","edit":{"targetId":"n1","text":"edited from echo-1"}}`,
		`{"chatId":"echo-1","eventId":"e2","retraction":{"targetId":"n1"}}`,
		`{"chatId":"echo-1","eventId":"e3","reaction":{"targetId":"n1","emojis":["👍"]}}`,
	} {
		probeChat(t, s, alice, fmt.Sprint("across ", i), j)
	}
	sendChat(t, alice, bob, `net-event {"chatId":"echo-1","sender":{"userId":"echo-1"},"eventId":"e4","message":{"text":"reply across chats","replyToId":"n1"}}`)
	reply := nextMessage(t, alice, "echo-1@"+domain, timeout)
	if reply.Body != "reply across chats" || strings.Contains(reply.XML, "urn:xmpp:reply:0") {
		t.Errorf("a reply to another chat's message: %s", reply.XML)
	}
	for _, p := range alice.Pending() {
		if strings.Contains(p.XML, "second n1") || strings.Contains(p.XML, "edited from echo-1") ||
			strings.Contains(p.XML, "urn:xmpp:message-retract") || strings.Contains(p.XML, "urn:xmpp:reactions") {
			t.Errorf("what named another chat's message reached the user: %s", p.XML)
		}
	}
}

// TestStrangerLearnsNothing: a user of the server who never registered
// asks a registered user's room (its address is the same for every
// user) for its archive, members, configuration and picture, a contact
// for its vCard, avatar and last activity, and joins and writes to the
// room: each is refused registration-required, or answered with nothing
// of the user's; the room's words never reach them.
func TestStrangerLearnsNothing(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	groupchat(t, alice, "secret words")
	roomMessage(t, alice, "", "secret words")
	carol := s.user("carol")
	s.waitGateway(carol)
	for _, iq := range []string{
		`<iq type='set' to='` + room + `'><query xmlns='urn:xmpp:mam:2'/></iq>`,
		`<iq type='get' to='` + room + `'><metadata xmlns='urn:xmpp:mam:2'/></iq>`,
		`<iq type='get' to='` + room + `'><vCard xmlns='vcard-temp'/></iq>`,
		`<iq type='get' to='` + room + `'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member'/></query></iq>`,
		`<iq type='get' to='` + room + `'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>`,
		`<iq type='get' to='bob@` + domain + `'><vCard xmlns='vcard-temp'/></iq>`,
		`<iq type='get' to='echo-1@` + domain + `'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:metadata'/></pubsub></iq>`,
		`<iq type='get' to='echo-1@` + domain + `'><query xmlns='jabber:iq:last'/></iq>`,
	} {
		st, err := carol.IQ(ctxT(t), iq)
		if err != nil || st.Err == nil || st.Err.Condition != "registration-required" {
			t.Errorf("%s: want registration-required, got %v %s", iq, err, st.XML)
		}
	}
	for _, iq := range []string{
		`<iq type='get' to='` + room + `'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`,
		`<iq type='get' to='` + domain + `'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`,
	} {
		st, err := carol.IQ(ctxT(t), iq)
		if err != nil || st.Type != "result" || strings.Contains(st.XML, "<item") {
			t.Errorf("%s: want no items, got %v %s", iq, err, st.XML)
		}
	}
	raw(t, carol, `<presence id='cj' to='`+room+`/c'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	if e := answered(t, carol, "join", "cj", ""); e.Err == nil || e.Err.Condition != "registration-required" {
		t.Errorf("join: want registration-required, got %s", e.XML)
	}
	for i, to := range []string{room, "bob@" + domain} {
		typ := []string{"groupchat", "chat"}[i]
		id := fmt.Sprint("cm", i)
		raw(t, carol, `<message type='`+typ+`' id='`+id+`' to='`+to+`'><body>hi</body></message>`)
		if e := answered(t, carol, to, id, ""); e.Err == nil || e.Err.Condition != "registration-required" {
			t.Errorf("message to %s: want registration-required, got %s", to, e.XML)
		}
	}
	groupchat(t, alice, "more")
	roomMessage(t, alice, "", "more")
	for _, p := range carol.Pending() {
		if strings.Contains(p.XML, "secret words") || strings.Contains(p.XML, ">more<") {
			t.Errorf("the room's words reached a stranger: %s", p.XML)
		}
	}
}
