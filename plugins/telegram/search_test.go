package telegram

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/botmode"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Finding groups by name on the fake Telegram (contacts.search): a
// public supergroup and a public channel, with their member counts and
// public names, and the user's own private groups (a supergroup, a basic
// group), the most populated first; not a private group the user is not
// in, a basic group the user is not in, nor a person whose username
// matches. The limit keeps the most populated. A query shorter than
// Telegram takes is refused before Telegram is asked; Telegram's
// refusals (FLOOD_WAIT, QUERY_TOO_SHORT) come as the contract's codes.
func TestSearchChatsLive(t *testing.T) {
	srv := newFake(t)
	srv.AddUser(dave)
	srv.AddUser(erin)
	srv.AddUser(tgfake.User{ID: 1010, FirstName: "Gopher", LastName: "Fan", Username: "gopherfan"})
	srv.AddChannel(tgfake.Channel{ID: 700, Title: "Gopher Lounge", Username: "gopherlounge", Members: []int64{bob.ID, carol.ID, dave.ID, erin.ID}, Creator: bob.ID})
	srv.AddChannel(tgfake.Channel{ID: 701, Title: "Daily News", Username: "gophernews", Broadcast: true, Members: []int64{bob.ID, carol.ID, dave.ID}, Creator: bob.ID})
	srv.AddChannel(tgfake.Channel{ID: 702, Title: "Gopher Secrets", Members: []int64{bob.ID, carol.ID, dave.ID, erin.ID}, Creator: bob.ID, InviteHash: "Secret123"})
	srv.AddChannel(tgfake.Channel{ID: 703, Title: "Gopher Club", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	srv.AddChannel(tgfake.Channel{ID: 704, Title: "Rustaceans", Username: "rustaceans", Members: []int64{bob.ID}, Creator: bob.ID})
	srv.AddGroup(tgfake.Group{ID: 96, Title: "gopher family", Members: []int64{alice.ID, carol.ID, dave.ID}, Creator: alice.ID})
	srv.AddGroup(tgfake.Group{ID: 97, Title: "Gopher Strangers", Members: []int64{bob.ID, carol.ID}, Creator: bob.ID})
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)

	found, err := s.SearchChats(ctx, &pb.SearchChats{Query: "GOPHER"})
	if err != nil {
		t.Fatal(err)
	}
	want := []*pb.FoundChat{
		{ChatId: "-100700", Name: "Gopher Lounge", Description: "@gopherlounge", MemberCount: 4, Type: pb.ChatType_CHAT_TYPE_GROUP},
		{ChatId: "-96", Name: "gopher family", MemberCount: 3, Type: pb.ChatType_CHAT_TYPE_GROUP},
		{ChatId: "-100701", Name: "Daily News", Description: "@gophernews", MemberCount: 3, Type: pb.ChatType_CHAT_TYPE_CHANNEL},
		{ChatId: "-100703", Name: "Gopher Club", MemberCount: 2, Type: pb.ChatType_CHAT_TYPE_GROUP},
	}
	if !slices.EqualFunc(found, want, func(a, b *pb.FoundChat) bool { return proto.Equal(a, b) }) {
		t.Errorf("search GOPHER:\n got %v\nwant %v", found, want)
	}

	found, err = s.SearchChats(ctx, &pb.SearchChats{Query: "@gopher", Limit: 2})
	if err != nil || len(found) != 2 || found[0].ChatId != "-100700" || found[1].MemberCount != 3 {
		t.Errorf("search @gopher, limit 2: %v, %v; want the Lounge and a group of 3", found, err)
	}
	found, err = s.SearchChats(ctx, &pb.SearchChats{Query: "nothing like it"})
	if err != nil || len(found) != 0 {
		t.Errorf("search for nothing: %v, %v; want none, no error", found, err)
	}

	asked := srv.Requests("contacts.search")
	_, err = s.SearchChats(ctx, &pb.SearchChats{Query: " go "})
	wantCode(t, "search go", err, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "at least 4 characters")
	if n := srv.Requests("contacts.search"); n != asked {
		t.Errorf("a query too short was sent to Telegram (%d requests)", n-asked)
	}
	srv.SetSearchError("FLOOD_WAIT_30")
	_, err = s.SearchChats(ctx, &pb.SearchChats{Query: "gopher"})
	wantCode(t, "search in a flood wait", err, pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "30s", "FLOOD_WAIT")
	srv.SetSearchError("QUERY_TOO_SHORT")
	_, err = s.SearchChats(ctx, &pb.SearchChats{Query: "gopher"})
	wantCode(t, "search Telegram finds too short", err, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "too short", "QUERY_TOO_SHORT")
	srv.SetSearchError("")
}

// A chat a search found is joined by its chat ID, the room address the
// gateway shows: the search kept its access hash. Before any search the
// same chat ID is unknown to the login, and refused as such; a chat the
// user is in already is announced; a private group the user is not in,
// never found, stays unknown.
func TestSearchThenJoinLive(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 700, Title: "Gopher Lounge", Username: "gopherlounge", Members: []int64{bob.ID, carol.ID}, Creator: bob.ID})
	srv.AddChannel(tgfake.Channel{ID: 702, Title: "Gopher Secrets", Members: []int64{bob.ID}, Creator: bob.ID})
	srv.AddChannel(tgfake.Channel{ID: 703, Title: "Gopher Hangout", Username: "gopherhangout", Members: []int64{bob.ID, alice.ID}, Creator: bob.ID})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)

	_, err := s.JoinChat(ctx, sdk.Call{ChatID: "-100700"}, &pb.JoinChat{})
	wantCode(t, "join -100700 before a search", err, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "find it first")
	found, err := s.SearchChats(ctx, &pb.SearchChats{Query: "lounge"})
	if err != nil || len(found) != 1 || found[0].ChatId != "-100700" {
		t.Fatalf("search lounge: %v, %v", found, err)
	}
	for i := range 2 { // the second time: in it already
		from := h.count()
		joined, err := s.JoinChat(ctx, sdk.Call{ChatID: found[0].ChatId}, &pb.JoinChat{})
		if err != nil || joined != "-100700" {
			t.Fatalf("join %d of the found -100700: %q, %v", i, joined, err)
		}
		ev := h.wait(t, from, "the joined group", func(ev *pb.Event) bool { return ev.ChatId == "-100700" && ev.GetChat() != nil })
		if c := ev.GetChat().Chat; c.Name != "Gopher Lounge" || !slices.ContainsFunc(c.Members, func(m *pb.Member) bool { return m.IsSelf }) {
			t.Errorf("the group's event %v: want Gopher Lounge with the user in it", c)
		}
	}
	if !slices.Contains(srv.ChannelInfo(700).Members, alice.ID) {
		t.Error("alice is not a member on Telegram")
	}
	_, err = s.JoinChat(ctx, sdk.Call{ChatID: "-100702"}, &pb.JoinChat{})
	wantCode(t, "join the private -100702", err, pb.ErrorCode_ERROR_CODE_NOT_FOUND)

	// A public group alice was in and left: its address (a leftover
	// bookmark) does not join it again, a search first does.
	if err := s.LeaveChat(ctx, sdk.Call{ChatID: "-100703"}); err != nil {
		t.Fatalf("leave -100703: %v", err)
	}
	_, err = s.JoinChat(ctx, sdk.Call{ChatID: "-100703"}, &pb.JoinChat{})
	wantCode(t, "join -100703 after leaving it, without a search", err, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "find it first")
	if slices.Contains(srv.ChannelInfo(703).Members, alice.ID) {
		t.Error("alice is back in -100703 on Telegram without a search")
	}
	if found, err := s.SearchChats(ctx, &pb.SearchChats{Query: "hangout"}); err != nil || len(found) != 1 {
		t.Fatalf("search hangout: %v, %v", found, err)
	}
	if _, err := s.JoinChat(ctx, sdk.Call{ChatID: "-100703"}, &pb.JoinChat{}); err != nil {
		t.Errorf("join of the found -100703: %v", err)
	}
	_, err = s.JoinChat(ctx, sdk.Call{ChatID: "-77"}, &pb.JoinChat{}) // Wonderland, alice's
	if err != nil {
		t.Errorf("join of the user's own basic group: %v", err)
	}
	_, err = s.JoinChat(ctx, sdk.Call{ChatID: "-78"}, &pb.JoinChat{})
	wantCode(t, "join of a basic group not the user's", err, pb.ErrorCode_ERROR_CODE_NOT_FOUND)
}

// A bot cannot search Telegram: its login says so (the feature is the
// transport's, which serves user accounts and bots), and a user login
// not connected answers UNAVAILABLE.
func TestSearchChatsBotAndOffline(t *testing.T) {
	srv := newFake(t)
	n, _ := newNetwork(t, srv)
	ctx := ctxT(t)
	bot, err := n.LoadLogin(ctx, sdk.LoginInfo{LoginID: botmode.LoginIDFor(42), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bot.SearchChats(ctx, &pb.SearchChats{Query: "gopher"})
	wantCode(t, "a bot's search", err, pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "a bot cannot search")
	if f, _ := sdk.Features(bot, nil); !f.ChatSearch {
		t.Error("chat_search is not advertised for user accounts")
	}
	user, err := n.LoadLogin(ctx, sdk.LoginInfo{LoginID: "1001", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = user.SearchChats(ctx, &pb.SearchChats{Query: "gopher"})
	wantCode(t, "an offline login's search", err, pb.ErrorCode_ERROR_CODE_UNAVAILABLE)
}
