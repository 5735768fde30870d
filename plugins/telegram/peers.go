package telegram

import (
	"strings"
	"sync"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// peers caches the users and chats Telegram described (every update and
// answer carries the ones it names) and keeps their access hashes in the
// login's database, as every later request about them needs the hash.
// A session keeps one for its life: a history goroutine still running
// after a Disconnect may use it while a new Connect gives it a new store.
type peers struct {
	err func(error) // reports a failure to keep access hashes
	// onChannel, when set, is told each channel Telegram described in
	// full (not "min"), out of the lock (restrictexpiry.go).
	onChannel func(*tg.Channel)

	mu       sync.Mutex
	st       *store // nil while disconnected: hashes are neither kept nor read
	users    map[int64]*tg.User
	chats    map[int64]*tg.Chat
	channels map[int64]*tg.Channel
}

func newPeers(st *store) *peers {
	p := &peers{err: func(error) {}}
	p.use(st)
	return p
}

// use makes st the database the access hashes go to. A new database
// empties the cache: a new connection starts afresh from what the
// database keeps. nil (the database closed) keeps the cache.
func (p *peers) use(st *store) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st = st
	if st != nil || p.users == nil {
		p.users, p.chats, p.channels = map[int64]*tg.User{}, map[int64]*tg.Chat{}, map[int64]*tg.Channel{}
	}
}

// store is the database the hashes are in, nil while disconnected.
func (p *peers) store() *store {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st
}

// add takes what Telegram said about users and chats. A "min" user or
// channel (no usable access hash) does not replace a full one.
func (p *peers) add(users []tg.UserClass, chats []tg.ChatClass) {
	var keep []hash
	var st *store
	var full []*tg.Channel
	defer func() {
		if len(keep) > 0 && st != nil {
			if err := st.setHashes(keep); err != nil {
				p.err(err)
			}
		}
		if p.onChannel != nil {
			for _, c := range full {
				p.onChannel(c)
			}
		}
	}()
	p.mu.Lock()
	defer p.mu.Unlock()
	st = p.st
	for _, uc := range users {
		u, ok := uc.(*tg.User)
		if !ok {
			continue
		}
		if old, ok := p.users[u.ID]; ok && u.Min {
			// Keep the full one's hash; take the names.
			cp := *old
			cp.FirstName, cp.LastName, cp.Username = u.FirstName, u.LastName, u.Username
			u = &cp
		} else if !u.Min && u.AccessHash != 0 {
			keep = append(keep, hash{'u', u.ID, u.AccessHash})
		}
		p.users[u.ID] = u
	}
	for _, cc := range chats {
		switch c := cc.(type) {
		case *tg.Chat:
			p.chats[c.ID] = c
		case *tg.Channel:
			if old, ok := p.channels[c.ID]; ok && c.Min {
				c = mergeMin(old, c)
			} else if !c.Min && c.AccessHash != 0 {
				keep = append(keep, hash{'c', c.ID, c.AccessHash})
			}
			if !c.Min {
				full = append(full, c)
			}
			p.channels[c.ID] = c
		case *tg.ChannelForbidden:
			// Telegram no longer shows it to the user (banned, or a
			// private one left): a channel they are not in.
			p.channels[c.ID] = &tg.Channel{ID: c.ID, AccessHash: c.AccessHash, Title: c.Title,
				Broadcast: c.Broadcast, Megagroup: c.Megagroup, Left: true, Photo: &tg.ChatPhotoEmpty{}}
		}
	}
}

// mergeMin is a known channel told again as "min": what the min object
// shows of the channel itself (its title, photo, kind), with what only
// a full object carries kept from the known one: the access hash and
// the user's own standing there (creator, left, admin rights,
// restriction), and the default rights and member count a min object
// may leave out.
func mergeMin(old, m *tg.Channel) *tg.Channel {
	cp := *m
	cp.Min, cp.AccessHash = false, old.AccessHash
	cp.Creator, cp.Left = old.Creator, old.Left
	cp.AdminRights, cp.BannedRights = old.AdminRights, old.BannedRights
	if !m.Flags.Has(18) && m.DefaultBannedRights.Zero() {
		cp.DefaultBannedRights = old.DefaultBannedRights
	}
	if !m.Flags.Has(17) && m.ParticipantsCount == 0 {
		cp.ParticipantsCount = old.ParticipantsCount
	}
	// The flags the fields above set or not, said again from them.
	for _, bit := range []int{0, 2, 12, 13, 14, 15, 17, 18} {
		cp.Flags.Unset(bit)
	}
	cp.SetFlags()
	return &cp
}

