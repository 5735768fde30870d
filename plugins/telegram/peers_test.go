package telegram

import (
	"testing"

	"github.com/gotd/td/tg"
)

// A known channel told again as "min" (a message forwarded from it, a
// member's mention) keeps what only a full object carries: the user's
// admin rights, restriction and creator flag there, its access hash
// and default rights; it takes the new title and photo.
func TestMinChannelKeepsFull(t *testing.T) {
	p := newPeers(nil)
	full := &tg.Channel{ID: 5, AccessHash: 55, Title: "Old", Megagroup: true, Creator: true,
		AdminRights:         tg.ChatAdminRights{BanUsers: true, ChangeInfo: true},
		BannedRights:        tg.ChatBannedRights{SendMedia: true, UntilDate: 99},
		DefaultBannedRights: tg.ChatBannedRights{SendPolls: true}, ParticipantsCount: 12}
	full.SetFlags()
	p.add(nil, []tg.ChatClass{full})
	min := &tg.Channel{ID: 5, AccessHash: 1, Min: true, Title: "New", Megagroup: true, Photo: &tg.ChatPhoto{PhotoID: 7}}
	min.SetFlags()
	p.add(nil, []tg.ChatClass{min})

	c, ok := p.channel(5)
	if !ok {
		t.Fatal("channel 5 not known")
	}
	if c.Min || c.AccessHash != 55 {
		t.Errorf("min %v, access hash %d: want the full one's 55", c.Min, c.AccessHash)
	}
	if !c.Creator || !c.AdminRights.BanUsers || !c.AdminRights.ChangeInfo {
		t.Errorf("creator %v, admin rights %+v: want the full one's", c.Creator, c.AdminRights)
	}
	if r, ok := c.GetAdminRights(); !ok || !r.BanUsers {
		t.Errorf("admin rights flag lost: %+v %v", r, ok)
	}
	if !c.BannedRights.SendMedia || c.BannedRights.UntilDate != 99 {
		t.Errorf("restriction %+v: want the full one's", c.BannedRights)
	}
	if !c.DefaultBannedRights.SendPolls || c.ParticipantsCount != 12 {
		t.Errorf("default rights %+v, %d members: want the full one's", c.DefaultBannedRights, c.ParticipantsCount)
	}
	if c.Title != "New" {
		t.Errorf("title %q: want the min object's New", c.Title)
	}
	if ph, ok := c.Photo.(*tg.ChatPhoto); !ok || ph.PhotoID != 7 {
		t.Errorf("photo %v: want the min object's 7", c.Photo)
	}
}
