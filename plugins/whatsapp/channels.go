package whatsapp

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// WhatsApp channels (newsletters) the user follows are rooms (the
// contract's CHANNEL), read-only unless the user administers the
// channel (channelsend.go): the channel's JID (<id>@newsletter) is the
// chat ID, its name the room's, its description the topic; the user,
// a reader (or its owner or an admin), the only member listed (WhatsApp
// lists no followers). The user follows and leaves channels from XMPP
// (channelfollow.go). A
// post comes to every device as a message whose chat and sender are
// both the channel (no admin is named): shown from the channel, under
// its name. An admin's edit comes as the post again, its new content
// whole under the same ID, marked by its NewsletterMeta. The user reacts
// to a post by its server ID (WhatsApp's number of it in the channel),
// kept in the post's meta, and reads them: a read marker from XMPP
// marks the posts up to it viewed (their view counts). A reaction the
// channel does not allow is refused (channelreact.go). The room's
// history is the channel's last posts, asked of WhatsApp
// (channelhistory.go).

// isChannel says whether chat is a WhatsApp channel.
func isChannel(chat types.JID) bool {
	return chat.Server == types.NewsletterServer
}

// channelFeatures is what the user may do in a channel: react, read
// (its posts then count them as a viewer), fetch its posts' files,
// leave it (unfollow: channelfollow.go).
func channelFeatures() *pb.Features {
	return &pb.Features{Reactions: true, ReadReceipts: true, MediaDownload: true, LeaveChat: true}
}

// channelNames are the channels the user follows as last listed or
// described: their posts' sender's name, and ChatInfo's answer while
// WhatsApp does not answer.
type channelNames struct {
	mu    sync.Mutex
	chats map[types.JID]*pb.Chat
	// unknown is when a post's lookup of a channel's name failed: the
	// posts after it, until channelNameRetry passed, do not wait for
	// WhatsApp again (whatsmeow's events wait for them).
	unknown map[types.JID]time.Time
	// reactions is which reactions each channel allows, as last
	// described (channelreact.go).
	reactions map[types.JID]types.NewsletterReactionsMode
}

// reactionMode is which reactions channel jid allows as last described;
// "" when not known.
func (c *channelNames) reactionMode(jid types.JID) types.NewsletterReactionsMode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reactions[jid]
}

func (c *channelNames) setReactionMode(jid types.JID, mode types.NewsletterReactionsMode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reactions == nil {
		c.reactions = map[types.JID]types.NewsletterReactionsMode{}
	}
	c.reactions[jid] = mode
}

// channelNameRetry is how long after a failed lookup of a channel's
// name its posts come under its ID without asking again; ChatList and
// ChatInfo name it in the meantime.
const channelNameRetry = 10 * time.Minute

func (c *channelNames) get(jid types.JID) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.chats[jid]
	return ch.GetName(), ok
}

// described is a copy of channel jid as last described; nil when none.
func (c *channelNames) described(jid types.JID) *pb.Chat {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.chats[jid]; ok {
		return proto.Clone(ch).(*pb.Chat)
	}
	return nil
}

func (c *channelNames) set(jid types.JID, ch *pb.Chat) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.chats == nil {
		c.chats = map[types.JID]*pb.Chat{}
	}
	c.chats[jid] = proto.Clone(ch).(*pb.Chat)
	delete(c.unknown, jid)
}

// forget drops channel jid: the user no longer follows it.
func (c *channelNames) forget(jid types.JID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.chats, jid)
}

// mayAsk says whether a post may ask for jid's name: no lookup of it
// failed within channelNameRetry.
func (c *channelNames) mayAsk(jid types.JID, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, failed := c.unknown[jid]
	return !failed || now.Sub(at) >= channelNameRetry
}

// failed notes that a lookup of jid's name failed at now.
func (c *channelNames) failed(jid types.JID, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.unknown == nil {
		c.unknown = map[types.JID]time.Time{}
	}
	c.unknown[jid] = now
}

