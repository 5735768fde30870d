package telegram_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Creating a Telegram group from XMPP through the gateway and a real
// Prosody: the create-group ad-hoc command with a name and two
// contacts, eve and gina, whose privacy settings let only her contacts
// add her. The group is made on Telegram with eve (gina left out, the
// command not failing), the command answers with the basic group's room
// -N@, which is announced; joined, it holds dora and eve, and messages
// cross it both ways.
func TestGatewayCreateGroup(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	gina := tgfake.User{ID: 2004, FirstName: "Gina", Phone: "33700000004", PrivateInvites: true}
	srv.AddUser(gina)
	srv.AddContact(dora.ID, gina.ID)
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
	eveJID, ginaJID := g.JID("2002"), g.JID("2004")
	g.WaitRoster(d, "eve and gina on the roster", func(r map[string]gatewaytest.RosterItem) bool {
		return r[eveJID].Name == "Eve" && r[ginaJID].Name == "Gina"
	})
	ctx := ctxT(t)

	form, st := g.Command(d, "create-group", "", "", nil)
	if st.Type != "result" || form.Command.Status != "executing" {
		t.Fatalf("create-group: %s", st.XML)
	}
	cctx, cancel := context.WithTimeout(ctx, gatewaytest.Timeout)
	defer cancel()
	done, st, err := d.CommandForm(cctx, g.Domain, "create-group", form.Command.SessionID, "",
		map[string][]string{"name": {"Expedition"}, "members": {eveJID, ginaJID}})
	if err != nil {
		t.Fatal(err)
	}
	notes := done.Notes()
	const said = "its room is "
	i := strings.Index(notes, said)
	if done.Command.Status != "completed" || !strings.Contains(notes, "info: The group Expedition was created") || i < 0 {
		t.Fatalf("create-group: %s", st.XML)
	}
	room := strings.TrimSuffix(notes[i+len(said):], ".\n")

	creates := srv.Creates()
	if len(creates) != 1 || creates[0].Title != "Expedition" || !slices.Equal(creates[0].Users, []int64{eve.ID, gina.ID}) {
		t.Fatalf("messages.createChat %+v: want one, Expedition with eve and gina", creates)
	}
	chat, ok := strings.CutSuffix(room, "@"+g.Domain)
	id, err := strconv.ParseInt(strings.TrimPrefix(chat, "-"), 10, 64)
	if !ok || !strings.HasPrefix(chat, "-") || strings.HasPrefix(chat, "-100") || err != nil {
		t.Fatalf("room %q: want a basic group's -N@%s", room, g.Domain)
	}
	if grp := srv.GroupInfo(id); grp.Title != "Expedition" || grp.Creator != dora.ID || !slices.Equal(grp.Members, []int64{dora.ID, eve.ID}) {
		t.Errorf("the group on Telegram: %+v; want Expedition by dora, with eve, without gina", grp)
	}

	g.WaitLog("room=" + room) // announced: a bookmark or an invitation
	if err := d.SendRaw(ctx, `<presence to='`+room+`/dora'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	var occupants []string
	for {
		st := g.Next(d, "the room's presences", func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && gatewaytest.Bare(s.From) == room
		})
		if st.Type == "error" {
			t.Fatalf("join %s: %s", room, st.XML)
		}
		occupants = append(occupants, st.XML)
		if strings.Contains(st.XML, `code="110"`) {
			break
		}
	}
	all := strings.Join(occupants, "\n")
	if !strings.Contains(all, `jid="`+eveJID) || strings.Contains(all, `jid="`+ginaJID) {
		t.Errorf("the room's occupants: want dora and eve, not gina:\n%s", all)
	}

	peer := &tg.PeerChat{ChatID: id}
	srv.Send(eve.ID, peer, "glad to come along")
	g.Next(d, "eve's message in the new room", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && s.Body == "glad to come along"
	})
	mid := d.NewID()
	if err := d.SendRaw(ctx, `<message type='groupchat' id='`+mid+`' to='`+room+`'><body>we leave at dawn</body><origin-id xmlns='urn:xmpp:sid:0' id='`+mid+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	waitBox(t, srv, eve.ID, peer, "we leave at dawn")
}
