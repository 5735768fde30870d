package telegram

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgmock"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// affiliations are a chat's members by user ID, outcasts included.
func affiliations(c *pb.Chat) map[string]pb.Affiliation {
	out := map[string]pb.Affiliation{}
	for _, m := range c.Members {
		out[m.UserId] = m.Affiliation
	}
	return out
}

// A supergroup's or channel's ChatInfo lists its bans as outcasts, the
// room's ban list, when the user may see them (its creator, an admin):
// dave banned is an outcast, carol muted a member still; where alice is
// no admin, nobody is an outcast. A basic group has no ban list. Before,
// no ChatInfo listed a Telegram ban.
func TestChatInfoBansLive(t *testing.T) {
	srv := newFake(t)
	srv.AddUser(dave)
	srv.AddChannel(tgfake.Channel{ID: 610, Title: "Club", Members: []int64{alice.ID, bob.ID, carol.ID}, Creator: alice.ID,
		Restricted: []int64{carol.ID}, Banned: []int64{dave.ID}})
	srv.AddChannel(tgfake.Channel{ID: 620, Title: "Strict", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, Banned: []int64{dave.ID}})
	srv.AddChannel(tgfake.Channel{ID: 630, Title: "Staff", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, Admins: []int64{alice.ID},
		Banned: []int64{dave.ID, carol.ID}})
	srv.AddChannel(tgfake.Channel{ID: 640, Title: "News", Broadcast: true, Members: []int64{alice.ID, bob.ID}, Creator: alice.ID, Banned: []int64{dave.ID}})
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	outcast, member := pb.Affiliation_AFFILIATION_OUTCAST, pb.Affiliation_AFFILIATION_MEMBER
	for _, tc := range []struct {
		chat string
		want map[string]pb.Affiliation // -1: not listed
	}{
		{"-100610", map[string]pb.Affiliation{"1004": outcast, "1003": member, "1002": member}},
		{"-100620", map[string]pb.Affiliation{"1004": -1, "1001": member}},
		{"-100630", map[string]pb.Affiliation{"1004": outcast, "1003": outcast, "1001": pb.Affiliation_AFFILIATION_ADMIN}},
		{"-100640", map[string]pb.Affiliation{"1004": outcast, "1001": pb.Affiliation_AFFILIATION_OWNER, "1002": -1}},
		{"-77", map[string]pb.Affiliation{"1004": -1, "1003": member}},
	} {
		info, err := s.ChatInfo(ctx, tc.chat)
		if err != nil {
			t.Fatalf("%s: %v", tc.chat, err)
		}
		got := affiliations(info)
		for id, want := range tc.want {
			a, listed := got[id]
			switch {
			case want == -1 && listed:
				t.Errorf("%s: %s listed as %v, want not at all", tc.chat, id, a)
			case want != -1 && (!listed || a != want):
				t.Errorf("%s: %s is %v (listed %v), want %v", tc.chat, id, a, listed, want)
			}
		}
		for id, a := range got {
			if a == outcast && tc.want[id] != outcast {
				t.Errorf("%s: %s an outcast", tc.chat, id)
			}
		}
	}
	// Muted, carol is still in the group: a visitor.
	info, _ := s.ChatInfo(ctx, "-100610")
	for _, m := range info.Members {
		if m.UserId == "1003" && m.Role != pb.Role_ROLE_VISITOR {
			t.Errorf("carol muted: role %v, want visitor", m.Role)
		}
	}
}

