package tgfake

import (
	"maps"
	"slices"
	"sort"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// Channel is a supergroup (Megagroup) or a broadcast channel. Its
// messages and pts are the channel's own, shared by its members, as on
// Telegram.
type Channel struct {
	ID    int64
	Title string
	// Username makes the channel public, joined by that name
	// (contacts.resolveUsername, channels.joinChannel).
	Username  string
	About     string
	Broadcast bool
	Forum     bool
	Members   []int64
	Admins    []int64
	Creator   int64
	// AdminsInvite: only admins may add members (the default rights
	// without invite_users); a broadcast channel is always so.
	AdminsInvite bool
	// AdminsChangeInfo: only admins may change the picture and the
	// auto-delete timer (the default rights without change_info); a
	// broadcast channel is always so.
	AdminsChangeInfo bool
	// AdminsPin: only admins may pin messages (the default rights
	// without pin_messages); a broadcast channel is always so.
	AdminsPin bool
	// DefaultRights are more of the default banned rights (send_polls,
	// send_media...), with those the three above say.
	DefaultRights tg.ChatBannedRights
	// Restricted are members who may read, not send (banned rights
	// send_messages); Banned, people kept out (view_messages).
	Restricted []int64
	Banned     []int64
	// RestrictedUntil is when a Restricted member's restriction ends,
	// Unix seconds (its until_date; none: never). Past it they are a
	// plain member again, and, as on Telegram, no update says so.
	RestrictedUntil map[int64]int
	// InviteHash is the channel's private invite link, t.me/+InviteHash
	// (messages.checkChatInvite, messages.importChatInvite); its case
	// matters, as on Telegram. InviteExpired: the link was revoked or
	// ran out. InviteRequest: who joins by it must be approved by an
	// admin (INVITE_REQUEST_SENT; ApproveJoinRequest).
	InviteHash    string
	InviteExpired bool
	InviteRequest bool
	// Requests are the people waiting for an admin's approval.
	Requests []int64
	// Welcome, when set, is what the creator posts as soon as someone
	// joins (by name or by link), right after the join's service
	// message, as a group's welcome bot does: the newcomer's first two
	// updates of the channel come back to back.
	Welcome string

	photoID int64 // the channel's picture in Server.media; 0: none (SetChannelPhoto)
	pts     int
	next    int
	msgs    map[int]*tg.Message
	log     []chEntry
	topics  map[int]*topic // a forum's topics but General, by ID
	// generalClosed: the forum's General topic is closed (CloseTopic).
	generalClosed bool
	svc           map[int]*tg.MessageService // topics' first messages
	// reacts are the reactions to its messages, by ID and user
	// (ReactChannel, chreactions.go).
	reacts map[int]map[int64][]string
}

type chEntry struct {
	pts  int
	date int
	u    tg.UpdateClass
}

// AddChannel adds a supergroup or channel.
func (s *Server) AddChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := c
	cp.next, cp.msgs = 1, map[int]*tg.Message{}
	cp.topics, cp.svc = map[int]*topic{}, map[int]*tg.MessageService{}
	cp.RestrictedUntil = maps.Clone(c.RestrictedUntil)
	if cp.RestrictedUntil == nil {
		cp.RestrictedUntil = map[int64]int{}
	}
	if cp.Forum {
		cp.next = 2 // 1 is the General topic's
	}
	s.channels[c.ID] = &cp
}

func (c *Channel) tg(viewer int64) *tg.Channel {
	out := &tg.Channel{ID: c.ID, AccessHash: c.ID * 11, Title: c.Title, Broadcast: c.Broadcast, Megagroup: !c.Broadcast,
		Forum: c.Forum, Creator: viewer == c.Creator, Photo: chatPhoto(c.photoID), Date: 1, Username: c.Username,
		Left: !slices.Contains(c.Members, viewer)}
	if slices.Contains(c.Admins, viewer) {
		out.AdminRights = adminRights()
	}
	if c.isRestricted(viewer) {
		out.BannedRights = tg.ChatBannedRights{SendMessages: true, UntilDate: c.RestrictedUntil[viewer]}
		out.BannedRights.SetFlags()
	}
	if !c.Broadcast {
		out.DefaultBannedRights = defaultRights(c.DefaultRights, c.AdminsInvite, c.AdminsChangeInfo, c.AdminsPin)
	}
	out.SetFlags()
	return out
}

