package bridge

import (
	"context"
	"errors"
	"time"

	"passerelle.im/passerelle/bridge/wire"
)

// Telling a user of their groups: each room that appears for a user (a
// group of their login, seen at a sync or when it is made) is announced
// once. Where the server grants XEP-0356's iq permission on pubsub (type
// set), the room is published to the user's XEP-0402 bookmarks with
// autojoin, so the user's clients join it by themselves (unless the user
// has a bookmark of it already, read first where the grant allows get:
// theirs is kept); otherwise, or
// when that publish fails, the user gets one XEP-0249 direct invitation.
// The store remembers who was told of what: a restart, or the next sync,
// does not tell again; a user who leaves a group and comes back is
// told again once the rooms forget the record (store.ForgetRoomAnnounced).

// nsConference is XEP-0249's direct MUC invitation.
const nsConference = "jabber:x:conference"

// announceTimeout bounds the wait for the server to take an invitation.
const announceTimeout = 30 * time.Second

// announceRoom tells user (a bare JID) of the room roomJID, named name,
// where the user is nick, once: the first call for a (user, room)
// publishes the bookmark or sends the invitation, later ones do nothing.
// An invitation the server did not take is forgotten, so the next call
// sends it again.
func (t *transport) announceRoom(ctx context.Context, user, roomJID, name, nick string) {
	if t.session(user) == nil {
		return // no login: no rooms
	}
	// A read first: the rooms announce every room at every sync, and a
	// mark is a write even when it changes nothing.
	if told, err := t.db.RoomAnnounced(t.name, user, roomJID); err == nil && told {
		return
	}
	// Not cancelled with ctx: a mark the writer had begun would be
	// recorded while this call gave up, and the room never announced.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), announceTimeout)
	first, err := t.db.MarkRoomAnnounced(mctx, t.name, user, roomJID, name)
	cancel()
	if err != nil {
		t.log.Error("cannot record a room's invitation; not sent", "user", user, "room", roomJID, "err", err)
		return
	}
	if !first {
		return
	}
	if p := t.privileges(); p.iqSet(nsPubSub) {
		if p.iqGet(nsPubSub) && t.userBookmarked(ctx, user, roomJID) {
			t.log.Info("room bookmark kept: the user has one", "user", user, "room", roomJID)
			return
		}
		err := t.publishBookmark(ctx, user, roomJID, name, nick)
		if err == nil {
			t.log.Info("room bookmarked", "user", user, "room", roomJID)
			return
		}
		t.log.Info("room bookmark not published; inviting instead", "user", user, "room", roomJID, "err", err)
	}
	forget := func(why error) {
		t.log.Info("room invitation not delivered; it is sent again next time", "user", user, "room", roomJID, "err", why)
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), announceTimeout)
		defer cancel()
		if err := t.db.ForgetRoomAnnounced(fctx, t.name, user, roomJID); err != nil {
			t.log.Error("cannot forget an undelivered room invitation", "user", user, "room", roomJID, "err", err)
		}
	}
	// Confirmed by the server (a ping behind it on the same stream): a
	// link that drops right after the write loses what the server had not
	// read, and the invitation would be recorded but never seen.
	gen := t.link.Generation()
	err = t.link.SendConfirmed(ctx, gen, t.invitation(user, roomJID, name), func(err error) {
		if err != nil {
			// Off the link's writer (never block it); the stop waits
			// for the write, before the store closes.
			t.goBg(func() { forget(err) })
		}
	})
	if err != nil {
		forget(err)
		return
	}
	t.log.Info("room invitation sent", "user", user, "room", roomJID)
}

// userBookmarked reports whether user's bookmarks have roomJID already: a
// client that joined the room by its address, or the user's own from
// before, is not published over (its nick, autojoin, extensions are the
// user's). A bookmark that cannot be read counts as none: the room is
// announced as without the read.
func (t *transport) userBookmarked(ctx context.Context, user, roomJID string) bool {
	conf, err := t.readBookmark(ctx, user, roomJID) // bookmark_rename.go
	if err != nil && !errors.Is(err, errNoNode) {
		t.log.Info("room bookmark not read before it is published", "user", user, "room", roomJID, "err", err)
	}
	return err == nil && conf != nil
}

// invitation is the XEP-0249 message from the gateway inviting user to
// roomJID; stored by the user's server for clients that are offline.
func (t *transport) invitation(user, roomJID, name string) []byte {
	network := t.displayName()
	reason := "Your group on " + network
	if name != "" {
		reason = "Your group " + wire.XMLSafe(name) + " on " + network
	}
	var w wire.Writer
	w.Start("message", "").Attr("from", t.domain).Attr("to", user).Attr("id", t.newID())
	w.Start("x", nsConference).Attr("jid", roomJID).Attr("reason", reason).End()
	w.Leaf("store", nsHints, "")
	return w.Bytes()
}

// unannounceRoom undoes announceRoom once user is out of the room
// (left, removed, the group deleted, logged out): the record goes, so a
// return is announced again, and with the iq permission the bookmark is
// retracted, or the user's clients would keep joining a room that is no
// more. Beside the chats: it waits for the server.
func (t *transport) unannounceRoom(ctx context.Context, user, roomJID string) {
	t.goBg(func() {
		if err := t.db.ForgetRoomAnnounced(ctx, t.name, user, roomJID); err != nil && ctx.Err() == nil {
			t.log.Error("cannot forget a room's announcement", "user", user, "room", roomJID, "err", err)
		}
		if !t.privileges().iqSet(nsPubSub) {
			return
		}
		if err := t.retractBookmark(ctx, user, roomJID); err != nil {
			t.log.Info("room bookmark not retracted", "user", user, "room", roomJID, "err", err)
			return
		}
		t.log.Info("room bookmark retracted", "user", user, "room", roomJID)
	})
}
