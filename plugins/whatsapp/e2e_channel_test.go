package whatsapp_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// A WhatsApp channel (newsletter) the user follows, in the plugin
// process on the remote fake, its posts as WhatsApp delivers them (a
// <message> from <id>@newsletter, the post in <plaintext>, parsed by
// whatsmeow): a post, with a file, shows in the channel's room (chat
// <id>@newsletter, type CHANNEL), from the channel under its name, as
// the channel is described by WhatsApp's mex answer. Before, posts were
// left out (channels.go then): they had come as a one-to-one chat
// "<id>@newsletter" from a contact "<id>@newsletter", which ChatInfo
// described as one-to-one. Nothing of the channel comes as a direct
// chat, and a message after its posts still comes.
func TestChannelPostInRoomProcess(t *testing.T) {
	srv, _, evs, _ := processLoggedIn(t)
	channel := types.NewJID("120363100000000001", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: channel, Name: "Daily News", Description: "news every day"})
	for i, m := range []*waE2E.Message{
		{Conversation: proto.String("news of the day")},
		{ImageMessage: &waE2E.ImageMessage{Caption: proto.String("a picture"), Mimetype: proto.String("image/jpeg")}},
	} {
		if err := srv.ChannelPost(types.MessageInfo{MessageSource: types.MessageSource{Chat: channel, Sender: channel},
			ID: types.MessageID("NL" + string(rune('1'+i))), ServerID: types.MessageServerID(100 + i), Timestamp: time.Now()}, m); err != nil {
			t.Fatal(err)
		}
	}
	info, msg := incoming(bob, "AFTER", "hi")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	posts := map[string]*pb.Event{}
	evs.NextEvent(func(ev *pb.Event) bool {
		if strings.Contains(ev.ChatId, types.NewsletterServer) || strings.Contains(ev.GetSender().GetUserId(), types.NewsletterServer) {
			if ev.ChatType != pb.ChatType_CHAT_TYPE_CHANNEL || ev.ChatId != channel.String() {
				t.Errorf("a channel's post not in its room: %v", ev)
			}
			posts[ev.EventId] = ev
		}
		return ev.EventId == "AFTER"
	})
	for id, text := range map[string]string{"NL1": "news of the day", "NL2": "a picture"} {
		ev := posts[id]
		if ev == nil {
			t.Errorf("post %s not shown", id)
			continue
		}
		if ev.Sender.GetUserId() != channel.String() || ev.Sender.GetName() != "Daily News" || ev.Sender.GetIsFromMe() {
			t.Errorf("post %s from %v, want the channel, named Daily News", id, ev.Sender)
		}
		if got := ev.GetMessage().GetText(); !strings.Contains(got, text) {
			t.Errorf("post %s: %q, want %q", id, got, text)
		}
	}
	if a := posts["NL2"].GetMessage().GetAttachments(); len(a) != 1 {
		t.Errorf("the picture's post: attachments %v", a)
	}
}