// isRestricted reports whether user is restricted now: among
// Restricted, their restriction not ended (RestrictedUntil).
func (c *Channel) isRestricted(user int64) bool {
	until := c.RestrictedUntil[user]
	return slices.Contains(c.Restricted, user) && (until == 0 || now() < until)
}

// view is a channel message as viewer sees it.
func view(m *tg.Message, viewer int64) *tg.Message {
	cp := *m
	if f, ok := m.FromID.(*tg.PeerUser); ok {
		cp.Out = f.UserID == viewer
	}
	cp.SetFlags()
	return &cp
}

// viewService is a channel's service message as viewer sees it.
func viewService(m *tg.MessageService, viewer int64) *tg.MessageService {
	cp := *m
	if f, ok := m.FromID.(*tg.PeerUser); ok {
		cp.Out = f.UserID == viewer
	}
	cp.SetFlags()
	return &cp
}

// deliverChannel posts a message to a channel.
func (s *Server) deliverChannel(from int64, c *Channel, text string, o msgOpts, rid int64) (bin.Encoder, error) {
	if !slices.Contains(c.Members, from) {
		return nil, tgerr.New(403, "CHAT_WRITE_FORBIDDEN")
	}
	if (c.Broadcast && from != c.Creator && !slices.Contains(c.Admins, from)) || c.isRestricted(from) {
		return nil, tgerr.New(403, "CHAT_WRITE_FORBIDDEN")
	}
	header, err := c.replyHeader(from, o.reply, o.topic)
	if err != nil {
		return nil, err
	}
	date, ttl := s.dateTTL(from, &tg.PeerChannel{ChannelID: c.ID}, o)
	id := c.next
	c.next++
	m := &tg.Message{ID: id, PeerID: &tg.PeerChannel{ChannelID: c.ID}, Date: date, Message: text, Entities: o.ents, Media: o.media, Post: c.Broadcast, TTLPeriod: ttl}
	if header != nil {
		m.ReplyTo = header
	}
	if !c.Broadcast {
		m.FromID = &tg.PeerUser{UserID: from}
	}
	c.msgs[id] = m
	c.pts++
	c.log = append(c.log, chEntry{pts: c.pts, date: m.Date, u: &tg.UpdateNewChannelMessage{Message: m, Pts: c.pts, PtsCount: 1}})
	var mine tg.UpdateClass
	for _, u := range c.Members {
		up := &tg.UpdateNewChannelMessage{Message: view(m, u), Pts: c.pts, PtsCount: 1}
		if u == from && rid != 0 {
			mine = up
			continue
		}
		s.push(u, up)
	}
	if mine == nil {
		return &tg.Updates{Date: now()}, nil
	}
	return &tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateMessageID{ID: id, RandomID: rid}, mine},
		Users: s.usersFor(from), Chats: s.chatsFor(from), Date: now()}, nil
}

// welcome posts c's Welcome, if any, for a newcomer.
func (s *Server) welcome(c *Channel) {
	if c.Welcome != "" {
		_, _ = s.deliverChannel(c.Creator, c, c.Welcome, msgOpts{}, 0)
	}
}

// RemoveMember takes user out of channel and tells them nothing, as
// when they were removed while away: Telegram's updateChannel has no
// pts, and no getDifference gives it again.
func (s *Server) RemoveMember(channel, user int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	c.Members = slices.DeleteFunc(c.Members, func(m int64) bool { return m == user })
}

