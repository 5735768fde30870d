package xmpptest

import (
	"context"
	"errors"
	"fmt"
	"net"

	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
)

// Register creates the account j (its localpart) with password by in-band
// registration (XEP-0077) on a fresh, unauthenticated stream. It needs
// allow_registration on the server (prosodytest sets it). Unlike
// prosodyctl, which starts a Lua interpreter per account, it costs one
// round trip: the load tool registers its users this way. An account that
// exists already gives an error wrapping a *StanzaError with Condition
// "conflict".
func Register(ctx context.Context, addr string, j jid.JID, password string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("xmpptest: dial %s: %w", addr, err)
	}
	defer conn.Close()

	var registered bool
	sess, err := xmpp.NewSession(ctx, j.Domain(), j, conn, xmpp.Secure, xmpp.NewNegotiator(
		func(*xmpp.Session, *xmpp.StreamConfig) xmpp.StreamConfig {
			return xmpp.StreamConfig{Features: []xmpp.StreamFeature{
				registerFeature(j.Localpart(), password, &registered),
			}}
		}))
	if err != nil {
		return fmt.Errorf("xmpptest: register %s: %w", j.Bare(), err)
	}
	if !registered {
		// mellium ends negotiation successfully when no feature it knows
		// is offered.
		return fmt.Errorf("xmpptest: register %s: server does not offer in-band registration", j.Bare())
	}
	if err := sess.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("xmpptest: register %s: close: %w", j.Bare(), err)
	}
	return nil
}
