package telegram

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgmock"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// unitSession is a session on a mocked API (tgmock): no connection.
func unitSession(t *testing.T) (*Session, *tgmock.Mock) {
	t.Helper()
	mock := tgmock.New(t)
	t.Cleanup(func() {
		if !mock.AllWereMet() {
			t.Error("not every expected request came")
		}
	})
	dir := t.TempDir()
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.close() })
	n := &Network{host: newTestHost()}
	n.cfg, _ = parseConfig(nil)
	s := newSession(n, sdk.LoginInfo{LoginID: "1001", Dir: dir}, saved{UserID: 1001})
	s.st, s.peers, s.api = st, newPeers(st), tg.NewClient(mock)
	// A reply to a message not seen asks Telegram for it (quotefetch.go,
	// tested on the fake Telegram); the mock answers only what a test
	// expects.
	s.quoteFetch.resumeAt = time.Now().Add(24 * time.Hour)
	return s, mock
}

var (
	news  = &tg.Channel{ID: 500, AccessHash: 55, Title: "News", Broadcast: true, Photo: &tg.ChatPhotoEmpty{}}
	forum = &tg.Channel{ID: 600, AccessHash: 66, Title: "Forum", Megagroup: true, Forum: true, Photo: &tg.ChatPhotoEmpty{}}
)

// A channel the user reads is a read-only room: ChatLimits says so, its
// info lists the user alone as a visitor, and its posts come from the
// channel.
func TestChannelReadOnly(t *testing.T) {
	s, mock := unitSession(t)
	s.peers.add(nil, []tg.ChatClass{news})
	ctx := context.Background()
	lim, err := s.ChatLimits(ctx, "-100500")
	if err != nil || !lim.ReadOnly {
		t.Fatalf("limits %v %v: want read-only", lim, err)
	}
	mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: &tg.InputChannel{ChannelID: 500, AccessHash: 55}}).
		ThenResult(&tg.MessagesChatFull{FullChat: &tg.ChannelFull{ID: 500, About: "all the news", ChatPhoto: &tg.PhotoEmpty{}}, Chats: []tg.ChatClass{news}})
	info, err := s.ChatInfo(ctx, "-100500")
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != pb.ChatType_CHAT_TYPE_CHANNEL || !info.ReadOnly || info.Topic != "all the news" {
		t.Errorf("info %v", info)
	}
	if len(info.Members) != 1 || !info.Members[0].IsSelf || info.Members[0].Role != pb.Role_ROLE_VISITOR {
		t.Errorf("members %v: want the user alone, as a visitor", info.Members)
	}
	post := &tg.Message{ID: 9, PeerID: &tg.PeerChannel{ChannelID: 500}, Date: 1700000000, Message: "breaking", Post: true}
	evs := s.messageEvents(ctx, post, false)
	if len(evs) != 1 || evs[0].ChatType != pb.ChatType_CHAT_TYPE_CHANNEL || evs[0].Sender.UserId != "-100500" || evs[0].Sender.Name != "News" {
		t.Errorf("post %v", evs)
	}
}

// A supergroup's members with their roles; a forum's messages say their
// topic, looked up once.
func TestSupergroupAndForum(t *testing.T) {
	s, mock := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, []tg.ChatClass{forum})
	ctx := context.Background()
	mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: &tg.InputChannel{ChannelID: 600, AccessHash: 66}}).
		ThenResult(&tg.MessagesChatFull{FullChat: &tg.ChannelFull{ID: 600, About: "ask here", ChatPhoto: &tg.PhotoEmpty{}}, Chats: []tg.ChatClass{forum}})
	mock.ExpectCall(&tg.ChannelsGetParticipantsRequest{Channel: &tg.InputChannel{ChannelID: 600, AccessHash: 66}, Filter: &tg.ChannelParticipantsRecent{}, Limit: memberPage}).
		ThenResult(&tg.ChannelsChannelParticipants{Count: 2, Participants: []tg.ChannelParticipantClass{
			&tg.ChannelParticipantCreator{UserID: 1002, AdminRights: tg.ChatAdminRights{}},
			&tg.ChannelParticipantSelf{UserID: 1001, InviterID: 1002, Date: 1},
		}})
	info, err := s.ChatInfo(ctx, "-100600")
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != pb.ChatType_CHAT_TYPE_GROUP || info.ReadOnly || len(info.Members) != 2 {
		t.Fatalf("info %v", info)
	}
	if m := info.Members[0]; m.UserId != "1002" || m.Affiliation != pb.Affiliation_AFFILIATION_OWNER || m.Nick != "Bob" {
		t.Errorf("creator %v", m)
	}
	if m := info.Members[1]; !m.IsSelf || m.Affiliation != pb.Affiliation_AFFILIATION_MEMBER {
		t.Errorf("self %v", m)
	}

}

