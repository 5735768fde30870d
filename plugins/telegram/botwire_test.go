package telegram

import (
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/botmode"
)

// The bot token flow is bot mode's: its form, its login IDs, its
// sessions; a user account's login stays this package's.
func TestBotModeWiring(t *testing.T) {
	srv := newFake(t)
	n, _ := newNetwork(t, srv)
	ctx := ctxT(t)
	flows, err := n.LoginFlows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(flows, func(f *pb.LoginFlow) bool { return f.Id == botmode.FlowID }) {
		t.Fatalf("flows %v lack bot mode's", flows)
	}
	p, err := n.StartLogin(ctx, sdk.LoginRequest{FlowID: FlowBot, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	step, err := p.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantForm(t, step, botmode.FieldToken, "")
	// Not a token: asked again, without a request to Telegram.
	step = submit(t, p, map[string]string{botmode.FieldToken: "not a token"})
	if step.GetForm() == nil || step.Error == "" {
		t.Fatalf("a wrong token: %v", step)
	}
	// A bot login, logged out while not connected, is bot mode's.
	s, err := n.LoadLogin(ctx, sdk.LoginInfo{LoginID: botmode.LoginIDFor(42), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if s.bot == nil {
		t.Fatal("a bot login's session is not bot mode's")
	}
	if err := s.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	// MarkRead has nothing to tell Telegram for a bot; looking people up
	// is not for bots.
	if err := s.MarkRead(ctx, sdk.Call{ChatID: "1"}, &pb.MarkRead{UpToId: "1"}); err != nil {
		t.Errorf("MarkRead of a bot: %v", err)
	}
	if _, err := s.ResolveIdentifier(ctx, "@someone", false); err == nil {
		t.Error("a bot resolved an identifier")
	}
	// A group's picture is bot mode's to fetch (this login has no token).
	if _, _, err := s.ChatAvatar(ctx, "-100777"); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Errorf("ChatAvatar of a bot login without a token: %v, want bot mode's LOGIN_REQUIRED", err)
	}
	// So are members' rights (promoteChatMember, restrictChatMember).
	if err := s.SetRole(ctx, sdk.Call{ChatID: "-100777"}, &pb.SetRole{UserId: "5", Affiliation: pb.Affiliation_AFFILIATION_ADMIN}); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Errorf("SetRole of a bot login without a token: %v, want bot mode's LOGIN_REQUIRED", err)
	}
	// And lifting bans (unbanChatMember).
	if err := s.Unban(ctx, sdk.Call{ChatID: "-100777"}, "5"); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Errorf("Unban of a bot login without a token: %v, want bot mode's LOGIN_REQUIRED", err)
	}
	// And the bot's own profile photo (setMyProfilePhoto).
	if err := s.SetProfileAvatar(ctx, &pb.SetProfileAvatar{}); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Errorf("SetProfileAvatar of a bot login without a token: %v, want bot mode's LOGIN_REQUIRED", err)
	}
	u, err := n.LoadLogin(ctx, sdk.LoginInfo{LoginID: "1001", Dir: t.TempDir()})
	if err != nil || u.bot != nil {
		t.Fatalf("a user login: %v, bot %v", err, u.bot)
	}
}