// leave marks a channel as one the user is not in (Telegram refused to
// show it: CHANNEL_PRIVATE).
func (p *peers) leave(id int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.channels[id]; ok {
		cp := *c
		cp.Left = true
		p.channels[id] = &cp
	}
}

func (p *peers) user(id int64) (*tg.User, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	u, ok := p.users[id]
	return u, ok
}

func (p *peers) chat(id int64) (*tg.Chat, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.chats[id]
	return c, ok
}

func (p *peers) channel(id int64) (*tg.Channel, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.channels[id]
	return c, ok
}

// inputUser is how a request names a user.
func (p *peers) inputUser(id int64) (*tg.InputUser, error) {
	if u, ok := p.user(id); ok && !u.Min {
		return &tg.InputUser{UserID: id, AccessHash: u.AccessHash}, nil
	}
	st := p.store()
	if st == nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "telegram: not connected")
	}
	h, ok, err := st.getHash('u', id)
	if err != nil || !ok {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: user %d is not known to this login yet", id)
	}
	return &tg.InputUser{UserID: id, AccessHash: h}, nil
}

// inputChannel is how a request names a channel or supergroup.
func (p *peers) inputChannel(id int64) (*tg.InputChannel, error) {
	if c, ok := p.channel(id); ok && !c.Min {
		return &tg.InputChannel{ChannelID: id, AccessHash: c.AccessHash}, nil
	}
	st := p.store()
	if st == nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "telegram: not connected")
	}
	h, ok, err := st.getHash('c', id)
	if err != nil || !ok {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: chat %s is not known to this login yet", channelID(id))
	}
	return &tg.InputChannel{ChannelID: id, AccessHash: h}, nil
}

// inputPeer is how a request names a chat given by its ID; a forum's
// topic is its forum.
func (p *peers) inputPeer(chat string) (tg.InputPeerClass, error) {
	kind, id, err := parsePeer(baseChat(chat))
	if err != nil {
		return nil, err
	}
	switch kind {
	case peerChat:
		return &tg.InputPeerChat{ChatID: id}, nil
	case peerChannel:
		c, err := p.inputChannel(id)
		if err != nil {
			return nil, err
		}
		return &tg.InputPeerChannel{ChannelID: c.ChannelID, AccessHash: c.AccessHash}, nil
	}
	u, err := p.inputUser(id)
	if err != nil {
		return nil, err
	}
	return &tg.InputPeerUser{UserID: u.UserID, AccessHash: u.AccessHash}, nil
}

// peerChatID is the chat ID of a Telegram peer.
func peerChatID(p tg.PeerClass) string {
	switch p := p.(type) {
	case *tg.PeerUser:
		return userID(p.UserID)
	case *tg.PeerChat:
		return chatID(p.ChatID)
	case *tg.PeerChannel:
		return channelID(p.ChannelID)
	}
	return ""
}

// chatType is the contract's type of a chat ID.
func (p *peers) chatType(chat string) pb.ChatType {
	kind, id, err := parsePeer(baseChat(chat))
	switch {
	case err != nil || kind == peerUser:
		return pb.ChatType_CHAT_TYPE_DIRECT
	case kind == peerChannel:
		if c, ok := p.channel(id); ok && c.Broadcast {
			return pb.ChatType_CHAT_TYPE_CHANNEL
		}
	}
	return pb.ChatType_CHAT_TYPE_GROUP
}

// byUsername is the ID of the user whose username (the editable one or
// any active one of theirs) is name, whatever its capitals, as Telegram
// compares them; 0 when the cache has no such user.
func (p *peers) byUsername(name string) int64 {
	if name == "" {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, u := range p.users {
		if strings.EqualFold(u.Username, name) {
			return id
		}
		for _, un := range u.Usernames {
			if un.Active && strings.EqualFold(un.Username, name) {
				return id
			}
		}
	}
	return 0
}

// name is how a user reads, from the cache.
func (p *peers) name(id int64) string {
	if u, ok := p.user(id); ok {
		return displayName(u)
	}
	return ""
}
