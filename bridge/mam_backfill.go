package bridge

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// Scroll-back: a room's MAM query (mam.go) that reaches the start of the
// room's archive, while the chat's backfill cursor is not done, asks the
// plugin for one more page of the chat's history (Backfill from the
// stored cursor, as many messages as the query's max) and answers from
// the archive once that page is in it, so that a user scrolling up a
// room reads on into the network's older history.
//
// The page is stored as backfill stores history (store.CommitHistory,
// with its cursor, deduplicated by event ID), then goes to the room's
// archive only: its events are marked archive-only (archiveOnlyField, kept
// in the outbox with them, so a restart before they were archived still
// does not show them), and rendering archives them, as each batch is
// stored, without sending them to the user's joined resources. History
// of the chat that comes outside any fetch, once a scroll-back asked for
// it, is taken for the scroll-back's (scrollingLocked).
//
// A query whose page is short (the client would see the start) waits for
// the fetch, at most scrollWait, with its iq pending; a full page that
// reaches the start is answered at once and the fetch runs ahead of the
// client's next page. One fetch per chat at a time: queries meanwhile,
// and a backfill of the chat under way, share it. Whatever fails (no
// backfill, the plugin refuses, goes quiet, or takes too long), the query
// is answered with what the archive holds, complete only once the
// cursor is done.

const (
	// scrollWait bounds how long a query waits for its fetch: about as
	// long as clients wait for an iq's answer.
	scrollWait = 15 * time.Second
	// scrollIdle is how long a scroll-back may go without a batch, once
	// the plugin took the request, before it is taken as ended: long, as
	// a network may take its time (WhatsApp asks the phone, and waits
	// 30 s for it), and a batch after the end would be taken for history
	// sent unasked, for the joined resources too. A query waits
	// scrollWait at most either way.
	scrollIdle = 60 * time.Second
	// scrollWaiting bounds the queries waiting for a fetch at once, per
	// transport; past it a query is answered at once.
	scrollWaiting = 64
	// archiveOnlyField is the protobuf field number, unknown to pb.Event,
	// that marks a history event for the room's archive only. Unknown
	// fields survive the outbox's encoding; a gateway that does not know
	// this one renders the event as any history.
	archiveOnlyField protowire.Number = protowire.MaxValidNumber
)

// markArchiveOnly marks ev for the room's archive only.
func markArchiveOnly(ev *pb.Event) {
	if archiveOnly(ev) {
		return
	}
	m := ev.ProtoReflect()
	u := protowire.AppendTag(m.GetUnknown(), archiveOnlyField, protowire.VarintType)
	m.SetUnknown(protoreflect.RawFields(protowire.AppendVarint(u, 1)))
}

// archiveOnly reports whether ev is marked for the room's archive only.
func archiveOnly(ev *pb.Event) bool {
	u := ev.ProtoReflect().GetUnknown()
	for len(u) > 0 {
		num, typ, n := protowire.ConsumeTag(u)
		if n < 0 {
			return false
		}
		u = u[n:]
		if num == archiveOnlyField && typ == protowire.VarintType {
			return true
		}
		n = protowire.ConsumeFieldValue(num, typ, u)
		if n < 0 {
			return false
		}
		u = u[n:]
	}
	return false
}

// scrollBack starts a fetch of want more messages of a chat's history for
// its room's archive, or joins the one under way (a scroll-back or a
// backfill of the chat). The channel closes once the fetch ended and what
// it brought is archived (a backfill's: handed to its lane).
func (b *backfill) scrollBack(key chatAddr, want int) <-chan struct{} {
	b.mu.Lock()
	if f := b.chats[key]; f != nil {
		b.mu.Unlock()
		return f.ended
	}
	f := b.beginLocked(key, want, 0, false)
	f.archiveOnly, f.asking = true, true
	b.scrolled[key] = true
	f.timer.Stop() // started once the plugin took the request
	b.mu.Unlock()
	b.t.goBg(func() { b.askScroll(key, f, want) })
	return f.ended
}

// askScroll asks the plugin for f's page of history.
func (b *backfill) askScroll(key chatAddr, f *histFetch, want int) {
	t, ctx := b.t, b.runCtx()
	cur, err := t.db.GetCursor(t.name, key.a, key.b)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.log.Error("reading a backfill cursor failed; no scroll-back", "login", key.a, "chat", key.b, "err", err)
		b.finish(key, f, "refused")
		return
	}
	if cur.Done {
		b.finish(key, f, "done")
		return
	}
	client, err := t.client(ctx)
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		_, err = client.Backfill(cctx, &pb.BackfillRequest{LoginId: key.a, ChatId: key.b, Cursor: cur.Cursor, Limit: int32(want)})
		cancel()
	}
	if err != nil {
		if ctx.Err() == nil {
			t.log.Warn("scroll-back history request failed; the room's archive answers alone", "login", key.a, "chat", key.b, "err", err)
		}
		b.finish(key, f, "refused")
		return
	}
	b.mu.Lock()
	f.asking = false
	if b.chats[key] == f {
		if b.storing {
			f.left = b.idleOf(f) // resumeIdle starts it
		} else {
			b.armLocked(f, b.idleOf(f))
		}
	}
	b.mu.Unlock()
	t.log.Info("scroll-back history requested", "login", key.a, "chat", key.b, "cursor", cur.Cursor, "limit", want, "stored", cur.Stored)
}

