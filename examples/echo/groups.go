package echo

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The echo network's one group. Every account is its owner, with Echo
// One and Echo Two as members; the gateway shows it as a MUC room, where
// the user's clients offer an owner's tools (admin.go). A username
// ending in "+members<N>" (N >= 2) makes it a big group instead, of
// echo-1 to echo-N: how tests and the load tool get one. In it:
//
//	(any message)  echo-1 repeats it, echo-2 reacts 👍 to it
//	topic TEXT     echo-1 sets the topic to TEXT
//	join N         echo-N joins the group; a banned one cannot (echo-1 says so)
//	part N         echo-N leaves it
//	nick N NAME    echo-N takes NAME as its nick in the group (member_nick.go)
//	quiet-admin N  echo-N becomes an admin with no event: the gateway
//	               learns it from the member list (quiet_role.go)
//	backlog N      N older messages arrive through backfill (history)
//	picture        echo-1 gives the group a new picture
//	picture none   echo-1 removes it
//	read-on-phone TEXT  echo-1 says TEXT, then the user reads the group
//	               up to it on their phone (their own read receipt)
//
// A network with groups implements ChatLister and ChatInfoer (and
// declares Features.groups); leaving and setting the topic are Leaver
// and TopicSetter; renaming, adding, removing and promoting members are
// in admin.go.
const (
	// RoomID is the group's chat ID, RoomName its name and first topic.
	RoomID   = "echo-room"
	RoomName = "Echo room"
	// RoomRepeater repeats the user's messages; RoomReactor reacts to them.
	RoomRepeater = "echo-1"
	RoomReactor  = "echo-2"
)

var (
	_ sdk.ChatLister   = (*Session)(nil)
	_ sdk.ChatInfoer   = (*Session)(nil)
	_ sdk.ReasonLeaver = (*Session)(nil)
	_ sdk.TopicSetter  = (*Session)(nil)
	_ sdk.ChatAvatarer = (*Session)(nil)
)

// group is the network's side of an account's group: kept with the
// account (see Network.accounts), so a reconnect finds it as it was.
type group struct {
	left     bool                  // the user left it
	topic    string                // the topic
	topicBy  string                // who set it
	members  []string              // the members besides the user, in the order they came
	selfNick string                // the user's nick, once they set one (channels.go)
	picture  int                   // the group picture's version; -1 = none
	image    []byte                // the picture the user set (admin.go), else a made one
	imageFmt string                // its MIME type
	name     string                // the group's name, once renamed (admin.go)
	roles    map[string]*pb.Member // members' roles, once changed (admin.go)
	banned   map[string]bool       // who was banned, until the ban is lifted (admin.go)
	nicks    map[string]string     // members' nicks in the group, once set (member_nick.go)
}

// groupLocked returns the account's group, made on first use. Call with
// n.mu held.
func (n *Network) groupLocked(loginID string) *group {
	if n.groups == nil {
		n.groups = map[string]*group{}
	}
	g := n.groups[loginID]
	if g == nil {
		g = newGroup(0)
		n.groups[loginID] = g
	}
	return g
}

// newGroup is an account's group as it starts: Echo One and Echo Two, or
// echo-1 to echo-N for an account that asked for N members (N >= 2).
func newGroup(members int) *group {
	g := &group{topic: RoomName, members: []string{RoomRepeater, RoomReactor}}
	if members > 2 {
		g.members = make([]string, members)
		for i := range members {
			g.members[i] = fmt.Sprintf("echo-%d", i+1)
		}
	}
	return g
}

// roomChatLocked describes the group as the gateway sees it. Call with
// n.mu held.
func (s *Session) roomChatLocked(g *group) *pb.Chat {
	name := RoomName
	if g.name != "" {
		name = g.name
	}
	c := &pb.Chat{ChatId: RoomID, Type: pb.ChatType_CHAT_TYPE_GROUP, Name: name, Topic: g.topic, TopicSetterId: g.topicBy,
		Members: []*pb.Member{{UserId: s.loginID, Nick: g.selfNick, Affiliation: pb.Affiliation_AFFILIATION_OWNER, Role: pb.Role_ROLE_MODERATOR}}}
	if g.picture < 0 {
		c.NoAvatar = true
	} else {
		c.AvatarId = fmt.Sprintf("echo-room-picture-%d", g.picture)
	}
	for _, id := range g.members {
		m := &pb.Member{UserId: id, Nick: g.nicks[id]}
		if r := g.roles[id]; r != nil {
			m.Role, m.Affiliation = r.Role, r.Affiliation
		}
		c.Members = append(c.Members, m)
	}
	// The ban list, as networks that keep one list it with the members.
	for _, id := range slices.Sorted(maps.Keys(g.banned)) {
		c.Members = append(c.Members, &pb.Member{UserId: id, Affiliation: pb.Affiliation_AFFILIATION_OUTCAST})
	}
	return c
}

