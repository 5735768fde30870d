package whatsapp

import (
	"context"
	"errors"
	"testing"

	"go.mau.fi/whatsmeow/types"

	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// A channel's picture is its room's: the channel described (ChatInfo,
// ChatList) names it by its ID as the room's avatar ID, and ChatAvatar
// (what the host asks with_avatar) downloads it, by its URL as a
// profile picture is, or by its direct path alone from WhatsApp's media
// servers (unencrypted, as a channel's files). A channel without one
// has none, and one whose picture cannot be downloaded is without it,
// not an error. Before, the channel's room had no avatar ID, and
// ChatAvatar said a channel was not a group.
func TestChannelPicture(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	r.n.SetFetch(func(_ context.Context, url string) ([]byte, error) {
		if url == "https://mmg.invalid/channel-by-url.jpg" {
			return []byte("JPEG by URL"), nil
		}
		return nil, errors.New("no such picture")
	})
	byPath := types.NewJID("120363100000000021", types.NewsletterServer)
	byURL := types.NewJID("120363100000000022", types.NewsletterServer)
	none := types.NewJID("120363100000000023", types.NewsletterServer)
	lost := types.NewJID("120363100000000024", types.NewsletterServer)
	fake.SetChannel(wafake.Channel{JID: byPath, Name: "By path", Picture: &types.ProfilePictureInfo{ID: "cp1", DirectPath: "/v/t61.24694-24/channel.jpg"}})
	fake.AddMedia("/v/t61.24694-24/channel.jpg", []byte("JPEG by path"))
	fake.SetChannel(wafake.Channel{JID: byURL, Name: "By URL", Picture: &types.ProfilePictureInfo{ID: "cp2", URL: "https://mmg.invalid/channel-by-url.jpg"}})
	fake.SetChannel(wafake.Channel{JID: none, Name: "No picture"})
	fake.SetChannel(wafake.Channel{JID: lost, Name: "Lost picture", Picture: &types.ProfilePictureInfo{ID: "cp4", DirectPath: "/v/t61.24694-24/gone.jpg"}})

	for jid, want := range map[types.JID]struct{ id, data string }{
		byPath: {"cp1", "JPEG by path"}, byURL: {"cp2", "JPEG by URL"}, none: {"", ""}, lost: {"cp4", ""},
	} {
		c, err := s.ChatInfo(ctx, jid.String())
		if err != nil {
			t.Fatal(err)
		}
		if c.AvatarId != want.id {
			t.Errorf("%s described with avatar ID %q, want %q", jid, c.AvatarId, want.id)
		}
		b, mime, err := s.ChatAvatar(ctx, jid.String())
		if err != nil || string(b) != want.data || (want.data != "") != (mime == "image/jpeg") {
			t.Errorf("%s's picture: %q %s %v, want %q", jid, b, mime, err, want.data)
		}
	}
	list, err := s.ChatList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.ChatId == byPath.String() && c.AvatarId != "cp1" {
			t.Errorf("listed: %v, want avatar ID cp1", c)
		}
	}
}
