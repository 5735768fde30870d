package bridge

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/puppet"
	"passerelle.im/passerelle/store"
)

// XEP-0313 (Message Archive Management) on the gateway's rooms: a user's
// query to a room JID pages through that user's own archive of the room
// (store/archive*.go), with XEP-0059 result set management. Only the
// archive keyed by the querying user's bare JID is ever read, and a room
// that is not the user's answers exactly as one that does not exist.

const (
	nsMAM = muc.NSMAM // urn:xmpp:mam:2
	// nsXDataValidate is XEP-0122's, whose <open/> says the ids field
	// takes any value, not one of a listed few (XEP-0313's ids field).
	nsXDataValidate = "http://jabber.org/protocol/xdata-validate"
	nsRSM           = "http://jabber.org/protocol/rsm"
	// stampLayout is XEP-0082's date-time, as the gateway's other delays.
	stampLayout = "2006-01-02T15:04:05.000000Z"
	// maxQueryID bounds the queryid echoed in every result: a client's
	// long one would otherwise be copied into each of up to
	// store.MaxArchivePage messages.
	maxQueryID = 256
)

// mamQuery is a parsed MAM query.
type mamQuery struct {
	queryID string
	q       store.ArchiveQuery
	// withNick is the occupant nick of a `with` naming room/nick: the
	// room maps it to the member's JID.
	withNick string
	// ids are the stanza-ids of the form's `ids` (urn:xmpp:mam:2#extended),
	// each once: the query fetches these messages (mam_ids.go).
	ids []string
	// flip sends the page newest first (<flip-page/>).
	flip bool
}

// mamError is a query the gateway refuses: its condition and the text the
// client reads.
type mamError struct {
	cond wire.Condition
	text string
}

func (e *mamError) Error() string { return string(e.cond) + ": " + e.text }

func badQuery(format string, args ...any) error {
	return &mamError{wire.BadRequest, fmt.Sprintf(format, args...)}
}

// parseMAMQuery reads a <query xmlns='urn:xmpp:mam:2'/> set to the room
// JID room: its data form (FORM_TYPE, start, end, with) and its RSM <set/>
// (max, after, before) and <flip-page/>. Errors are *mamError:
// bad-request naming what is wrong, feature-not-implemented for a form
// field it does not know (XEP-0313, "Retrieving form fields") or what XEP-0059 lets a
// server leave out (paging by index), item-not-found for a node (a
// room's archive has none).
func parseMAMQuery(p *wire.Element, room jid.JID) (mamQuery, error) {
	var mq mamQuery
	mq.queryID = p.Attr("queryid")
	if len(mq.queryID) > maxQueryID {
		return mq, badQuery("queryid is %d bytes, at most %d", len(mq.queryID), maxQueryID)
	}
	if node := p.Attr("node"); node != "" {
		return mq, &mamError{wire.ItemNotFound, "a room's archive has no node " + strconv.Quote(node)}
	}
	seenForm, seenSet := false, false
	for i := range p.Children {
		c := &p.Children[i]
		switch {
		case c.XMLName.Space == wire.NSData && c.XMLName.Local == "x":
			if seenForm {
				return mq, badQuery("more than one data form")
			}
			seenForm = true
			if err := mq.parseForm(c, room); err != nil {
				return mq, err
			}
		case c.XMLName.Space == nsRSM && c.XMLName.Local == "set":
			if seenSet {
				return mq, badQuery("more than one RSM <set/>")
			}
			seenSet = true
			if err := mq.parseSet(c); err != nil {
				return mq, err
			}
		case c.XMLName.Space == nsMAM && c.XMLName.Local == "flip-page":
			if mq.flip {
				return mq, badQuery("<flip-page/> given twice")
			}
			mq.flip = true
		}
		// Anything else is an extension this archive does not know:
		// ignored, as XMPP does with unknown payloads.
	}
	return mq, mq.checkIDs()
}

