package muc

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"passerelle.im/passerelle/bridge/wire"
)

// DefaultHistory is how many messages a join without <history/> gets
// (Prosody's default too).
const DefaultHistory = 20

// MaxHistory caps what a join may ask for: history is the archive's newest
// page, and more belongs to a MAM query.
const MaxHistory = 250

// ErrBadJoin is wrapped by ParseJoin's errors: a join it cannot read
// whole (the bridge answers bad-request, or joins with the bad part
// ignored: Join is filled in regardless).
var ErrBadJoin = errors.New("muc: malformed join")

// Join is what a join presence asks for.
type Join struct {
	// MUC: the presence has <x xmlns='http://jabber.org/protocol/muc'/>,
	// so it is a join and not a presence update of an occupant (XEP-0045
	// §7.2.1: a client joining always includes it).
	MUC bool
	// Password is the <password/> given, "" for none.
	Password string
	// History is what the <history/> element asks for.
	History History
}

// History is a join's <history/> (XEP-0045 §7.2.13). A field is set only
// when its attribute was given and well formed.
type History struct {
	// Given: the join has a <history/> element. Without it the room
	// sends DefaultHistory messages.
	Given bool
	// MaxChars bounds the characters of the history's complete stanzas;
	// 0 asks for no history. -1: not given.
	MaxChars int
	// MaxStanzas bounds the number of messages. -1: not given.
	MaxStanzas int
	// Seconds keeps the messages of the last Seconds. -1: not given.
	Seconds int
	// Since keeps the messages sent at or after it; zero: not given.
	Since time.Time
}

// noHistory is a History without any bound.
func noHistory() History { return History{MaxChars: -1, MaxStanzas: -1, Seconds: -1} }

// ParseJoin reads the MUC part of a presence sent to an occupant JID.
// Malformed attributes of <history/> (not a non-negative integer, a
// since that is no XEP-0082 DateTime) are left out of the result and
// reported, all of them, in an error wrapping ErrBadJoin; the rest of the
// join is still read. A presence without the MUC element gives MUC unset
// and no error.
func ParseJoin(st *wire.Stanza) (Join, error) {
	j := Join{History: noHistory()}
	x := st.Child(NS, "x")
	if x == nil {
		return j, nil
	}
	j.MUC = true
	if p := x.Child(NS, "password"); p != nil {
		j.Password = p.Text
	}
	h := x.Child(NS, "history")
	if h == nil {
		return j, nil
	}
	j.History.Given = true
	var errs []error
	for _, a := range [...]struct {
		name string
		dst  *int
	}{{"maxchars", &j.History.MaxChars}, {"maxstanzas", &j.History.MaxStanzas}, {"seconds", &j.History.Seconds}} {
		v, ok := attr(h, a.name)
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 63)
		if err != nil {
			// Out of range is still a well-formed count: as good as unbounded.
			var ne *strconv.NumError
			if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
				n = math.MaxInt32
			} else {
				errs = append(errs, fmt.Errorf("%w: history %s=%q is not a non-negative integer", ErrBadJoin, a.name, v))
				continue
			}
		}
		*a.dst = int(min(n, math.MaxInt32)) // seconds: 68 years, a time still
	}
	if v, ok := attr(h, "since"); ok {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: history since=%q is not a DateTime (XEP-0082, e.g. 2026-12-01T10:00:00Z)", ErrBadJoin, v))
		} else {
			j.History.Since = t.UTC()
		}
	}
	return j, errors.Join(errs...)
}

// attr returns an attribute in no namespace and whether it is there.
func attr(e *wire.Element, name string) (string, bool) {
	for _, a := range e.Attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// None reports whether h asks for no history at all (maxchars or
// maxstanzas of 0).
func (h History) None() bool { return h.MaxChars == 0 || h.MaxStanzas == 0 }

// Oldest is the time before which no history message is wanted (the
// later of since and now less seconds), for the archive query's start;
// zero when unbounded.
func (h History) Oldest(now time.Time) time.Time {
	var t time.Time
	if h.Seconds >= 0 {
		t = now.Add(-time.Duration(h.Seconds) * time.Second)
	}
	if !h.Since.IsZero() && h.Since.After(t) {
		t = h.Since
	}
	return t
}

// Limit is how many of the newest messages to fetch from the archive at
// most: maxstanzas, DefaultHistory without <history/>, never over
// MaxHistory; 0 for none.
func (h History) Limit() int {
	switch {
	case h.None():
		return 0
	case h.MaxStanzas > 0:
		return min(h.MaxStanzas, MaxHistory)
	case !h.Given:
		return DefaultHistory
	}
	return MaxHistory
}

// Item is one history message for Select: its time and the complete
// stanza as it will be sent to the occupant (with its delay element).
type Item struct {
	Time   time.Time
	Stanza []byte
}

// Select returns the index of the first of items (oldest first) to send
// as the join's history: the room sends items[Select(...):]. It is the
// smallest set meeting every bound given (XEP-0045 §7.2.13): the newest
// messages, no older than Oldest, at most Limit of them, and as many
// complete stanzas as fit in maxchars characters (characters of the
// whole XML, not bytes), never a stanza cut.
func (h History) Select(items []Item, now time.Time) int {
	limit := h.Limit()
	oldest := h.Oldest(now)
	from := len(items)
	chars := 0
	for i := len(items) - 1; i >= 0 && len(items)-i <= limit; i-- {
		if !oldest.IsZero() && items[i].Time.Before(oldest) {
			break
		}
		if h.MaxChars >= 0 {
			chars += utf8.RuneCount(items[i].Stanza)
			if chars > h.MaxChars {
				break
			}
		}
		from = i
	}
	return from
}
