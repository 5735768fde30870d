package whatsapp

import (
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The login's state says plainly why a session was lost and what to do:
// a device unlinked (WhatsApp unlinks those of a phone offline 14 days,
// which the state did not say), a temporary ban without an end ("for
// 0s") or with one (how long only, no date).
func TestSessionLossTexts(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	cases := []struct {
		evt  any
		want pb.LoginState
		text []string
		not  string
	}{
		{&events.LoggedOut{}, pb.LoginState_LOGIN_STATE_LOGGED_OUT, []string{"unlinked", "14 days", "log in again"}, ""},
		{&events.LoggedOut{OnConnect: true, Reason: events.ConnectFailureLoggedOut}, pb.LoginState_LOGIN_STATE_LOGGED_OUT, []string{"401", "14 days", "log in again"}, ""},
		{&events.TemporaryBan{Code: events.TempBanBlockedByUsers}, pb.LoginState_LOGIN_STATE_STOPPED, []string{"did not say", "relogin"}, "0s"},
		{&events.TemporaryBan{Code: events.TempBanBlockedByUsers, Expire: 26 * time.Hour}, pb.LoginState_LOGIN_STATE_STOPPED, []string{"26h0m0s", "until about", " UTC", "relogin"}, ""},
	}
	for _, tc := range cases {
		from := r.host.count()
		fake.Emit(tc.evt)
		ev, _ := r.host.next(t, from, func(ev *pb.Event) bool {
			st := ev.GetLoginState()
			return st.GetState() == tc.want && st.GetMessage() != "connected as +33600000000"
		})
		msg := ev.GetLoginState().GetMessage()
		for _, w := range tc.text {
			if !strings.Contains(msg, w) {
				t.Errorf("%#v: %q, want %q in it", tc.evt, msg, w)
			}
		}
		if tc.not != "" && strings.Contains(msg, tc.not) {
			t.Errorf("%#v: %q has %q", tc.evt, msg, tc.not)
		}
	}
}
