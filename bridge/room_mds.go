package bridge

import (
	"context"
	"errors"
	"sync"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// XEP-0490 (Message Displayed Synchronization) for rooms: the user's own
// read of a group on another device (the phone) is published, as the
// user, to their PEP node of displayed states through XEP-0356's
// privileged iq (as bookmarks are, bookmark_publish.go), with the item
// named by the room's bare JID and the room archive's stanza-id of the
// newest message read. The displayed marker roomMarker sends reaches only
// the clients joined at that moment; the PEP item reaches every client,
// also those offline or not joined. Direct chats are left out: their
// MDS item names the stanza-id the user's own archive gave, which the
// gateway does not know (their read goes as a privileged marker,
// deliver.go's ownRead).

// nsMDS is XEP-0490's PEP node and the namespace of its items.
const nsMDS = "urn:xmpp:mds:displayed:0"

// mdsSync keeps each room's publishes one at a time, newest last: a read
// newer than the one being published waits for it and replaces any older
// one waiting, so the node never ends on an older read.
type mdsSync struct {
	mu      sync.Mutex
	pending map[string]mdsRead // user+room -> the read waiting to be published
	running map[string]bool    // user+room -> a publisher runs
	// failing: users whose last publish failed, said at Info once; the
	// next failures go at Debug until one succeeds (a node the user's
	// client made with other options refuses every read alike).
	failing map[string]bool
	// unprivileged: said once that the server grants no pubsub iq.
	unprivileged bool
}

// mdsRead is a read waiting to be published: the room's stanza-id, and
// the session that told it (a read of a login since gone is not
// published; one of the user's next login is).
type mdsRead struct {
	sid string
	s   *session
}

// syncDisplayed publishes the user's own read rc in r (a read on another
// device) to the user's MDS node, in the background; nothing when the
// message read is not in the room's archive, or the server grants no
// privileged pubsub iq (said once).
func (t *transport) syncDisplayed(ctx context.Context, s *session, r *room, rc *pb.ReceiptEvent) {
	if rc.Kind != pb.ReceiptEvent_KIND_READ || len(rc.MessageIds) == 0 {
		return
	}
	if !t.privileges().iqSet(nsPubSub) {
		t.mds.mu.Lock()
		said := t.mds.unprivileged
		t.mds.unprivileged = true
		t.mds.mu.Unlock()
		if !said {
			t.log.Info("reads on other devices not synchronized (XEP-0490): the server grants no privileged pubsub iq (XEP-0356)")
		}
		return
	}
	sid, ok := t.readStanzaID(ctx, s, r, rc)
	if !ok {
		return // XEP-0490 §4: an item must name a stanza-id the clients know
	}
	user, roomJID := s.user, r.jid
	key := user + "\x00" + roomJID
	t.mds.mu.Lock()
	if t.mds.pending == nil {
		t.mds.pending, t.mds.running, t.mds.failing = map[string]mdsRead{}, map[string]bool{}, map[string]bool{}
	}
	t.mds.pending[key] = mdsRead{sid: sid, s: s}
	if t.mds.running[key] {
		t.mds.mu.Unlock()
		return // the running publisher takes it next
	}
	t.mds.running[key] = true
	t.mds.mu.Unlock()
	t.goCtx(context.WithoutCancel(ctx), func(ctx context.Context) {
		for {
			t.mds.mu.Lock()
			read, ok := t.mds.pending[key]
			delete(t.mds.pending, key)
			if !ok {
				delete(t.mds.running, key)
				t.mds.mu.Unlock()
				return
			}
			t.mds.mu.Unlock()
			if t.session(user) != read.s {
				continue // logged out or unregistered meanwhile: not published as them
			}
			t.mdsFailed(user, roomJID, t.publishDisplayed(ctx, user, roomJID, read.sid))
		}
	})
}

// mdsFailed says a publish's failure err (nil: it went) at Info the first
// time for user, at Debug after, until a publish of theirs goes.
func (t *transport) mdsFailed(user, roomJID string, err error) {
	t.mds.mu.Lock()
	again := t.mds.failing[user]
	if err == nil {
		delete(t.mds.failing, user)
	} else {
		t.mds.failing[user] = true
	}
	t.mds.mu.Unlock()
	if err == nil {
		return
	}
	const msg = "read on another device not synchronized (XEP-0490)"
	if again {
		t.log.Debug(msg, "user", user, "room", roomJID, "err", err)
		return
	}
	args := []any{"user", user, "room", roomJID, "err", err}
	if errors.Is(err, errPreconditionNotMet) {
		args = append(args, "hint", "the user's node has options other than XEP-0490's (their client's doing)")
	}
	t.log.Info(msg+"; the next failures are logged at debug", args...)
}

// publishDisplayed publishes to user's MDS node the item roomJID, naming
// the room's message sid as displayed, as the user.
func (t *transport) publishDisplayed(ctx context.Context, user, roomJID, sid string) error {
	var w wire.Writer
	id := t.privilegedIQ(&w, user, "set")
	w.Start("publish", "").Attr("node", nsMDS)
	w.Start("item", "").Attr("id", roomJID)
	w.Start("displayed", nsMDS)
	w.Start("stanza-id", wire.NSSID).Attr("by", roomJID).Attr("id", sid).End()
	w.End().End().End() // displayed, item, publish
	w.Start("publish-options", "")
	// XEP-0490's publish options are XEP-0402's four, as its example
	// gives them.
	writeBookmarkOptions(&w, "http://jabber.org/protocol/pubsub#publish-options")
	_, err := t.privilegedCall(ctx, id, w.Bytes(), "publish of a displayed state")
	return err
}