// A forum's topics are rooms: a message, a reply, an edit, a deletion, a
// reaction, typing and a read in topic 5 all address -100600_5, the text
// as it was written (no "[topic]" prefix); the General topic is the
// forum's own room.
func TestForumTopicRouting(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, []tg.ChatClass{forum})
	ctx := context.Background()
	in5 := func(id int, text string, reply int) *tg.Message {
		h := &tg.MessageReplyHeader{ForumTopic: true, ReplyToMsgID: 5}
		if reply != 0 {
			h.ReplyToMsgID, h.ReplyToTopID = reply, 5
		}
		return &tg.Message{ID: id, PeerID: &tg.PeerChannel{ChannelID: 600}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000,
			Message: text, Entities: []tg.MessageEntityClass{&tg.MessageEntityBold{Offset: 0, Length: 2}}, ReplyTo: h}
	}
	evs := s.convert(ctx, &tg.UpdateNewChannelMessage{Message: in5(20, "no spam", 0)})
	if len(evs) != 1 || evs[0].ChatId != "-100600_5" || evs[0].ChatType != pb.ChatType_CHAT_TYPE_GROUP {
		t.Fatalf("topic message %v: want it in -100600_5", evs)
	}
	if msg := evs[0].GetMessage(); msg.Text != "no spam" || msg.ReplyToId != "" || len(msg.Spans) != 1 || msg.Spans[0].Start != 0 || msg.Spans[0].End != 2 {
		t.Errorf("topic message %v: want the text as written, in the topic, no reply", msg)
	}
	evs = s.convert(ctx, &tg.UpdateNewChannelMessage{Message: in5(21, "agreed", 20)})
	if len(evs) != 1 || evs[0].ChatId != "-100600_5" || evs[0].GetMessage().ReplyToId != "20" {
		t.Errorf("reply in the topic %v", evs)
	}
	general := &tg.Message{ID: 22, PeerID: &tg.PeerChannel{ChannelID: 600}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000, Message: "hello all"}
	if evs = s.convert(ctx, &tg.UpdateNewChannelMessage{Message: general}); len(evs) != 1 || evs[0].ChatId != "-100600" {
		t.Errorf("General message %v: want the forum's room", evs)
	}
	edited := in5(20, "no spam, please", 0)
	edited.EditDate = 1700000100
	if evs = s.convert(ctx, &tg.UpdateEditChannelMessage{Message: edited}); len(evs) != 1 || evs[0].ChatId != "-100600_5" || evs[0].GetEdit().GetTargetId() != "20" {
		t.Errorf("edit %v", evs)
	}
	// A reaction: by the update's top_msg_id, or else by the message's
	// topic as kept when it came.
	reacts := tg.MessageReactions{RecentReactions: []tg.MessagePeerReaction{{PeerID: &tg.PeerUser{UserID: 1002}, Reaction: &tg.ReactionEmoji{Emoticon: "👍"}}}}
	u := &tg.UpdateMessageReactions{Peer: &tg.PeerChannel{ChannelID: 600}, MsgID: 20, Reactions: reacts}
	if evs = s.convert(ctx, u); len(evs) != 1 || evs[0].ChatId != "-100600_5" || evs[0].GetReaction().GetTargetId() != "20" {
		t.Errorf("reaction without top_msg_id %v", evs)
	}
	u = &tg.UpdateMessageReactions{Peer: &tg.PeerChannel{ChannelID: 600}, MsgID: 21, Reactions: reacts}
	u.SetTopMsgID(5)
	if evs = s.convert(ctx, u); len(evs) != 1 || evs[0].ChatId != "-100600_5" {
		t.Errorf("reaction with top_msg_id %v", evs)
	}
	ty := &tg.UpdateChannelUserTyping{ChannelID: 600, FromID: &tg.PeerUser{UserID: 1002}, Action: &tg.SendMessageTypingAction{}}
	ty.SetTopMsgID(5)
	if evs = s.convert(ctx, ty); len(evs) != 1 || evs[0].ChatId != "-100600_5" || evs[0].GetTyping() == nil {
		t.Errorf("typing %v", evs)
	}
	ty = &tg.UpdateChannelUserTyping{ChannelID: 600, FromID: &tg.PeerUser{UserID: 1002}, Action: &tg.SendMessageTypingAction{}}
	if evs = s.convert(ctx, ty); len(evs) != 1 || evs[0].ChatId != "-100600" {
		t.Errorf("typing in General %v", evs)
	}
	read := &tg.UpdateReadChannelDiscussionInbox{ChannelID: 600, TopMsgID: 5, ReadMaxID: 21}
	if evs = s.convert(ctx, read); len(evs) != 1 || evs[0].ChatId != "-100600_5" || evs[0].GetReceipt() == nil {
		t.Errorf("read %v", evs)
	}
	// A deletion names only the message: each goes to its own room.
	evs = s.convert(ctx, &tg.UpdateDeleteChannelMessages{ChannelID: 600, Messages: []int{20, 22, 99}})
	var got []string
	for _, ev := range evs {
		got = append(got, ev.ChatId+":"+ev.GetRetraction().GetTargetId())
	}
	if want := []string{"-100600_5:20", "-100600:22", "-100600:99"}; !slices.Equal(got, want) {
		t.Errorf("deletions %v, want %v", got, want)
	}
	// A join and the user's removal are every topic's: in each room the
	// session knows.
	s.topics.set("-100600_5", topicInfo{title: "Rules"})
	join := &tg.MessageService{ID: 30, PeerID: &tg.PeerChannel{ChannelID: 600}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000,
		Action: &tg.MessageActionChatAddUser{Users: []int64{1003}}}
	got = nil
	for _, ev := range s.convert(ctx, &tg.UpdateNewChannelMessage{Message: join}) {
		got = append(got, ev.ChatId+":"+ev.GetMember().GetMember().GetUserId())
	}
	if want := []string{"-100600:1003", "-100600_5:1003"}; !slices.Equal(got, want) {
		t.Errorf("join %v, want %v", got, want)
	}
	kicked := &tg.MessageService{ID: 31, PeerID: &tg.PeerChannel{ChannelID: 600}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000,
		Action: &tg.MessageActionChatDeleteUser{UserID: 1001}}
	got = nil
	for _, ev := range s.convert(ctx, &tg.UpdateNewChannelMessage{Message: kicked}) {
		got = append(got, ev.ChatId+":"+ev.GetChatRemoved().GetReason().String())
	}
	if want := []string{"-100600:REASON_KICKED", "-100600_5:REASON_KICKED"}; !slices.Equal(got, want) {
		t.Errorf("removal %v, want %v", got, want)
	}
}

