package botmode

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-telegram/bot/models"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A bot cannot list its chats: it learns of them from updates. The chats
// seen, their members as seen and the bot's rights in each are kept in
// the login's folder, so the rooms are still there after a restart.

const chatsFile = "chats.json"

// chat is what the session knows of one chat.
type chat struct {
	ID       int64           `json:"id"`
	Type     models.ChatType `json:"type"`
	Title    string          `json:"title,omitempty"`    // groups and channels
	Name     string          `json:"name,omitempty"`     // private chats: the person's name
	Username string          `json:"username,omitempty"` // the person's or the public chat's
	// Members are the members seen (groups), by user ID.
	Members map[int64]*member `json:"members,omitempty"`
	// Rights are the bot's own in the chat; nil = a plain member.
	Rights *models.ChatAdministratorRights `json:"rights,omitempty"`
	// AdminsKnown: the administrators were fetched once.
	AdminsKnown bool `json:"admins_known,omitempty"`
	// Avatar is a person's profile photo (private chats) or a group's or
	// channel's picture; AvatarKnown says a group's was looked up (nil
	// then = no picture).
	Avatar      *avatar `json:"avatar,omitempty"`
	AvatarKnown bool    `json:"avatar_known,omitempty"`
	// AvatarSeen is when a person's photo was last looked up: the date
	// (unix seconds) of the message that had it looked up.
	AvatarSeen int64 `json:"avatar_seen,omitempty"`
	// Topics are a forum's topic names, by thread ID.
	Topics map[int]string `json:"topics,omitempty"`
	// ClosedTopics are the forum's topics closed (forum_topic_closed),
	// by thread ID, until reopened: only admins post there.
	ClosedTopics map[int]bool `json:"closed_topics,omitempty"`
	LastActive   int64        `json:"last_active,omitempty"` // unix seconds
}

type member struct {
	Name        string                `json:"name"`
	Username    string                `json:"username,omitempty"`
	IsBot       bool                  `json:"is_bot,omitempty"`
	Affiliation pb.Affiliation        `json:"affiliation,omitempty"`
	Status      models.ChatMemberType `json:"status,omitempty"`
	// Muted: kept from sending messages (a visitor).
	Muted bool `json:"muted,omitempty"`
}

func (c *chat) isGroup() bool {
	return c.Type == models.ChatTypeGroup || c.Type == models.ChatTypeSupergroup
}

func (c *chat) chatType() pb.ChatType { return chatTypeOf(c.Type) }

func chatTypeOf(t models.ChatType) pb.ChatType {
	switch t {
	case models.ChatTypeGroup, models.ChatTypeSupergroup:
		return pb.ChatType_CHAT_TYPE_GROUP
	case models.ChatTypeChannel:
		return pb.ChatType_CHAT_TYPE_CHANNEL
	}
	return pb.ChatType_CHAT_TYPE_DIRECT
}

// readOnly: in a channel the bot posts only with the right to.
func (c *chat) readOnly() bool {
	return c.Type == models.ChatTypeChannel && (c.Rights == nil || !c.Rights.CanPostMessages)
}

// chats is the login's chat list, saved in its folder.
type chats struct {
	path string // "" = kept in memory only

	saveMu sync.Mutex // one save at a time: they share a temporary file
	mu     sync.Mutex
	byID   map[int64]*chat
	dirty  bool
}

func loadChats(dir string) (*chats, error) {
	cs := &chats{byID: map[int64]*chat{}}
	if dir == "" {
		return cs, nil
	}
	cs.path = filepath.Join(dir, chatsFile)
	data, err := os.ReadFile(cs.path)
	if errors.Is(err, fs.ErrNotExist) {
		return cs, nil
	}
	if err != nil {
		return nil, fmt.Errorf("botmode: read the chat list: %w", err)
	}
	var list []*chat
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("botmode: the chat list %s is damaged: %w", cs.path, err)
	}
	for _, c := range list {
		cs.byID[c.ID] = c
	}
	return cs, nil
}

// get returns a copy of chat id's record (ok false when unknown).
func (cs *chats) get(id int64) (chat, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.byID[id]
	if !ok {
		return chat{}, false
	}
	return c.clone(), true
}