// channelChat is the contract's chat of a channel.
func (s *Session) channelChat(m *types.NewsletterMetadata) *pb.Chat {
	jid := m.ID.ToNonAD()
	self := &pb.Member{UserId: s.login.LoginID, IsSelf: true, Affiliation: pb.Affiliation_AFFILIATION_NONE, Role: pb.Role_ROLE_VISITOR}
	admin := channelAdmin(m)
	if admin {
		// Its admin posts (channelsend.go).
		self.Affiliation, self.Role = pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR
		if m.ViewerMeta.Role == types.NewsletterRoleOwner {
			self.Affiliation = pb.Affiliation_AFFILIATION_OWNER
		}
	}
	c := &pb.Chat{
		ChatId: jid.String(), Type: pb.ChatType_CHAT_TYPE_CHANNEL,
		Name: m.ThreadMeta.Name.Text, Topic: m.ThreadMeta.Description.Text,
		ReadOnly: !admin, Features: channelFeatures(),
		Members: []*pb.Member{self},
	}
	if p := m.ThreadMeta.Picture; p != nil && p.ID != "" {
		c.AvatarId = p.ID // its picture: the room's (channelpicture.go)
	}
	if admin {
		c.Features.Attachments = true // its admin posts files too (channelsend.go)
		// and corrects and deletes its posts (channeledit.go)
		c.Features.Edits, c.Features.Retractions = true, true
	}
	mode := reactionMode(m)
	if mode == types.NewsletterReactionsModeNone {
		c.Features.Reactions = false
	}
	s.channels.set(jid, c)
	s.channels.setReactionMode(jid, mode)
	return c
}

// channelInfo describes channel jid (ChatInfo): one the user does not
// follow is not found, whether WhatsApp does not have it (its GraphQL
// error 404) or describes it all the same, the user its guest. One
// listed or described before is asked within groupReadWait, and
// described as it was when WhatsApp cannot be asked (as a group is).
func (s *Session) channelInfo(ctx context.Context, jid types.JID) (*pb.Chat, error) {
	known := s.channels.described(jid)
	qctx := ctx
	if known != nil {
		var cancel context.CancelFunc
		qctx, cancel = context.WithTimeout(ctx, groupReadWait())
		defer cancel()
	}
	m, err := s.d.cli.GetNewsletterInfo(qctx, jid)
	var gql types.GraphQLError
	if errors.As(err, &gql) && gql.Extensions.ErrorCode == 404 || err == nil && (m == nil || notFollowed(m)) {
		s.channels.forget(jid)
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: you do not follow the WhatsApp channel %s: follow it by joining its room, or on the phone", jid)
	}
	if err != nil {
		err = s.sendErr("describe the channel "+jid.String(), err)
		if code := sdk.ToProto(err).GetCode(); known != nil && (code == pb.ErrorCode_ERROR_CODE_UNAVAILABLE || code == pb.ErrorCode_ERROR_CODE_RATE_LIMITED) {
			s.log.Info("channel described as last known: WhatsApp could not be asked", "channel", jid, "err", err)
			known.Stale = true // as a group's last known (knownGroup)
			return known, nil
		}
		return nil, err
	}
	return s.channelChat(m), nil
}

// notFollowed says whether WhatsApp described m to the user as to a
// guest: a channel they do not follow.
func notFollowed(m *types.NewsletterMetadata) bool {
	return m.ViewerMeta != nil && m.ViewerMeta.Role == types.NewsletterRoleGuest
}

// channelList is the channels the user follows (ChatList). WhatsApp not
// answering within groupReadWait, the groups are listed without them
// (logged): waiting out the caller's ctx would lose the groups too.
func (s *Session) channelList(ctx context.Context) []*pb.Chat {
	ctx, cancel := context.WithTimeout(ctx, groupReadWait())
	defer cancel()
	ms, err := s.d.cli.GetSubscribedNewsletters(ctx)
	if err != nil {
		s.log.Info("the WhatsApp channels followed are not listed: WhatsApp did not answer", "err", err)
		return nil
	}
	out := make([]*pb.Chat, 0, len(ms))
	for _, m := range ms {
		if m != nil && isChannel(m.ID) && !notFollowed(m) {
			out = append(out, s.channelChat(m))
		}
	}
	return out
}

// channelName is channel's name, asked of WhatsApp when not known yet
// (within groupReadWait: the post waits for it); "" when it cannot be
// (the post is shown under the channel's ID), and then not asked again
// by its posts for channelNameRetry: each would hold whatsmeow's events
// as long again.
func (s *Session) channelName(channel types.JID) string {
	if n, ok := s.channels.get(channel); ok {
		return n
	}
	if !s.channels.mayAsk(channel, time.Now()) {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupReadWait())
	defer cancel()
	m, err := s.d.cli.GetNewsletterInfo(ctx, channel)
	if err != nil || m == nil {
		s.channels.failed(channel, time.Now())
		s.log.Info("a WhatsApp channel's name not known: its posts come under its ID", "channel", channel, "err", err,
			"asked_again_after", channelNameRetry)
		return ""
	}
	return s.channelChat(m).Name
}

// channelContact is channel as its posts' sender (UserInfo): named as
// the channel (asked of WhatsApp when not known), no contact of the
// user's address book and no picture of its own (the room shows the
// channel's: channelpicture.go).
func (s *Session) channelContact(ctx context.Context, channel types.JID) (*pb.Contact, error) {
	name, ok := s.channels.get(channel)
	if !ok {
		c, err := s.channelInfo(ctx, channel)
		if err != nil {
			return nil, err
		}
		name = c.Name
	}
	if name == "" {
		name = channel.String()
	}
	return &pb.Contact{UserId: channel.String(), Name: name}, nil
}

