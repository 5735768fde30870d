package echo

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Running the echo group: renaming it, adding members, removing or
// banning them, lifting a ban, and changing their role. The echo network lets every
// member do all of it; a real network checks the user's rights and
// refuses with PERMISSION_DENIED. Each change comes back as the event the
// network sends every member.

var (
	_ sdk.ChatNamer        = (*Session)(nil)
	_ sdk.ChatAvatarSetter = (*Session)(nil)
	_ sdk.Inviter          = (*Session)(nil)
	_ sdk.Kicker           = (*Session)(nil)
	_ sdk.Unbanner         = (*Session)(nil)
	_ sdk.RoleSetter       = (*Session)(nil)
)

// SetChatName renames the group (sdk.ChatNamer).
func (s *Session) SetChatName(_ context.Context, c sdk.Call, name string) error {
	if err := s.adminCall(c); err != nil {
		return err
	}
	if strings.TrimSpace(name) == "" {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a group needs a name")
	}
	s.n.mu.Lock()
	g := s.n.groupLocked(s.loginID)
	g.name = name
	chat := s.roomChatLocked(g)
	s.n.mu.Unlock()
	s.changedByUser(c, chat)
	return nil
}

// SetChatAvatar sets the group's picture, or removes it
// (sdk.ChatAvatarSetter): the echo network keeps it as it came.
func (s *Session) SetChatAvatar(_ context.Context, c sdk.Call, a *pb.SetChatAvatar) error {
	if err := s.adminCall(c); err != nil {
		return err
	}
	s.n.mu.Lock()
	g := s.n.groupLocked(s.loginID)
	if len(a.Data) == 0 {
		g.picture, g.image, g.imageFmt = -1, nil, ""
	} else {
		g.picture, g.image, g.imageFmt = max(g.picture, 0)+1, slices.Clone(a.Data), a.MimeType
	}
	chat := s.roomChatLocked(g)
	s.n.mu.Unlock()
	s.changedByUser(c, chat)
	return nil
}

// changedByUser says the user changed the group (its name, its
// picture): the group without its members, which did not change.
func (s *Session) changedByUser(c sdk.Call, chat *pb.Chat) {
	chat.Members = nil
	ev := s.event(c)
	ev.Sender = &pb.Sender{UserId: s.loginID, IsFromMe: true}
	ev.Payload = &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}}
	s.emit(ev)
}

// Invite adds someone to the group (sdk.Inviter).
func (s *Session) Invite(_ context.Context, c sdk.Call, userID string) error {
	if err := s.adminCall(c); err != nil {
		return err
	}
	if userID == "" || strings.ContainsAny(userID, " \x00") || userID == s.loginID {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%q cannot be added to the group", userID)
	}
	if s.isMember(userID) {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%s is in the group already", userID)
	}
	if s.isBanned(userID) {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "%s is banned from the group: lift the ban first", userID)
	}
	s.member(userID, true)
	return nil
}

// Kick removes a member, or bans them (sdk.Kicker).
func (s *Session) Kick(_ context.Context, c sdk.Call, k *pb.Kick) error {
	if err := s.adminCall(c); err != nil {
		return err
	}
	s.n.mu.Lock()
	g := s.n.groupLocked(s.loginID)
	i := slices.Index(g.members, k.UserId)
	if i >= 0 {
		g.members = slices.Delete(g.members, i, i+1)
		delete(g.roles, k.UserId)
		if k.Ban {
			if g.banned == nil {
				g.banned = map[string]bool{}
			}
			g.banned[k.UserId] = true
			s.saveBannedLocked(g)
		}
	}
	s.n.mu.Unlock()
	if i < 0 {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s is not in the group", k.UserId)
	}
	kind := pb.MemberEvent_KIND_KICKED
	if k.Ban {
		kind = pb.MemberEvent_KIND_BANNED
	}
	ev := s.event(c)
	ev.Sender = &pb.Sender{UserId: s.loginID, IsFromMe: true}
	ev.Payload = &pb.Event_Member{Member: &pb.MemberEvent{Kind: kind, Member: &pb.Member{UserId: k.UserId}, Reason: k.Reason}}
	s.emit(ev)
	return nil
}