// channelOf is the channel a member names.
func (s *Server) channelOf(k *key, in tg.InputChannelClass) (*Channel, error) {
	if _, err := s.self(k); err != nil {
		return nil, err
	}
	ic, ok := in.(*tg.InputChannel)
	if !ok {
		return nil, tgerr.New(400, "CHANNEL_INVALID")
	}
	c := s.channels[ic.ChannelID]
	if c == nil || !slices.Contains(c.Members, k.user) || ic.AccessHash != c.ID*11 {
		return nil, tgerr.New(400, "CHANNEL_INVALID")
	}
	return c, nil
}

func (s *Server) registerChannels(d *tgtest.Dispatcher) {
	handle(s, d, tg.UpdatesGetChannelDifferenceRequestTypeID, "updates.getChannelDifference", func(k *key, r *tg.UpdatesGetChannelDifferenceRequest) (bin.Encoder, error) {
		if ic, ok := r.Channel.(*tg.InputChannel); ok {
			if c := s.channels[ic.ChannelID]; c != nil && ic.AccessHash == c.ID*11 && c.Username == "" && !slices.Contains(c.Members, k.user) {
				// As Telegram: a private channel the user is no
				// longer in (removed, banned) is no longer theirs to
				// follow.
				return nil, tgerr.New(400, "CHANNEL_PRIVATE")
			}
		}
		c, err := s.channelOf(k, r.Channel)
		if err != nil {
			return nil, err
		}
		if r.Pts >= c.pts {
			return &tg.UpdatesChannelDifferenceEmpty{Final: true, Pts: c.pts}, nil
		}
		if r.Limit > 0 && c.pts-r.Pts > r.Limit {
			// More than the client takes (a user's limit is 100): as
			// Telegram, the dialog's new pts and its latest messages,
			// the gap's updates not given.
			d := &tg.Dialog{Peer: &tg.PeerChannel{ChannelID: c.ID}, Pts: c.pts, TopMessage: c.next - 1}
			d.SetFlags()
			out := &tg.UpdatesChannelDifferenceTooLong{Final: true, Dialog: d, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user)}
			for id := c.next - 1; id > 0 && len(out.Messages) < r.Limit; id-- {
				if m := c.msgs[id]; m != nil {
					out.Messages = append(out.Messages, view(m, k.user))
				}
			}
			return out, nil
		}
		out := &tg.UpdatesChannelDifference{Final: true, Pts: c.pts, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user)}
		for _, e := range c.log {
			if e.pts <= r.Pts {
				continue
			}
			if nm, ok := e.u.(*tg.UpdateNewChannelMessage); ok {
				switch m := nm.Message.(type) {
				case *tg.Message:
					if cur := c.msgs[m.ID]; cur != nil {
						m = cur // as Telegram: the message as it is now
					}
					out.NewMessages = append(out.NewMessages, view(m, k.user))
				case *tg.MessageService:
					out.NewMessages = append(out.NewMessages, viewService(m, k.user))
				default:
					out.NewMessages = append(out.NewMessages, nm.Message)
				}
				continue
			}
			if ed, ok := e.u.(*tg.UpdateEditChannelMessage); ok {
				if m, ok := ed.Message.(*tg.Message); ok {
					out.OtherUpdates = append(out.OtherUpdates, &tg.UpdateEditChannelMessage{Message: view(m, k.user), Pts: ed.Pts, PtsCount: ed.PtsCount})
					continue
				}
			}
			out.OtherUpdates = append(out.OtherUpdates, e.u)
		}
		return out, nil
	})
	handle(s, d, tg.ChannelsGetChannelsRequestTypeID, "channels.getChannels", func(k *key, r *tg.ChannelsGetChannelsRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		out := &tg.MessagesChats{}
		for _, in := range r.ID {
			ic, ok := in.(*tg.InputChannel)
			if !ok {
				return nil, tgerr.New(400, "CHANNEL_INVALID")
			}
			c := s.channels[ic.ChannelID]
			if c == nil || ic.AccessHash != c.ID*11 {
				return nil, tgerr.New(400, "CHANNEL_INVALID")
			}
			if slices.Contains(c.Banned, k.user) {
				// As Telegram: a channel the user is banned from.
				f := &tg.ChannelForbidden{ID: c.ID, AccessHash: c.ID * 11, Title: c.Title, Broadcast: c.Broadcast, Megagroup: !c.Broadcast}
				f.SetFlags()
				out.Chats = append(out.Chats, f)
				continue
			}
			out.Chats = append(out.Chats, c.tg(k.user))
		}
		return out, nil
	})
	handle(s, d, tg.ChannelsGetFullChannelRequestTypeID, "channels.getFullChannel", func(k *key, r *tg.ChannelsGetFullChannelRequest) (bin.Encoder, error) {
		c, err := s.channelOf(k, r.Channel)
		if err != nil {
			return nil, err
		}
		peer := &tg.PeerChannel{ChannelID: c.ID}
		full := &tg.ChannelFull{ID: c.ID, About: c.About, ParticipantsCount: len(c.Members), ChatPhoto: s.channelPhoto(c), Pts: c.pts,
			ExportedInvite: exportedInvite(c.InviteHash, c.InviteExpired, c.Creator, c.Admins, k.user),
			TTLPeriod:      s.ttls[ttlKey(k.user, peer)], PinnedMsgID: s.lastPin(k.user, peer)}
		full.RequestsPending, full.RecentRequesters = c.asking().fullPending(k.user) // joinrequests.go
		full.SetFlags()
		return &tg.MessagesChatFull{FullChat: full,
			Chats: []tg.ChatClass{c.tg(k.user)}, Users: s.usersFor(k.user)}, nil
	})
	handle(s, d, tg.ChannelsGetParticipantsRequestTypeID, "channels.getParticipants", func(k *key, r *tg.ChannelsGetParticipantsRequest) (bin.Encoder, error) {
		c, err := s.channelOf(k, r.Channel)
		if err != nil {
			return nil, err
		}
		if _, ok := r.Filter.(*tg.ChannelParticipantsKicked); ok {
			// The ban list: the creator's and the admins' to see (the
			// fake's admins all have ban_users).
			if !c.isAdmin(k.user) {
				return nil, tgerr.New(400, "CHAT_ADMIN_REQUIRED")
			}
			out := &tg.ChannelsChannelParticipants{Count: len(c.Banned), Users: s.usersFor(k.user)}
			for _, b := range c.Banned {
				out.Participants = append(out.Participants, c.banned(b))
			}
			out.Participants = page(out.Participants, r.Offset, r.Limit)
			return out, nil
		}
		if c.Broadcast && k.user != c.Creator && !slices.Contains(c.Admins, k.user) {
			return nil, tgerr.New(400, "CHAT_ADMIN_REQUIRED")
		}
		out := &tg.ChannelsChannelParticipants{Count: len(c.Members), Users: s.usersFor(k.user)}
		for _, m := range c.Members {
			switch {
			case m == c.Creator:
				out.Participants = append(out.Participants, &tg.ChannelParticipantCreator{UserID: m})
			case slices.Contains(c.Admins, m):
				out.Participants = append(out.Participants, &tg.ChannelParticipantAdmin{UserID: m, PromotedBy: c.Creator, Date: 1})
			case c.isRestricted(m):
				out.Participants = append(out.Participants, c.restricted(m))
			case m == k.user:
				out.Participants = append(out.Participants, &tg.ChannelParticipantSelf{UserID: m, InviterID: c.Creator, Date: 1})
			default:
				out.Participants = append(out.Participants, &tg.ChannelParticipant{UserID: m, Date: 1})
			}
		}
		out.Participants = page(out.Participants, r.Offset, r.Limit)
		return out, nil
	})
	handle(s, d, tg.ChannelsReadHistoryRequestTypeID, "channels.readHistory", func(k *key, r *tg.ChannelsReadHistoryRequest) (bin.Encoder, error) {
		if _, err := s.channelOf(k, r.Channel); err != nil {
			return nil, err
		}
		return &tg.BoolTrue{}, nil
	})
}

