package bridge

import (
	"context"
	"errors"
	"fmt"

	"passerelle.im/passerelle/bridge/wire"
)

// The user's XEP-0402 node as an older gateway left it. Before it
// published with send_last_published_item never, the gateway made the
// node of a user who had no bookmarks with the server's PEP default for
// that option (Prosody: on_sub_and_presence), and the server refuses
// every publish whose options differ from the node's: each client's own
// bookmark, and the gateway's own now, failed precondition-not-met, for
// good. So once a session (at a start, at a login), before its rooms are
// announced, the gateway sets the node's configuration to XEP-0402's
// options, as the user, through the server's XEP-0356 iq permission on
// pubsub#owner (set); a publish refused that way sets it too, then
// publishes again. A node that does not exist is left alone. Without that
// permission the node stays as it is: the server's admin grants it
// (examples/prosody.cfg.lua).

// nsPubSubOwner is XEP-0060's namespace of node owners' requests.
const nsPubSubOwner = "http://jabber.org/protocol/pubsub#owner"

// errNoOwnerGrant: the server grants no iq set on pubsub#owner.
var errNoOwnerGrant = errors.New("the server grants the gateway no iq set on " + nsPubSubOwner + " (XEP-0356)")

// configureBookmarkNode sets user's bookmarks node to XEP-0402's
// options, as the user. errNoNode when the user has none.
func (t *transport) configureBookmarkNode(ctx context.Context, user string) error {
	if !t.privileges().iqSet(nsPubSubOwner) {
		return errNoOwnerGrant
	}
	var w wire.Writer
	id := t.privilegedPubSub(&w, user, "set", nsPubSubOwner)
	w.Start("configure", "").Attr("node", nsBookmarks)
	writeBookmarkOptions(&w, "http://jabber.org/protocol/pubsub#node_config")
	if _, err := t.privilegedCall(ctx, id, w.Bytes(), "node configuration"); err != nil {
		return fmt.Errorf("bookmarks node of %s: %w", user, err)
	}
	return nil
}

// checkBookmarkNode sets user's bookmarks node right, beside the chats,
// once the link is up and where the gateway publishes bookmarks
// (bookmarks.go). Called once a session, at its first room.
func (t *transport) checkBookmarkNode(user string) {
	ctx := t.in.ctx
	if ctx == nil {
		return // not started (tests of parts)
	}
	t.goBg(func() {
		wctx, cancel := context.WithTimeout(ctx, announceTimeout)
		defer cancel()
		if t.link.WaitUp(wctx) != nil {
			return // the next session (the next start) checks again
		}
		if !t.privileges().iqSet(nsPubSub) {
			return // no bookmarks of the gateway's
		}
		switch err := t.configureBookmarkNode(wctx, user); {
		case err == nil:
			t.log.Info("bookmarks node configured as XEP-0402 says", "user", user)
		case errors.Is(err, errNoNode):
			t.log.Debug("no bookmarks node to configure", "user", user)
		case errors.Is(err, errNoOwnerGrant):
			t.log.Debug("bookmarks node not checked", "user", user, "err", err)
		default:
			t.log.Info("bookmarks node not configured; clients' own bookmarks may be refused", "user", user, "err", err)
		}
	})
}
