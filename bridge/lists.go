package bridge

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"passerelle.im/passerelle/bridge/wire"
)

// Listing the user's contacts and groups (as slidge's Contacts and
// Groups commands do): the ad-hoc commands "contacts" and "groups"
// answer with a result form (XEP-0004 reported fields and items) of each
// one's address and name; the chat commands "contacts [TEXT]" and
// "groups [TEXT]" answer the same in words, those whose name or address
// has TEXT only. A user finds there the address of a contact or a group
// their client lost or never showed (no roster permission, a declined
// invitation, a client that browses no disco#items).

// listEntry is one contact or group of a list.
type listEntry struct{ jid, name string }

// contactEntries lists the login's contacts by name.
func (s *session) contactEntries() []listEntry {
	t := s.t
	ps, err := t.db.ListPuppets(t.name, s.LoginID())
	if err != nil {
		t.log.Error("reading puppets failed", "user", s.user, "err", err)
	}
	out := make([]listEntry, 0, len(ps))
	for _, p := range ps {
		j, err := t.puppetJID(p.UserID)
		if err != nil {
			continue // an ID no address is made of: never shown either
		}
		out = append(out, listEntry{jid: j.String(), name: p.Name})
	}
	sortEntries(out)
	return out
}

// groupEntries lists the login's rooms by name.
func (s *session) groupEntries() []listEntry {
	var out []listEntry
	for _, rm := range s.rooms.all() {
		out = append(out, listEntry{jid: rm.jid, name: rm.displayName()})
	}
	sortEntries(out)
	return out
}

func sortEntries(es []listEntry) {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := strings.ToLower(es[i].name), strings.ToLower(es[j].name)
		if a != b {
			return a < b
		}
		return es[i].jid < es[j].jid
	})
}

// filterEntries keeps the entries whose name or address has text, in
// any case. In the address it starts before the domain, which every
// entry shares ("contacts telegram" on telegram.example.org listed all).
func filterEntries(es []listEntry, text string) []listEntry {
	text = strings.ToLower(strings.TrimSpace(text))
	if text == "" {
		return es
	}
	var out []listEntry
	for _, e := range es {
		j := strings.ToLower(e.jid)
		if at := strings.Index(j, text); strings.Contains(strings.ToLower(e.name), text) || at >= 0 && at < strings.LastIndexByte(j, '@') {
			out = append(out, e)
		}
	}
	return out
}

// fitEntries is how many of es (rendered by render, escaped as in the
// stanza) fit in budget bytes: thousands of contacts would pass the
// server's stanza limit, which answers the whole stanza with an error.
func fitEntries(es []listEntry, budget int, render func(*wire.Writer, listEntry)) int {
	size := 0
	for i, e := range es {
		var w wire.Writer
		render(&w, e)
		size += len(w.Bytes())
		if size > budget {
			return i
		}
	}
	return len(es)
}

// listKind says what the command at node lists, in words: "contact",
// "group".
func listKind(node string) string {
	if node == "groups" {
		return "group"
	}
	return "contact"
}

func (s *session) listEntries(node string) []listEntry {
	if node == "groups" {
		return s.groupEntries()
	}
	return s.contactEntries()
}

// cmdList is the ad-hoc command "contacts" or "groups" (node): one
// stage, the result form.
func (t *transport) cmdList(ctx context.Context, st *wire.Stanza, user, node, sid string) {
	s := t.roomCommandSession(ctx, st, node, user, sid)
	if s == nil {
		return
	}
	kind := listKind(node)
	es := s.listEntries(node)
	if len(es) == 0 {
		t.done(ctx, st, node, sid, "info", "You have no "+kind+"s on "+t.displayName()+".")
		return
	}
	item := func(w *wire.Writer, e listEntry) { formItem(w, [2]string{"jid", e.jid}, [2]string{"name", e.name}) }
	n := fitEntries(es, t.stanzaLimit()/2, item)
	text := fmt.Sprintf("%s on %s.", plural(len(es), kind), t.displayName())
	if n < len(es) {
		text = fmt.Sprintf("%d of your %d %ss on %s; send “%s TEXT” to %s for those whose name has TEXT.", n, len(es), kind, t.displayName(), node, t.domain)
	}
	if sid == "" {
		sid = t.newID()
	}
	r := cmdReply(st, node, sid, "completed")
	note(r, "info", text)
	title := "Your contacts"
	if node == "groups" {
		title = "Your groups"
	}
	resultForm(r, title, [3]string{"jid", "jid-single", "Address"}, [3]string{"name", "text-single", "Name"})
	for _, e := range es[:n] {
		item(r, e)
	}
	r.End()
	t.send(ctx, r.Bytes())
}

// chatList is the chat command "contacts [TEXT]" or "groups [TEXT]"
// (node names which).
func (t *transport) chatList(user, node, arg string, say func(string)) {
	s := t.session(user)
	if s == nil {
		say("You are not logged in to " + t.displayName() + ".")
		return
	}
	kind := listKind(node)
	all := s.listEntries(node)
	es := filterEntries(all, arg)
	switch {
	case len(all) == 0:
		say("You have no " + kind + "s on " + t.displayName() + ".")
		return
	case len(es) == 0:
		say(fmt.Sprintf("No %s of yours on %s has “%s” in its name or address.", kind, t.displayName(), strings.TrimSpace(arg)))
		return
	}
	line := func(w *wire.Writer, e listEntry) { w.Text(listLine(e)) }
	n := fitEntries(es, t.stanzaLimit()/2, line)
	var b strings.Builder
	if n < len(es) {
		fmt.Fprintf(&b, "%d of %d %ss (send “%s TEXT” for those whose name has TEXT):", n, len(es), kind, node)
	} else {
		fmt.Fprintf(&b, "%s:", plural(len(es), kind))
	}
	for _, e := range es[:n] {
		b.WriteString(listLine(e))
	}
	say(b.String())
}

// listLine is an entry's line in the chat's answer: its name on one
// line, then its address.
func listLine(e listEntry) string {
	return "\n  " + lineName(e.name) + ": " + e.jid
}

// lineName is a name from the network as one line of a chat answer, the
// address after it readable: its line breaks made spaces (a name could
// make lines of its own, listing a contact that is none) and its bidi
// embeddings, overrides and isolates dropped (one left open reverses the
// address that follows).
func lineName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\ufffd"))
	return strings.Join(strings.Fields(s), " ")
}
