package whatsapp_test

import (
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// A reaction a channel does not allow, in the plugin process on the
// remote fake (the channel's reaction_codes setting in WhatsApp's mex
// answer), is refused, NOT_ALLOWED saying why, nothing sent: a channel
// allowing none refuses any, one allowing the default reactions refuses
// another (🎉) and takes 👍 with a skin tone; taking a reaction back is
// always sent. Before, each went to WhatsApp (NewsletterSendReaction
// waits for no answer), which drops what the channel does not allow
// without a word.
func TestChannelReactionNotAllowedProcess(t *testing.T) {
	srv, p, evs, done := processLoggedIn(t)
	quiet := types.NewJID("120363100000000031", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: quiet, Name: "Quiet", Reactions: types.NewsletterReactionsModeNone})
	basic := types.NewJID("120363100000000032", types.NewsletterServer)
	srv.Channel(wafake.Channel{JID: basic, Name: "Basic", Reactions: types.NewsletterReactionsModeBasic})
	metas := map[types.JID][]byte{}
	for i, ch := range []types.JID{quiet, basic} {
		id := types.MessageID("NLR" + string(rune('1'+i)))
		post := types.MessageInfo{MessageSource: types.MessageSource{Chat: ch, Sender: ch}, ID: id, ServerID: 500, Timestamp: time.Now()}
		if err := srv.ChannelPost(post, &waE2E.Message{Conversation: proto.String("a post")}); err != nil {
			t.Fatal(err)
		}
		metas[ch] = evs.NextEvent(func(ev *pb.Event) bool { return ev.EventId == string(id) }).Meta
	}
	cmds := p.Commands()
	react := func(txn string, ch types.JID, emojis ...string) *pb.CommandResult {
		t.Helper()
		return cmds.Send(plugintest.Act(done.LoginId, ch.String(), txn, &pb.React{TargetMeta: metas[ch], Emojis: emojis}))
	}
	if res := react("r1", quiet, "👍"); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(res.Error.GetText(), "allows no reactions") {
		t.Errorf("a reaction where none is allowed: %v, want NOT_ALLOWED saying so", res)
	}
	if res := react("r2", basic, "🎉"); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(res.Error.GetText(), "only the default reactions") {
		t.Errorf("🎉 where only the default reactions are allowed: %v, want NOT_ALLOWED saying so", res)
	}
	if res := react("r3", quiet); res.Error != nil {
		t.Errorf("a reaction taken back: %v", res.Error)
	}
	if res := react("r4", basic, "👍🏽"); res.Error != nil {
		t.Errorf("👍🏽 where the default reactions are allowed: %v", res.Error)
	}
	if _, err := srv.WaitChannelReaction(plugintest.Timeout, func(r wafake.ChannelReaction) bool { return r.Channel == basic && r.Reaction == "👍🏽" }); err != nil {
		t.Fatal(err)
	}
	// Each reaction is reported before its command is answered: the
	// refused ones would be there.
	for _, r := range srv.ChannelReactions() {
		if r.Reaction != "" && r.Reaction != "👍🏽" {
			t.Errorf("a reaction not allowed went to WhatsApp: %+v", r)
		}
	}
}
