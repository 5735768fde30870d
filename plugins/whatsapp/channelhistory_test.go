package whatsapp

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"

	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// A channel's history when WhatsApp does not answer: an empty batch,
// not done, with a cursor to ask from again (the host asks at the next
// login); once it answers, the posts come, done. The host's limit
// bounds them, and a cursor names the posts before one.
func TestChannelHistorySilent(t *testing.T) {
	setFor(t, channelHistoryWait, 300*time.Millisecond)
	r := newRig(t, "")
	s, fake := r.connected(t)
	channel := types.NewJID("120363100000000081", types.NewsletterServer)
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	var posts []wafake.Post
	for i := 1; i <= 4; i++ {
		posts = append(posts, wafake.TextPost(100+i, types.MessageID(fmt.Sprintf("NLS%d", i)), at.Add(time.Duration(i)*time.Minute), fmt.Sprintf("post %d", i)))
	}
	fake.SetChannel(wafake.Channel{JID: channel, Name: "Garden", Posts: posts})
	fake.SetChannelsSilent(true)
	ctx := context.Background()
	if err := s.Backfill(ctx, sdk.BackfillRequest{ChatID: channel.String()}); err != nil {
		t.Fatal(err)
	}
	page := r.host.waitHistory(t, 1)[0]
	if len(page.Events) != 0 || page.Done || page.Cursor == "" {
		t.Fatalf("WhatsApp silent: %v, want an empty page, not done, with a cursor", page)
	}
	fake.SetChannelsSilent(false)
	if err := s.Backfill(ctx, sdk.BackfillRequest{ChatID: channel.String(), Cursor: page.Cursor, Limit: 3}); err != nil {
		t.Fatal(err)
	}
	page = r.host.waitHistory(t, 2)[1]
	if !page.Done || eventIDs(page) != "NLS2,NLS3,NLS4" {
		t.Fatalf("WhatsApp answering, 3 asked: %s (done %v), want NLS2 to NLS4, done", eventIDs(page), page.Done)
	}
	if err := s.Backfill(ctx, sdk.BackfillRequest{ChatID: channel.String(), Cursor: page.Cursor}); err != nil {
		t.Fatal(err)
	}
	if page = r.host.waitHistory(t, 3)[2]; !page.Done || eventIDs(page) != "NLS1" {
		t.Errorf("before the oldest given: %s (done %v), want NLS1", eventIDs(page), page.Done)
	}
	if n := fake.ChannelHistories(); n != 3 {
		t.Errorf("WhatsApp asked %d times, want 3", n)
	}
}
