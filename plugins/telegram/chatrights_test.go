package telegram

import (
	"context"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// featureSet is what a test reads of a chat's features.
type featureSet struct {
	name, topic, avatar, timer, invite, pin, polls, files, kick, roles bool
}

func featuresOf(f *pb.Features) featureSet {
	return featureSet{name: f.GetGroupName(), topic: f.GetGroupTopic(), avatar: f.GetGroupAvatar(), timer: f.GetChatTimer(),
		invite: f.GetGroupInvite(), pin: f.GetPin(), polls: f.GetPollCreate(), files: f.GetAttachments(),
		kick: f.GetGroupKick(), roles: f.GetGroupRoles()}
}

var (
	allRights    = featureSet{true, true, true, true, true, true, true, true, true, true}
	memberRights = featureSet{name: true, topic: true, avatar: true, timer: true, invite: true, pin: true, polls: true, files: true}
	strictMember = featureSet{}
)

// A group's features are what the user may do there by their own rights
// (ChatLimits, so the ChatList and ChatInfo answers): the creator
// everything; an admin their admin rights and what every member may; a
// member what the group's default rights leave (change_info: the name,
// description, picture and timer; invite_users; pin_messages;
// send_polls; send_media), never removals, bans or roles; a forum's
// topic as its forum, but for what is the forum's alone. They were all
// the transport's, whatever the rights.
func TestUserRightsFeatures(t *testing.T) {
	srv := newFake(t)
	strict := tg.ChatBannedRights{SendPolls: true, SendMedia: true}
	srv.AddGroup(tgfake.Group{ID: 90, Title: "Strict", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID,
		AdminsInvite: true, AdminsChangeInfo: true, AdminsPin: true, DefaultRights: strict})
	srv.AddGroup(tgfake.Group{ID: 91, Title: "Strict, admin", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, Admins: []int64{alice.ID},
		AdminsInvite: true, AdminsChangeInfo: true, AdminsPin: true, DefaultRights: strict})
	srv.AddChannel(tgfake.Channel{ID: 920, Title: "Super strict", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID,
		AdminsInvite: true, AdminsChangeInfo: true, AdminsPin: true, DefaultRights: strict})
	srv.AddChannel(tgfake.Channel{ID: 921, Title: "Super admin", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, Admins: []int64{alice.ID},
		AdminsInvite: true, AdminsChangeInfo: true, AdminsPin: true, DefaultRights: strict})
	srv.AddChannel(tgfake.Channel{ID: 922, Title: "Super open", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	srv.AddChannel(tgfake.Channel{ID: 923, Title: "Forum", Forum: true, Members: []int64{alice.ID, bob.ID}, Creator: bob.ID,
		AdminsChangeInfo: true})
	lunch := srv.CreateTopic(923, bob.ID, "Lunch")
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	for chat, want := range map[string]featureSet{
		"-77": allRights, "-90": strictMember, "-91": allRights,
		"-100920": strictMember, "-100921": allRights, "-100922": memberRights,
		// A topic's description, picture and timer are the forum's; its
		// name is the topic's creator's and manage_topics', which
		// Telegram judges.
		"-100923":                     {invite: true, pin: true, polls: true, files: true},
		topicChatID("-100923", lunch): {name: true, invite: true, pin: true, polls: true, files: true},
	} {
		l, err := s.ChatLimits(ctx, chat)
		if err != nil || l.ReadOnly {
			t.Fatalf("%s: limits %v, %v", chat, l, err)
		}
		if got := featuresOf(l.Features); got != want {
			t.Errorf("%s: features %+v, want %+v", chat, got, want)
		}
	}
}

// The user's rights changed on Telegram describe the group's room again
// with what they may do there now: a basic group's default rights
// (updateChatDefaultBannedRights), the user named its admin
// (updateChatParticipantAdmin); a supergroup's default rights (the
// same update, naming the channel), the user promoted or restricted
// (updateChannel, updateChannelParticipant). The room kept what the
// last ChatList said: the events carried no features, and a
// supergroup's default rights and the user's own participant update
// were not read.
func TestUserRightsLive(t *testing.T) {
	srv := newFake(t)
	srv.AddGroup(tgfake.Group{ID: 92, Title: "Open", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	srv.AddChannel(tgfake.Channel{ID: 922, Title: "Super open", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	// described waits for chat's chat event with features after from.
	described := func(from int, chat string, want featureSet, readOnly bool) {
		t.Helper()
		ev := h.wait(t, from, chat+" described again", func(ev *pb.Event) bool {
			c := ev.GetChat().GetChat()
			return ev.ChatId == chat && c != nil && c.Features != nil && featuresOf(c.Features) == want && c.ReadOnly == readOnly
		})
		if !readOnly && !ev.GetChat().GetChat().GetFeatures().GetGroups() {
			t.Errorf("%s: features %v: want the network's beside the rights", chat, ev.GetChat().GetChat().GetFeatures())
		}
	}
	noInfo := tg.ChatBannedRights{ChangeInfo: true, SendPolls: true}
	less := memberRights
	less.name, less.topic, less.avatar, less.timer, less.polls = false, false, false, false, false

	from := h.count()
	srv.SetDefaultRights(&tg.PeerChat{ChatID: 92}, noInfo)
	described(from, "-92", less, false)
	from = h.count()
	srv.SetGroupAdmin(92, alice.ID, true)
	described(from, "-92", allRights, false)

	from = h.count()
	srv.SetDefaultRights(&tg.PeerChannel{ChannelID: 922}, noInfo)
	described(from, "-100922", less, false)
	from = h.count()
	srv.SetChannelMember(922, alice.ID, true, false)
	described(from, "-100922", allRights, false)
	from = h.count()
	srv.SetChannelMember(922, alice.ID, false, true)
	described(from, "-100922", featureSet{}, true) // read-only: reactions alone

	// Telegram's updateChannelParticipant of the user's own promotion.
	srv.SetChannelMember(922, alice.ID, true, false)
	admin := adminRightsOf(t, srv, 922)
	evs := s.convert(ctx, &tg.UpdateChannelParticipant{ChannelID: 922, UserID: alice.ID, Date: 1,
		PrevParticipant: &tg.ChannelParticipantSelf{UserID: alice.ID, InviterID: bob.ID, Date: 1},
		NewParticipant:  &tg.ChannelParticipantAdmin{UserID: alice.ID, PromotedBy: bob.ID, Date: 1, AdminRights: admin}})
	var got *pb.Chat
	for _, ev := range evs {
		if c := ev.GetChat().GetChat(); c != nil && ev.ChatId == "-100922" {
			got = c
		}
	}
	if got == nil || got.Features == nil || featuresOf(got.Features) != allRights || got.ReadOnly {
		t.Fatalf("the user promoted: events %v, want the group described with all rights", evs)
	}
}

// adminRightsOf are the user's admin rights in a channel, as Telegram's
// object of it says.
func adminRightsOf(t *testing.T, srv *tgfake.Server, channel int64) tg.ChatAdminRights {
	t.Helper()
	for _, c := range srv.ChatsOf(alice.ID) {
		if ch, ok := c.(*tg.Channel); ok && ch.ID == channel {
			return ch.AdminRights
		}
	}
	t.Fatalf("channel %d not found", channel)
	return tg.ChatAdminRights{}
}

// A restriction for a while (its until_date) ends without a word from
// Telegram: the room opens again at that date, the group asked for
// again then (channels.getChannels), with what the user may do there.
func TestRestrictionEnds(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 931, Title: "Timeout", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	described := func(from int, want featureSet, readOnly bool) {
		t.Helper()
		h.wait(t, from, "-100931 described again", func(ev *pb.Event) bool {
			c := ev.GetChat().GetChat()
			return ev.ChatId == "-100931" && c != nil && c.Features != nil && featuresOf(c.Features) == want && c.ReadOnly == readOnly
		})
	}
	from := h.count()
	srv.RestrictUntil(931, alice.ID, int(time.Now().Unix())+2)
	described(from, featureSet{}, true)
	from = h.count()
	described(from, memberRights, false)
	l, err := s.ChatLimits(ctx, "-100931")
	if err != nil || l.ReadOnly || featuresOf(l.Features) != memberRights {
		t.Errorf("the restriction over: limits %+v (%v), want a member's rights", l, err)
	}
}

// A restriction whose until_date is past binds no more, though the
// group's object still carries it (Telegram says nothing at its end);
// one to come, or for ever (0), still does.
func TestRestrictionPastIgnored(t *testing.T) {
	s, _ := unitSession(t)
	now := int(time.Now().Unix())
	for _, tc := range []struct {
		name     string
		until    int
		readOnly bool
	}{{"ended", now - 5, false}, {"to come", now + 3600, true}, {"for ever", 0, true}} {
		r := tg.ChatBannedRights{SendMessages: true, UntilDate: tc.until}
		r.SetFlags()
		c := &tg.Channel{ID: 940, AccessHash: 9, Title: "Timeout", Megagroup: true, BannedRights: r, Photo: &tg.ChatPhotoEmpty{}}
		c.SetFlags()
		s.peers.add(nil, []tg.ChatClass{c})
		l, err := s.ChatLimits(context.Background(), "-100940")
		if err != nil || l.ReadOnly != tc.readOnly {
			t.Errorf("%s: limits %+v (%v), want read-only %v", tc.name, l, err, tc.readOnly)
		}
	}
}
