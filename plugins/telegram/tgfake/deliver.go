package tgfake

import (
	"slices"
	"strconv"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
)

func strconvItoa(n int) string     { return strconv.Itoa(n) }
func strconvItoa64(n int64) string { return strconv.FormatInt(n, 10) }

// pushKey sends updates to one device.
func (s *Server) pushKey(k *key, ups ...tg.UpdateClass) {
	msg, err := freeze(&tg.Updates{Updates: ups, Date: now()})
	if err != nil {
		panic(err)
	}
	for _, ss := range k.sessions {
		s.outq <- func() { _ = s.sendUpdates(ss, msg) }
	}
}

// randomKey names a send by its random_id: Telegram keeps the random_id
// of each send to a peer by an account, for ever (core.telegram.org,
// "Working with Updates": random ID deduplication).
type randomKey struct {
	from int64
	peer string
	rid  int64
}

// deliver puts a message from a user into every box of its chat and
// answers the sender as messages.sendMessage does. As Telegram does, a
// send whose random_id the sender used before in that chat sends
// nothing and answers with the message that send made.
// In a forum, o.topic names the topic (the reply_to's top_msg_id).
func (s *Server) deliver(from int64, to tg.PeerClass, text string, o msgOpts, rid int64) (bin.Encoder, error) {
	k := randomKey{from: from, peer: to.String(), rid: rid}
	if a, ok := s.byRandom[k]; ok && rid != 0 {
		return a, nil
	}
	a, err := s.deliverNew(from, to, text, o, rid)
	if err == nil && rid != 0 {
		s.byRandom[k] = a
	}
	return a, err
}

// deliverNew is deliver of a message not sent before.
func (s *Server) deliverNew(from int64, to tg.PeerClass, text string, o msgOpts, rid int64) (bin.Encoder, error) {
	var owners []int64
	switch p := to.(type) {
	case *tg.PeerUser:
		if s.users[p.UserID] == nil {
			return nil, tgerr.New(400, "PEER_ID_INVALID")
		}
		owners = []int64{from}
		if p.UserID != from {
			owners = append(owners, p.UserID)
		}
	case *tg.PeerChannel:
		c := s.channels[p.ChannelID]
		if c == nil {
			return nil, tgerr.New(400, "CHANNEL_INVALID")
		}
		return s.deliverChannel(from, c, text, o, rid)
	case *tg.PeerChat:
		g := s.groups[p.ChatID]
		if g == nil || !slices.Contains(g.Members, from) {
			return nil, tgerr.New(400, "CHAT_ID_INVALID")
		}
		owners = append([]int64{from}, slices.DeleteFunc(slices.Clone(g.Members), func(m int64) bool { return m == from })...)
	default:
		return nil, tgerr.New(400, "PEER_ID_INVALID")
	}
	s.gid++
	gid := s.gid
	s.links[gid] = map[int64]int{}
	replyGid := 0
	if o.reply != 0 {
		replyGid = s.boxOf(from).gids[o.reply]
	}
	date, ttl := s.dateTTL(from, to, o)
	var mine *tg.UpdateNewMessage
	for _, owner := range owners {
		b := s.boxOf(owner)
		id := b.next
		b.next++
		m := &tg.Message{ID: id, Out: owner == from, Date: date, Message: text, Entities: o.ents, Media: o.media, TTLPeriod: ttl, FromScheduled: o.sched}
		switch p := to.(type) {
		case *tg.PeerUser:
			if owner == from {
				m.PeerID = &tg.PeerUser{UserID: p.UserID}
			} else {
				m.PeerID = &tg.PeerUser{UserID: from}
			}
		case *tg.PeerChat:
			m.PeerID = p
			m.FromID = &tg.PeerUser{UserID: from}
		}
		if o.story != nil {
			m.ReplyTo = o.story
		}
		if replyGid != 0 {
			if rid, ok := s.links[replyGid][owner]; ok {
				h := &tg.MessageReplyHeader{ReplyToMsgID: rid}
				if o.quote != "" {
					h.SetQuote(true)
					h.SetQuoteText(o.quote)
				}
				m.ReplyTo = h
			}
		}
		m.SetFlags()
		b.msgs[id] = m
		b.gids[id] = gid
		s.links[gid][owner] = id
		u := &tg.UpdateNewMessage{Message: m}
		s.record(owner, u)
		if owner == from && rid != 0 {
			b.log[len(b.log)-1].rid = rid
			mine = u
			continue
		}
		s.push(owner, u)
	}
	if mine == nil {
		return &tg.Updates{Date: now()}, nil
	}
	return &tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateMessageID{ID: mine.Message.GetID(), RandomID: rid}, mine},
		Users: s.usersFor(from), Chats: s.chatsFor(from), Date: now()}, nil
}