// A topic's ChatInfo is its forum's, named "Forum / Topic" (its title
// looked up once), with the forum's invite link; a deleted topic, General spelt as a topic and a
// malformed ID are clear errors.
func TestForumTopicInfo(t *testing.T) {
	s, mock := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, []tg.ChatClass{forum})
	ctx := context.Background()
	peer := &tg.InputPeerChannel{ChannelID: 600, AccessHash: 66}
	mock.ExpectCall(&tg.MessagesGetForumTopicsByIDRequest{Peer: peer, Topics: []int{5}}).
		ThenResult(&tg.MessagesForumTopics{Topics: []tg.ForumTopicClass{&tg.ForumTopic{ID: 5, Title: "Rules", Peer: &tg.PeerChannel{ChannelID: 600}, FromID: &tg.PeerUser{UserID: 1002}}}})
	for range 2 {
		mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: &tg.InputChannel{ChannelID: 600, AccessHash: 66}}).
			ThenResult(&tg.MessagesChatFull{FullChat: &tg.ChannelFull{ID: 600, About: "ask here", ChatPhoto: &tg.PhotoEmpty{},
				ExportedInvite: &tg.ChatInviteExported{Permanent: true, Link: "https://t.me/+Forum600", AdminID: 1002, Date: 1}}, Chats: []tg.ChatClass{forum}})
		mock.ExpectCall(&tg.ChannelsGetParticipantsRequest{Channel: &tg.InputChannel{ChannelID: 600, AccessHash: 66}, Filter: &tg.ChannelParticipantsRecent{}, Limit: memberPage}).
			ThenResult(&tg.ChannelsChannelParticipants{Count: 2, Participants: []tg.ChannelParticipantClass{
				&tg.ChannelParticipantCreator{UserID: 1002, AdminRights: tg.ChatAdminRights{}},
				&tg.ChannelParticipantSelf{UserID: 1001, InviterID: 1002, Date: 1},
			}})
	}
	for range 2 { // the title asked for once; the forum's link is the topic's
		info, err := s.ChatInfo(ctx, "-100600_5")
		if err != nil {
			t.Fatal(err)
		}
		if info.ChatId != "-100600_5" || info.Name != "Forum / Rules" || info.Type != pb.ChatType_CHAT_TYPE_GROUP || len(info.Members) != 2 || info.ReadOnly ||
			info.InviteLink != "https://t.me/+Forum600" {
			t.Errorf("topic info %v", info)
		}
	}
	mock.ExpectCall(&tg.MessagesGetForumTopicsByIDRequest{Peer: peer, Topics: []int{9}}).
		ThenResult(&tg.MessagesForumTopics{Topics: []tg.ForumTopicClass{&tg.ForumTopicDeleted{ID: 9}}})
	_, err := s.ChatInfo(ctx, "-100600_9")
	if code := codeOf(err); code != pb.ErrorCode_ERROR_CODE_NOT_FOUND || !strings.Contains(err.Error(), "no topic 9") {
		t.Errorf("deleted topic: %v (%v)", err, code)
	}
	for _, bad := range []string{"-100600_1", "-100600_05", "-100600_x", "-77_5", "1002_5"} {
		_, err := s.ChatInfo(ctx, bad)
		if code := codeOf(err); code != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
			t.Errorf("%s: %v (%v), want not found", bad, err, code)
		}
	}
	if err := s.LeaveChat(ctx, sdk.Call{ChatID: "-100600_5"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(err.Error(), "-100600") {
		t.Errorf("leaving a topic: %v", err)
	}
}

// A sticker is an image: a WebP one as it is, an animated one as its
// still thumbnail.
func TestStickerAsImage(t *testing.T) {
	s, _ := unitSession(t)
	webp := &tg.Message{ID: 1, PeerID: &tg.PeerUser{UserID: 1002}, Media: &tg.MessageMediaDocument{Document: &tg.Document{ID: 7, MimeType: "image/webp", Size: 1234,
		Attributes: []tg.DocumentAttributeClass{&tg.DocumentAttributeSticker{Alt: "😀"}, &tg.DocumentAttributeImageSize{W: 512, H: 512}}}}}
	a := s.attachmentOf("1002", webp)
	if a == nil || a.MimeType != "image/webp" || a.Name != "sticker.webp" || a.Width != 512 || a.GetRef() == "" {
		t.Errorf("webp sticker %v", a)
	}
	// Its emoji travels as the file's description, live and in history.
	if ev := s.messageEvent(context.Background(), webp, false); len(ev.GetMessage().GetAttachments()) != 1 || ev.GetMessage().Attachments[0].Caption != "😀" {
		t.Errorf("webp sticker's event %v: want its emoji as the caption", ev)
	}
	tgs := &tg.Message{ID: 2, PeerID: &tg.PeerUser{UserID: 1002}, Media: &tg.MessageMediaDocument{Document: &tg.Document{ID: 8, MimeType: "application/x-tgsticker", Size: 9999,
		Thumbs:     []tg.PhotoSizeClass{&tg.PhotoSize{Type: "m", W: 128, H: 128, Size: 3000}},
		Attributes: []tg.DocumentAttributeClass{&tg.DocumentAttributeSticker{Alt: "😀"}}}}}
	a = s.attachmentOf("1002", tgs)
	if a == nil || a.MimeType != "image/webp" || a.Size != 3000 || a.Width != 128 || !strings.Contains(a.GetRef(), `"t":"m"`) {
		t.Errorf("animated sticker %v: want its thumbnail as a WebP image", a)
	}
	if a.Caption != "😀" {
		t.Errorf("animated sticker's caption %q, want its emoji", a.Caption)
	}
}

// Spans and entities: UTF-8 bytes one side, UTF-16 units the other, past
// characters of both widths; a mention reads as text.
func TestSpansEntities(t *testing.T) {
	text := "é 😀 bold"
	ents := entitiesOf(text, []*pb.Span{{Start: 8, End: 12, Style: pb.Span_STYLE_BOLD}, {Start: 0, End: 2, Style: pb.Span_STYLE_MENTION, UserId: "1"}}, nil)
	if len(ents) != 1 || ents[0].GetOffset() != 5 || ents[0].GetLength() != 4 {
		t.Fatalf("entities %v", ents)
	}
	back := spansOf(text, ents, nil)
	if len(back) != 1 || back[0].Start != 8 || back[0].End != 12 {
		t.Errorf("spans %v", back)
	}
	// Out of range: clamped, never a panic.
	if sp := spansOf("ab", []tg.MessageEntityClass{&tg.MessageEntityItalic{Offset: 1, Length: 50}}, nil); len(sp) != 1 || sp[0].End != 2 {
		t.Errorf("clamped %v", sp)
	}
}

// Telegram's refusals read as what they are.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{tgerr.New(420, "FLOOD_WAIT_30"), "wait 30s"},
		{tgerr.New(406, "UPDATE_APP_TO_LOGIN"), "too old"},
		{tgerr.New(400, "PHONE_NUMBER_BANNED"), "banned"},
		{tgerr.New(401, "SESSION_REVOKED"), "log in again"},
		{errors.New("other"), ""},
	} {
		if got := refusal(tc.err); tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("refusal(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	var se *sdk.Error
	if err := cmdErr("send", tgerr.New(420, "FLOOD_WAIT_5")); !errors.As(err, &se) || se.Code != pb.ErrorCode_ERROR_CODE_RATE_LIMITED {
		t.Errorf("flood wait: %v", err)
	}
	if err := cmdErr("edit", tgerr.New(400, "MESSAGE_EDIT_TIME_EXPIRED")); !errors.As(err, &se) || se.Code != pb.ErrorCode_ERROR_CODE_EXPIRED {
		t.Errorf("edit expired: %v", err)
	}
}

// Joins and leaves in a group come as member events from its service
// messages; the user removed is the chat removed.
func TestMemberEvents(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1003, FirstName: "Carol"}}, []tg.ChatClass{&tg.Chat{ID: 77, Title: "W", Photo: &tg.ChatPhotoEmpty{}}})
	svc := func(id int, from int64, a tg.MessageActionClass) *tg.MessageService {
		return &tg.MessageService{ID: id, PeerID: &tg.PeerChat{ChatID: 77}, FromID: &tg.PeerUser{UserID: from}, Date: 1700000000, Action: a}
	}
	ctx := context.Background()
	evs := s.messageEvents(ctx, svc(1, 1002, &tg.MessageActionChatAddUser{Users: []int64{1003}}), false)
	if len(evs) != 1 || evs[0].GetMember().Kind != pb.MemberEvent_KIND_JOINED || evs[0].GetMember().Member.UserId != "1003" ||
		evs[0].GetMember().Member.Nick != "Carol" || evs[0].Sender.UserId != "1002" {
		t.Errorf("added: %v", evs)
	}
	evs = s.messageEvents(ctx, svc(2, 1003, &tg.MessageActionChatDeleteUser{UserID: 1003}), false)
	if len(evs) != 1 || evs[0].GetMember().Kind != pb.MemberEvent_KIND_LEFT {
		t.Errorf("left: %v", evs)
	}
	evs = s.messageEvents(ctx, svc(3, 1002, &tg.MessageActionChatDeleteUser{UserID: 1003}), false)
	if len(evs) != 1 || evs[0].GetMember().Kind != pb.MemberEvent_KIND_KICKED {
		t.Errorf("kicked: %v", evs)
	}
	evs = s.messageEvents(ctx, svc(4, 1002, &tg.MessageActionChatDeleteUser{UserID: 1001}), false)
	if len(evs) != 1 || evs[0].GetChatRemoved().GetReason() != pb.ChatRemovedEvent_REASON_KICKED {
		t.Errorf("the user removed: %v", evs)
	}
	// The user's removal or leaving in the history of a group they are
	// in again (re-added, or back by a link): old news, not the end of
	// the room the history is read for, which it was.
	for i, from := range []int64{1002, 1001} {
		for _, ev := range s.messageEvents(ctx, svc(40+i, from, &tg.MessageActionChatDeleteUser{UserID: 1001}), true) {
			if ev.GetChatRemoved() != nil || ev.GetMember().GetMember().GetIsSelf() {
				t.Errorf("the user's removal (by %d) in the history: %v", from, ev)
			}
		}
	}
	// Someone else joining by a link, or let in on request, is a member
	// joining (the user's own such join is a new group: join_invite.go).
	for i, a := range []tg.MessageActionClass{&tg.MessageActionChatJoinedByLink{InviterID: 1002}, &tg.MessageActionChatJoinedByRequest{}} {
		evs = s.messageEvents(ctx, svc(5+i, 1003, a), false)
		if len(evs) != 1 || evs[0].GetMember().GetKind() != pb.MemberEvent_KIND_JOINED || evs[0].GetMember().Member.UserId != "1003" {
			t.Errorf("%T: %v", a, evs)
		}
	}
}