// A followed channel is a read-only room, in the plugin process on the
// remote fake: listed (ChatList) and described (ChatInfo) as WhatsApp's
// mex answers describe it (name, description as topic), type CHANNEL,
// read-only, the user its only member listed, a reader; reactions its
// only feature. A channel the user does not follow is an error, not a
// one-to-one chat (ChatInfo described every non-group JID as one), nor
// a room: WhatsApp describes it, the user its GUEST.
func TestChannelRoomDescribedProcess(t *testing.T) {
	srv, p, evs, done := processLoggedIn(t)
	channel := types.NewJID("120363100000000003", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: channel, Name: "Weather", Description: "sun and rain"})
	guest := types.NewJID("120363100000000013", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: guest, Name: "Not followed", Role: types.NewsletterRoleGuest})
	srv.Group(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Builders"},
		Participants: []types.GroupParticipant{{JID: me, PhoneNumber: me}, {JID: bob, PhoneNumber: bob}}})
	// The fake applies the server's commands in order: once bob's
	// message is through, so is the channel.
	info, msg := incoming(bob, "SYNC", "hi")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.EventId == "SYNC" })

	ctx, cancel := p.CallContext()
	defer cancel()
	check := func(what string, c *pb.Chat) {
		t.Helper()
		if c.GetType() != pb.ChatType_CHAT_TYPE_CHANNEL || !c.GetReadOnly() || c.GetName() != "Weather" || c.GetTopic() != "sun and rain" {
			t.Errorf("%s: %v, want a read-only channel Weather, topic «sun and rain»", what, c)
		}
		if f := c.GetFeatures(); f == nil || !f.Reactions || f.Edits || f.Retractions || f.Attachments {
			t.Errorf("%s: features %v, want reactions alone", what, f)
		}
		if m := c.GetMembers(); len(m) != 1 || !m[0].IsSelf || m[0].Role != pb.Role_ROLE_VISITOR || m[0].Affiliation != pb.Affiliation_AFFILIATION_NONE {
			t.Errorf("%s: members %v, want the user alone, a reader", what, m)
		}
	}
	list, err := p.Client().ChatList(ctx, &pb.LoginRef{LoginId: done.LoginId})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, c := range list.GetChats() {
		switch c.ChatId {
		case channel.String():
			found = true
			check("ChatList", c)
		case guest.String():
			t.Errorf("ChatList: a channel not followed listed: %v", c)
		case group.String():
			if c.Type != pb.ChatType_CHAT_TYPE_GROUP {
				t.Errorf("the group: %v", c)
			}
		}
	}
	if !found {
		t.Errorf("ChatList: %v, want the channel", list.GetChats())
	}
	c, err := p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: done.LoginId, ChatId: channel.String()})
	if err != nil {
		t.Fatal(err)
	}
	check("ChatInfo", c)

	// WhatsApp describes a channel the user does not follow (the viewer
	// a GUEST), and one it does not have is its GraphQL error 404.
	for _, other := range []types.JID{guest, types.NewJID("120363100000000004", types.NewsletterServer)} {
		if c, err := p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: done.LoginId, ChatId: other.String()}); status.Code(err) != codes.NotFound ||
			!strings.Contains(err.Error(), "you do not follow the WhatsApp channel") {
			t.Errorf("ChatInfo of %s, not followed: %v, %v, want NOT_FOUND saying so", other, c, err)
		}
	}
}

// channelPosted logs in the plugin process on the remote fake, has the
// user follow channel "Daily News" and its post NLE1 (server ID 321,
// "the first word", an hour ago) come: the fake, the plugin, the events,
// the login and the post's event.
func channelPosted(t *testing.T, channel types.JID) (*wafake.Server, *plugintest.Plugin, *plugintest.EventStream, *pb.CompleteStep, *pb.Event) {
	t.Helper()
	srv, p, evs, done := processLoggedIn(t)
	srv.Channel(wafake.Channel{JID: channel, Name: "Daily News"})
	post := types.MessageInfo{MessageSource: types.MessageSource{Chat: channel, Sender: channel}, ID: "NLE1", ServerID: 321,
		Timestamp: time.Now().Add(-time.Hour).Truncate(time.Second)}
	if err := srv.ChannelPost(post, &waE2E.Message{Conversation: proto.String("the first word")}); err != nil {
		t.Fatal(err)
	}
	first := evs.NextEvent(func(ev *pb.Event) bool { return ev.EventId == "NLE1" })
	if first.GetMessage().GetText() != "the first word" {
		t.Fatalf("the post: %v", first)
	}
	return srv, p, evs, done, first
}

// An admin's edit of a channel's post, in the plugin process on the
// remote fake (WhatsApp sends the post again under its ID, its new
// content whole, with <meta msg_edit_t>, which whatsmeow reads into
// NewsletterMeta), comes as a correction of the post, from the channel,
// at the edit's time; before, it came as the post again (dropped by the
// gateway as a duplicate of its ID).
func TestChannelPostEditedProcess(t *testing.T) {
	channel := types.NewJID("120363100000000005", types.NewsletterServer)
	srv, _, evs, _, _ := channelPosted(t, channel)
	edited := time.Now().Truncate(time.Millisecond)
	post := types.MessageInfo{MessageSource: types.MessageSource{Chat: channel, Sender: channel}, ID: "NLE1", ServerID: 321,
		Timestamp: time.Now().Add(-time.Hour).Truncate(time.Second)}
	if err := srv.ChannelEdit(post, edited, &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("the last word")}}); err != nil {
		t.Fatal(err)
	}
	ed := evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == channel.String() })
	if e := ed.GetEdit(); e.GetTargetId() != "NLE1" || e.GetText() != "the last word" || ed.Sender.GetUserId() != channel.String() ||
		ed.ChatType != pb.ChatType_CHAT_TYPE_CHANNEL || ed.TimestampUnixMicro != edited.UnixMicro() {
		t.Errorf("the edit: %v, want a correction of NLE1 from the channel, at the edit's time", ed)
	}
}

