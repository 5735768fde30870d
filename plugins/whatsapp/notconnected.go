package whatsapp

import (
	"errors"
	"sync"

	"go.mau.fi/whatsmeow"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// An action refused for want of a connection (whatsmeow's
// ErrNotConnected) says why the login is not connected and what to do,
// as its state said it: "not connected to WhatsApp" alone told a user
// whose connection another program had taken over, or WhatsApp had
// banned for a while, neither that it would not come back by itself nor
// to use relogin.

// shownState is the login state last said, and its message.
type shownState struct {
	mu    sync.Mutex
	state pb.LoginState
	msg   string
}

func (st *shownState) set(s pb.LoginState, msg string) {
	st.mu.Lock()
	st.state, st.msg = s, msg
	st.mu.Unlock()
}

func (st *shownState) get() (pb.LoginState, string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.state, st.msg
}

// sendErr is the package's sendErr, but an action refused as not
// connected says the login's state: stopped (it does not come back by
// itself: the state's message says what to do), logged out, or
// reconnecting (try again once connected). Not every action is a send
// (a download, a group's listing): the text says "not done".
func (s *Session) sendErr(what string, err error) error {
	if !errors.Is(err, whatsmeow.ErrNotConnected) {
		return sendErr(what, err)
	}
	switch st, msg := s.shown.get(); st {
	case pb.LoginState_LOGIN_STATE_STOPPED:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: %s: not done, the connection to WhatsApp is stopped: %s", what, msg)
	case pb.LoginState_LOGIN_STATE_LOGGED_OUT:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "whatsapp: %s: not done, logged out of WhatsApp: %s", what, msg)
	case pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, pb.LoginState_LOGIN_STATE_CONNECTING:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: %s: not done, not connected to WhatsApp (%s): try again once the gateway is connected", what, msg)
	}
	return sendErr(what, err)
}
