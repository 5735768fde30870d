package bridge

import (
	"bytes"
	"context"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A login may do less than its transport (a Telegram bot): its
// LoginStateEvent says so with CONNECTED, and its user is offered only
// what both have. The login's record keeps them (store.Login.Features),
// so that after a restart the user is offered no more before the plugin
// says it again.

// loginFeatures is a login's own features and, cached, their
// intersection with the plugin's (which change when the plugin
// restarts).
type loginFeatures struct {
	own       *pb.Features // nil: the transport's
	base, out *pb.Features // out = base ∩ own
	caps      *contactCaps // of features(), whichever it was (caps.go)
	// pending: a login completed in this process with no features
	// stored, whose first CONNECTED is still to say what it can do
	// (login_features_wait.go). A login loaded at the start said it
	// before: its record keeps its own features, or none (the
	// transport's).
	pending bool
	// pendingWake: the login's stateWake when it was marked pending; a
	// state said since replaced it. The state before is the previous
	// login's (a relogin keeps its session): its end is not this one's.
	pendingWake chan struct{}
}

// noteLoginFeatures takes the features a CONNECTED state event says
// the login has (nil: the transport's), and stores them with the login
// when they changed, to the end: a state delivered as the gateway stops
// is no less the login's.
func (s *session) noteLoginFeatures(ctx context.Context, ev *pb.LoginStateEvent) {
	if ev.State != pb.LoginState_LOGIN_STATE_CONNECTED {
		return
	}
	raw := encodeLoginFeatures(ev.Features)
	s.mu.Lock()
	s.feats = loginFeatures{own: ev.Features}
	same := bytes.Equal(raw, s.login.Features)
	s.mu.Unlock()
	if same {
		return
	}
	// Stored also when the gateway stops meanwhile (the store closes
	// after the transport): a record without them had the next start
	// offer the transport's features until the login's next CONNECTED.
	if err := s.t.db.SetLoginFeatures(context.WithoutCancel(ctx), s.t.name, s.user, raw); err != nil {
		s.t.log.Error("storing the login's features failed", "user", s.user, "err", err)
		return
	}
	s.mu.Lock()
	s.login.Features = raw
	s.mu.Unlock()
}

// encodeLoginFeatures is what the login record keeps of a login's own
// features: a LoginStateEvent holding only them, so that features with
// nothing set are not taken for none (nil).
func encodeLoginFeatures(f *pb.Features) []byte {
	if f == nil {
		return nil
	}
	raw, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&pb.LoginStateEvent{Features: f})
	return raw
}

// featuresUnknown is what the record of a login completed but not yet
// CONNECTED keeps as its features: not known yet, so that a restart
// before its first CONNECTED still has its messages wait for them
// (login_features_wait.go), rather than take the transport's. A
// LoginStateEvent saying CONNECTING, without features: decodeLoginFeatures
// (and a gateway from before it) reads it as none, the transport's.
var featuresUnknown, _ = proto.MarshalOptions{Deterministic: true}.Marshal(&pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTING})

// featuresUnsaid reports whether a login's record keeps no features it
// said: none (a relogin of a login that said the transport's, counted
// as a fresh login) or featuresUnknown.
func featuresUnsaid(raw []byte) bool {
	return len(raw) == 0 || bytes.Equal(raw, featuresUnknown)
}

// decodeLoginFeatures reads what encodeLoginFeatures wrote.
func decodeLoginFeatures(raw []byte) (*pb.Features, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var ev pb.LoginStateEvent
	if err := proto.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	return ev.Features, nil
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

// contactCaps is what the login's contacts advertise: computed once for
// each features() pointer, as presence asks for it often.
func (s *session) contactCaps() *contactCaps {
	f := s.features()
	s.mu.Lock()
	c := s.feats.caps
	s.mu.Unlock()
	if c != nil && c.from == f {
		return c
	}
	c = contactFeatures(f)
	s.mu.Lock()
	s.feats.caps = c // keyed by c.from: one for older features is only recomputed
	s.mu.Unlock()
	return c
}

// userFeatures is what user's login can do; the transport's features
// when the user has no session.
func (t *transport) userFeatures(user string) *pb.Features {
	if s := t.session(user); s != nil {
		return s.features()
	}
	return t.host.Caps().GetFeatures()
}