// The ban list as Telegram gives it (channelParticipantsKicked): only a
// ban (view_messages) makes an outcast, not a restriction, nor a
// restricted member who left; an admin without ban_users does not ask
// (Telegram would refuse); Telegram's refusal or failure leaves the
// bans out, not the group's description.
func TestChatInfoBans(t *testing.T) {
	ch := &tg.InputChannel{ChannelID: 700, AccessHash: 77}
	full := func(c *tg.Channel) *tg.MessagesChatFull {
		return &tg.MessagesChatFull{FullChat: &tg.ChannelFull{ID: 700, ChatPhoto: &tg.PhotoEmpty{}}, Chats: []tg.ChatClass{c}}
	}
	kicked := &tg.ChannelsGetParticipantsRequest{Channel: ch, Filter: &tg.ChannelParticipantsKicked{}, Limit: memberPage}
	recent := &tg.ChannelsGetParticipantsRequest{Channel: ch, Filter: &tg.ChannelParticipantsRecent{}, Limit: memberPage}
	banned := func(user int64, left bool, r tg.ChatBannedRights) *tg.ChannelParticipantBanned {
		r.SetFlags()
		p := &tg.ChannelParticipantBanned{Left: left, Peer: &tg.PeerUser{UserID: user}, KickedBy: 1001, Date: 1, BannedRights: r}
		p.SetFlags()
		return p
	}
	members := &tg.ChannelsChannelParticipants{Count: 2, Participants: []tg.ChannelParticipantClass{
		&tg.ChannelParticipantCreator{UserID: 1001},
		banned(5002, false, tg.ChatBannedRights{SendMessages: true}),
	}}

	t.Run("creator", func(t *testing.T) {
		s, mock := unitSession(t)
		club := &tg.Channel{ID: 700, AccessHash: 77, Title: "Club", Megagroup: true, Creator: true, Photo: &tg.ChatPhotoEmpty{}}
		s.peers.add(nil, []tg.ChatClass{club})
		mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: ch}).ThenResult(full(club))
		mock.ExpectCall(recent).ThenResult(members)
		mock.ExpectCall(kicked).ThenResult(&tg.ChannelsChannelParticipants{Count: 3, Participants: []tg.ChannelParticipantClass{
			banned(5001, true, tg.ChatBannedRights{ViewMessages: true, SendMessages: true}),
			banned(5003, true, tg.ChatBannedRights{SendMessages: true}), // restricted, then left
			&tg.ChannelParticipantBanned{Peer: &tg.PeerChannel{ChannelID: 9}, BannedRights: tg.ChatBannedRights{ViewMessages: true}},
		}})
		info, err := s.ChatInfo(context.Background(), "-100700")
		if err != nil {
			t.Fatal(err)
		}
		got := affiliations(info)
		if got["5001"] != pb.Affiliation_AFFILIATION_OUTCAST {
			t.Errorf("5001 banned: %v, want outcast", got["5001"])
		}
		if a, ok := got["5002"]; !ok || a != pb.Affiliation_AFFILIATION_MEMBER {
			t.Errorf("5002 muted: %v (listed %v), want a member", a, ok)
		}
		if a, ok := got["5003"]; ok {
			t.Errorf("5003, restricted and gone: listed as %v", a)
		}
		if len(info.Members) != 3 {
			t.Errorf("members %v, want the user, 5002 and 5001", info.Members)
		}
	})

	t.Run("refused", func(t *testing.T) {
		s, mock := unitSession(t)
		club := &tg.Channel{ID: 700, AccessHash: 77, Title: "Club", Megagroup: true, Photo: &tg.ChatPhotoEmpty{},
			AdminRights: tg.ChatAdminRights{BanUsers: true}}
		s.peers.add(nil, []tg.ChatClass{club})
		mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: ch}).ThenResult(full(club))
		mock.ExpectCall(recent).ThenResult(members)
		mock.ExpectCall(kicked).ThenRPCErr(tgerr.New(400, "CHAT_ADMIN_REQUIRED"))
		info, err := s.ChatInfo(context.Background(), "-100700")
		if err != nil {
			t.Fatalf("the ban list refused: %v, want the group described without it", err)
		}
		if got := affiliations(info); len(got) != 2 || got["1001"] != pb.Affiliation_AFFILIATION_OWNER {
			t.Errorf("members %v, want the user and 5002", info.Members)
		}
	})

	t.Run("no ban_users", func(t *testing.T) {
		s, mock := unitSession(t)
		club := &tg.Channel{ID: 700, AccessHash: 77, Title: "Club", Megagroup: true, Photo: &tg.ChatPhotoEmpty{},
			AdminRights: tg.ChatAdminRights{PinMessages: true}}
		s.peers.add(nil, []tg.ChatClass{club})
		mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: ch}).ThenResult(full(club))
		mock.ExpectCall(recent).ThenResult(members) // and no ban list asked
		if _, err := s.ChatInfo(context.Background(), "-100700"); err != nil {
			t.Fatal(err)
		}
	})

	bans := &tg.ChannelsChannelParticipants{Count: 1, Participants: []tg.ChannelParticipantClass{
		banned(5001, true, tg.ChatBannedRights{ViewMessages: true}),
	}}
	isOutcast := func(t *testing.T, info *pb.Chat, err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := affiliations(info)["5001"]; got != pb.Affiliation_AFFILIATION_OUTCAST {
			t.Errorf("%s: 5001 %v, want an outcast still", what, got)
		}
	}

	// The members not read: no ban list asked for nothing.
	t.Run("members refused", func(t *testing.T) {
		s, mock := unitSession(t)
		club := &tg.Channel{ID: 700, AccessHash: 77, Title: "Club", Megagroup: true, Creator: true, Photo: &tg.ChatPhotoEmpty{}}
		s.peers.add(nil, []tg.ChatClass{club})
		mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: ch}).ThenResult(full(club))
		mock.ExpectCall(recent).ThenRPCErr(tgerr.New(420, "FLOOD_WAIT_30"))
		if _, err := s.ChatInfo(context.Background(), "-100700"); err == nil {
			t.Fatal("members refused: no error")
		}
	})

	// readOnce is a session whose club's ban list was read once.
	readOnce := func(t *testing.T) (*Session, *tgmock.Mock, *tg.Channel) {
		t.Helper()
		s, mock := unitSession(t)
		club := &tg.Channel{ID: 700, AccessHash: 77, Title: "Club", Megagroup: true, Creator: true, Photo: &tg.ChatPhotoEmpty{}}
		s.peers.add(nil, []tg.ChatClass{club})
		mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: ch}).ThenResult(full(club))
		mock.ExpectCall(recent).ThenResult(members)
		mock.ExpectCall(kicked).ThenResult(bans)
		info, err := s.ChatInfo(context.Background(), "-100700")
		isOutcast(t, info, err, "read")
		return s, mock, club
	}

	// Read once, the list serves a while (a forum's topics, service
	// messages); read again after, a failure (FLOOD_WAIT) keeps the last
	// one read, and Telegram is not asked again before the wait is over.
	t.Run("kept", func(t *testing.T) {
		s, mock, club := readOnce(t)
		ctx := context.Background()
		mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: ch}).ThenResult(full(club))
		mock.ExpectCall(recent).ThenResult(members) // and no ban list asked
		info, err := s.ChatInfo(ctx, "-100700")
		isOutcast(t, info, err, "again at once")

		s.banLists.mu.Lock()
		s.banLists.m[700].read = time.Now().Add(-banTTL - time.Second)
		s.banLists.mu.Unlock()
		mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: ch}).ThenResult(full(club))
		mock.ExpectCall(recent).ThenResult(members)
		mock.ExpectCall(kicked).ThenRPCErr(tgerr.New(420, "FLOOD_WAIT_30"))
		info, err = s.ChatInfo(ctx, "-100700")
		isOutcast(t, info, err, "the list refused")
		mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: ch}).ThenResult(full(club))
		mock.ExpectCall(recent).ThenResult(members) // not during the wait
		info, err = s.ChatInfo(ctx, "-100700")
		isOutcast(t, info, err, "during the wait")
	})

	// The user bans someone while the list is being read: the answer
	// may be from before the ban, so the list kept (with the ban) is
	// the answer, and the next asks again.
	t.Run("changed during a read", func(t *testing.T) {
		s, mock, club := readOnce(t)
		ctx := context.Background()
		s.banLists.mu.Lock()
		s.banLists.m[700].read = time.Now().Add(-banTTL - time.Second)
		s.banLists.mu.Unlock()
		mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: ch}).ThenResult(full(club))
		mock.ExpectCall(recent).ThenResult(members)
		mock.ExpectFunc(func(bin.Encoder) {
			s.banLists.changed(700, &pb.Member{UserId: "5009"}, true) // the user's Kick, meanwhile
		}).ThenResult(bans)
		info, err := s.ChatInfo(ctx, "-100700")
		isOutcast(t, info, err, "read during a ban")
		if a := affiliations(info)["5009"]; a != pb.Affiliation_AFFILIATION_OUTCAST {
			t.Errorf("5009 banned during the read: %v, want an outcast", a)
		}
		mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: ch}).ThenResult(full(club))
		mock.ExpectCall(recent).ThenResult(members)
		mock.ExpectCall(kicked).ThenResult(bans) // read again: the last read did not count
		if _, err := s.ChatInfo(ctx, "-100700"); err != nil {
			t.Fatal(err)
		}
	})

	// A ban made here before any list was read, then the list refused:
	// no list, not that ban alone as the whole list.
	t.Run("never read", func(t *testing.T) {
		s, mock := unitSession(t)
		club := &tg.Channel{ID: 700, AccessHash: 77, Title: "Club", Megagroup: true, Creator: true, Photo: &tg.ChatPhotoEmpty{}}
		s.peers.add(nil, []tg.ChatClass{club})
		s.banLists.changed(700, &pb.Member{UserId: "5009"}, true)
		mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: ch}).ThenResult(full(club))
		mock.ExpectCall(recent).ThenResult(members)
		mock.ExpectCall(kicked).ThenRPCErr(tgerr.New(500, "INTERNAL"))
		info, err := s.ChatInfo(context.Background(), "-100700")
		if err != nil {
			t.Fatal(err)
		}
		if a, listed := affiliations(info)["5009"]; listed {
			t.Errorf("5009 listed as %v from a list never read", a)
		}
	})
}

