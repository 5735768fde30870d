package muc

import (
	"cmp"
	"crypto/sha256"
	"encoding/base32"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
)

// MaxNick is the longest nick Nicks makes, in characters: longer network
// names are cut (a resourcepart may be 1023 bytes; clients show far less).
const MaxNick = 64

// Nicks gives each member of one room a nick that no other member has,
// from their network name: the name made safe for a resourcepart
// (RFC 7622 OpaqueString, which the full JID room@domain/nick needs),
// then, when another member holds it, suffixed with a short code derived
// from the member ID ("Alice (k3x9)"). A member keeps its nick while its
// network name stays the same, so occupants do not flicker; the first
// claimant of a name keeps it plain. AssignAll takes new members in ID
// order, so a room's member list gives the same nicks on every start.
//
// A sender the network names but the member list does not hold (one who
// left, a list not synced yet, a network with no member list) is a guest
// (Guest): its nick stays while it is among the MaxGuests guests seen
// last, then it is forgotten and the nick freed; and a member claiming
// a guest's nick takes it, the guest getting another when next seen:
// a long-lived room's table stays bounded, and a member joining later
// gets no suffix for someone long gone.
//
// Not safe for concurrent use: it belongs to one room's worker.
type Nicks struct {
	byID   map[string]nickOf
	byNick map[string]string // nick -> member ID
	guests []string          // guest IDs, the least recently seen first
	// maxGuests bounds guests (MaxGuests; tests set less).
	maxGuests int
}

type nickOf struct {
	nick, name string
	guest      bool
}

// MaxGuests is how many guests (see Nicks) keep their nicks in a room:
// the most recently seen.
const MaxGuests = 256

// NewNicks returns an empty Nicks.
func NewNicks() *Nicks {
	return &Nicks{byID: map[string]nickOf{}, byNick: map[string]string{}, maxGuests: MaxGuests}
}

// Member is a member ID and its network name, for AssignAll.
type Member struct{ ID, Name string }

// AssignAll assigns nicks to members (see Assign): those already known
// first, keeping their nicks, then the new ones in member ID order. It
// returns the nicks by member ID.
func (n *Nicks) AssignAll(members []Member) map[string]string {
	ms := slices.Clone(members)
	slices.SortStableFunc(ms, func(a, b Member) int {
		_, ka := n.byID[a.ID]
		_, kb := n.byID[b.ID]
		switch {
		case ka && !kb:
			return -1
		case kb && !ka:
			return 1
		}
		return cmp.Compare(a.ID, b.ID)
	})
	out := make(map[string]string, len(ms))
	for _, m := range ms {
		out[m.ID], _ = n.Assign(m.ID, m.Name)
	}
	return out
}

// Assign returns the nick of member id whose network name is name, and
// whether it is new or different from the member's previous one (the
// room then sends a join or a nick change). The same (id, name) always
// gets the same nick back. A guest's nick is the member's to take (the
// guest is forgotten); a guest becoming a member keeps its own.
func (n *Nicks) Assign(id, name string) (nick string, changed bool) {
	if cur, ok := n.byID[id]; ok {
		if cur.guest {
			n.dropGuest(id)
			cur.guest = false
			n.byID[id] = cur
		}
		if cur.name == name {
			return cur.nick, false
		}
		delete(n.byNick, cur.nick)
		delete(n.byID, id)
		defer func() { changed = nick != cur.nick }()
	}
	nick = n.unique(id, CleanNick(name, id), false)
	if holder, ok := n.byNick[nick]; ok && holder != id {
		n.Remove(holder) // a guest's (unique): it yields to a member
	}
	n.byID[id] = nickOf{nick: nick, name: name}
	n.byNick[nick] = id
	return nick, true
}

// Guest returns the nick of a sender who is no member (see Nicks), named
// name: the one it holds (a member's, or a guest's, which is then held
// as the latest seen), else a new one, which no member or other guest
// holds. A new guest beyond MaxGuests makes the least recently seen one
// forgotten.
func (n *Nicks) Guest(id, name string) string {
	if nick, ok := n.Seen(id); ok {
		return nick
	}
	for len(n.guests) > 0 && len(n.guests) >= n.maxGuests {
		n.Remove(n.guests[0])
	}
	nick := n.unique(id, CleanNick(name, id), true)
	n.byID[id] = nickOf{nick: nick, name: name, guest: true}
	n.byNick[nick] = id
	n.guests = append(n.guests, id)
	return nick
}

// Seen is Nick, and for a guest marks it seen now: its nick is held as
// long as that of any guest seen since.
func (n *Nicks) Seen(id string) (string, bool) {
	cur, ok := n.byID[id]
	if ok && cur.guest && n.guests[len(n.guests)-1] != id {
		n.dropGuest(id)
		n.guests = append(n.guests, id)
	}
	return cur.nick, ok
}

// IsGuest reports whether id holds a guest's nick (see Nicks).
func (n *Nicks) IsGuest(id string) bool { return n.byID[id].guest }

// Guests is the number of guests holding a nick.
func (n *Nicks) Guests() int { return len(n.guests) }