// Send is a message from a user (a contact, or the account from another
// app) to a chat: a user's ID, a group or a channel. It returns the
// message's gid (see ID), or for a channel its ID in the channel.
func (s *Server) Send(from int64, to tg.PeerClass, text string, opts ...MsgOpt) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var o msgOpts
	for _, f := range opts {
		f(&o)
	}
	_, _ = s.deliver(from, to, text, o, 0)
	if p, ok := to.(*tg.PeerChannel); ok {
		return s.channels[p.ChannelID].next - 1 // the channel's own ID
	}
	return s.gid
}

// ID is the ID of message gid (Send's answer) in a user's box.
func (s *Server) ID(gid int, owner int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.links[gid][owner]
}

// GID is the gid (as Send answers) of message id of owner's box: of a
// message the client sent, say; 0 for none.
func (s *Server) GID(owner int64, id int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.boxOf(owner).gids[id]
}

// MsgOpt adds to a message Send makes.
type MsgOpt func(*msgOpts)

type msgOpts struct {
	ents  []tg.MessageEntityClass
	media tg.MessageMediaClass
	reply int
	quote string // the part of the message replied to quoted
	topic int
	ttl   int // ttl_period, seconds; 0: the chat's timer (SetTTL)
	story *tg.MessageReplyStoryHeader
	date  int  // Unix seconds; 0: now
	sched bool // sent at its scheduled time (from_scheduled)
}

// WithTTL gives the message an auto-delete period of its own (its
// ttl_period, in seconds), whatever the chat's timer (SetTTL).
func WithTTL(seconds int) MsgOpt { return func(o *msgOpts) { o.ttl = seconds } }

// WithDate dates the message (Unix seconds) instead of now: an old
// message, for the history.
func WithDate(unix int) MsgOpt { return func(o *msgOpts) { o.date = unix } }

// SetTTL sets the auto-delete timer of user's chat with peer (a user, a
// group or a channel), in seconds (0: off), as messages.setHistoryTTL
// does: each message delivered into the chat from then on carries that
// ttl_period, in every box and in the sender's answer; a private chat's
// timer is both users'. It posts no service message (PostService does;
// the user's own messages.setHistoryTTL posts it) and, unlike Telegram,
// deletes nothing when a period runs out.
func (s *Server) SetTTL(user int64, peer tg.PeerClass, seconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seconds <= 0 {
		delete(s.ttls, ttlKey(user, peer))
		return
	}
	s.ttls[ttlKey(user, peer)] = seconds
}

// ttlKey names a chat for its timer: a private chat by its two users.
func ttlKey(user int64, peer tg.PeerClass) string {
	if p, ok := peer.(*tg.PeerUser); ok {
		a, b := min(user, p.UserID), max(user, p.UserID)
		return "u" + strconvItoa64(a) + ":" + strconvItoa64(b)
	}
	return peerKey(peer)
}

// dateTTL is the date and ttl_period of a message from user to peer.
func (s *Server) dateTTL(user int64, peer tg.PeerClass, o msgOpts) (date, ttl int) {
	date, ttl = o.date, o.ttl
	if date == 0 {
		date = now()
	}
	if ttl == 0 {
		ttl = s.ttls[ttlKey(user, peer)]
	}
	return date, ttl
}