// archiveHistory archives a scroll-back's messages, oldest first, in the
// caller (the History stream's reader, as each batch is stored):
// rendering them archives and sends nothing (archiveOnly).
func (b *backfill) archiveHistory(ctx context.Context, ds []delivery) {
	slices.SortStableFunc(ds, func(x, y delivery) int {
		return cmp.Compare(x.ev.TimestampUnixMicro, y.ev.TimestampUnixMicro)
	})
	for _, d := range ds {
		if ctx.Err() != nil {
			return // left in the outbox: the next start archives them
		}
		b.t.deliverNow(ctx, d)
	}
}

// reachesStart reports whether a query's result set reaches back to the
// start of the room's archive: a backward page with nothing before it,
// or a forward one from the range's start, where the range does not
// begin after the archive's oldest message.
func (t *transport) reachesStart(ctx context.Context, room store.RoomKey, q store.ArchiveQuery, page store.ArchivePage) bool {
	if q.CountOnly || q.AfterID != "" {
		return false // an after-id page ends at that message, not the start
	}
	if q.Latest || q.Before != "" {
		if !page.Complete {
			return false
		}
	} else if q.After != "" {
		return false
	}
	if q.Start.IsZero() {
		return true
	}
	oldest, err := t.db.QueryArchive(ctx, room, store.ArchiveQuery{Max: 1})
	if err != nil || len(oldest.Messages) == 0 {
		return err == nil
	}
	return q.Start.Before(oldest.Messages[0].Arrived)
}

// mamScrollBack runs after a query's page was read: when the page
// reaches the archive's start and the chat has older history to fetch,
// it starts (or joins) the fetch and clears page.Complete. It reports
// whether the query is answered later, by a goroutine waiting for the
// fetch; false: the caller answers with page now.
func (t *transport) mamScrollBack(ctx context.Context, st *wire.Stanza, room store.RoomKey, to jid.JID, mq mamQuery, page *store.ArchivePage) bool {
	b := t.hist
	if b == nil || b.limit <= 0 {
		return false // backfill is off: the archive is all there is
	}
	if caps := t.host.Caps(); caps != nil && !caps.GetFeatures().GetBackfill() {
		return false // a plugin without backfill (caps unknown: starting)
	}
	if !t.reachesStart(ctx, room, mq.q, *page) {
		return false
	}
	login, ok := t.loginOf(room.UserJID)
	if !ok {
		return false
	}
	if s := t.sessionOf(login.LoginID); s != nil && !s.features().GetBackfill() {
		return false // a login without history (login_features.go)
	}
	key := chatAddr{login.LoginID, room.RoomID}
	cur, err := t.db.GetCursor(t.name, key.a, key.b)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.log.Error("reading a backfill cursor failed; the room's archive answers alone", "login", key.a, "chat", key.b, "err", err)
		page.Complete = false
		return false
	}
	b.mu.Lock()
	fetching := b.chats[key] != nil
	b.mu.Unlock()
	if cur.Done && !fetching {
		return false // the archive's start is the chat's
	}
	// Older history is on the network, or a fetch is still archiving
	// what it stored (its cursor is stored first, done or not): it is
	// waited for below.
	page.Complete = false
	want := mq.q.Max
	if want <= 0 {
		want = store.DefaultArchivePage
	}
	want = min(want, store.MaxArchivePage)
	backward := mq.q.Latest || mq.q.Before != ""
	ended := b.scrollBack(key, want)
	if backward && len(page.Messages) >= want {
		return false // a full page: the fetch runs ahead of the next
	}
	select {
	case b.waiting <- struct{}{}:
	default:
		t.log.Warn("too many room archive queries waiting for history; answered from the archive alone", "user", room.UserJID, "room", room.RoomID)
		return false
	}
	t.goBg(func() {
		defer func() { <-b.waiting }()
		timer := time.NewTimer(scrollWait)
		defer timer.Stop()
		select {
		case <-ended:
		case <-timer.C:
			t.log.Warn("room history not fetched in time; answered from the archive alone", "user", room.UserJID, "room", room.RoomID, "waited", scrollWait)
		case <-ctx.Done():
			return
		}
		p, err := t.db.QueryArchive(ctx, room, mq.q)
		if err != nil {
			t.mamQueryError(ctx, st, room, err)
			return
		}
		if c, err := t.db.GetCursor(t.name, key.a, key.b); err != nil || !c.Done {
			p.Complete = false
		}
		t.mamAnswer(ctx, st, room, to, mq, p)
	})
	return true
}

// idleOf is how long fetch f may go without a batch.
func (b *backfill) idleOf(f *histFetch) time.Duration {
	if f.archiveOnly {
		return max(b.idle, b.scrollIdle)
	}
	return b.idle
}

// scrollingLocked reports whether the history of a chat coming now is
// for its room's archive only: a scroll-back's, or history outside any
// fetch of a chat a scroll-back asked for (its fetch was ended, by a
// restart of the plugin or the quiet, before the plugin sent it).
func (b *backfill) scrollingLocked(key chatAddr) bool {
	if f := b.chats[key]; f != nil {
		return f.archiveOnly
	}
	return b.scrolled[key]
}
