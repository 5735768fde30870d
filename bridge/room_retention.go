package bridge

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/store"
)

// cmdRoomRetention is the ad-hoc command setting a room's own archive
// retention: pick one of the user's rooms, give the days and the number
// of messages its archive keeps (empty: the gateway's). A room's own
// retention only keeps less than the gateway's (effectiveRetention); it
// applies at once, then at every retention pass.
func (t *transport) cmdRoomRetention(ctx context.Context, st *wire.Stanza, user, sid string, sess *adhocSession, cmd *wire.Element) {
	const node = "room-retention"
	s := t.roomCommandSession(ctx, st, node, user, sid)
	if s == nil {
		return
	}
	if sess == nil {
		r := t.roomForm(ctx, st, node, user, s, "Group archive retention",
			"How long the gateway keeps a group's messages for you. Leave a field empty for the gateway's own: "+
				describeRetention(t.retention)+". A group cannot keep more than that.")
		if r == nil {
			return
		}
		r.Start("field", "").Attr("var", "days").Attr("type", "text-single").Attr("label", "Days kept").End()
		r.Start("field", "").Attr("var", "messages").Attr("type", "text-single").Attr("label", "Messages kept").End()
		t.send(ctx, r.Bytes())
		return
	}
	t.adhoc.drop(sid)
	vals := formValues(cmd)
	rm := t.chosenRoom(s, vals["room"])
	if rm == nil {
		t.done(ctx, st, node, sid, "error", "You are in no group "+vals["room"]+".")
		return
	}
	days, err := retentionField(vals["days"], "days", 36500)
	if err == nil {
		var msgs int
		msgs, err = retentionField(vals["messages"], "messages", 10000000)
		if err == nil {
			own := store.ArchiveRetention{MaxAge: time.Duration(days) * 24 * time.Hour, MaxMessages: msgs}
			err = t.setRoomRetention(ctx, user, rm, own)
		}
	}
	if err != nil {
		t.done(ctx, st, node, sid, "error", "Nothing changed: "+err.Error())
		return
	}
	own, _ := t.db.RoomRetention(t.roomKey(user, rm.chatID))
	t.done(ctx, st, node, sid, "info", rm.displayName()+" keeps "+describeRetention(effectiveRetention(t.retention, own))+".")
}

// setRoomRetention records the room's own retention and prunes its
// archive with it at once, beside the chats.
func (t *transport) setRoomRetention(ctx context.Context, user string, rm *room, own store.ArchiveRetention) error {
	key := t.roomKey(user, rm.chatID)
	if err := t.db.SetRoomRetention(ctx, key, own); err != nil {
		t.log.Error("cannot store a room's retention", "user", user, "room", rm.jid, "err", err)
		return fmt.Errorf("the gateway could not store it")
	}
	t.log.Info("room retention set", "user", user, "room", rm.jid, "max_age", own.MaxAge, "max_messages", own.MaxMessages)
	ret := effectiveRetention(t.retention, own)
	t.goBg(func() {
		n, err := t.db.PruneArchive(ctx, key, ret, time.Now())
		if err != nil && ctx.Err() == nil {
			t.log.Error("archive retention failed for a room", "user", user, "room", rm.chatID, "err", err)
		} else if n > 0 {
			t.log.Info("room archive pruned", "user", user, "room", rm.chatID, "messages", n)
		}
	})
	return nil
}

// retentionField reads a form's days or messages: empty or 0 is none,
// else a whole number from 1 to limit.
func retentionField(v, what string, limit int) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > limit {
		return 0, fmt.Errorf("%s must be a whole number from 0 (the gateway's) to %d, not %q", what, limit, v)
	}
	return n, nil
}

// describeRetention says what a retention keeps, in words.
func describeRetention(r store.ArchiveRetention) string {
	var parts []string
	if r.MaxAge > 0 {
		parts = append(parts, fmt.Sprintf("the last %d days", int(r.MaxAge/(24*time.Hour))))
	}
	if r.MaxMessages > 0 {
		parts = append(parts, fmt.Sprintf("at most %d messages", r.MaxMessages))
	}
	if len(parts) == 0 {
		return "everything"
	}
	return strings.Join(parts, ", ")
}