// WithEntities formats a message.
func WithEntities(e ...tg.MessageEntityClass) MsgOpt {
	return func(o *msgOpts) { o.ents = e }
}

// WithMedia attaches a file (AddMedia's).
func WithMedia(m tg.MessageMediaClass) MsgOpt { return func(o *msgOpts) { o.media = m } }

// WithTopic posts the message in a forum's topic (CreateTopic's ID).
func WithTopic(id int) MsgOpt { return func(o *msgOpts) { o.topic = id } }

// WithReply makes the message a reply to the sender's message ID (in a
// channel, the channel's message ID).
func WithReply(id int) MsgOpt { return func(o *msgOpts) { o.reply = id } }

// WithStoryReply makes the message a reply to story id of user owner
// (messageReplyStoryHeader).
func WithStoryReply(owner int64, id int) MsgOpt {
	return func(o *msgOpts) {
		o.story = &tg.MessageReplyStoryHeader{Peer: &tg.PeerUser{UserID: owner}, StoryID: id}
	}
}

// WithQuote makes the message a reply to the sender's message ID that
// quotes part of it (the reply header's quote_text), in a private chat
// or a basic group.
func WithQuote(id int, text string) MsgOpt {
	return func(o *msgOpts) { o.reply, o.quote = id, text }
}

// Messages is a user's box, oldest first.
func (s *Server) Messages(owner int64) []*tg.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.boxOf(owner)
	var out []*tg.Message
	for i := 1; i < b.next; i++ {
		if m := b.msgs[i]; m != nil {
			out = append(out, m)
		}
	}
	return out
}

// Edit is the author editing message gid.
func (s *Server) Edit(gid int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for owner, id := range s.links[gid] {
		om := s.boxOf(owner).msgs[id]
		if om == nil {
			continue
		}
		cp := *om
		cp.Message, cp.EditDate = text, now()
		cp.SetFlags()
		s.boxOf(owner).msgs[id] = &cp
		u := &tg.UpdateEditMessage{Message: &cp}
		s.record(owner, u)
		s.push(owner, u)
	}
}

// Delete is the author deleting message gid for everyone.
func (s *Server) Delete(gid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for owner, id := range s.links[gid] {
		delete(s.boxOf(owner).msgs, id)
		u := &tg.UpdateDeleteMessages{Messages: []int{id}}
		s.record(owner, u)
		s.push(owner, u)
	}
}

// React is a user setting their reactions to message gid.
func (s *Server) React(user int64, gid int, emojis ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mine := s.react(user, gid, emojis); mine != nil {
		s.push(user, mine) // from another app of theirs: their sessions hear it
	}
}

// Reactions are the reactions to message gid, by user.
func (s *Server) Reactions(gid int) map[int64][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int64][]string{}
	for u, es := range s.reacts[gid] {
		out[u] = slices.Clone(es)
	}
	return out
}

// react sets reactions and tells every box owner but user; it returns
// user's own update.
func (s *Server) react(user int64, gid int, emojis []string) tg.UpdateClass {
	if s.reacts[gid] == nil {
		s.reacts[gid] = map[int64][]string{}
	}
	if len(emojis) == 0 {
		delete(s.reacts[gid], user)
	} else {
		s.reacts[gid][user] = emojis
	}
	var mine tg.UpdateClass
	for owner, id := range s.links[gid] {
		m := s.boxOf(owner).msgs[id]
		if m == nil {
			continue
		}
		r := reactionsFor(s.reacts[gid], owner)
		u := &tg.UpdateMessageReactions{Peer: m.PeerID, MsgID: id, Reactions: r}
		s.recordNoPts(owner, u) // for an owner away
		if owner == user {
			mine = u
			continue
		}
		s.push(owner, u)
	}
	return mine
}