// A group the user is added to, or one renamed, comes whole as a
// ChatEvent with its members.
func TestNewGroupEvent(t *testing.T) {
	s, mock := unitSession(t)
	g := &tg.Chat{ID: 78, Title: "New", Photo: &tg.ChatPhotoEmpty{}, ParticipantsCount: 2}
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, FirstName: "Bob"}}, []tg.ChatClass{g})
	mock.ExpectCall(&tg.MessagesGetFullChatRequest{ChatID: 78}).ThenResult(&tg.MessagesChatFull{
		FullChat: &tg.ChatFull{ID: 78, About: "fresh", Participants: &tg.ChatParticipants{ChatID: 78, Version: 1, Participants: []tg.ChatParticipantClass{
			&tg.ChatParticipantCreator{UserID: 1002}, &tg.ChatParticipant{UserID: 1001, InviterID: 1002, Date: 1}}}},
		Chats: []tg.ChatClass{g}})
	m := &tg.MessageService{ID: 5, PeerID: &tg.PeerChat{ChatID: 78}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000,
		Action: &tg.MessageActionChatAddUser{Users: []int64{1001}}}
	evs := s.messageEvents(context.Background(), m, false)
	if len(evs) != 1 || evs[0].GetChat() == nil {
		t.Fatalf("events %v", evs)
	}
	c := evs[0].GetChat().Chat
	if c.ChatId != "-78" || c.Name != "New" || c.Topic != "fresh" || len(c.Members) != 2 {
		t.Errorf("chat %v", c)
	}
	// In history, no request and no event.
	if evs := s.messageEvents(context.Background(), m, true); len(evs) != 1 || evs[0].GetMember() == nil {
		t.Errorf("history: %v", evs)
	}
}