// A post from XMPP into a channel's room, in the plugin process on the
// remote fake, is refused, read-only, and nothing goes to WhatsApp: the
// channel's chat limits say read-only (before, it was a direct chat's,
// and the text went to the channel as a message).
func TestChannelSendRefusedProcess(t *testing.T) {
	channel := types.NewJID("120363100000000006", types.NewsletterServer)
	srv, p, _, done, _ := channelPosted(t, channel)
	res := p.Commands().Send(plugintest.SendText(done.LoginId, channel.String(), "tx1", "may I?"))
	refusedReadOnly(t, srv, channel, res, "a post from XMPP")
}

// refusedReadOnly checks that res, what was sent to channel, was
// refused as read-only and that nothing went to the channel.
func refusedReadOnly(t *testing.T, srv *wafake.Server, channel types.JID, res *pb.CommandResult, what string) {
	t.Helper()
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(res.Error.GetText(), "read-only") {
		t.Errorf("%s: %v, want refused, read-only", what, res)
	}
	if got := srv.SentTo(channel); len(got) != 0 {
		t.Errorf("%s: sent to the channel: %v", what, got)
	}
}

// A reaction from XMPP to a channel's post, in the plugin process on the
// remote fake, goes to WhatsApp as a channel's reaction
// (NewsletterSendReaction) naming the post's server ID, kept in its
// meta; none takes it back. Before, it went as a chat's reaction message
// to the channel. A reaction to a post whose meta lacks the server ID
// (an older meta) is refused, saying so, nothing sent.
func TestChannelReactionProcess(t *testing.T) {
	channel := types.NewJID("120363100000000007", types.NewsletterServer)
	srv, p, _, done, first := channelPosted(t, channel)
	cmds := p.Commands()
	res := cmds.Send(plugintest.Act(done.LoginId, channel.String(), "r1", &pb.React{TargetId: "NLE1", TargetMeta: first.Meta, Emojis: []string{"👍"}}))
	if res.Error != nil {
		t.Fatalf("the reaction: %v", res.Error)
	}
	if _, err := srv.WaitChannelReaction(plugintest.Timeout, func(r wafake.ChannelReaction) bool {
		return r.Channel == channel && r.ServerID == 321 && r.Reaction == "👍"
	}); err != nil {
		t.Error(err)
	}
	res = cmds.Send(plugintest.Act(done.LoginId, channel.String(), "r2", &pb.React{TargetId: "NLE1", TargetMeta: first.Meta}))
	if res.Error != nil {
		t.Fatalf("the reaction taken back: %v", res.Error)
	}
	if _, err := srv.WaitChannelReaction(plugintest.Timeout, func(r wafake.ChannelReaction) bool {
		return r.Channel == channel && r.ServerID == 321 && r.Reaction == ""
	}); err != nil {
		t.Error(err)
	}
	res = cmds.Send(plugintest.Act(done.LoginId, channel.String(), "r3", &pb.React{TargetId: "NLE1", TargetMeta: []byte(channel.String() + "|0"), Emojis: []string{"👍"}}))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND || !strings.Contains(res.Error.GetText(), "react to it on the phone") {
		t.Errorf("a reaction without the post's server ID: %v, want refused saying so", res)
	}
	if got := srv.SentTo(channel); len(got) != 0 {
		t.Errorf("sent to the channel as messages: %v", got)
	}
}

// A channel in the history sync, in the plugin process on the remote
// fake, is left out as its live posts are: its batch came as a chat
// "<id>@newsletter". The chat after it in the same sync still comes.
func TestHistoryChannelNotShownProcess(t *testing.T) {
	srv, p, _, _ := processLoggedIn(t)
	ctx, cancel := p.CallContext()
	defer cancel()
	h, err := p.Client().History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	channel := types.NewJID("120363100000000002", types.NewsletterServer)
	at := uint64(time.Now().Add(-2 * time.Hour).Unix())
	msgIn := func(chat types.JID, id, text string) *waHistorySync.HistorySyncMsg {
		return &waHistorySync.HistorySyncMsg{Message: &waWeb.WebMessageInfo{
			Key:              &waCommon.MessageKey{RemoteJID: proto.String(chat.String()), ID: proto.String(id), FromMe: proto.Bool(false)},
			MessageTimestamp: proto.Uint64(at), Message: &waE2E.Message{Conversation: proto.String(text)}}}
	}
	if err := srv.History(&waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(), Conversations: []*waHistorySync.Conversation{
		{ID: proto.String(channel.String()), Messages: []*waHistorySync.HistorySyncMsg{msgIn(channel, "NLH1", "an old post")}},
		{ID: proto.String(bob.String()), Messages: []*waHistorySync.HistorySyncMsg{msgIn(bob, "H1", "from the past")}},
	}}); err != nil {
		t.Fatal(err)
	}
	for {
		b, err := h.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.ChatId, types.NewsletterServer) {
			t.Errorf("a channel's history shown: %v", b)
			continue
		}
		if b.ChatId == "+"+bob.User {
			break
		}
	}
}