// parseForm reads the query's data form into mq.
func (mq *mamQuery) parseForm(x *wire.Element, room jid.JID) error {
	if typ := x.Attr("type"); typ != "submit" && typ != "" {
		return badQuery("the data form's type is %q, want submit", typ)
	}
	seen := map[string]bool{}
	for i := range x.Children {
		f := &x.Children[i]
		if f.XMLName.Local != "field" {
			continue // <title/>, <instructions/>: harmless
		}
		name := f.Attr("var")
		if name == "" {
			return badQuery("a form field without var")
		}
		if seen[name] {
			return badQuery("field %q given twice", name)
		}
		seen[name] = true
		values := fieldValues(f) // dataform.go
		if name == "ids" {
			if err := mq.parseIDs(values); err != nil { // mam_ids.go
				return err
			}
			continue
		}
		if len(values) > 1 {
			return badQuery("field %q has %d values, want one", name, len(values))
		}
		v := ""
		if len(values) == 1 {
			v = strings.TrimSpace(values[0])
		}
		switch name {
		case "FORM_TYPE":
			if v != nsMAM {
				return badQuery("FORM_TYPE is %q, want %s", v, nsMAM)
			}
		case "start", "end":
			if v == "" {
				continue // an empty bound is no bound
			}
			tm, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return badQuery("%s %q is not an XEP-0082 date-time such as 2024-01-31T12:00:00Z", name, v)
			}
			if name == "start" {
				mq.q.Start = tm
			} else {
				if !strings.Contains(v, ".") {
					// To the second, it covers that second: Dino asks
					// for what is older than its oldest message's time
					// cut to the second, and a message shown a moment
					// before that one, in its second, is older too.
					tm = tm.Add(time.Second - time.Nanosecond)
				}
				mq.q.End = tm
			}
		case "with":
			if v == "" {
				continue
			}
			if err := mq.parseWith(v, room); err != nil {
				return err
			}
		case "after-id", "before-id":
			// urn:xmpp:mam:2#extended: the range's own bounds, exclusive;
			// an id the archive lacks is item-not-found when queried.
			if v == "" {
				continue
			}
			if len(v) > maxStanzaID {
				// XEP-0313: an id the archive lacks is item-not-found,
				// however it is malformed.
				return &mamError{wire.ItemNotFound, fmt.Sprintf("%s is %d bytes, more than any stanza-id of this archive", name, len(v))}
			}
			if name == "after-id" {
				mq.q.AfterID = v
			} else {
				mq.q.BeforeID = v
			}
		default:
			// XEP-0313 ("Retrieving form fields"): a field the server does not know is
			// refused, not ignored: the client would take the unfiltered
			// result for a filtered one.
			return &mamError{wire.FeatureNotImpl, fmt.Sprintf("field %q is not supported (this archive takes start, end, with, after-id, before-id and ids)", name)}
		}
	}
	if !mq.q.Start.IsZero() && !mq.q.End.IsZero() && mq.q.End.Before(mq.q.Start) {
		return badQuery("end %s is before start %s", mq.q.End.Format(time.RFC3339), mq.q.Start.Format(time.RFC3339))
	}
	return nil
}

// parseWith reads the form's `with`: the room itself (no filter), an
// occupant room/nick (mapped by the room to its member), or a JID, whose
// bare form the archive's sender index holds.
func (mq *mamQuery) parseWith(v string, room jid.JID) error {
	j, err := jid.Parse(v)
	if err != nil {
		return badQuery("with %q is not a JID: %v", v, err)
	}
	if j.Bare().Equal(room.Bare()) {
		mq.withNick = j.Resourcepart()
		return nil
	}
	mq.q.With = j.Bare().String()
	return nil
}

// parseSet reads an XEP-0059 <set/> into mq.
func (mq *mamQuery) parseSet(set *wire.Element) error {
	seen := map[string]bool{}
	for i := range set.Children {
		c := &set.Children[i]
		if c.XMLName.Space != nsRSM && c.XMLName.Space != "" {
			continue
		}
		name, text := c.XMLName.Local, strings.TrimSpace(c.Text)
		switch name {
		case "max", "after", "before", "index":
			if seen[name] {
				return badQuery("RSM <%s/> given twice", name)
			}
			seen[name] = true
		}
		switch name {
		case "max":
			n, err := strconv.Atoi(text)
			if err != nil || n < 0 {
				return badQuery("RSM <max/> %q is not a non-negative integer", text)
			}
			if n == 0 {
				mq.q.CountOnly = true // XEP-0059 §2.6: the count alone
			} else {
				mq.q.Max = min(n, store.MaxArchivePage)
			}
		case "after":
			if text == "" {
				return badQuery("RSM <after/> is empty; it takes the id of the last message of the page before")
			}
			mq.q.After = text
		case "before":
			if text == "" {
				mq.q.Latest = true // the last page
			} else {
				mq.q.Before = text
			}
		case "index":
			return &mamError{wire.FeatureNotImpl, "paging by RSM <index/> is not supported; page with <after/> or <before/>"}
		}
	}
	return nil
}