// Unban lifts a ban (sdk.Unbanner): the member may join again ("join N"
// in the group) or be added. The network says nothing of it, as most do:
// the room shows nothing until they come back.
func (s *Session) Unban(_ context.Context, c sdk.Call, userID string) error {
	if err := s.adminCall(c); err != nil {
		return err
	}
	s.n.mu.Lock()
	g := s.n.groupLocked(s.loginID)
	delete(g.banned, userID)
	s.saveBannedLocked(g)
	s.n.mu.Unlock()
	return nil
}

// BannedFile, in a login's folder (sdk.LoginInfo.Dir), is the group's ban
// list, one user ID a line: the network's servers keep it while the
// plugin is not running, so a gateway started again finds the bans in
// the group's member list (TestRoomOutcastList).
const BannedFile = "group-banned"

// saveBannedLocked writes the group's ban list to the login's folder; a
// failure costs the bans at the next start only. Call with n.mu held.
func (s *Session) saveBannedLocked(g *group) {
	if s.dir == "" {
		return
	}
	ids := slices.Sorted(maps.Keys(g.banned))
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(id + "\n")
	}
	if err := os.WriteFile(filepath.Join(s.dir, BannedFile), []byte(b.String()), 0o600); err != nil {
		s.n.host.Logger().Warn("echo: ban list not saved", "err", err)
	}
}

// savedBans is the ban list in dir's BannedFile; nil when none.
func savedBans(dir string) map[string]bool {
	if dir == "" {
		return nil
	}
	raw, err := os.ReadFile(filepath.Join(dir, BannedFile))
	if err != nil {
		return nil
	}
	var out map[string]bool
	for id := range strings.Lines(string(raw)) {
		if id = strings.TrimSpace(id); id != "" {
			if out == nil {
				out = map[string]bool{}
			}
			out[id] = true
		}
	}
	return out
}

// SetRole changes a member's role and affiliation (sdk.RoleSetter).
func (s *Session) SetRole(_ context.Context, c sdk.Call, r *pb.SetRole) error {
	if err := s.adminCall(c); err != nil {
		return err
	}
	if !s.isMember(r.UserId) {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s is not in the group", r.UserId)
	}
	m := &pb.Member{UserId: r.UserId, Role: r.Role, Affiliation: r.Affiliation}
	s.n.mu.Lock()
	g := s.n.groupLocked(s.loginID)
	if g.roles == nil {
		g.roles = map[string]*pb.Member{}
	}
	g.roles[r.UserId] = m
	s.n.mu.Unlock()
	ev := s.event(c)
	ev.Sender = &pb.Sender{UserId: s.loginID, IsFromMe: true}
	ev.Payload = &pb.Event_Member{Member: &pb.MemberEvent{Kind: pb.MemberEvent_KIND_ROLE_CHANGED, Member: m}}
	s.emit(ev)
	return nil
}

// adminCall refuses what is not the echo group, or comes once the user
// left it.
func (s *Session) adminCall(c sdk.Call) error {
	if err := s.online(); err != nil {
		return err
	}
	if c.ChatID != RoomID {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is no group of the echo network", c.ChatID)
	}
	return s.inRoom(c.ChatID)
}

func (s *Session) isMember(userID string) bool {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	return slices.Contains(s.n.groupLocked(s.loginID).members, userID)
}

func (s *Session) isBanned(userID string) bool {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	return s.n.groupLocked(s.loginID).banned[userID]
}

// refuseBanned is the network refusing a banned member's join: echo-1
// says so in the group, so that a test sees the ban hold. false when id
// is not banned.
func (s *Session) refuseBanned(id string) bool {
	if !s.isBanned(id) {
		return false
	}
	ev := s.event(sdk.Call{ChatID: RoomID})
	ev.Sender = &pb.Sender{UserId: RoomRepeater}
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: id + " is banned from the group"}}
	s.emit(ev)
	return true
}
