package bridge

import (
	"context"

	"passerelle.im/passerelle/bridge/wire"
)

// "/link" sent in a room asks the network for the group's invite link
// (contract v2's Chat.invite_link, in a ChatInfo answer): the answer goes
// to the resource that asked, as a message from the room itself, and is
// neither sent to the network nor archived.

// roomLink answers "/link" from the joined resource of st.
func (s *session) roomLink(ctx context.Context, st *wire.Stanza, r *room) {
	t := s.t
	t.goDetached(ctx, func(ctx context.Context) { // background.go: past the stanza, not the stop
		text := t.displayName() + " gives no invite link for " + r.displayName() + ": it has none, or only its admins may share it."
		c := s.chatInfo(ctx, r.chatID)
		switch {
		case c == nil:
			text = t.displayName() + " did not answer; try again later."
		case c.GetStale() && c.GetInviteLink() == "":
			// Known no link is not "none": the network was not asked.
			text = t.displayName() + " could not be asked for the invite link of " + r.displayName() + "; try again later."
		case c.GetInviteLink() != "":
			// A stale one may have been reset since: said so.
			text = "Invite link of " + r.displayName() + ": " + c.GetInviteLink() + s.staleNote(c)
		}
		var w wire.Writer
		w.Start("message", "").Attr("from", r.jid).Attr("to", st.From()).Attr("type", "groupchat").Attr("id", t.newID())
		w.Leaf("body", "", text)
		t.send(ctx, w.Bytes())
	})
}