// mamIQ answers an iq in urn:xmpp:mam:2 sent to a room JID.
func (t *transport) mamIQ(ctx context.Context, st *wire.Stanza, from, to jid.JID, p *wire.Element) {
	user := from.Bare().String()
	if _, ok := t.loginOf(user); !ok {
		t.notRegistered(ctx, st)
		return
	}
	if to.Resourcepart() != "" {
		t.send(ctx, wire.ErrorReply(st, wire.BadRequest, "query the room's archive at the room's bare JID"))
		return
	}
	chatID, err := puppet.FromJID(to)
	room := store.RoomKey{Transport: t.name, UserJID: user, RoomID: chatID}
	// A room that is not the user's reads as one that does not exist:
	// another user's rooms are never revealed, nor their archives read.
	if err != nil || !t.archiveOf(ctx, room) {
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "no such room"))
		return
	}
	get := st.Type() == "get"
	switch {
	case p.XMLName.Local == "query" && get:
		t.send(ctx, mamForm(st))
	case p.XMLName.Local == "query":
		t.mamQuery(ctx, st, room, to, p)
	case p.XMLName.Local == "metadata" && get:
		t.mamMetadata(ctx, st, room)
	default:
		t.send(ctx, wire.ErrorReply(st, wire.FeatureNotImpl, ""))
	}
}

// archiveOf reports whether the user may query the room's archive: it is
// one of their rooms (roomOf), or the store keeps an archive of it for
// them. Right after a restart the rooms are known only once the login
// has listed its chats, and that is when clients come back and catch up
// with MAM. Either way only the user's own archive is read.
func (t *transport) archiveOf(ctx context.Context, room store.RoomKey) bool {
	if t.roomOf(room.UserJID, room.RoomID) {
		return true
	}
	p, err := t.db.QueryArchive(ctx, room, store.ArchiveQuery{CountOnly: true})
	return err == nil && p.Count > 0
}

// mamForm is the answer to a query for the search form (XEP-0313,
// "Retrieving form fields"): the fields this archive filters by, urn:xmpp:mam:2#extended's
// included; ids is an open list-multi, its values never listed.
func mamForm(st *wire.Stanza) []byte {
	r := wire.Result(st)
	r.Start("query", nsMAM).Start("x", wire.NSData).Attr("type", "form")
	r.Start("field", "").Attr("var", "FORM_TYPE").Attr("type", "hidden").Leaf("value", "", nsMAM).End()
	r.Start("field", "").Attr("var", "with").Attr("type", "jid-single").End()
	r.Start("field", "").Attr("var", "start").Attr("type", "text-single").End()
	r.Start("field", "").Attr("var", "end").Attr("type", "text-single").End()
	r.Start("field", "").Attr("var", "before-id").Attr("type", "text-single").End()
	r.Start("field", "").Attr("var", "after-id").Attr("type", "text-single").End()
	r.Start("field", "").Attr("var", "ids").Attr("type", "list-multi")
	r.Start("validate", nsXDataValidate).Attr("datatype", "xs:string").Start("open", "").End().End()
	r.End()
	return r.Bytes()
}

// mamQuery runs a query set and sends its page (mamAnswer), after
// fetching older history when the page reaches the archive's start
// (mamScrollBack).
func (t *transport) mamQuery(ctx context.Context, st *wire.Stanza, room store.RoomKey, to jid.JID, p *wire.Element) {
	mq, err := parseMAMQuery(p, to)
	if err == nil && mq.withNick != "" {
		j, ok := t.occupantJID(ctx, room, mq.withNick)
		if !ok {
			err = badQuery("with: no occupant %q among the room's recent senders to filter by", mq.withNick)
		}
		mq.q.With = j
	}
	if err != nil {
		var me *mamError
		if errors.As(err, &me) {
			t.send(ctx, wire.ErrorReply(st, me.cond, me.text))
		} else {
			t.send(ctx, wire.ErrorReply(st, wire.BadRequest, err.Error()))
		}
		return
	}
	if mq.ids != nil {
		page, err := t.mamFetchIDs(ctx, room, mq) // mam_ids.go
		if err != nil {
			t.mamQueryError(ctx, st, room, err)
			return
		}
		t.mamAnswer(ctx, st, room, to, mq, page)
		return
	}
	page, err := t.db.QueryArchive(ctx, room, mq.q)
	if err != nil {
		t.mamQueryError(ctx, st, room, err)
		return
	}
	if t.mamScrollBack(ctx, st, room, to, mq, &page) { // mam_backfill.go
		return // answered once the room's older history is fetched
	}
	t.mamAnswer(ctx, st, room, to, mq, page)
}

