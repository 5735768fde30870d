package telegram_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Two messages back to back as a supergroup's first updates since the
// plugin connected both come. gotd reads each MTProto message on its own
// goroutine, so the second may reach its updates manager first; the
// manager, not following the channel yet, followed it from the second's
// pts and dropped the first as already seen. Several fresh connections,
// each to a supergroup it has not followed, as the loss did not come
// every time.
func TestSupergroupFirstUpdatesBackToBack(t *testing.T) {
	srv, p, done := doraPlugin(t)
	for i := range 5 {
		id := int64(700 + i)
		srv.AddChannel(tgfake.Channel{ID: id, Title: fmt.Sprintf("Club %d", i), Members: []int64{dora.ID, eve.ID}, Creator: eve.ID})
		if i > 0 {
			p.Restart()
		}
		evs := p.Events()
		p.Connect(done.LoginId, done.SavedState)
		evs.Await("connected", func(ev *pb.Event) bool {
			return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
		})
		peer := &tg.PeerChannel{ChannelID: id}
		chat := fmt.Sprintf("-100%d", id)
		srv.Send(eve.ID, peer, fmt.Sprintf("first %d", i))
		srv.Send(eve.ID, peer, fmt.Sprintf("second %d", i))
		got := map[string]bool{}
		for len(got) < 2 {
			ev := evs.Await(fmt.Sprintf("both messages of connection %d (have %v)", i, got), func(ev *pb.Event) bool {
				return ev.ChatId == chat && ev.GetMessage() != nil
			})
			if text := ev.GetMessage().GetText(); strings.HasSuffix(text, fmt.Sprintf(" %d", i)) {
				got[text] = true
			}
		}
	}
}

// A group the user joins through the gateway, by its name or by its
// invite link, whose welcome bot posts right after the join: the join's
// service message (which brings the room) and the welcome are the
// user's first two updates of the group, back to back. The manager, not
// following the group yet, could take the welcome first, follow the
// group from it and drop the join as already seen. Several groups, as
// the loss did not come every time: TestJoinWelcomeBeforeAnswer makes
// the welcome come first each time.
func TestJoinFirstUpdatesBackToBack(t *testing.T) {
	srv, p, done := doraPlugin(t)
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)
	evs.Await("connected", func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	cmds := p.Commands()
	for i := range 6 {
		id := int64(720 + i)
		c := tgfake.Channel{ID: id, Title: fmt.Sprintf("Welcoming %d", i), Members: []int64{eve.ID}, Creator: eve.ID,
			Welcome: fmt.Sprintf("welcome %d", i)}
		room, password := fmt.Sprintf("welcoming%d", i), ""
		if i%2 == 0 {
			c.Username = room
		} else {
			c.InviteHash = fmt.Sprintf("Welcome%dLink", i)
			room, password = "joinchat", "https://t.me/+"+c.InviteHash
		}
		srv.AddChannel(c)
		chat := fmt.Sprintf("-100%d", id)
		res := cmds.Send(plugintest.Act(done.LoginId, room, fmt.Sprintf("join-%d", i), &pb.JoinChat{Password: password}))
		if res.GetError() != nil {
			t.Fatalf("join %s: %v", room, res.GetError())
		}
		var hasRoom, hasWelcome bool
		for !hasRoom || !hasWelcome {
			ev := evs.Await(fmt.Sprintf("the room and the welcome of group %d (room %v, welcome %v)", i, hasRoom, hasWelcome), func(ev *pb.Event) bool {
				return ev.ChatId == chat && (ev.GetChat() != nil || ev.GetMessage().GetText() == c.Welcome)
			})
			hasRoom, hasWelcome = hasRoom || ev.GetChat() != nil, hasWelcome || ev.GetMessage() != nil
		}
	}
}
