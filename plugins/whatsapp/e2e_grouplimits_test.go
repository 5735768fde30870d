package whatsapp_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/types"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// subjectMod is the room's disco#info word on whether occupants may
// change the subject.
var subjectMod = regexp.MustCompile(`var="muc#roominfo_subjectmod"[^>]*><value>([01])</value>`)

// A group whose info only admins edit, the user no admin of it, through
// a real Prosody, the gateway and the plugin process on the remote
// fake: its room offers no configuration form (forbidden; its one
// setting is the name) and says the subject is not the user's to
// change; unlocked by an admin, both are offered at once. Before, the
// form and the subject change were offered, and WhatsApp refused the
// change.
func TestEndToEndLockedGroup(t *testing.T) {
	srv := startRemote(t)
	locked := &types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Hikers"},
		GroupLocked: types.GroupLocked{IsLocked: true}, MemberAddMode: types.GroupMemberAddModeAdmin,
		Participants: []types.GroupParticipant{{JID: me, PhoneNumber: me}, {JID: bob, PhoneNumber: bob, IsAdmin: true}}}
	srv.Group(locked)
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: fakePlugin(t), Name: "whatsapp", Privileged: true,
		PluginConfig: `wafake_socket = "` + srv.Socket + `"`})
	alice := g.User("alice")
	g.WaitReady(alice)
	loginByQR(t, g, srv, alice)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	room := g.JID(group.String())
	if err := alice.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	g.Next(alice, "the room's self-presence", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "110")
	})
	form := func() xmpptest.Stanza {
		t.Helper()
		st, err := alice.IQ(ctx, `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	subject := func() string {
		t.Helper()
		st, err := alice.IQ(ctx, `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		m := subjectMod.FindStringSubmatch(st.XML)
		if m == nil {
			t.Fatalf("no muc#roominfo_subjectmod in the room's disco#info: %s", st.XML)
		}
		return m[1]
	}
	if st := form(); st.Type != "error" || st.Err == nil || st.Err.Condition != "forbidden" {
		t.Errorf("the configuration form of a locked group, the user no admin: %s, want forbidden", st.XML)
	}
	if v := subject(); v != "0" {
		t.Errorf("subject changeable in a locked group, the user no admin: %s", v)
	}

	open := *locked
	open.GroupLocked = types.GroupLocked{IsLocked: false}
	open.MemberAddMode = types.GroupMemberAddModeAllMember
	srv.GroupSettings(&open, bob)
	// The change comes as a ChatEvent the room shows nothing of.
	g.Eventually("the configuration form offered once unlocked", func() bool { return form().Type == "result" })
	if v := subject(); v != "1" {
		t.Errorf("subject not changeable once the group is unlocked: %s", v)
	}
}
