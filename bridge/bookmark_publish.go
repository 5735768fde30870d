package bridge

import (
	"context"
	"errors"
	"fmt"

	"passerelle.im/passerelle/bridge/wire"
)

// XEP-0402 bookmarks published for the user through XEP-0356's
// privileged iq (see bookmarks.go for when).

// nsBookmarks is XEP-0402's PEP node and the namespace of its items.
const nsBookmarks = "urn:xmpp:bookmarks:1"

// publishBookmark publishes roomJID to user's PEP node of bookmarks,
// with autojoin, as the user, through a privileged iq: the outer iq goes
// to the user's bare JID and carries the user's own iq, in jabber:client
// as mod_privilege requires, with exactly one payload. The publish
// options are XEP-0402's, all four (persistent, whitelist, as many items
// as the server allows, the last item never sent on presence), as the
// user's clients give them. It returns an error when the server or the user's PEP
// refused it or did not answer.
func (t *transport) publishBookmark(ctx context.Context, user, roomJID, name, nick string) error {
	var c wire.Writer
	c.Start("conference", nsBookmarks).Attr("autojoin", "true").Attr("name", wire.XMLSafe(name))
	if nick = wire.XMLSafe(nick); nick != "" {
		c.Leaf("nick", "", nick)
	}
	return t.publishConference(ctx, user, roomJID, c.Bytes())
}

// publishConference publishes the item roomJID of user's bookmarks with
// conference (a whole <conference/> element), as publishBookmark does.
func (t *transport) publishConference(ctx context.Context, user, roomJID string, conference []byte) error {
	publish := func() error {
		var w wire.Writer
		id := t.privilegedIQ(&w, user, "set")
		w.Start("publish", "").Attr("node", nsBookmarks)
		w.Start("item", "").Attr("id", roomJID)
		w.Raw(conference)
		w.End().End() // item, publish
		w.Start("publish-options", "")
		writeBookmarkOptions(&w, "http://jabber.org/protocol/pubsub#publish-options")
		_, err := t.privilegedCall(ctx, id, w.Bytes(), "publish")
		return err
	}
	err := publish()
	if errors.Is(err, errPreconditionNotMet) {
		// A node an older gateway made (bookmark_node.go): set right,
		// then published again, as the user's clients do.
		if cerr := t.configureBookmarkNode(ctx, user); cerr != nil {
			return fmt.Errorf("%w (node not reconfigured: %w)", err, cerr)
		}
		err = publish()
	}
	return err
}

// bookmarkOptions are XEP-0402's node options, all four, as the user's
// clients give them when they publish.
var bookmarkOptions = [...][2]string{
	{"pubsub#persist_items", "true"},
	{"pubsub#access_model", "whitelist"},
	{"pubsub#max_items", "max"},
	// Left out, a node the gateway makes gets the server's PEP default
	// (Prosody: on_sub_and_presence), and every client's publish, with
	// XEP-0402's options, fails precondition-not-met.
	{"pubsub#send_last_published_item", "never"},
}

// writeBookmarkOptions writes bookmarkOptions as a submitted data form
// of formType (publish-options, or a node's configuration).
func writeBookmarkOptions(w *wire.Writer, formType string) {
	w.Start("x", wire.NSData).Attr("type", "submit")
	w.Start("field", "").Attr("var", "FORM_TYPE").Attr("type", "hidden").Leaf("value", "", formType).End()
	for _, f := range bookmarkOptions {
		w.Start("field", "").Attr("var", f[0]).Leaf("value", "", f[1]).End()
	}
	w.End()
}

// retractBookmark takes roomJID out of user's bookmarks, as the user.
func (t *transport) retractBookmark(ctx context.Context, user, roomJID string) error {
	var w wire.Writer
	id := t.privilegedIQ(&w, user, "set")
	w.Start("retract", "").Attr("node", nsBookmarks).Attr("notify", "true")
	w.Start("item", "").Attr("id", roomJID)
	_, err := t.privilegedCall(ctx, id, w.Bytes(), "retract")
	return err
}

