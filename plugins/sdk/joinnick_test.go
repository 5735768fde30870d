package sdk

import (
	"context"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// joiner is a rich session that also joins chats and changes its nick.
type joiner struct{ rich }

func (j *joiner) JoinChat(_ context.Context, c Call, x *pb.JoinChat) (string, error) {
	if c.ChatID == "#nowhere" {
		return "", Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no channel %s", c.ChatID)
	}
	j.log("join " + c.ChatID + " nick=" + x.Nick + " key=" + x.Password)
	if c.ChatID == "by-name" {
		return "#named", nil // the chat's own ID
	}
	return "", nil
}

func (j *joiner) SetNick(_ context.Context, c Call, nick string) error {
	j.log("nick " + c.ChatID + " " + nick)
	return nil
}

// JoinChat and SetNick: the features follow the session type; the
// commands reach the session's methods with their fields; a join is not
// narrowed by the chat's limits (the chat is not known yet), a nick
// change is; the session's NOT_FOUND reaches the host; a session without
// them answers UNSUPPORTED.
func TestJoinChatAndSetNick(t *testing.T) {
	var s *joiner
	c := startServer(t, newConnectorTransport[*joiner](&testNet[*joiner]{mk: func(l LoginInfo) *joiner {
		s = &joiner{rich{plain{info: l}}}
		return s
	}}), "")
	caps, err := c.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if f := caps.Features; !f.JoinChat || !f.SetNick {
		t.Errorf("features %v: want join_chat and set_nick", f)
	}
	connectLogin(t, c, "a")
	join := func(chat, nick, key string) *pb.Command {
		return &pb.Command{LoginId: "a", ChatId: chat, Action: &pb.Command_Join{Join: &pb.JoinChat{Nick: nick, Password: key}}}
	}
	nick := func(chat, n string) *pb.Command {
		return &pb.Command{LoginId: "a", ChatId: chat, Action: &pb.Command_SetNick{SetNick: &pb.SetNick{Nick: n}}}
	}
	res := send(t, c,
		join("#go", "gopher", "k3y"),
		join("broken", "", ""), // ChatLimits fails for it: not asked for a join
		join("#nowhere", "x", ""),
		nick("#go", "gopher2"),
		nick("quiet", "hush"), // its limits leave set_nick out
		join("by-name", "", ""),
	)
	const ok = -1
	want := []pb.ErrorCode{ok, ok, pb.ErrorCode_ERROR_CODE_NOT_FOUND, ok, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, ok}
	for i, w := range want {
		got := res[i].Error
		if (w == ok) != (got == nil) || (got != nil && got.Code != w) {
			t.Errorf("command %d: %v, want %v", i+1, got, w)
		}
	}
	if res[0].ChatId != "" || res[5].ChatId != "#named" {
		t.Errorf("joined chats %q and %q, want the command's and #named", res[0].ChatId, res[5].ChatId)
	}
	if e := res[4].Error.GetText(); !strings.Contains(e, "nick") {
		t.Errorf("refusal of a nick change says %q", e)
	}
	s.mu.Lock()
	got := slices.Clone(s.calls)
	s.mu.Unlock()
	slices.Sort(got) // chats run side by side: no order across them
	if calls := strings.Join(got, "|"); calls != "connect|join #go nick=gopher key=k3y|join broken nick= key=|join by-name nick= key=|nick #go gopher2" {
		t.Errorf("session saw %q", calls)
	}

	p := startServer(t, newConnectorTransport[*plain](&testNet[*plain]{claims: &pb.Features{JoinChat: true, SetNick: true},
		mk: func(l LoginInfo) *plain { return &plain{info: l} }}), "")
	caps, err = p.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if f := caps.Features; f.JoinChat || f.SetNick {
		t.Errorf("plain session: claimed features advertised: %v", f)
	}
	connectLogin(t, p, "a")
	for i, r := range send(t, p, join("#go", "", ""), nick("#go", "x")) {
		if r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
			t.Errorf("plain session, command %d: %v, want UNSUPPORTED", i+1, r.Error)
		}
	}
}
