package whatsapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// The owner's post in a channel not described yet (its listing not
// answered) while WhatsApp is silent is refused as not done for now,
// not as read-only, which told the owner they may not post there (the
// channel's limits do not refuse it either); once WhatsApp answers, it
// goes. Before, ChatLimits said read-only (the SDK's gate: "this chat is
// read-only") and SendMessage NOT_ALLOWED "read-only for you".
func TestChannelAdminPostWhatsAppSilent(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	channel := types.NewJID("120363100000000045", types.NewsletterServer)
	fake.SetChannel(wafake.Channel{JID: channel, Name: "My News", Role: types.NewsletterRoleOwner})
	fake.SetChannelsSilent(true)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	// The SDK's gate asks ChatLimits before SendMessage: a read-only
	// there refuses the post as "this chat is read-only".
	if l, err := s.ChatLimits(ctx, channel.String()); err == nil && l.ReadOnly {
		t.Errorf("the channel's limits, WhatsApp silent: read-only, want not refused before the post asks")
	}
	_, err := s.SendMessage(ctx, sdk.Call{ChatID: channel.String(), TxnID: "nl-1"}, &pb.SendMessage{Text: "hello followers"})
	if code := sdk.ToProto(err).GetCode(); err == nil || code == pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || strings.Contains(err.Error(), "read-only") {
		t.Errorf("the owner's post, WhatsApp silent: %v (%v), want an error that is not read-only", err, code)
	}
	if sent := sentTo(fake, channel); len(sent) != 0 {
		t.Errorf("sent while WhatsApp was silent: %v", sent)
	}
	fake.SetChannelsSilent(false)
	if _, err := s.SendMessage(context.Background(), sdk.Call{ChatID: channel.String(), TxnID: "nl-2"}, &pb.SendMessage{Text: "hello followers"}); err != nil {
		t.Fatalf("the owner's post, WhatsApp answering: %v", err)
	}
	if sent := sentTo(fake, channel); len(sent) != 1 {
		t.Errorf("sent to the channel: %v, want the post", sent)
	}
}

// sentTo is what the plugin sent to jid so far.
func sentTo(fake *wafake.Client, jid types.JID) []wafake.Sent {
	var out []wafake.Sent
	for _, m := range fake.Sent() {
		if m.To == jid {
			out = append(out, m)
		}
	}
	return out
}