// A mention of a user the session knows goes as a mention.
func TestMentionOut(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 22, FirstName: "Bob"}}, nil)
	ents := entitiesOf("hi Bob", []*pb.Span{{Start: 3, End: 6, Style: pb.Span_STYLE_MENTION, UserId: "1002"}, {Start: 0, End: 2, Style: pb.Span_STYLE_MENTION, UserId: "999"}}, s.mentioned)
	if len(ents) != 1 {
		t.Fatalf("entities %v: want the known user's mention only", ents)
	}
	m, ok := ents[0].(*tg.InputMessageEntityMentionName)
	if !ok || m.Offset != 3 || m.Length != 3 || m.UserID.(*tg.InputUser).AccessHash != 22 {
		t.Errorf("mention %v", ents[0])
	}
}

// Videos and voice notes keep their size, length and kind.
func TestAttachmentsIn(t *testing.T) {
	s, _ := unitSession(t)
	video := &tg.Message{ID: 3, PeerID: &tg.PeerUser{UserID: 1002}, Media: &tg.MessageMediaDocument{Document: &tg.Document{ID: 9, MimeType: "video/mp4", Size: 5000,
		Attributes: []tg.DocumentAttributeClass{&tg.DocumentAttributeVideo{Duration: 2.5, W: 640, H: 360}}}}}
	a := s.attachmentOf("1002", video)
	if a == nil || a.Name != "video.mp4" || a.DurationMs != 2500 || a.Width != 640 || a.Size != 5000 {
		t.Errorf("video %v", a)
	}
	voice := &tg.Message{ID: 4, PeerID: &tg.PeerUser{UserID: 1002}, Media: &tg.MessageMediaDocument{Document: &tg.Document{ID: 10, MimeType: "audio/ogg", Size: 700,
		Attributes: []tg.DocumentAttributeClass{&tg.DocumentAttributeAudio{Voice: true, Duration: 4}}}}}
	a = s.attachmentOf("1002", voice)
	if a == nil || !a.VoiceNote || a.DurationMs != 4000 || a.Name != "voice.ogg" {
		t.Errorf("voice %v", a)
	}
	doc := &tg.Message{ID: 5, PeerID: &tg.PeerUser{UserID: 1002}, Media: &tg.MessageMediaDocument{Document: &tg.Document{ID: 11, MimeType: "application/pdf", Size: 70,
		Attributes: []tg.DocumentAttributeClass{&tg.DocumentAttributeFilename{FileName: "a.pdf"}}}}}
	if a = s.attachmentOf("1002", doc); a == nil || a.Name != "a.pdf" || a.MimeType != "application/pdf" {
		t.Errorf("document %v", a)
	}
}

