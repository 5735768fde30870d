package whatsapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A message sent while the login is not connected comes back as an
// error that says why and what to do, as the login's state said it: it
// said only "not connected to WhatsApp", the same whether the
// connection comes back by itself or was taken over by another program
// (or a ban) and needs relogin.
func TestSendWhileStoppedSaysWhy(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.SendErr = whatsmeow.ErrNotConnected
	send := func() error {
		_, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.SendMessage{Text: "x"})
		return err
	}
	// emit hands whatsmeow's event to the session and waits for the
	// login state it says.
	emit := func(evt any, want pb.LoginState) {
		t.Helper()
		from := r.host.count()
		fake.Emit(evt)
		r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == want })
	}

	emit(&events.KeepAliveTimeout{ErrorCount: 2, LastSuccess: when}, pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT)
	if err := send(); codeOf(err) != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(err.Error(), "try again once") {
		t.Errorf("send while reconnecting: %v", err)
	}

	emit(&events.StreamReplaced{}, pb.LoginState_LOGIN_STATE_STOPPED)
	if err := send(); codeOf(err) != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(err.Error(), "another program") || !strings.Contains(err.Error(), "relogin") {
		t.Errorf("send after the stream was replaced: %v", err)
	}

	emit(&events.TemporaryBan{Code: events.TempBanSentToTooManyPeople, Expire: time.Hour}, pb.LoginState_LOGIN_STATE_STOPPED)
	if err := send(); codeOf(err) != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(err.Error(), "banned") {
		t.Errorf("send while banned: %v", err)
	}
	// Not every action is a send: a download or a group's listing
	// refused so said "not sent".
	if err := s.sendErr("download", whatsmeow.ErrNotConnected); strings.Contains(err.Error(), "not sent") || !strings.Contains(err.Error(), "banned") {
		t.Errorf("download while banned: %v", err)
	}
	if _, err := s.React(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.React{TargetId: "IN1", TargetMeta: msgMeta{Sender: alice}.encode(), Emojis: []string{"👍"}}); err == nil || !strings.Contains(err.Error(), "banned") {
		t.Errorf("reaction while banned: %v", err)
	}
}