// page is a page of participants, as Telegram gives: at most 200 from
// the offset.
func page(ps []tg.ChannelParticipantClass, offset, limit int) []tg.ChannelParticipantClass {
	from := min(max(offset, 0), len(ps))
	return ps[from:min(from+min(max(limit, 0), 200), len(ps))]
}

// channelDialogs are the dialogs and top messages of user's channels.
func (s *Server) channelDialogs(user int64) (dl []tg.DialogClass, msgs []tg.MessageClass, tops []int) {
	ids := make([]int64, 0, len(s.channels))
	for id, c := range s.channels {
		if slices.Contains(c.Members, user) {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		c := s.channels[id]
		d := &tg.Dialog{Peer: &tg.PeerChannel{ChannelID: id}}
		d.SetFlags()
		d.SetPts(c.pts) // as Telegram, a channel's dialog always has its pts, 0 too
		if m := c.msgs[c.next-1]; m != nil {
			d.TopMessage = m.ID
			msgs = append(msgs, view(m, user))
			tops = append(tops, m.Date)
		} else {
			tops = append(tops, 0)
		}
		dl = append(dl, d)
	}
	return dl, msgs, tops
}

// tooLong is the channels with news since date, for a getDifference.
func (s *Server) tooLong(user int64, date int) []tg.UpdateClass {
	var out []tg.UpdateClass
	for id, c := range s.channels {
		if !slices.Contains(c.Members, user) || len(c.log) == 0 || c.log[len(c.log)-1].date < date {
			continue
		}
		u := &tg.UpdateChannelTooLong{ChannelID: id}
		u.SetPts(c.pts)
		out = append(out, u)
	}
	return out
}

// ChannelMessages is a channel's messages, oldest first.
func (s *Server) ChannelMessages(id int64) []*tg.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[id]
	var out []*tg.Message
	for i := 1; i < c.next; i++ {
		if m := c.msgs[i]; m != nil {
			out = append(out, m)
		}
	}
	return out
}