// ChatList is the account's groups: the echo room, unless the user left
// it, and the channels joined (sdk.ChatLister).
func (s *Session) ChatList(context.Context) ([]*pb.Chat, error) {
	if err := s.online(); err != nil {
		return nil, err
	}
	var out []*pb.Chat
	s.n.mu.Lock()
	if g := s.n.groupLocked(s.loginID); !g.left {
		out = append(out, s.roomChatLocked(g))
	}
	s.n.mu.Unlock()
	return append(out, s.channelChats()...), nil // channels.go
}

// ChatInfo describes a chat: the group, or the direct chat with a
// contact (sdk.ChatInfoer), with its timer; its pins only when asked
// (PinnedMessages, pins.go).
func (s *Session) ChatInfo(ctx context.Context, chatID string) (*pb.Chat, error) {
	s.n.infoAsks.asked(chatID)                       // info_count.go
	if err := s.namesInfo(ctx, chatID); err != nil { // names_later.go
		return nil, err
	}
	c, err := s.chatInfo(ctx, chatID)
	if err != nil {
		return nil, err
	}
	c.Timer = &pb.ChatTimer{Seconds: int64(s.chatTimer(chatID) / time.Second)} // timer.go
	// The room's pins are told as WhatsApp's are, only as they are made:
	// the gateway says that older ones are not known.
	c.PinsSeenOnly = chatID == RoomID
	return c, nil
}

// chatInfo describes a chat.
func (s *Session) chatInfo(_ context.Context, chatID string) (*pb.Chat, error) {
	if chatID == NoSuchContact {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "there is no chat %q on the echo network", chatID)
	}
	if isChannel(chatID) {
		return s.channelInfo(chatID)
	}
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	if chatID != RoomID {
		name := chatID
		if c, ok := s.n.accounts[s.loginID][chatID]; ok {
			name = c.name
		}
		return &pb.Chat{ChatId: chatID, Type: pb.ChatType_CHAT_TYPE_DIRECT, Name: name}, nil
	}
	g := s.n.groupLocked(s.loginID)
	if g.left {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you left %s", RoomName)
	}
	return s.roomChatLocked(g), nil
}

// LeaveChat leaves the group, or a channel (sdk.Leaver).
func (s *Session) LeaveChat(ctx context.Context, c sdk.Call) error {
	return s.LeaveChatReason(ctx, c, "")
}

// LeaveChatReason is LeaveChat with the user's words (sdk.ReasonLeaver):
// the group's LeftFile keeps them, as a network shows them to the
// members, where a test reads them.
func (s *Session) LeaveChatReason(_ context.Context, c sdk.Call, reason string) error {
	if err := s.online(); err != nil {
		return err
	}
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	if cs := s.channelsLocked(); cs[c.ChatID] != nil {
		delete(cs, c.ChatID) // channels.go
		return nil
	}
	if c.ChatID != RoomID {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is no group of the echo network", c.ChatID)
	}
	s.n.groupLocked(s.loginID).left = true
	if s.dir != "" {
		if err := os.WriteFile(filepath.Join(s.dir, LeftFile), []byte(reason), 0o600); err != nil {
			s.n.host.Logger().Warn("echo: the group's leave not saved", "err", err)
		}
	}
	return nil
}

// LeftFile, in a login's folder (sdk.LoginInfo.Dir), says that the user
// left the group: the network's servers keep it while the plugin is not
// running, so a gateway started again finds no group to list. It holds
// the words the user left with.
const LeftFile = "group-left"

// savedLeft reports whether dir's LeftFile says the user left the group.
func savedLeft(dir string) bool {
	if dir == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, LeftFile))
	return err == nil
}

// SetTopic sets the group's topic; the network tells every member, the
// user included (sdk.TopicSetter). A topic starting "admins only" is
// refused NOT_ALLOWED, as a group whose info only its admins edit does.
func (s *Session) SetTopic(_ context.Context, c sdk.Call, topic string) error {
	if err := s.inChat(c); err != nil {
		return err
	}
	if c.ChatID != RoomID {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is no group of the echo network", c.ChatID)
	}
	if strings.HasPrefix(topic, "admins only") {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only the group's admins change its topic")
	}
	s.setTopic(s.loginID, true, topic)
	return nil
}

// setTopic changes the topic and says so, as set by userID.
func (s *Session) setTopic(userID string, fromMe bool, topic string) {
	s.n.mu.Lock()
	g := s.n.groupLocked(s.loginID)
	g.topic, g.topicBy = topic, userID
	s.n.mu.Unlock()
	ev := s.event(sdk.Call{ChatID: RoomID})
	ev.Sender = &pb.Sender{UserId: userID, IsFromMe: fromMe}
	ev.Payload = &pb.Event_Topic{Topic: &pb.TopicEvent{Topic: topic}}
	s.emit(ev)
}

// inRoom refuses to act in the group once the user left it.
func (s *Session) inRoom(chatID string) error {
	if chatID != RoomID {
		return nil
	}
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	if s.n.groupLocked(s.loginID).left {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you left %s", RoomName)
	}
	return nil
}