// byUsername is the user whose username is name (any capitals, as
// Telegram compares them) among those the bot has seen: a member of
// chat id first, then of any chat, or the person of a private chat; 0
// for none.
func (cs *chats) byUsername(id int64, name string) int64 {
	if name == "" {
		return 0
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	in := func(c *chat) int64 {
		for uid, m := range c.Members {
			if strings.EqualFold(m.Username, name) {
				return uid
			}
		}
		if c.Type == models.ChatTypePrivate && strings.EqualFold(c.Username, name) {
			return c.ID
		}
		return 0
	}
	if c, ok := cs.byID[id]; ok {
		if uid := in(c); uid != 0 {
			return uid
		}
	}
	for _, c := range cs.byID {
		if uid := in(c); uid != 0 {
			return uid
		}
	}
	return 0
}

// head is a copy of chat id's record without its members and topic
// names: what ChatLimits needs, before every command, kept cheap. The
// closed topics, which ChatLimits needs, are few.
func (cs *chats) head(id int64) (chat, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.byID[id]
	if !ok {
		return chat{}, false
	}
	out := *c
	out.Members, out.Topics = nil, nil
	out.ClosedTopics = maps.Clone(c.ClosedTopics)
	if c.Rights != nil {
		r := *c.Rights
		out.Rights = &r
	}
	if c.Avatar != nil {
		a := *c.Avatar
		out.Avatar = &a
	}
	return out, true
}

func (c *chat) clone() chat {
	out := *c
	if c.Members != nil {
		out.Members = make(map[int64]*member, len(c.Members))
		for id, m := range c.Members {
			mm := *m
			out.Members[id] = &mm
		}
	}
	if c.Rights != nil {
		r := *c.Rights
		out.Rights = &r
	}
	out.Topics, out.ClosedTopics = maps.Clone(c.Topics), maps.Clone(c.ClosedTopics)
	if c.Avatar != nil {
		a := *c.Avatar
		out.Avatar = &a
	}
	return out
}

// update changes chat id's record with fn (created when new); it reports
// whether the chat was new.
func (cs *chats) update(id int64, fn func(c *chat)) (isNew bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.byID[id]
	if !ok {
		c = &chat{ID: id}
		cs.byID[id] = c
	}
	fn(c)
	cs.dirty = true
	return !ok
}

// refresh is update for what changes often and matters little (when a
// chat last spoke): the list is saved only when fn reports a change
// worth it, or the chat is new; the rest goes with the next save.
func (cs *chats) refresh(id int64, fn func(c *chat) (changed bool)) (isNew bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.byID[id]
	if !ok {
		c = &chat{ID: id}
		cs.byID[id] = c
	}
	if fn(c) || !ok {
		cs.dirty = true
	}
	return !ok
}

func (cs *chats) remove(id int64) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if _, ok := cs.byID[id]; ok {
		delete(cs.byID, id)
		cs.dirty = true
	}
}

// all is a copy of every chat, most recently active first.
func (cs *chats) all() []chat {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := make([]chat, 0, len(cs.byID))
	for _, c := range cs.byID {
		out = append(out, c.clone())
	}
	slices.SortFunc(out, func(a, b chat) int {
		if a.LastActive != b.LastActive {
			return int(b.LastActive - a.LastActive)
		}
		return int(a.ID - b.ID)
	})
	return out
}

// save writes the list when it changed, durably: it is written before
// the offset that confirms the updates it comes from.
func (cs *chats) save() error {
	cs.saveMu.Lock()
	defer cs.saveMu.Unlock()
	cs.mu.Lock()
	if !cs.dirty || cs.path == "" {
		cs.mu.Unlock()
		return nil
	}
	list := make([]*chat, 0, len(cs.byID))
	for _, c := range cs.byID {
		list = append(list, c)
	}
	slices.SortFunc(list, func(a, b *chat) int { return int(a.ID - b.ID) })
	data, err := json.Marshal(list)
	cs.dirty = false
	cs.mu.Unlock()
	if err != nil {
		return fmt.Errorf("botmode: encode the chat list: %w", err)
	}
	if err := writeFileDurably(cs.path, data); err != nil {
		cs.mu.Lock()
		cs.dirty = true
		cs.mu.Unlock()
		return err
	}
	return nil
}

// writeFileDurably replaces path with data (sdk.WriteFileDurably), its
// error naming the file.
func writeFileDurably(path string, data []byte) error {
	if err := sdk.WriteFileDurably(path, data); err != nil {
		return fmt.Errorf("botmode: write %s: %w", path, err)
	}
	return nil
}

