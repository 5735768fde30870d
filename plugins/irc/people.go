package irc

import (
	"strconv"
	"strings"
)

// people gives the other users of a connection their IDs. IRC has no
// user IDs, only nicks, which change: the gateway keys a group's members
// and a direct chat by ID, so a member keeps the ID of the nick they were
// first seen with through their nick changes (a rename is then a rename,
// and a private chat goes on with them under their new nick). A new nick
// whose folded form is the ID of someone renamed gets that ID with "!2"
// ("!3"...) after it: no nick contains "!". The user is not here: their
// ID is the login ID.
//
// IDs last as long as the connection: after a reconnection nobody's past
// nicks are known, and each member is known by their nick again.
type people struct {
	byNick map[string]string // folded current nick -> ID
	nickOf map[string]string // ID -> current nick
	// addr is each ID's user and host, where the server said them (a
	// JOIN's source, NAMES with userhost-in-names, USERHOST): what a
	// ban by host needs. A nick change keeps them.
	addr map[string]userHost
	// fold folds nicks as the server does (Session.fold).
	fold func(string) string
}

// userHost is someone's user (ident) and host, as in nick!user@host.
type userHost struct{ user, host string }

// splitSource reads a source nick!user@host; ok is false when it lacks
// the user or the host (a server's name, a bare nick: the nick is then
// all of it).
func splitSource(src string) (nick string, uh userHost, ok bool) {
	nick, rest, ok1 := strings.Cut(src, "!")
	user, host, ok2 := strings.Cut(rest, "@")
	if !ok1 || !ok2 || nick == "" || user == "" || host == "" {
		return src, userHost{}, false
	}
	return nick, userHost{user: user, host: host}, true
}

func newPeople(fold func(string) string) *people {
	return &people{byNick: map[string]string{}, nickOf: map[string]string{}, addr: map[string]userHost{}, fold: fold}
}

// seen notes nick's user and host, and returns nick's ID.
func (p *people) seen(nick string, uh userHost) string {
	id := p.id(nick)
	p.addr[id] = uh
	return id
}

// userHost is the user and host of the member with ID id, if known.
func (p *people) userHost(id string) (userHost, bool) {
	uh, ok := p.addr[id]
	return uh, ok
}

// id is nick's ID, given now if nick is new.
func (p *people) id(nick string) string {
	f := p.fold(nick)
	if id, ok := p.byNick[f]; ok {
		p.nickOf[id] = nick // the spelling may have changed
		return id
	}
	id := decodeText(f) // an ID is UTF-8, a nick may be Latin-1
	for n := 2; ; n++ {
		if _, taken := p.nickOf[id]; !taken {
			break
		}
		id = decodeText(f) + "!" + strconv.Itoa(n)
	}
	p.byNick[f], p.nickOf[id] = id, nick
	return id
}

// rename moves old's ID to the nick now, and returns it.
func (p *people) rename(old, now string) string {
	id := p.id(old)
	delete(p.byNick, p.fold(old))
	if prev, ok := p.byNick[p.fold(now)]; ok && prev != id {
		delete(p.nickOf, prev) // a stale entry: now is this member's
		delete(p.addr, prev)
	}
	p.byNick[p.fold(now)], p.nickOf[id] = id, now
	return id
}

// forget drops nick (it quit): its ID may be given again.
func (p *people) forget(nick string) {
	f := p.fold(nick)
	if id, ok := p.byNick[f]; ok {
		delete(p.nickOf, id)
		delete(p.byNick, f)
		delete(p.addr, id)
	}
}

// nick is the current nick of the member with ID id.
func (p *people) nick(id string) (string, bool) {
	n, ok := p.nickOf[id]
	return n, ok
}
