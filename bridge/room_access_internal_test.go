package bridge

import (
	"context"
	"strings"
	"testing"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/bridge/wire"
)

// TestRoomHandlersRefuse: each room handler refuses a user outside
// access.allow (not-allowed) and one without a login here
// (registration-required), with the one answer roomRefused gives, before
// it looks at what was asked.
func TestRoomHandlersRefuse(t *testing.T) {
	tr, _, _, sent := linkedRoom(t)
	ctx := context.Background()
	room := "g1@echo.localhost"
	stanzas := map[string]string{
		"groupchat": `<message type='groupchat' from='FROM' to='` + room + `' id='a1'><body>hi</body></message>`,
		"private":   `<message type='chat' from='FROM' to='` + room + `/One' id='a2'><body>hi</body></message>`,
		"join":      `<presence from='FROM' to='` + room + `/Me' id='a3'><x xmlns='http://jabber.org/protocol/muc'/></presence>`,
		"admin":     `<iq type='get' from='FROM' to='` + room + `' id='a4'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member'/></query></iq>`,
		"decline":   `<message from='FROM' to='` + room + `' id='a5'><x xmlns='http://jabber.org/protocol/muc#user'><decline/></x></message>`,
		"moderate":  `<iq type='set' from='FROM' to='` + room + `' id='a6'><moderate xmlns='urn:xmpp:message-moderate:1' id='s1'><retract xmlns='urn:xmpp:message-retract:1'/></moderate></iq>`,
		"picture":   `<iq type='set' from='FROM' to='` + room + `' id='a7'><vCard xmlns='vcard-temp'/></iq>`,
		"vcard":     `<iq type='get' from='FROM' to='` + room + `/One' id='a8'><vCard xmlns='vcard-temp'/></iq>`,
	}
	try := func(from, what, want string) {
		t.Helper()
		st, err := wire.Parse(strings.Replace(stanzas[what], "FROM", from, 1))
		if err != nil {
			t.Fatal(err)
		}
		f, to := jid.MustParse(from), jid.MustParse(st.To())
		if !tr.roomStanza(ctx, st, f, to) {
			t.Errorf("%s from %s: not taken as a room's", what, from)
			return
		}
		for _, got := range sent() {
			if got.ID() != st.ID() {
				continue
			}
			cond, text := got.ErrorCondition()
			if got.Type() != "error" || cond != want {
				t.Errorf("%s from %s: answered %s %q %q, want %s", what, from, got.Type(), cond, text, want)
			}
			return
		}
		t.Errorf("%s from %s: no answer, want %s", what, from, want)
	}
	// access.allow is empty: alice, who has a login and the room, is not
	// allowed.
	for what := range stanzas {
		try("alice@localhost/phone", what, "not-allowed")
	}
	tr.access = config.Access{Allow: []string{"localhost"}}
	for _, what := range []string{"groupchat", "join", "admin", "decline"} {
		try("carol@localhost/phone", what, "registration-required")
	}
}