// members is the chat's member list for the contract, the bot first.
func (c *chat) members(me Identity) []*pb.Member {
	out := []*pb.Member{{UserId: strconv.FormatInt(me.ID, 10), Nick: me.Name, IsSelf: true,
		Affiliation: c.botAffiliation(), Role: roleOf(c.botAffiliation())}}
	ids := make([]int64, 0, len(c.Members))
	for id := range c.Members {
		if id != me.ID {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		m := c.Members[id]
		out = append(out, &pb.Member{UserId: strconv.FormatInt(id, 10), Nick: m.Name,
			Affiliation: m.Affiliation, Role: roleFor(m.Affiliation, m.Muted)})
	}
	return out
}

func (c *chat) botAffiliation() pb.Affiliation {
	if c.Rights != nil {
		return pb.Affiliation_AFFILIATION_ADMIN
	}
	return pb.Affiliation_AFFILIATION_MEMBER
}

func roleOf(a pb.Affiliation) pb.Role {
	switch a {
	case pb.Affiliation_AFFILIATION_OWNER, pb.Affiliation_AFFILIATION_ADMIN:
		return pb.Role_ROLE_MODERATOR
	case pb.Affiliation_AFFILIATION_NONE, pb.Affiliation_AFFILIATION_OUTCAST:
		return pb.Role_ROLE_VISITOR
	}
	return pb.Role_ROLE_PARTICIPANT
}

// roleFor is a member's role: a muted member is a visitor.
func roleFor(a pb.Affiliation, muted bool) pb.Role {
	if muted && a == pb.Affiliation_AFFILIATION_MEMBER {
		return pb.Role_ROLE_VISITOR
	}
	return roleOf(a)
}

// mutedOf: a member status kept from sending messages.
func mutedOf(m models.ChatMember) bool {
	return m.Type == models.ChatMemberTypeRestricted && m.Restricted != nil && !m.Restricted.CanSendMessages
}

// affiliationOf is a chat member status as an affiliation.
func affiliationOf(m models.ChatMember) pb.Affiliation {
	switch m.Type {
	case models.ChatMemberTypeOwner:
		return pb.Affiliation_AFFILIATION_OWNER
	case models.ChatMemberTypeAdministrator:
		return pb.Affiliation_AFFILIATION_ADMIN
	case models.ChatMemberTypeLeft:
		return pb.Affiliation_AFFILIATION_NONE
	case models.ChatMemberTypeBanned:
		return pb.Affiliation_AFFILIATION_OUTCAST
	}
	return pb.Affiliation_AFFILIATION_MEMBER
}

// memberUser is the user a chat member status is about.
func memberUser(m models.ChatMember) *models.User {
	switch m.Type {
	case models.ChatMemberTypeOwner:
		return m.Owner.User
	case models.ChatMemberTypeAdministrator:
		return &m.Administrator.User
	case models.ChatMemberTypeMember:
		return m.Member.User
	case models.ChatMemberTypeRestricted:
		return m.Restricted.User
	case models.ChatMemberTypeLeft:
		return m.Left.User
	case models.ChatMemberTypeBanned:
		return m.Banned.User
	}
	return nil
}

// rightsOf is the administrator rights of a member status; nil = none.
func rightsOf(m models.ChatMember) *models.ChatAdministratorRights {
	switch m.Type {
	case models.ChatMemberTypeOwner:
		return &models.ChatAdministratorRights{CanManageChat: true, CanDeleteMessages: true, CanRestrictMembers: true,
			CanPromoteMembers: true, CanChangeInfo: true, CanInviteUsers: true, CanPostMessages: true,
			CanEditMessages: true, CanPinMessages: true}
	case models.ChatMemberTypeAdministrator:
		a := m.Administrator
		return &models.ChatAdministratorRights{IsAnonymous: a.IsAnonymous, CanManageChat: a.CanManageChat,
			CanDeleteMessages: a.CanDeleteMessages, CanRestrictMembers: a.CanRestrictMembers,
			CanPromoteMembers: a.CanPromoteMembers, CanChangeInfo: a.CanChangeInfo, CanInviteUsers: a.CanInviteUsers,
			CanPostMessages: a.CanPostMessages, CanEditMessages: a.CanEditMessages, CanPinMessages: a.CanPinMessages}
	}
	return nil
}

// inChat reports whether a member status is in the chat.
func inChat(m models.ChatMember) bool {
	switch m.Type {
	case models.ChatMemberTypeLeft, models.ChatMemberTypeBanned:
		return false
	case models.ChatMemberTypeRestricted:
		return m.Restricted.IsMember
	}
	return true
}

// supergroup: the Bot API changes members' rights only there.
func (c *chat) supergroup() bool { return c.Type == models.ChatTypeSupergroup }
