package whatsapp_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// The owner of a channel posts in it from XMPP, in the plugin process on
// the remote fake: the channel is listed writable, the user its owner;
// a text goes to the channel (whatsmeow's newsletter send), its result
// meta naming the post's server ID from WhatsApp's ack, which the
// user's reaction to it then names. A follower's post in a channel is
// still refused, read-only, nothing sent. Before, every channel was
// read-only, the owner's post refused.
func TestChannelAdminPostProcess(t *testing.T) {
	srv, p, evs, done := processLoggedIn(t)
	mine, theirs := ownAndFollowedChannels(t, srv, evs, 120363100000000041, "News", types.NewsletterRoleOwner, "SYNC2")
	ctx, cancel := p.CallContext()
	defer cancel()
	c, err := p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: done.LoginId, ChatId: mine.String()})
	if err != nil {
		t.Fatal(err)
	}
	if m := c.GetMembers(); c.GetReadOnly() || len(m) != 1 || m[0].Affiliation != pb.Affiliation_AFFILIATION_OWNER {
		t.Errorf("the user's own channel: %v, want writable, the user its owner", c)
	}

	cmds := p.Commands()
	res := cmds.Send(plugintest.SendText(done.LoginId, mine.String(), "p1", "hello followers"))
	if res.Error != nil || res.MessageId == "" {
		t.Fatalf("the owner's post: %v", res)
	}
	sent := srv.SentTo(mine)
	if len(sent) != 1 || !strings.Contains(sent[0].GetConversation()+sent[0].GetExtendedTextMessage().GetText(), "hello followers") {
		t.Errorf("sent to the channel: %v, want the post", sent)
	}
	postReactedTo(t, p, srv, done, mine, res, "p2", "the post")

	res = cmds.Send(plugintest.SendText(done.LoginId, theirs.String(), "p3", "may I?"))
	refusedReadOnly(t, srv, theirs, res, "a follower's post")
}

// ownAndFollowedChannels has the fake hold two channels, "My <topic>"
// (ID id) the user runs as role and "Their <topic>" (ID id+1) the user
// follows, and waits until the plugin has synced them (syncID).
func ownAndFollowedChannels(t *testing.T, srv *wafake.Server, evs *plugintest.EventStream, id uint64, topic string, role types.NewsletterRole, syncID string) (mine, theirs types.JID) {
	t.Helper()
	mine = types.NewJID(strconv.FormatUint(id, 10), types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: mine, Name: "My " + topic, Role: role})
	theirs = types.NewJID(strconv.FormatUint(id+1, 10), types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: theirs, Name: "Their " + topic})
	channelsSynced(t, srv, evs, syncID)
	return mine, theirs
}

// postReactedTo reacts to the user's post in their channel mine (res,
// the post's send result) and checks the reaction goes to WhatsApp
// naming the post's server ID from the fake's ack.
func postReactedTo(t *testing.T, p *plugintest.Plugin, srv *wafake.Server, done *pb.CompleteStep, mine types.JID, res *pb.CommandResult, txn, post string) {
	t.Helper()
	if r := p.Commands().Send(plugintest.Act(done.LoginId, mine.String(), txn, &pb.React{TargetId: res.MessageId, TargetMeta: res.Meta, Emojis: []string{"❤️"}})); r.Error != nil {
		t.Fatalf("a reaction to %s: %v", post, r.Error)
	}
	if _, err := srv.WaitChannelReaction(plugintest.Timeout, func(r wafake.ChannelReaction) bool {
		return r.Channel == mine && r.ServerID == 1001
	}); err != nil {
		t.Errorf("the reaction to %s, by its server ID: %v", post, err)
	}
}

