package sdk

import (
	"context"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// unbanner is a rich session that also lifts bans.
type unbanner struct{ rich }

func (u *unbanner) Unban(_ context.Context, c Call, userID string) error {
	u.log("unban " + c.ChatID + " " + userID)
	return nil
}

// Unban: the feature group_unban follows the session type; the command
// reaches the session's Unban with its user; a chat whose limits leave
// group_unban out refuses it as NOT_ALLOWED, saying what; a session
// without Unban answers UNSUPPORTED, even when it claims the feature.
func TestUnban(t *testing.T) {
	var s *unbanner
	c := startServer(t, newConnectorTransport[*unbanner](&testNet[*unbanner]{mk: func(l LoginInfo) *unbanner {
		s = &unbanner{rich{plain{info: l}}}
		return s
	}}), "")
	caps, err := c.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !caps.Features.GroupUnban {
		t.Errorf("features %v: want group_unban", caps.Features)
	}
	connectLogin(t, c, "a")
	unban := func(chat, user string) *pb.Command {
		return &pb.Command{LoginId: "a", ChatId: chat, Action: &pb.Command_Unban{Unban: &pb.Unban{UserId: user}}}
	}
	res := send(t, c, unban("g", "u1"), unban("quiet", "u2")) // "quiet" allows edits and replies only
	if res[0].Error != nil {
		t.Errorf("unban in g: %v", res[0].Error)
	}
	if e := res[1].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(e.GetText(), "bans") {
		t.Errorf("unban in quiet: %v, want NOT_ALLOWED about bans", e)
	}
	s.mu.Lock()
	got := slices.Clone(s.calls)
	s.mu.Unlock()
	if calls := strings.Join(got, "|"); calls != "connect|unban g u1" {
		t.Errorf("session saw %q", calls)
	}

	p := startServer(t, newConnectorTransport[*plain](&testNet[*plain]{claims: &pb.Features{GroupUnban: true},
		mk: func(l LoginInfo) *plain { return &plain{info: l} }}), "")
	caps, err = p.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if caps.Features.GroupUnban {
		t.Errorf("plain session: claimed group_unban advertised")
	}
	connectLogin(t, p, "a")
	if r := send(t, p, unban("g", "u1"))[0]; r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !strings.Contains(r.Error.GetText(), "bans") {
		t.Errorf("plain session: %v, want UNSUPPORTED about bans", r.Error)
	}
}