// On the fake Telegram: the ban list read once serves the ChatInfo that
// come soon after (one getParticipants each, the members'), and the
// user's own ban and unban have it read again at once.
func TestChatInfoBansKeptLive(t *testing.T) {
	srv := newFake(t)
	srv.AddUser(dave)
	srv.AddChannel(tgfake.Channel{ID: 610, Title: "Club", Members: []int64{alice.ID, bob.ID, carol.ID}, Creator: alice.ID, Banned: []int64{dave.ID}})
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	club := sdk.Call{ChatID: "-100610"}
	outcasts := func(what string, want ...string) {
		t.Helper()
		info, err := s.ChatInfo(ctx, club.ChatID)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var got []string
		for id, a := range affiliations(info) {
			if a == pb.Affiliation_AFFILIATION_OUTCAST {
				got = append(got, id)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: outcasts %v, want %v", what, got, want)
		}
	}
	outcasts("first", "1004")
	asked := srv.Requests("channels.getParticipants")
	outcasts("again", "1004")
	if n := srv.Requests("channels.getParticipants") - asked; n != 1 {
		t.Errorf("ChatInfo again at once: %d getParticipants, want 1 (the members; the ban list kept)", n)
	}
	if err := s.Kick(ctx, club, &pb.Kick{UserId: "1002", Ban: true}); err != nil {
		t.Fatal(err)
	}
	outcasts("bob banned", "1002", "1004")
	if err := s.Unban(ctx, club, "1004"); err != nil {
		t.Fatal(err)
	}
	outcasts("dave unbanned", "1002")
	// A kick is a ban lifted at once: no outcast.
	if err := s.Kick(ctx, club, &pb.Kick{UserId: "1003"}); err != nil {
		t.Fatal(err)
	}
	outcasts("carol kicked", "1002")
}
