package telegram

import (
	"slices"
	"testing"

	transportpb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Joining a public group by its name: the join answers with the group's
// own chat ID, the group comes as a ChatEvent (from the join's service
// message, or asked again when the user is in it already), and the user
// is a member on Telegram. A name no one has, a person's name, a chat ID
// the login never saw, a private group and a ban are refused.
func TestJoinPublicGroupLive(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 630, Title: "Gophers", Username: "gophers", Members: []int64{bob.ID}, Creator: bob.ID})
	srv.AddChannel(tgfake.Channel{ID: 640, Title: "Closed", Username: "closedclub", Members: []int64{bob.ID}, Creator: bob.ID, Banned: []int64{alice.ID}})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	isChat := func(chat string) func(*transportpb.Event) bool {
		return func(ev *transportpb.Event) bool { return ev.ChatId == chat && ev.GetChat() != nil }
	}

	for _, name := range []string{"gophers", "Gophers"} { // the second time: in it already
		from := h.count()
		joined, err := s.JoinChat(ctx, sdk.Call{ChatID: name}, &transportpb.JoinChat{})
		if err != nil || joined != "-100630" {
			t.Fatalf("join %s: %q, %v; want -100630", name, joined, err)
		}
		ev := h.wait(t, from, "the joined group", isChat("-100630"))
		if c := ev.GetChat().Chat; c.Name != "Gophers" || !slices.ContainsFunc(c.Members, func(m *transportpb.Member) bool { return m.IsSelf }) {
			t.Errorf("the group's event %v: want Gophers with the user in it", c)
		}
	}
	if !slices.Contains(srv.ChannelInfo(630).Members, alice.ID) {
		t.Error("alice is not a member on Telegram")
	}
	for name, code := range map[string]transportpb.ErrorCode{
		"nosuchgroup": transportpb.ErrorCode_ERROR_CODE_NOT_FOUND,
		"bob":         transportpb.ErrorCode_ERROR_CODE_NOT_FOUND, // a person (and too short a name)
		"-100999":     transportpb.ErrorCode_ERROR_CODE_NOT_FOUND, // a chat ID this login never saw (search_test.go joins a found one)
		"closedclub":  transportpb.ErrorCode_ERROR_CODE_NOT_ALLOWED,
	} {
		_, err := s.JoinChat(ctx, sdk.Call{ChatID: name}, &transportpb.JoinChat{})
		wantCode(t, "join "+name, err, code)
	}
	if slices.Contains(srv.ChannelInfo(640).Members, alice.ID) {
		t.Error("a banned user joined")
	}
}