// channelPost shows a channel's post in its room, from the channel, or
// an admin's edit of one as a correction.
func (s *Session) channelPost(e *events.Message) {
	channel := e.Info.Chat.ToNonAD()
	if e.NewsletterMeta != nil && !e.NewsletterMeta.EditTS.IsZero() {
		s.channelEdit(e)
		return
	}
	if s.seen.hold(e) {
		return // shown after its channel's catch-up (channelcatchup.go)
	}
	ev := s.channelPostEvent(e)
	if ev == nil {
		s.log.Debug("a WhatsApp channel's post with nothing to show", "channel", channel, "id", e.Info.ID)
		return
	}
	if ev.GetMessage() != nil {
		// Read from XMPP, it is counted as viewed (channelViewed): kept
		// before it is shown, which a read marker may follow at once.
		s.unread.noteMsg(ev.ChatId, unreadMsg{id: ev.EventId, sender: channel, server: e.Info.ServerID})
	}
	s.emitDurable(ev)
	s.seen.shown(channel, e.Info.ServerID)
}

// channelPostEvent is a channel's post as its room shows it, live or in
// its history (channelhistory.go): from the channel, under its name,
// under the post's own ID, its meta keeping its server ID (reactions
// and views name it); nil when nothing of it shows.
func (s *Session) channelPostEvent(e *events.Message) *pb.Event {
	channel := e.Info.Chat.ToNonAD()
	ev := s.conv.message(e)
	if ev == nil {
		return nil
	}
	ev.Sender = &pb.Sender{UserId: ev.ChatId, Name: s.channelName(channel)}
	if ev.GetMessage() != nil {
		meta := msgMeta{Sender: channel, ServerID: e.Info.ServerID}
		if !e.Info.Timestamp.IsZero() && e.Info.Timestamp.Unix() > 0 {
			meta.Time = e.Info.Timestamp
		}
		ev.Meta = meta.encode()
	}
	return ev
}

// channelViewed tells WhatsApp the user saw msgs, posts of channel
// read from XMPP (MarkRead: the read receipt reads the channel on the
// user's devices, but counts no views): the phone's channel shows them
// seen, and their view counts count the user. Posts whose server ID is
// not known (a mark kept from before it was) are left out.
func (s *Session) channelViewed(ctx context.Context, channel types.JID, msgs []unreadMsg) error {
	ids := make([]types.MessageServerID, 0, len(msgs))
	for _, m := range msgs {
		if m.server != 0 {
			ids = append(ids, m.server)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if err := s.d.cli.NewsletterMarkViewed(ctx, channel, ids); err != nil {
		return s.sendErr("mark the channel's posts viewed", err)
	}
	return nil
}

// channelEdit shows an admin's edit of a channel's post: WhatsApp sends
// the post's new content whole, under its ID, not wrapped as an edit.
func (s *Session) channelEdit(e *events.Message) {
	m := s.conv.content(e.Message)
	if m == nil {
		s.log.Debug("a WhatsApp channel's edit with nothing to show", "channel", e.Info.Chat, "id", e.Info.ID)
		return
	}
	ev := s.conv.base(&e.Info)
	ev.Sender = &pb.Sender{UserId: ev.ChatId, Name: s.channelName(e.Info.Chat.ToNonAD())}
	ev.EventId = "" // the edit names the post it changes
	ev.TimestampUnixMicro = e.NewsletterMeta.EditTS.UnixMicro()
	ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: e.Info.ID, Text: m.Text, Spans: m.Spans}}
	s.emitDurable(ev)
}

// channelReact sends the user's reaction to a channel's post (the last
// emoji: WhatsApp keeps one; none takes it back), named by the server
// ID its meta keeps.
func (s *Session) channelReact(ctx context.Context, channel types.JID, r *pb.React, m msgMeta) (sdk.Result, error) {
	if m.ServerID == 0 {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: this post's number in the WhatsApp channel is not known: react to it on the phone")
	}
	text := ""
	if len(r.Emojis) > 0 {
		text = r.Emojis[len(r.Emojis)-1]
	}
	if err := s.channelAllowsReaction(ctx, channel, text); err != nil {
		return sdk.Result{}, err // channelreact.go
	}
	if err := s.d.cli.NewsletterSendReaction(ctx, channel, m.ServerID, text, ""); err != nil {
		return sdk.Result{}, s.sendErr("react", err)
	}
	return sdk.Result{}, nil
}