// privilegedIQ starts in w a privileged iq of type typ (get, set) to
// user's PEP, up to the open <pubsub/>, and returns the outer iq's id.
func (t *transport) privilegedIQ(w *wire.Writer, user, typ string) string {
	return t.privilegedPubSub(w, user, typ, nsPubSub)
}

// privilegedPubSub is privilegedIQ with the <pubsub/> in ns (pubsub, or
// pubsub#owner for a node's configuration).
func (t *transport) privilegedPubSub(w *wire.Writer, user, typ, ns string) string {
	id := t.link.NewID()
	w.Start("iq", "").Attr("from", t.domain).Attr("to", user).Attr("type", typ).Attr("id", id)
	w.Start("privileged_iq", nsPrivilege)
	w.Start("iq", "jabber:client").Attr("to", user).Attr("type", typ).Attr("id", t.newID())
	w.Start("pubsub", ns)
	return id
}

// privilegedCall sends a privileged iq and waits for its answer: the
// user's own iq's answer, which the server forwarded (nil when it did
// not), or an error when the server refused to send it, or the user's
// PEP refused what it carried.
func (t *transport) privilegedCall(ctx context.Context, id string, iq []byte, what string) (*wire.Element, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	st, err := t.link.IQ(cctx, id, iq)
	if err != nil {
		return nil, fmt.Errorf("privileged %s: %w", what, err)
	}
	if st.Type() != "result" {
		cond, text := st.ErrorCondition()
		return nil, fmt.Errorf("privileged %s refused: %s %s", what, cond, text)
	}
	// mod_privilege answers result with the user's own answer forwarded;
	// an error there is the PEP's refusal.
	inner := forwardedIQ(st)
	if inner != nil && inner.Attr("type") == "error" {
		err := errors.New("the user's PEP refused the " + what + ": " + pepCondition(inner))
		switch pubsubCondition(inner) {
		case "precondition-not-met":
			err = fmt.Errorf("%w: %w", err, errPreconditionNotMet)
		case "":
			if pepCondition(inner) == "item-not-found" {
				err = fmt.Errorf("%w: %w", err, errNoNode)
			}
		}
		return nil, err
	}
	return inner, nil
}

// The PEP's refusals the callers tell apart.
var (
	// errPreconditionNotMet: the node's configuration is not the one
	// the publish-options ask for (XEP-0060 §7.1.5).
	errPreconditionNotMet = errors.New("precondition-not-met")
	// errNoNode: the node does not exist.
	errNoNode = errors.New("no such node")
)

// pubsubCondition names the XEP-0060 application condition of an iq
// error element ("" when there is none).
func pubsubCondition(iq *wire.Element) string {
	if e := iq.Child("", "error"); e != nil {
		for i := range e.Children {
			if c := &e.Children[i]; c.XMLName.Space == nsPubSub+"#errors" {
				return c.XMLName.Local
			}
		}
	}
	return ""
}

// forwardedIQ is the iq inside <privilege><forwarded> of a privileged
// iq's answer, or nil.
func forwardedIQ(st *wire.Stanza) *wire.Element {
	p := st.Child(nsPrivilege, "privilege")
	if p == nil {
		return nil
	}
	f := p.Child(nsForward, "forwarded")
	if f == nil {
		return nil
	}
	for i := range f.Children {
		if f.Children[i].XMLName.Local == "iq" {
			return &f.Children[i]
		}
	}
	return nil
}

// pepCondition names the error condition of an iq error element.
func pepCondition(iq *wire.Element) string {
	for i := range iq.Children {
		if e := &iq.Children[i]; e.XMLName.Local == "error" {
			for j := range e.Children {
				if c := &e.Children[j]; c.XMLName.Space == "urn:ietf:params:xml:ns:xmpp-stanzas" && c.XMLName.Local != "text" {
					return c.XMLName.Local
				}
			}
		}
	}
	return "unknown condition"
}
