package bridge

import (
	"context"
	"strconv"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// nsLast is XEP-0012 Last Activity: asked of a contact's bare JID, when
// it was last online (clients show "last seen" from it); of the
// gateway's JID, its uptime.
const nsLast = "jabber:iq:last"

// lastActivity answers user's XEP-0012 query of the contact userID from
// the presence the network last gave (§4, a bare JID): 0 seconds while
// it is online with no last-seen time, else the seconds since the time
// the network gave, with the presence's status as the text. When the
// network told neither, item-not-found: nothing is known, which is
// not a failure of the service.
func (t *transport) lastActivity(ctx context.Context, st *wire.Stanza, user, userID string, now time.Time) {
	s := t.session(user)
	if s == nil {
		t.notRegistered(ctx, st)
		return
	}
	p := s.presence(userID)
	var secs int64
	switch {
	case p.GetLastSeenUnix() > 0:
		secs = max(0, now.Unix()-p.GetLastSeenUnix())
	case p != nil && p.GetShow() != pb.PresenceShow_PRESENCE_SHOW_OFFLINE:
		secs = 0 // online (§4: an available resource is 0)
	default:
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "the network has not told when this contact was last online"))
		return
	}
	r := wire.Result(st)
	r.Start("query", nsLast).Attr("seconds", strconv.FormatInt(secs, 10))
	if p.GetStatus() != "" {
		r.Text(p.GetStatus())
	}
	r.End()
	t.send(ctx, r.Bytes())
}

// uptime answers XEP-0012 to the gateway's own JID as a server does
// (§5): the seconds since it started.
func (t *transport) uptime(ctx context.Context, st *wire.Stanza, now time.Time) {
	secs := max(0, int64(now.Sub(t.started)/time.Second))
	r := wire.Result(st)
	r.Start("query", nsLast).Attr("seconds", strconv.FormatInt(secs, 10)).End()
	t.send(ctx, r.Bytes())
}
