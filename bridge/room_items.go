package bridge

import (
	"strconv"

	"passerelle.im/passerelle/bridge/wire"
)

// roomItems answers disco#items on the transport's JID: the user's own
// rooms, nobody else's (XEP-0045 §6.3), by chat ID, paged with XEP-0059
// result set management (max, after, before, index; the count). Names
// of a network may be long and escape long: a hundred groups' list can
// pass the server's stanza limit, which would answer the whole listing
// with an error. So a page, asked for or not, stops at half the limit,
// and one that stops short of the list says where it stopped (<set/>
// with first, last and count) so a client pages on.
func (t *transport) roomItems(st *wire.Stanza, user string) []byte {
	var jids, names []string
	if s := t.session(user); s != nil && t.access.Allowed(user) {
		for _, rm := range s.rooms.all() {
			jids = append(jids, rm.jid)
			names = append(names, rm.displayName())
		}
	}
	return t.pagedItems(st, jids, names)
}

// pagedItems answers disco#items query st with the items of jids, named
// names, the page its RSM <set/> asks for, within half the server's
// stanza limit (see roomItems).
func (t *transport) pagedItems(st *wire.Stanza, jids, names []string) []byte {
	pg, err := parseItemsSet(st.Payload(), jids)
	if err != nil {
		return wire.ErrorReply(st, err.cond, err.text)
	}
	budget := t.stanzaLimit() / 2
	item := func(i int) []byte {
		var w wire.Writer
		w.Start("item", "").Attr("jid", jids[i]).Attr("name", names[i]).End()
		if b := w.Bytes(); len(b) <= budget/4 {
			return b
		}
		// A name that alone fills the answer: the item goes without it.
		var bare wire.Writer
		return bare.Start("item", "").Attr("jid", jids[i]).End().Bytes()
	}
	// The window: from start forward, or back from end for <before/>,
	// up to max items and the budget.
	var first, last int
	var items [][]byte
	size := 0
	take := func(i int) bool {
		b := item(i)
		if len(items) > 0 && size+len(b) > budget {
			return false
		}
		size += len(b)
		items = append(items, b)
		return true
	}
	if pg.backward {
		first = pg.end
		for i := pg.end - 1; i >= 0 && (pg.max < 0 || len(items) < pg.max) && take(i); i-- {
			first = i
		}
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	} else {
		first = pg.start
		for i := pg.start; i < len(jids) && (pg.max < 0 || len(items) < pg.max) && take(i); i++ {
		}
	}
	last = first + len(items) - 1
	r := wire.Result(st)
	r.Start("query", wire.NSDiscoItems)
	for _, b := range items {
		r.Raw(b)
	}
	if pg.asked || len(items) < len(jids) {
		r.Start("set", nsRSM)
		if len(items) > 0 {
			r.Start("first", "").Attr("index", strconv.Itoa(first)).Text(jids[first]).End()
			r.Leaf("last", "", jids[last])
		}
		r.Leaf("count", "", strconv.Itoa(len(jids)))
		r.End()
	}
	r.End()
	return r.Bytes()
}

// itemsPage is the part of a list an RSM <set/> asks for.
type itemsPage struct {
	asked    bool // a <set/> was given: the answer has one
	max      int  // -1: no limit of the client's
	start    int  // the first item, going forward
	backward bool // <before/>: the items just before end
	end      int
}

// itemsError is a refused <set/>.
type itemsError struct {
	cond wire.Condition
	text string
}

// parseItemsSet reads the RSM <set/> of a disco#items query over keys
// (the items' ids, in order): an after or before naming no item is
// item-not-found (XEP-0059 §2.5).
func parseItemsSet(q *wire.Element, keys []string) (itemsPage, *itemsError) {
	pg := itemsPage{max: -1}
	var set *wire.Element
	if q != nil {
		set = q.Child(nsRSM, "set")
	}
	if set == nil {
		return pg, nil
	}
	pg.asked = true
	find := func(k string) (int, *itemsError) {
		for i, key := range keys {
			if key == k {
				return i, nil
			}
		}
		return 0, &itemsError{wire.ItemNotFound, "no item " + k + " in the list"}
	}
	if m := set.Child("", "max"); m != nil {
		n, err := strconv.Atoi(m.Text)
		if err != nil || n < 0 {
			return pg, &itemsError{wire.BadRequest, "RSM <max/> is not a count"}
		}
		pg.max = n
	}
	if a := set.Child("", "after"); a != nil {
		i, err := find(a.Text)
		if err != nil {
			return pg, err
		}
		pg.start = i + 1
	}
	if b := set.Child("", "before"); b != nil {
		pg.backward, pg.end = true, len(keys) // empty: the last page
		if b.Text != "" {
			i, err := find(b.Text)
			if err != nil {
				return pg, err
			}
			pg.end = i
		}
	}
	if x := set.Child("", "index"); x != nil && !pg.backward {
		n, err := strconv.Atoi(x.Text)
		if err != nil || n < 0 {
			return pg, &itemsError{wire.BadRequest, "RSM <index/> is not a position"}
		}
		pg.start = n
	}
	return pg, nil
}
