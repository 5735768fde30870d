package bridge

import (
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A login may do less than its transport (a Telegram bot): its
// LoginStateEvent says so with CONNECTED, and its user is offered only
// what both have.

// loginFeatures is a login's own features and, cached, their
// intersection with the plugin's (which change when the plugin
// restarts).
type loginFeatures struct {
	own       *pb.Features // nil: the transport's
	base, out *pb.Features // out = base ∩ own
}

// noteLoginFeatures takes the features a CONNECTED state event says
// the login has (nil: the transport's).
func (s *session) noteLoginFeatures(ev *pb.LoginStateEvent) {
	if ev.State != pb.LoginState_LOGIN_STATE_CONNECTED {
		return
	}
	s.mu.Lock()
	s.feats = loginFeatures{own: ev.Features}
	s.mu.Unlock()
}

// features is what the session's login can do: the plugin's features,
// narrowed by the login's own.
func (s *session) features() *pb.Features {
	base := s.t.host.Caps().GetFeatures()
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &s.feats
	if f.own == nil || base == nil {
		return base
	}
	if f.base != base || f.out == nil {
		f.base, f.out = base, sdk.IntersectFeatures(base, f.own)
	}
	return f.out
}

// userFeatures is what user's login can do; the transport's features
// when the user has no session.
func (t *transport) userFeatures(user string) *pb.Features {
	if s := t.session(user); s != nil {
		return s.features()
	}
	return t.host.Caps().GetFeatures()
}
