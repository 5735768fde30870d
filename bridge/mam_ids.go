package bridge

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/store"
)

// XEP-0313's urn:xmpp:mam:2#extended `ids` field: a query that fetches
// the messages of the stanza-ids a client already knows (a reply's or a
// reaction's target, say), in archive order. An id the room's archive
// does not hold fails the whole query with item-not-found, as the XEP
// says; `with`, `start` and `end` still filter; paging from a message
// (RSM <after/> or <before/> naming one, after-id, before-id) is
// refused: the ids are the page. An empty RSM <before/>, the last page,
// which clients add to every query, takes the newest of them when
// <max/> keeps fewer than all.

// maxStanzaID bounds a stanza-id a query names: the archive's own are
// a few dozen bytes (store.stanzaID), and a longer one is malformed.
const maxStanzaID = 256

// parseIDs reads the values of the form's `ids` into mq.ids, each once,
// in the order given.
func (mq *mamQuery) parseIDs(values []string) error {
	if len(values) == 0 {
		return badQuery("field \"ids\" has no value; it takes the stanza-ids of the messages to fetch")
	}
	seen := make(map[string]bool, len(values))
	for _, v := range values {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			return badQuery("field \"ids\" has an empty value; each is a stanza-id")
		case len(v) > maxStanzaID:
			return &mamError{wire.ItemNotFound, fmt.Sprintf("ids: a value of %d bytes, more than any stanza-id of this archive", len(v))}
		case seen[v]:
			continue
		}
		seen[v] = true
		mq.ids = append(mq.ids, v)
	}
	if len(mq.ids) > store.MaxArchivePage {
		return badQuery("ids names %d messages, at most %d in one query", len(mq.ids), store.MaxArchivePage)
	}
	return nil
}

// checkIDs refuses what an `ids` query cannot combine with: it is one
// page already, so no paging from a message. The last page (an empty
// RSM <before/>) is the newest of the ids (mamFetchIDs).
func (mq *mamQuery) checkIDs() error {
	if mq.ids == nil {
		return nil
	}
	if mq.q.After != "" || mq.q.Before != "" || mq.q.AfterID != "" || mq.q.BeforeID != "" {
		return badQuery("ids fetches the messages it names: it takes no after-id, before-id, nor RSM <after/> or <before/> naming a message")
	}
	return nil
}

// mamFetchIDs reads the messages of mq.ids, the ones `with`, `start` and
// `end` keep, in archive order, up to the RSM <max/> (count alone for
// max 0): the oldest of them, or the newest for the last page (an
// empty RSM <before/>). Errors are the store's: store.ErrUnknownStanzaID for an id the
// room's archive does not hold.
func (t *transport) mamFetchIDs(ctx context.Context, room store.RoomKey, mq mamQuery) (store.ArchivePage, error) {
	msgs := make([]store.ArchivedMessage, 0, len(mq.ids))
	for _, id := range mq.ids {
		m, err := t.db.LookupArchived(ctx, room, id)
		if err != nil {
			return store.ArchivePage{}, err
		}
		if mq.q.Keeps(&m) {
			msgs = append(msgs, m)
		}
	}
	slices.SortFunc(msgs, func(a, b store.ArchivedMessage) int { return store.CompareArchived(&a, &b) })
	page := store.ArchivePage{Count: len(msgs), Complete: true}
	if mq.q.CountOnly {
		return page, nil
	}
	if n := mq.q.Max; n > 0 && len(msgs) > n {
		if mq.q.Latest {
			msgs = msgs[len(msgs)-n:]
		} else {
			msgs = msgs[:n]
		}
		page.Complete = false
	}
	page.Messages = msgs
	if n := len(msgs); n > 0 {
		page.First, page.Last = msgs[0].StanzaID, msgs[n-1].StanzaID
	}
	return page, nil
}
