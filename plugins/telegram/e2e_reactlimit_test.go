package telegram_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Through the gateway: a contact of an account without Premium says
// one reaction per message (XEP-0444's max_reactions_per_user), one of a
// Premium account three, as the login tells the gateway when connected.
// The transport said one for all; then a Premium account's contacts
// said no limit.
func TestGatewayReactionLimit(t *testing.T) {
	for _, premium := range []bool{false, true} {
		t.Run(map[bool]string{false: "without premium", true: "premium"}[premium], func(t *testing.T) {
			srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode, u.Premium = true, premium })
			g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
			eveJID := g.JID("2002")
			g.WaitRoster(d, "got eve", func(r map[string]gatewaytest.RosterItem) bool { return r[eveJID].Name == "Eve" })
			st, err := d.IQ(ctxT(t), `<iq type='get' to='`+eveJID+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
			if err != nil || st.Type != "result" || !strings.Contains(st.XML, "urn:xmpp:reactions:0") {
				t.Fatalf("eve's disco#info: %v %s", err, st.XML)
			}
			want := map[bool]string{false: "1", true: "3"}[premium]
			if !strings.Contains(st.XML, `<field var="max_reactions_per_user"><value>`+want+`</value></field>`) {
				t.Errorf("premium %v: want max_reactions_per_user %s in eve's disco#info %s", premium, want, st.XML)
			}
		})
	}
}