// Statuses, in the plugin process on the remote fake, as whatsmeow
// hands them over (the status broadcast as chat): a status, its
// deletion, its edit, a reaction to one there, and a contact's reaction
// to the user's status in their direct chat (the key naming the status
// broadcast) show nothing, neither as a chat "status@broadcast" nor as
// a reaction to a message the chat does not have. A message after them
// still comes.
func TestStatusesNotShownProcess(t *testing.T) {
	srv, _, evs, _ := processLoggedIn(t)
	status := types.StatusBroadcastJID
	inStatus := func(id string) types.MessageInfo {
		return types.MessageInfo{MessageSource: types.MessageSource{Chat: status, Sender: bob, IsGroup: true}, ID: types.MessageID(id), Timestamp: time.Now(), PushName: "Bob"}
	}
	statusKey := func(id string, fromMe bool) *waCommon.MessageKey {
		k := &waCommon.MessageKey{RemoteJID: proto.String(status.String()), ID: proto.String(id), FromMe: proto.Bool(fromMe)}
		if !fromMe {
			k.Participant = proto.String(bob.String())
		}
		return k
	}
	for _, c := range []struct {
		info types.MessageInfo
		msg  *waE2E.Message
	}{
		{inStatus("ST1"), &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("my day")}}},
		{inStatus("ST2"), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(), Key: statusKey("ST1", false),
			EditedMessage: &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("my day, edited")}}}}},
		{inStatus("ST3"), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_REVOKE.Enum(), Key: statusKey("ST1", false)}}},
		{inStatus("ST4"), &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Key: statusKey("MYSTATUS1", true), Text: proto.String("❤️")}}},
		{types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: "ST5", Timestamp: time.Now(), PushName: "Bob"},
			&waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Key: statusKey("MYSTATUS1", true), Text: proto.String("🔥")}}},
	} {
		if err := srv.Receive(c.info, c.msg); err != nil {
			t.Fatal(err)
		}
	}
	info, msg := incoming(bob, "AFTER", "hi")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool {
		if strings.Contains(ev.ChatId, "broadcast") || strings.HasPrefix(ev.EventId, "ST") || ev.GetReaction() != nil {
			t.Errorf("a status shown: %v", ev)
		}
		return ev.EventId == "AFTER"
	})
}

// A followed channel through a real Prosody, the gateway and the plugin
// process on the remote fake: the user joins its room, a post comes as
// the room's message from the channel, and a message the user sends
// there is refused with an error, nothing going to WhatsApp.
func TestEndToEndChannelRoom(t *testing.T) {
	g, srv, alice := aliceLoggedIn(t)
	channel := types.NewJID("120363100000000009", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: channel, Name: "Daily News", Description: "news every day"})
	// The fake applies the server's commands in order: once bob's
	// message is through, so is the channel.
	info, msg := incoming(bob, "SYNC", "hi")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	g.NextMessage(alice, g.JID("+"+bob.User))
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	room := g.JID(channel.String())
	if err := alice.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	g.Next(alice, "the room's self-presence", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "110")
	})
	if err := srv.ChannelPost(types.MessageInfo{MessageSource: types.MessageSource{Chat: channel, Sender: channel},
		ID: "NLG1", ServerID: 11, Timestamp: time.Now()}, &waE2E.Message{Conversation: proto.String("news of the day")}); err != nil {
		t.Fatal(err)
	}
	g.Next(alice, "the post", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "groupchat" && gatewaytest.Bare(s.From) == room && s.Body == "news of the day"
	})
	if err := alice.SendRaw(ctx, `<message type='groupchat' to='`+room+`' id='nl-send'><body>may I?</body></message>`); err != nil {
		t.Fatal(err)
	}
	refused := g.Next(alice, "the refusal", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "error" && strings.Contains(s.XML, `id="nl-send"`)
	})
	// The gateway words a read-only room's refusal (its text names a
	// group's admins, a channel's too).
	if !strings.Contains(refused.XML, "<forbidden") || !strings.Contains(refused.XML, "admins post") {
		t.Errorf("the refusal: %s, want forbidden: only admins post", refused.XML)
	}
	if got := srv.SentTo(channel); len(got) != 0 {
		t.Errorf("sent to the channel: %v", got)
	}
}