// mamQueryError answers a query the archive could not run.
func (t *transport) mamQueryError(ctx context.Context, st *wire.Stanza, room store.RoomKey, err error) {
	switch {
	case errors.Is(err, store.ErrUnknownStanzaID):
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "no message of this id in the room's archive (never, or no longer kept)"))
	case errors.Is(err, store.ErrInvalid):
		t.send(ctx, wire.ErrorReply(st, wire.BadRequest, err.Error()))
	default:
		if ctx.Err() == nil {
			t.log.Error("room archive query failed", "user", room.UserJID, "room", room.RoomID, "err", err)
		}
		t.send(ctx, wire.ErrorReply(st, wire.InternalServerError, "the archive cannot be read now"))
	}
}

// mamAnswer sends a query's page: one message per archived stanza to the
// querying resource, oldest first or, flipped, newest first, then the iq
// result with <fin/> (whose first and last stay the page's oldest and
// newest: a flip changes the order sent, not the page, XEP-0313's
// "Flipped pages").
func (t *transport) mamAnswer(ctx context.Context, st *wire.Stanza, room store.RoomKey, to jid.JID, mq mamQuery, page store.ArchivePage) {
	roomJID, dest := to.Bare().String(), st.From()
	var aliases *occupantAliases
	if s := t.session(room.UserJID); s != nil {
		aliases = &s.aliases
	}
	for j := range page.Messages {
		i := j
		if mq.flip {
			i = len(page.Messages) - 1 - j
		}
		m := &page.Messages[i]
		msg, ok := mamResult(roomJID, dest, t.newID(), mq.queryID, m, t.archivedOccupantID(aliases, roomJID, m), archivedRealJID(m))
		if !ok {
			// Not a stanza the link may write: it would end the component
			// stream for every user. Left out, and said.
			t.log.Error("archived message is not a message stanza; left out of the MAM page", "user", room.UserJID, "room", room.RoomID, "stanza_id", m.StanzaID)
			continue
		}
		t.send(ctx, msg)
	}
	t.send(ctx, mamFin(st, page))
}

// occupantJID maps an occupant nick of a `with` to the JID its messages
// are archived under: the sender of the newest message by that nick among
// the room's last store.MaxArchivePage (one page read, whatever the
// archive's size; a nick taken over later maps to its newest holder).
func (t *transport) occupantJID(ctx context.Context, room store.RoomKey, nick string) (string, bool) {
	page, err := t.db.QueryArchive(ctx, room, store.ArchiveQuery{Latest: true, Max: store.MaxArchivePage})
	if err != nil {
		return "", false
	}
	for i := len(page.Messages) - 1; i >= 0; i-- {
		if m := &page.Messages[i]; m.Nick == nick && m.SenderJID != "" {
			return m.SenderJID, true
		}
	}
	return "", false
}

// mamResult wraps one archived stanza as XEP-0313 §4.2 says, from the
// room to the querying resource, with its sender's occupant-id occID
// (archivedOccupantID, room_occupant_id.go), the only one, and its real
// JID realJID ("" for none: archivedRealJID); false when the payload
// does not start as a <message/>.
func mamResult(roomJID, to, id, queryID string, m *store.ArchivedMessage, occID, realJID string) ([]byte, bool) {
	inner, ok := clientMessage(m.Payload)
	if !ok {
		return nil, false
	}
	inner = withOccupantID(inner, occID)
	inner = withRealJID(inner, realJID)
	var w wire.Writer
	w.Start("message", "").Attr("from", roomJID).Attr("to", to).Attr("id", id)
	w.Start("result", nsMAM).Attr("queryid", queryID).Attr("id", m.StanzaID)
	w.Start("forwarded", nsForward)
	w.Start("delay", wire.NSDelay).Attr("stamp", m.Time.UTC().Format(stampLayout)).End()
	w.Raw(inner)
	return w.Bytes(), true
}

