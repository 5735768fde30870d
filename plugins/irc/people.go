package irc

import "strconv"

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
}

func newPeople() *people {
	return &people{byNick: map[string]string{}, nickOf: map[string]string{}}
}

// id is nick's ID, given now if nick is new.
func (p *people) id(nick string) string {
	f := foldName(nick)
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
	delete(p.byNick, foldName(old))
	if prev, ok := p.byNick[foldName(now)]; ok && prev != id {
		delete(p.nickOf, prev) // a stale entry: now is this member's
	}
	p.byNick[foldName(now)], p.nickOf[id] = id, now
	return id
}

// forget drops nick (it quit): its ID may be given again.
func (p *people) forget(nick string) {
	f := foldName(nick)
	if id, ok := p.byNick[f]; ok {
		delete(p.nickOf, id)
		delete(p.byNick, f)
	}
}

// nick is the current nick of the member with ID id.
func (p *people) nick(id string) (string, bool) {
	n, ok := p.nickOf[id]
	return n, ok
}
