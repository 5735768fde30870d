package echo

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// MaxLong is the longest text the "net-long" command makes the contact say.
const MaxLong = 8 << 20

// hostileCommand runs the commands that make the network send what a
// careless or hostile network sends, for the gateway's tests of bad
// input:
//
//	net-event JSON  the network emits the event JSON (pb.Event in
//	             protojson): login, chat, sender, time and ID are this
//	             chat's event's (see event) unless JSON sets them; each
//	             @@N@@ in JSON becomes N letters x (N up to MaxLong), to
//	             make long names and lists in a short command
//	net-long N   the contact says a text of N bytes (lines of ASCII)
//	net-crowd N  in the group: N members more (crowd-1 ... crowd-N) in
//	             one chat event with the whole list
//	net-quiet N  in the group: its name and topic become N letters x,
//	             with no event (one the network lost): the gateway
//	             learns them from the chat list
//
// and the contact HugeAvatarContact, whose profile has an avatar of
// HugeAvatarBytes.
func (s *Session) hostileCommand(c sdk.Call, word, rest string) error {
	switch word {
	case "net-event":
		var in pb.Event
		if err := protojson.Unmarshal([]byte(expandFiller(rest)), &in); err != nil {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "net-event: %v", err)
		}
		ev := s.event(c)
		proto.Merge(ev, &in)
		if in.LoginId == "" {
			ev.LoginId = s.loginID
		} // else another login's, as a confused network sends
		s.emit(ev)
	case "net-crowd":
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > 100000 || c.ChatID != RoomID {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "net-crowd: want a number from 1 to 100000, in the group")
		}
		s.n.mu.Lock()
		chat := s.roomChatLocked(s.n.groupLocked(s.loginID))
		s.n.mu.Unlock()
		for i := 1; i <= n; i++ {
			chat.Members = append(chat.Members, &pb.Member{UserId: fmt.Sprintf("crowd-%d", i), Nick: fmt.Sprintf("Crowd %d", i)})
		}
		ev := s.event(c)
		ev.Payload = &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}}
		s.emit(ev)
	case "net-quiet":
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > MaxLong || c.ChatID != RoomID {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "net-quiet: want a length from 1 to %d, in the group", MaxLong)
		}
		s.n.mu.Lock()
		g := s.n.groupLocked(s.loginID)
		g.name, g.topic = strings.Repeat("x", n), strings.Repeat("x", n)
		s.n.mu.Unlock()
	case "net-long":
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > MaxLong {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "net-long: want a length from 1 to %d", MaxLong)
		}
		ev := s.event(c)
		ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: LongText(n)}}
		s.emit(ev)
	}
	return nil
}

// LongText is the text of n bytes the "net-long" command sends: numbered
// lines of 64 bytes.
func LongText(n int) string {
	var b strings.Builder
	b.Grow(n + 64)
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%-63s\n", fmt.Sprintf("line %d", i))
	}
	return b.String()[:n]
}

// expandFiller replaces each @@N@@ in s with N letters x.
func expandFiller(s string) string {
	var b strings.Builder
	for {
		before, after, ok := strings.Cut(s, "@@")
		if !ok {
			break
		}
		num, tail, ok := strings.Cut(after, "@@")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 || n > MaxLong {
			b.WriteString(before + "@@")
			s = after
			continue
		}
		b.WriteString(before)
		b.WriteString(strings.Repeat("x", n))
		s = tail
	}
	b.WriteString(s)
	return b.String()
}

// HugeAvatarContact is the contact whose profile (UserInfo) has an
// avatar of HugeAvatarBytes: more than a server takes in one stanza.
const (
	HugeAvatarContact = "huge-avatar"
	HugeAvatarBytes   = 2 << 20
)

// hugeAvatar gives p the huge avatar when it is HugeAvatarContact's.
func hugeAvatar(p *pb.Contact) {
	if p.UserId == HugeAvatarContact {
		p.Avatar, p.AvatarMime, p.AvatarId = bytes.Repeat([]byte{0x80}, HugeAvatarBytes), "image/png", "huge-v1"
	}
}