// codeOf is the contract's code of an error (UNSPECIFIED for none).
func codeOf(err error) pb.ErrorCode {
	var se *sdk.Error
	if errors.As(err, &se) {
		return se.Code
	}
	return pb.ErrorCode_ERROR_CODE_UNSPECIFIED
}

// A batch of updates handed over again (a run killed before gotd's
// manager kept the new pts gets it again from getDifference) gives the
// same events under the same event IDs: the gateway drops the copies.
func TestReplayedBatchSameEventIDs(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, []tg.ChatClass{forum})
	h := s.n.host.(*testHost)
	batch := &tg.Updates{Updates: []tg.UpdateClass{
		&tg.UpdateNewMessage{Message: &tg.Message{ID: 7, PeerID: &tg.PeerUser{UserID: 1002}, Date: 1700000000, Message: "hi"}},
		&tg.UpdateNewChannelMessage{Message: &tg.Message{ID: 8, PeerID: &tg.PeerChannel{ChannelID: 600}, FromID: &tg.PeerUser{UserID: 1002},
			Date: 1700000000, Message: "in a topic", ReplyTo: &tg.MessageReplyHeader{ForumTopic: true, ReplyToMsgID: 5}}},
		&tg.UpdateDeleteChannelMessages{ChannelID: 600, Messages: []int{8}},
	}}
	var runs [2][]string
	for i := range runs {
		from := h.count()
		if err := s.handle(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		h.mu.Lock()
		for _, ev := range h.events[from:] {
			if ev.EventId == "" || ev.LoginId != "1001" {
				t.Errorf("event %v: want an event ID and the login", ev)
			}
			runs[i] = append(runs[i], ev.ChatId+"/"+ev.EventId)
		}
		h.mu.Unlock()
	}
	if want := []string{"1002/7", "-100600_5/8", "-100600_5/del-8"}; !slices.Equal(runs[0], want) || !slices.Equal(runs[1], want) {
		t.Errorf("runs %v, want %v twice", runs, want)
	}
}