// The user reading a channel's room from XMPP, in the plugin process on
// the remote fake: a read marker on its second post marks both posts
// viewed on WhatsApp (NewsletterMarkViewed, by their server IDs), so
// the phone's channel shows them seen and their view counts count the
// user. Before, only a read receipt went, which counts no views.
func TestChannelPostsViewedProcess(t *testing.T) {
	channel := types.NewJID("120363100000000010", types.NewsletterServer)
	srv, p, evs, done, _ := channelPosted(t, channel)
	post := types.MessageInfo{MessageSource: types.MessageSource{Chat: channel, Sender: channel}, ID: "NLE2", ServerID: 322, Timestamp: time.Now()}
	if err := srv.ChannelPost(post, &waE2E.Message{Conversation: proto.String("the second word")}); err != nil {
		t.Fatal(err)
	}
	second := evs.NextEvent(func(ev *pb.Event) bool { return ev.EventId == "NLE2" })
	res := p.Commands().Send(plugintest.Act(done.LoginId, channel.String(), "m1", &pb.MarkRead{UpToId: "NLE2", UpToMeta: second.Meta}))
	if res.Error != nil {
		t.Fatalf("the read marker: %v", res.Error)
	}
	if _, err := srv.WaitChannelViewed(5*time.Second, func(v wafake.ChannelViewed) bool {
		return v.Channel == channel && slices.Equal(v.ServerIDs, []types.MessageServerID{321, 322})
	}); err != nil {
		t.Errorf("%v; viewed: %v", err, srv.ChannelViews())
	}
}