// roomCommand runs one of the group's commands (see the top of this
// file); false when text is none, and the message is an ordinary one.
func (s *Session) roomCommand(text string) bool {
	word, rest, _ := strings.Cut(strings.TrimSpace(text), " ")
	rest = strings.TrimSpace(rest)
	switch word {
	case "topic":
		if rest == "" {
			return false
		}
		s.setTopic(RoomRepeater, false, rest)
	case "join", "part":
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			return false
		}
		id := fmt.Sprintf("echo-%d", n)
		if word == "join" && s.refuseBanned(id) {
			break
		}
		s.member(id, word == "join")
	case "nick":
		return s.memberNick(rest)
	case "quiet-admin":
		return s.quietAdmin(rest)
	case "read-on-phone":
		if rest == "" {
			return false
		}
		said := s.event(sdk.Call{ChatID: RoomID})
		said.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: rest}}
		s.emit(said)
		read := s.event(sdk.Call{ChatID: RoomID})
		read.Sender = &pb.Sender{UserId: s.loginID, IsFromMe: true}
		read.Payload = &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: []string{said.EventId}}}
		s.emit(read)
	case "backlog":
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			return false
		}
		go s.roomBacklog(min(n, 100))
	case "picture":
		s.n.mu.Lock()
		g := s.n.groupLocked(s.loginID)
		if rest == "none" {
			g.picture = -1
		} else {
			g.picture = max(g.picture, 0) + 1
		}
		g.image, g.imageFmt = nil, ""
		c := s.roomChatLocked(g)
		s.n.mu.Unlock()
		c.Members = nil // only what changed: the picture
		ev := s.event(sdk.Call{ChatID: RoomID})
		ev.Sender = &pb.Sender{UserId: RoomRepeater}
		ev.Payload = &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: c}}
		s.emit(ev)
	default:
		return false
	}
	return true
}

// ChatAvatar is the group's picture: an 8x8 PNG whose shade is its
// version (sdk.ChatAvatarer).
func (s *Session) ChatAvatar(_ context.Context, chatID string) ([]byte, string, error) {
	if chatID != RoomID {
		return nil, "", nil
	}
	s.n.mu.Lock()
	g := s.n.groupLocked(s.loginID)
	v, img, mime := g.picture, g.image, g.imageFmt
	s.n.mu.Unlock()
	switch {
	case v < 0:
		return nil, "", nil
	case img != nil:
		return img, mime, nil
	}
	return solidPNG(byte(0x10 * (v + 1))), "image/png", nil
}

// member makes a member join or leave, and says so.
func (s *Session) member(id string, join bool) {
	s.n.mu.Lock()
	g := s.n.groupLocked(s.loginID)
	i := slices.Index(g.members, id)
	switch {
	case join && i < 0:
		g.members = append(g.members, id)
	case !join && i >= 0:
		g.members = slices.Delete(g.members, i, i+1)
	default:
		s.n.mu.Unlock()
		return // nothing changes
	}
	s.n.mu.Unlock()
	kind := pb.MemberEvent_KIND_LEFT
	if join {
		kind = pb.MemberEvent_KIND_JOINED
	}
	ev := s.event(sdk.Call{ChatID: RoomID})
	ev.Sender = &pb.Sender{UserId: id}
	ev.Payload = &pb.Event_Member{Member: &pb.MemberEvent{Kind: kind, Member: &pb.Member{UserId: id}}}
	s.emit(ev)
}

// roomReact is echo-2's 👍 on the user's message sent.
func (s *Session) roomReact(sent string) {
	ev := s.event(sdk.Call{ChatID: RoomID})
	ev.Sender = &pb.Sender{UserId: RoomReactor}
	ev.Payload = &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: sent, Emojis: []string{"👍"}}}
	s.emit(ev)
}

// roomBacklog sends n older messages of the group through the history
// stream, as a network catching up on a group does, a minute apart and
// older than anything live.
func (s *Session) roomBacklog(n int) {
	now := time.Now()
	b := &pb.HistoryBatch{LoginId: s.loginID, ChatId: RoomID, ChatType: pb.ChatType_CHAT_TYPE_GROUP, Done: true}
	for i := 1; i <= n; i++ {
		id := s.n.newID()
		b.Events = append(b.Events, &pb.Event{
			EventId: id, Meta: metaFor(id), ChatType: pb.ChatType_CHAT_TYPE_GROUP,
			Sender:             &pb.Sender{UserId: RoomRepeater},
			TimestampUnixMicro: now.Add(-time.Duration(n-i+1) * time.Minute).UnixMicro(),
			Payload:            &pb.Event_Message{Message: &pb.MessageEvent{Text: fmt.Sprintf("backlog %d of %d", i, n)}},
		})
	}
	if err := s.n.host.SendHistory(context.Background(), b); err != nil {
		s.n.host.Logger().Warn("room backlog not sent", "err", err)
	}
}