// channelPhoto is the channel's picture as a full chat names it.
func (s *Server) channelPhoto(c *Channel) tg.PhotoClass { return s.photo(c.photoID) }

// SetChannelPhoto is from changing a channel's picture (a JPEG; nil
// removes it): the members get the service message, as on Telegram.
func (s *Server) SetChannelPhoto(channel, from int64, photo []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	var act tg.MessageActionClass
	c.photoID, act = s.newPicture(photo)
	s.postService(c, from, act)
}

// PassOwnership is a supergroup's or channel's ownership passing from its
// owner, gone, to another member, as Telegram does 7 days after the owner
// left: the old owner is no member, to is the creator, and every member
// gets the service message (messageActionChangeCreator) from the old
// owner.
func (s *Server) PassOwnership(channel, from, to int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	c.Members = slices.DeleteFunc(c.Members, func(m int64) bool { return m == from })
	c.Admins = slices.DeleteFunc(c.Admins, func(m int64) bool { return m == to })
	c.Creator = to
	s.postService(c, from, &tg.MessageActionChangeCreator{NewCreatorID: to})
}

// postService posts a service message from a member into a channel and
// pushes it to every member. Call with s.mu held.
func (s *Server) postService(c *Channel, from int64, act tg.MessageActionClass) *tg.MessageService {
	id := c.next
	c.next++
	m := &tg.MessageService{ID: id, PeerID: &tg.PeerChannel{ChannelID: c.ID}, FromID: &tg.PeerUser{UserID: from}, Date: now(), Action: act}
	m.SetFlags()
	c.pts++
	u := &tg.UpdateNewChannelMessage{Message: m, Pts: c.pts, PtsCount: 1}
	c.log = append(c.log, chEntry{pts: c.pts, date: m.Date, u: u})
	for _, mem := range c.Members {
		// Each member's view: out for the one who did it, as Telegram.
		s.push(mem, &tg.UpdateNewChannelMessage{Message: viewService(m, mem), Pts: c.pts, PtsCount: 1})
	}
	return m
}