// Remove forgets a member or a guest, freeing its nick.
func (n *Nicks) Remove(id string) {
	if cur, ok := n.byID[id]; ok {
		delete(n.byNick, cur.nick)
		delete(n.byID, id)
		if cur.guest {
			n.dropGuest(id)
		}
	}
}

// dropGuest takes id out of the guests' order.
func (n *Nicks) dropGuest(id string) {
	if i := slices.Index(n.guests, id); i >= 0 {
		n.guests = slices.Delete(n.guests, i, i+1)
	}
}

// Nick returns the nick of member id.
func (n *Nicks) Nick(id string) (string, bool) {
	cur, ok := n.byID[id]
	return cur.nick, ok
}

// MemberOf returns the member ID holding nick (a private message's or a
// kick's target).
func (n *Nicks) MemberOf(nick string) (string, bool) {
	id, ok := n.byNick[nick]
	return id, ok
}

// Len is the number of members and guests with a nick.
func (n *Nicks) Len() int { return len(n.byID) }

// unique returns base, or base with the shortest suffix of id's code
// that no other member holds. For a member (guest false) a guest's nick
// counts as free: the caller takes it from the guest.
func (n *Nicks) unique(id, base string, guest bool) string {
	if n.free(base, id, guest) {
		return base
	}
	code := idCode(id)
	for k := 4; k <= len(code); k += 2 {
		if c := withSuffix(base, code[:k]); n.free(c, id, guest) {
			return c
		}
	}
	// Every code taken: only by members whose IDs hash alike. Count.
	for i := 2; ; i++ {
		if c := withSuffix(base, code+strconv.Itoa(i)); n.free(c, id, guest) {
			return c
		}
	}
}

func (n *Nicks) free(nick, id string, guest bool) bool {
	holder, ok := n.byNick[nick]
	return !ok || holder == id || (!guest && n.byID[holder].guest)
}

// withSuffix is "base (suffix)", base cut so the whole fits in MaxNick.
func withSuffix(base, suffix string) string {
	tail := " (" + suffix + ")"
	if strings.ContainsFunc(base, rtl) {
		// Latin letters and a closing bracket would break the bidi
		// rule (stringprep.go): the code in Arabic letters, last.
		tail = " " + rtlCode(suffix)
	}
	return truncate(base, MaxNick-utf8.RuneCountInString(tail)) + tail
}

// idCode is a short, stable code of a member ID: lowercase base32 of its
// SHA-256, safe in any resourcepart.
func idCode(id string) string {
	sum := sha256.Sum256([]byte(id))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10]))
}

// CleanNick makes a network name a nick: characters a resourcepart may
// not hold dropped, spaces collapsed and trimmed, at most MaxNick
// characters, in the normalized form the JID will have. An empty result
// (a name of only emoji joiners, controls or spaces, or no name) falls
// back to the member ID when that is short and itself valid, else to
// "user " and the ID's code.
func CleanNick(name, id string) string {
	if n := cleanName(name); n != "" {
		return n
	}
	if n := cleanName(id); n != "" && utf8.RuneCountInString(id) <= 32 && n == id {
		return n
	}
	return "user " + idCode(id)[:8]
}

func cleanName(name string) string {
	// Normalized first, so that the spaces NFKC makes ("˚" is " ̊", an
	// Arabic presentation form a space and a mark) are collapsed too, and
	// the cut counts the characters the JID will hold.
	s := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if !wire.XMLChar(r) || unicode.IsControl(r) {
			return -1
		}
		return r
	}, stringprepMap(name))
	s = strings.Join(strings.Fields(s), " ")
	s = truncate(s, MaxNick)
	if s == "" {
		return ""
	}
	if v, ok := resourcepart(s); ok {
		return v
	}
	// Drop the characters the profile refuses, one by one.
	var b strings.Builder
	for _, r := range s {
		if r == ' ' {
			b.WriteRune(r)
			continue
		}
		if _, ok := opaque("a" + string(r) + "a"); ok && !prohibited(r) {
			b.WriteRune(r)
		}
	}
	s = fixBidi(strings.Join(strings.Fields(b.String()), " ")) // stringprep.go
	if s == "" {
		return ""
	}
	if v, ok := resourcepart(s); ok {
		return v
	}
	return "" // a combination refused (bidi rules, say)
}

// resourcepart returns s as the resourcepart of a JID would hold it,
// when both PRECIS and Prosody's stringprep take it (stringprep.go).
func resourcepart(s string) (string, bool) {
	r, ok := opaque(stringprepMap(s))
	return r, ok && stringprepOK(r) && stringprepMap(r) == r
}

// opaque returns s as PRECIS OpaqueString makes a resourcepart.
func opaque(s string) (string, bool) {
	j, err := jid.New("room", "muc.invalid", s)
	if err != nil {
		return "", false
	}
	r := j.Resourcepart()
	return r, r != "" && utf8.RuneCountInString(r) <= MaxNick && strings.TrimSpace(r) == r
}

// truncate cuts s to at most n characters.
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	i := 0
	for pos := range s {
		if i == n {
			return strings.TrimRight(s[:pos], " ")
		}
		i++
	}
	return s
}
