package echo

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Groups the user creates from XMPP (sdk.ChatCreator, feature
// create_chat): a channel (channels.go) with the name asked for, the
// user as its owner, Echo One, and those of the members asked for that
// are the account's contacts; anyone else is left out, as a real network
// leaves out who it will not add. Its ID is ChannelSign, CreatedTag and
// a number unique to the plugin process.
const (
	CreatedTag = "group-"
	// MaxGroupName is the longest name, in characters, a group may get.
	MaxGroupName = 100
	// InviteLinkPrefix starts a created group's invite link (ChatInfo's
	// invite_link), its owner's to share.
	InviteLinkPrefix = "https://echo.invalid/join/"
)

var _ sdk.ChatCreator = (*Session)(nil)

// CreateChat creates a group and describes it to the gateway with a
// ChatEvent.
func (s *Session) CreateChat(_ context.Context, _ sdk.Call, cc *pb.CreateChat) (string, error) {
	if err := s.online(); err != nil {
		return "", err
	}
	name := strings.TrimSpace(cc.Name)
	switch {
	case name == "":
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a group needs a name")
	case utf8.RuneCountInString(name) > MaxGroupName:
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a group's name has at most %d characters", MaxGroupName)
	}
	id := ChannelSign + CreatedTag + strconv.FormatInt(time.Now().UnixNano(), 36)
	s.n.mu.Lock()
	ch := &channel{nick: s.loginID, name: name}
	contacts := s.n.accounts[s.loginID]
	for _, m := range cc.MemberIds {
		if _, ok := contacts[m]; ok && m != RoomRepeater && !slices.Contains(ch.members, m) {
			ch.members = append(ch.members, m)
		} else if !ok {
			s.n.host.Logger().Info("echo: not added to the new group: no such contact", "group", id, "member", m)
		}
	}
	s.channelsLocked()[id] = ch
	chat := s.channelChatLocked(id, ch)
	s.n.mu.Unlock()
	s.emit(&pb.Event{LoginId: s.loginID, ChatId: id, ChatType: pb.ChatType_CHAT_TYPE_GROUP, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}}})
	return id, nil
}