// The owner of a channel posts files in it from XMPP, in the plugin
// process on the remote fake: each file goes to the channel's media
// unencrypted (whatsmeow's newsletter upload: no media key), its post
// naming the upload's handle (the fake refuses one that does not), the
// text the first's caption; the result's meta names the first post's
// server ID, which a reaction names. A follower's file is refused,
// read-only, nothing sent. Before, an admin's file was refused as not
// done.
func TestChannelAdminFilePostProcess(t *testing.T) {
	srv, p, evs, done := processLoggedIn(t)
	mine, theirs := ownAndFollowedChannels(t, srv, evs, 120363100000000043, "Pictures", types.NewsletterRoleAdmin, "SYNC3")
	file := func(name, mime, data string) *pb.Attachment {
		return &pb.Attachment{Name: name, MimeType: mime, Source: &pb.Attachment_Data{Data: []byte(data)}}
	}
	cmds := p.Commands()
	res := cmds.Send(plugintest.Act(done.LoginId, mine.String(), "f1", &pb.SendMessage{Text: "our cat",
		Attachments: []*pb.Attachment{file("cat.jpg", "image/jpeg", "JPEGDATA"), file("notes.pdf", "application/pdf", "PDFDATA")}}))
	if res.Error != nil || res.MessageId == "" {
		t.Fatalf("the admin's files: %v", res)
	}
	sent := srv.SentTo(mine)
	if len(sent) != 2 {
		t.Fatalf("sent to the channel: %v, want two posts", sent)
	}
	img, doc := sent[0].GetImageMessage(), sent[1].GetDocumentMessage()
	if img.GetCaption() != "our cat" || len(img.GetMediaKey()) != 0 || string(srv.Uploaded(img.GetDirectPath())) != "JPEGDATA" {
		t.Errorf("the picture's post: %v, want captioned, unencrypted, its file uploaded", sent[0])
	}
	if doc.GetFileName() != "notes.pdf" || len(doc.GetMediaKey()) != 0 || string(srv.Uploaded(doc.GetDirectPath())) != "PDFDATA" {
		t.Errorf("the document's post: %v, want unencrypted, its file uploaded", sent[1])
	}
	postReactedTo(t, p, srv, done, mine, res, "f2", "the picture's post")

	res = cmds.Send(plugintest.Act(done.LoginId, theirs.String(), "f3", &pb.SendMessage{Attachments: []*pb.Attachment{file("dog.jpg", "image/jpeg", "DOG")}}))
	refusedReadOnly(t, srv, theirs, res, "a follower's file")
}

// The owner of a channel posts in its room through a real Prosody, the
// gateway and the plugin process on the remote fake: the room lets
// them speak, the post is reflected to them and goes to the channel.
// Before, the gateway refused it (only admins post: the room was
// read-only to all).
func TestEndToEndChannelAdminPost(t *testing.T) {
	g, srv, alice := aliceLoggedIn(t)
	channel := types.NewJID("120363100000000071", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: channel, Name: "My Garden", Role: types.NewsletterRoleOwner})
	room := ownChannelJoined(t, g, srv, alice, channel)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := alice.SendRaw(ctx, `<message type='groupchat' to='`+room+`' id='nl-post'><body>roses are out</body></message>`); err != nil {
		t.Fatal(err)
	}
	got := g.Next(alice, "the post's reflection or refusal", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && (s.Type == "error" || s.Body == "roses are out")
	})
	if got.Type == "error" {
		t.Fatalf("the owner's post refused: %s", got.XML)
	}
	sent := srv.SentTo(channel)
	if len(sent) != 1 || sent[0].GetConversation()+sent[0].GetExtendedTextMessage().GetText() != "roses are out" {
		t.Errorf("sent to the channel: %v, want the post", sent)
	}
}

// The owner of a channel posts a picture in its room through a real
// Prosody (its HTTP upload), the gateway and the plugin process on the
// remote fake: the picture reaches the channel unencrypted, its file
// uploaded to the channel's media. Before, the file was refused.
func TestEndToEndChannelAdminFilePost(t *testing.T) {
	srv := startRemote(t)
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: fakePlugin(t), Name: "whatsapp", Privileged: true, HTTPUpload: true,
		PluginConfig: `wafake_socket = "` + srv.Socket + `"`})
	alice := g.User("alice")
	g.WaitReady(alice)
	loginByQR(t, g, srv, alice)
	channel := types.NewJID("120363100000000072", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: channel, Name: "My Photos", Role: types.NewsletterRoleOwner})
	room := ownChannelJoined(t, g, srv, alice, channel)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	slot, err := alice.Upload(ctx, "upload.localhost", "rose.jpg", "image/jpeg", []byte("JPEG of a rose"))
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.SendRaw(ctx, `<message type='groupchat' to='`+room+`' id='nl-pic'><body>`+slot.GetURL+`</body><x xmlns='jabber:x:oob'><url>`+slot.GetURL+`</url></x></message>`); err != nil {
		t.Fatal(err)
	}
	sent, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		return to == channel.String() && m.GetImageMessage() != nil
	})
	if err != nil {
		t.Fatalf("the picture not posted: %v", err)
	}
	if img := sent.GetImageMessage(); len(img.GetMediaKey()) != 0 || string(srv.Uploaded(img.GetDirectPath())) != "JPEG of a rose" {
		t.Errorf("the picture's post: %v, want unencrypted, its file uploaded", sent)
	}
}

// ownChannelJoined has alice, once the fake's channel commands so far
// are through (bob's message after them came), join the room of
// channel, and returns the room's address.
func ownChannelJoined(t *testing.T, g *gatewaytest.Gateway, srv *wafake.Server, alice *xmpptest.Client, channel types.JID) string {
	t.Helper()
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
	return room
}