// archivedRealJID is the real JID of an archived message's sender as it
// was when it sent it (the user's, or a member's puppet JID, as the
// room's presences showed it; Prosody's archive keeps it so too); "" for
// the room's own.
func archivedRealJID(m *store.ArchivedMessage) string {
	if m.Nick == "" {
		return ""
	}
	return m.SenderJID
}

// withRealJID adds to an archived message its sender's real JID, as the
// muc#user <x><item jid/></x> a non-anonymous room's archive gives (as
// Prosody's does): a client (Conversations) takes a message it reads
// from the archive as the person's by it, the occupant who sent it maybe
// gone from the room, and the user's own as sent from another device.
// A payload with a muc#user <x/> of its own is left as it is.
func withRealJID(msg []byte, realJID string) []byte {
	if realJID == "" || bytes.Contains(msg, []byte(`"`+muc.NSUser+`"`)) {
		return msg
	}
	var w wire.Writer
	w.Start("x", muc.NSUser).Start("item", "").Attr("jid", realJID).End().End()
	return appendChildren(msg, w.Bytes())
}

// clientMessage returns an archived payload as a forwarded message must
// be: in jabber:client. On the component stream an element without xmlns
// inside <forwarded/> is in jabber:component:accept, and the server would
// hand it to the client so; a <message> without xmlns gets it. false when
// the payload does not begin with a <message> start tag.
func clientMessage(payload []byte) ([]byte, bool) {
	d := xml.NewDecoder(bytes.NewReader(payload))
	tok, err := d.RawToken()
	if err != nil {
		return nil, false
	}
	start, ok := tok.(xml.StartElement)
	if !ok || start.Name.Local != "message" || start.Name.Space != "" {
		return nil, false
	}
	for _, a := range start.Attr {
		if a.Name.Space == "" && a.Name.Local == "xmlns" {
			return payload, true // as written: the bridge chose it
		}
	}
	const open = "<message"
	if !bytes.HasPrefix(payload, []byte(open)) {
		return nil, false // leading space or a prolog: not what the bridge writes
	}
	out := make([]byte, 0, len(payload)+24)
	out = append(out, open...)
	out = append(out, ` xmlns="jabber:client"`...)
	return append(out, payload[len(open):]...), true
}

// mamFin is the iq result that ends a page: <fin/> with complete when no
// message lies beyond the page, and the RSM <set/> (first, last, count).
func mamFin(st *wire.Stanza, page store.ArchivePage) []byte {
	r := wire.Result(st)
	r.Start("fin", nsMAM)
	if page.Complete {
		r.Attr("complete", "true")
	}
	r.Start("set", nsRSM)
	if page.First != "" {
		r.Leaf("first", "", page.First)
		r.Leaf("last", "", page.Last)
	}
	if page.Count >= 0 {
		r.Leaf("count", "", strconv.Itoa(page.Count))
	}
	return r.Bytes()
}

// mamMetadata answers XEP-0313 §6's metadata query: the ids and times of
// the room's first and last archived messages; nothing when it has none.
func (t *transport) mamMetadata(ctx context.Context, st *wire.Stanza, room store.RoomKey) {
	first, err := t.db.QueryArchive(ctx, room, store.ArchiveQuery{Max: 1})
	var last store.ArchivePage
	if err == nil {
		last, err = t.db.QueryArchive(ctx, room, store.ArchiveQuery{Max: 1, Latest: true})
	}
	if err != nil {
		if ctx.Err() == nil {
			t.log.Error("room archive metadata failed", "user", room.UserJID, "room", room.RoomID, "err", err)
		}
		t.send(ctx, wire.ErrorReply(st, wire.InternalServerError, "the archive cannot be read now"))
		return
	}
	r := wire.Result(st)
	r.Start("metadata", nsMAM)
	if len(first.Messages) > 0 && len(last.Messages) > 0 {
		f, l := &first.Messages[0], &last.Messages[0]
		// Arrivals: the times a query's start and end bound.
		r.Start("start", "").Attr("id", f.StanzaID).Attr("timestamp", f.Arrived.UTC().Format(stampLayout)).End()
		r.Start("end", "").Attr("id", l.StanzaID).Attr("timestamp", l.Arrived.UTC().Format(stampLayout)).End()
	}
	t.send(ctx, r.Bytes())
}