// A channel's posts' files, in the plugin process on the remote fake: a
// channel's media are not end-to-end encrypted, so a post names its
// file by direct path and plaintext hash, without a media key or an
// encrypted file's hash (whatsmeow then downloads it as is). A picture,
// a video, a document and a voice message each come as the post's
// attachment and download through the plugin's DownloadMedia, whole, as
// the gateway fetches them. A file WhatsApp no longer has is NOT_FOUND,
// saying so (the phone is not asked again for it: no key to name).
func TestChannelPostFileProcess(t *testing.T) {
	srv, p, evs, done := processLoggedIn(t)
	channel := types.NewJID("120363100000000011", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: channel, Name: "Daily News"})
	file := func(path, data string) (*string, []byte, *uint64) {
		sum := sha256.Sum256([]byte(data))
		return proto.String(path), sum[:], proto.Uint64(uint64(len(data)))
	}
	cases := []struct {
		id, path, data, mime string
		msg                  func(path *string, sum []byte, n *uint64) *waE2E.Message
	}{
		{"NLF1", "/o1/v/t62.7118-24/pic", "\xff\xd8\xff\xe0 a picture", "image/jpeg", func(d *string, sum []byte, n *uint64) *waE2E.Message {
			return &waE2E.Message{ImageMessage: &waE2E.ImageMessage{DirectPath: d, FileSHA256: sum, FileLength: n, Mimetype: proto.String("image/jpeg"), Caption: proto.String("the view")}}
		}},
		{"NLF2", "/o1/v/t62.7161-24/video", "....ftypmp42 a video", "video/mp4", func(d *string, sum []byte, n *uint64) *waE2E.Message {
			return &waE2E.Message{VideoMessage: &waE2E.VideoMessage{DirectPath: d, FileSHA256: sum, FileLength: n, Mimetype: proto.String("video/mp4")}}
		}},
		{"NLF3", "/o1/v/t62.7119-24/doc", "%PDF-1.7 a report", "application/pdf", func(d *string, sum []byte, n *uint64) *waE2E.Message {
			return &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{DirectPath: d, FileSHA256: sum, FileLength: n, Mimetype: proto.String("application/pdf"), FileName: proto.String("report.pdf")}}
		}},
		{"NLF4", "/o1/v/t62.7117-24/voice", "OggS a voice", "audio/ogg; codecs=opus", func(d *string, sum []byte, n *uint64) *waE2E.Message {
			return &waE2E.Message{AudioMessage: &waE2E.AudioMessage{DirectPath: d, FileSHA256: sum, FileLength: n, Mimetype: proto.String("audio/ogg; codecs=opus"), PTT: proto.Bool(true)}}
		}},
	}
	for i, c := range cases {
		srv.Media(c.path, []byte(c.data))
		if err := srv.ChannelPost(types.MessageInfo{MessageSource: types.MessageSource{Chat: channel, Sender: channel}, ID: types.MessageID(c.id),
			ServerID: types.MessageServerID(40 + i), Timestamp: time.Now()}, c.msg(file(c.path, c.data))); err != nil {
			t.Fatal(err)
		}
	}
	// A post whose file WhatsApp no longer has.
	if err := srv.ChannelPost(types.MessageInfo{MessageSource: types.MessageSource{Chat: channel, Sender: channel}, ID: "NLF5", ServerID: 50, Timestamp: time.Now()},
		&waE2E.Message{ImageMessage: &waE2E.ImageMessage{DirectPath: proto.String("/o1/v/gone"), Mimetype: proto.String("image/jpeg")}}); err != nil {
		t.Fatal(err)
	}
	posts := map[string]*pb.Event{}
	evs.NextEvent(func(ev *pb.Event) bool {
		if ev.ChatId == channel.String() {
			posts[ev.EventId] = ev
		}
		return ev.EventId == "NLF5"
	})
	ctx, cancel := p.CallContext()
	defer cancel()
	download := func(ref string) ([]byte, error) {
		st, err := p.Client().DownloadMedia(ctx, &pb.MediaRef{LoginId: done.LoginId, ChatId: channel.String(), Ref: ref})
		if err != nil {
			return nil, err
		}
		var got []byte
		for {
			c, err := st.Recv()
			if err == io.EOF {
				return got, nil
			}
			if err != nil {
				return got, err
			}
			got = append(got, c.Data...)
		}
	}
	for _, c := range cases {
		a := posts[c.id].GetMessage().GetAttachments()
		if len(a) != 1 || a[0].GetRef() == "" || a[0].GetMimeType() != c.mime {
			t.Errorf("post %s's file: %v, want one %s", c.id, a, c.mime)
			continue
		}
		if got, err := download(a[0].GetRef()); err != nil || !bytes.Equal(got, []byte(c.data)) {
			t.Errorf("post %s's file downloaded: %q, %v, want %q", c.id, got, err, c.data)
		}
	}
	a := posts["NLF5"].GetMessage().GetAttachments()
	if len(a) != 1 {
		t.Fatalf("post NLF5's file: %v", a)
	}
	if got, err := download(a[0].GetRef()); status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), "no longer on WhatsApp's servers") {
		t.Errorf("a file WhatsApp no longer has: %q, %v, want NOT_FOUND saying so", got, err)
	}
}

// A channel's picture, in the plugin process on the remote fake, named
// in WhatsApp's mex answer by its ID and direct path: the room is
// described with it as its avatar ID, and ChatInfo asked with_avatar
// (as the gateway asks for a room's picture) carries it, downloaded
// from the media servers. Before, that ChatInfo failed whole: the
// picture was asked as a group's, and a channel is none.
func TestChannelPictureProcess(t *testing.T) {
	srv, p, evs, done := processLoggedIn(t)
	channel := types.NewJID("120363100000000025", types.NewsletterServer)
	pic := []byte("\xff\xd8\xff\xe0 the channel's picture")
	srv.Media("/v/t61.24694-24/channel-pic.jpg", pic)
	srv.Channel(wafake.Channel{JID: channel, Name: "Pictured", Picture: &types.ProfilePictureInfo{ID: "cp9", DirectPath: "/v/t61.24694-24/channel-pic.jpg"}})
	// The fake applies the server's commands in order: once bob's
	// message is through, so is the channel.
	info, msg := incoming(bob, "SYNC", "hi")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.EventId == "SYNC" })
	ctx, cancel := p.CallContext()
	defer cancel()
	c, err := p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: done.LoginId, ChatId: channel.String(), WithAvatar: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.AvatarId != "cp9" || !bytes.Equal(c.Avatar, pic) || c.AvatarMime != "image/jpeg" || c.NoAvatar {
		t.Errorf("the channel described with its picture: %v", c)
	}
}