// A big supergroup's members are read page after page (Telegram gives
// 200 a request), up to MemberLimit; before, only the first 200 were.
func TestSupergroupMembersPaged(t *testing.T) {
	s, mock := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, []tg.ChatClass{forum})
	ch := &tg.InputChannel{ChannelID: 600, AccessHash: 66}
	mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: ch}).
		ThenResult(&tg.MessagesChatFull{FullChat: &tg.ChannelFull{ID: 600, ChatPhoto: &tg.PhotoEmpty{}}, Chats: []tg.ChatClass{forum}})
	const total = 450
	page := func(from, n int) *tg.ChannelsChannelParticipants {
		out := &tg.ChannelsChannelParticipants{Count: total}
		for i := from; i < from+n; i++ {
			out.Participants = append(out.Participants, &tg.ChannelParticipant{UserID: int64(5000 + i), Date: 1})
		}
		return out
	}
	for _, p := range [][2]int{{0, 200}, {200, 200}, {400, 50}} {
		mock.ExpectCall(&tg.ChannelsGetParticipantsRequest{Channel: ch, Filter: &tg.ChannelParticipantsRecent{}, Offset: p[0], Limit: memberPage}).
			ThenResult(page(p[0], p[1]))
	}
	info, err := s.ChatInfo(context.Background(), "-100600")
	if err != nil {
		t.Fatal(err)
	}
	// Every member once, and the user (not in the list) added.
	seen := map[string]bool{}
	for _, m := range info.Members {
		seen[m.UserId] = true
	}
	if len(info.Members) != total+1 || len(seen) != total+1 || !seen["5449"] || !seen["1001"] {
		t.Fatalf("%d members (%d distinct), want %d and the user", len(info.Members), len(seen), total)
	}
}
