package xmpptest

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
)

// Custom stream features. Two mellium v0.22.0 behaviours shape them:
//
//   - Its BindResource asks for the resourcepart of session.LocalAddr(),
//     which after SASL is the bare JID the server put in its stream header:
//     a requested resource is never sent. bindFeature sends it.
//   - Its negotiator drops the error of an optional feature (it goes on to
//     the next feature, finds none and reports success), so every feature
//     here says it is required, which makes the negotiator return the error.

const (
	nsBind            = "urn:ietf:params:xml:ns:xmpp-bind"
	nsRegisterFeature = "http://jabber.org/features/iq-register"
)

// bindFeature binds resource, or a server-chosen one if it is empty, and
// records the bound JID as the session's address.
func bindFeature(resource string) xmpp.StreamFeature {
	return xmpp.StreamFeature{
		Name:      xml.Name{Space: nsBind, Local: "bind"},
		Necessary: xmpp.Authn,
		Parse: func(_ context.Context, d *xml.Decoder, _ *xml.StartElement) (bool, any, error) {
			return true, nil, d.Skip()
		},
		Negotiate: func(_ context.Context, s *xmpp.Session, _ any) (xmpp.SessionState, io.ReadWriter, error) {
			req := `<iq type="set" id="bind-1"><bind xmlns="` + nsBind + `"/></iq>`
			if resource != "" {
				var b strings.Builder
				escape(&b, resource)
				req = `<iq type="set" id="bind-1"><bind xmlns="` + nsBind + `"><resource>` + b.String() + `</resource></bind></iq>`
			}
			reply, err := negotiationIQ(s, req, "bind-1")
			if err != nil {
				return 0, nil, fmt.Errorf("bind: %w", err)
			}
			var res struct {
				JID string `xml:"bind>jid"`
			}
			if err := reply.Unmarshal(&res); err != nil {
				return 0, nil, fmt.Errorf("bind: %w", err)
			}
			j, err := jid.Parse(res.JID)
			if err != nil {
				return 0, nil, fmt.Errorf("bind: server sent JID %q: %w", res.JID, err)
			}
			s.UpdateAddr(j)
			return xmpp.Ready, nil, nil
		},
	}
}

// registerFeature registers user with password (XEP-0077) and ends the
// negotiation: the stream is not authenticated, only used for this.
func registerFeature(user, password string, done *bool) xmpp.StreamFeature {
	return xmpp.StreamFeature{
		Name:       xml.Name{Space: nsRegisterFeature, Local: "register"},
		Necessary:  xmpp.Secure,
		Prohibited: xmpp.Authn,
		Parse: func(_ context.Context, d *xml.Decoder, _ *xml.StartElement) (bool, any, error) {
			return true, nil, d.Skip()
		},
		Negotiate: func(_ context.Context, s *xmpp.Session, _ any) (xmpp.SessionState, io.ReadWriter, error) {
			var u, p strings.Builder
			escape(&u, user)
			escape(&p, password)
			req := `<iq type="set" id="register-1"><query xmlns="jabber:iq:register"><username>` +
				u.String() + `</username><password>` + p.String() + `</password></query></iq>`
			if _, err := negotiationIQ(s, req, "register-1"); err != nil {
				return 0, nil, err
			}
			*done = true
			return xmpp.Ready, nil, nil
		},
	}
}

// negotiationIQ sends an iq during stream negotiation (no reader goroutine
// yet) and reads its reply. An error reply is returned as a *StanzaError.
func negotiationIQ(s *xmpp.Session, req, id string) (Stanza, error) {
	w := s.TokenWriter()
	err := w.Flush()
	if err == nil {
		_, err = io.WriteString(s.Conn(), req)
	}
	w.Close()
	if err != nil {
		return Stanza{}, err
	}
	r := s.TokenReader()
	defer r.Close()
	for {
		n, err := readElement(r)
		if err != nil {
			return Stanza{}, err
		}
		if n == nil {
			continue // whitespace
		}
		st := n.stanza()
		switch {
		case st.Name != "iq" || st.ID != id:
			return Stanza{}, fmt.Errorf("unexpected reply %s", st.XML)
		case st.Type == "result":
			return st, nil
		case st.Err != nil:
			return Stanza{}, st.Err
		default:
			return Stanza{}, errors.New("unexpected reply " + st.XML)
		}
	}
}