// reactionsFor is a message's reactions (by user) as owner sees them.
func reactionsFor(by map[int64][]string, owner int64) tg.MessageReactions {
	r := tg.MessageReactions{CanSeeList: true}
	users := make([]int64, 0, len(by))
	for u := range by {
		users = append(users, u)
	}
	slices.Sort(users)
	counts := map[string]*tg.ReactionCount{}
	var order []string
	for _, u := range users {
		for _, e := range by[u] {
			r.RecentReactions = append(r.RecentReactions, tg.MessagePeerReaction{PeerID: &tg.PeerUser{UserID: u}, Reaction: reactionOf(e), My: u == owner, Date: now()})
			if counts[e] == nil {
				counts[e] = &tg.ReactionCount{Reaction: reactionOf(e)}
				order = append(order, e)
			}
			counts[e].Count++
			if u == owner {
				counts[e].SetChosenOrder(0)
			}
		}
	}
	for _, e := range order {
		r.Results = append(r.Results, *counts[e])
	}
	r.SetFlags()
	return r
}

// Read is reader reading their chat with peer up to message gid.
func (s *Server) Read(reader int64, gid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for owner, id := range s.links[gid] {
		if owner == reader {
			continue
		}
		u := &tg.UpdateReadHistoryOutbox{Peer: &tg.PeerUser{UserID: reader}, MaxID: id}
		s.record(owner, u)
		s.push(owner, u)
	}
}

// ReadFromApp is reader reading, in another app of theirs, their chat
// up to message gid: their sessions hear it (updateReadHistoryInbox,
// in their log for a catch-up too), and the sender sees it read.
func (s *Server) ReadFromApp(reader int64, gid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.boxOf(reader)
	m := b.msgs[s.links[gid][reader]]
	if m == nil {
		return
	}
	if _, u := s.readHistory(reader, m.PeerID, m.ID); u != nil {
		s.push(reader, u)
	}
}

// readHistory marks reader's chat with peer read up to maxID: in their
// log, and the other side's message read. It answers the reader's pts
// and update.
func (s *Server) readHistory(reader int64, peer tg.PeerClass, maxID int) (int, tg.UpdateClass) {
	b := s.boxOf(reader)
	b.readIn[peerKey(peer)] = maxID
	u := &tg.UpdateReadHistoryInbox{Peer: peer, MaxID: maxID}
	pts := s.record(reader, u)
	if m := b.msgs[maxID]; m != nil {
		for owner, oid := range s.links[b.gids[maxID]] {
			if owner == reader {
				continue
			}
			out := &tg.UpdateReadHistoryOutbox{Peer: &tg.PeerUser{UserID: reader}, MaxID: oid}
			s.record(owner, out)
			s.push(owner, out)
		}
	}
	return pts, u
}

// ReadUpTo is how far user marked their chat with peer read
// (messages.readHistory's max_id), 0 for not at all.
func (s *Server) ReadUpTo(user int64, peer tg.PeerClass) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.boxOf(user).readIn[peerKey(peer)]
}

// Typing is user typing to another user.
func (s *Server) TypingTo(user, to int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.push(to, &tg.UpdateUserTyping{UserID: user, Action: &tg.SendMessageTypingAction{}})
}

// Status is user coming online (or going offline) as seen by viewer.
func (s *Server) Status(user, viewer int64, online bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st tg.UserStatusClass = &tg.UserStatusOnline{Expires: now() + 300}
	if !online {
		st = &tg.UserStatusOffline{WasOnline: now() - 60}
	}
	s.push(viewer, &tg.UpdateUserStatus{UserID: user, Status: st})
}

// Typings are the typing notifications clients sent.
func (s *Server) Typings() []Typing {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.typing)
}

// LoggedIn reports whether a device of user is logged in.
func (s *Server) LoggedIn(user int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if k.user == user {
			return true
		}
	}
	return false
}

// Revoke ends every session of user, as Settings, Devices, Terminate
// does on a phone: their keys are no longer logged in.
func (s *Server) Revoke(user int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if k.user == user {
			k.user = 0
		}
	}
}
