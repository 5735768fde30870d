package bridge

import (
	"crypto/sha1"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// What a contact can do is what the user's login can (its transport's
// features, narrowed by the login's own: login_features.go): clients
// look at a contact's disco#info (XEP-0030), or at the XEP-0115 caps
// hash in its presence, before they offer receipts, corrections,
// reactions and the rest, and hide what is not listed.

const (
	nsCaps = "http://jabber.org/protocol/caps"
	// nsReactionRules is the FORM_TYPE of XEP-0444's restrictions.
	nsReactionRules = "urn:xmpp:reactions:0:restrictions"
	// capsNode names the software in caps (XEP-0115 §4: a URI).
	capsNode = "https://passerelle.im"
)

// contactIdentity is a contact's disco identity: category, type.
var contactIdentities = [][2]string{{"client", "pc"}, {"pubsub", "pep"}}

// contactCaps is what the contacts of a login with some features
// advertise.
type contactCaps struct {
	from     *pb.Features // what it was computed from
	features []string     // sorted
	// maxReactions is how many reactions of the user's a message keeps
	// on the network, 0 for no limit: XEP-0444 §2.1's restriction, so
	// that a client that knows offers one, not several of which the
	// network keeps the last.
	maxReactions int
	ver          string // XEP-0115 verification string
}

// lastCaps caches the transport's: the plugin's features change only
// when it restarts. A session caches its login's (session.contactCaps).
var lastCaps atomic.Pointer[contactCaps]

// transportCaps is what a contact advertises to a user whose login does
// all that the transport does.
func (t *transport) transportCaps() *contactCaps {
	f := t.host.Caps().GetFeatures()
	if c := lastCaps.Load(); c != nil && c.from == f {
		return c
	}
	c := contactFeatures(f)
	lastCaps.Store(c)
	return c
}

// userCaps is what a contact advertises to user: their login's, the
// transport's when they have none.
func (t *transport) userCaps(user string) *contactCaps {
	if s := t.session(user); s != nil {
		return s.contactCaps()
	}
	return t.transportCaps()
}

// contactFeatures lists what a contact of a login with features f
// supports, and its caps.
func contactFeatures(f *pb.Features) *contactCaps {
	// No urn:xmpp:avatar:metadata+notify: it asks the user's server
	// for the user's avatar metadata (XEP-0163), one event per contact
	// at each change, which the gateway does not read.
	// jabber:iq:version: a contact answers it (inbound.go), and a
	// client asks only one that lists it (XEP-0092 §2). jabber:iq:last:
	// last_activity.go answers it.
	fs := []string{wire.NSDiscoInfo, wire.NSPing, wire.NSVersion, nsVCard, nsAvatarMeta, nsCaps, nsLast}
	for _, x := range []struct {
		has bool
		ns  string
	}{
		// A network that tells only reads (Telegram) gives a client
		// asking receipts a <received/> at the read (deliver.go):
		// Profanity and Psi ask only contacts that list receipts.
		{f.GetDeliveryReceipts() || f.GetReadReceipts(), wire.NSReceipts},
		{f.GetReadReceipts(), nsMarkers},
		{f.GetTyping(), wire.NSChatStates},
		{f.GetEdits(), nsCorrect},
		{f.GetReactions(), nsReactions},
		{f.GetRetractions(), nsRetract},
		{f.GetReplies(), nsReply},
		{f.GetAttachments(), nsOOB},
	} {
		if x.has {
			fs = append(fs, x.ns)
		}
	}
	slices.Sort(fs)
	c := &contactCaps{from: f, features: fs}
	if f.GetReactions() {
		c.maxReactions = reactionLimit(f) // reaction_limit.go
	}
	c.ver = capsVer(contactIdentities, fs, c.maxReactions)
	return c
}

// capsVer is the XEP-0115 §5 verification string of identities (no
// language, no name) and sorted features, with XEP-0444's restrictions
// form when maxReactions is set (its one field, §5.1 step 7).
func capsVer(ids [][2]string, features []string, maxReactions int) string {
	ids = slices.Clone(ids)
	slices.SortFunc(ids, func(a, b [2]string) int {
		return strings.Compare(a[0]+"/"+a[1], b[0]+"/"+b[1])
	})
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(id[0] + "/" + id[1] + "//<")
	}
	for _, f := range features {
		b.WriteString(f + "<")
	}
	if maxReactions > 0 {
		b.WriteString(nsReactionRules + "<max_reactions_per_user<" + strconv.Itoa(maxReactions) + "<")
	}
	sum := sha1.Sum([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// contactDiscoInfo answers user's disco#info for a contact, with no node
// or with the node#ver of its caps: the user's login's, or the
// transport's (a ver another login's user saw, or this user's before
// their login said it does less).
func (t *transport) contactDiscoInfo(st *wire.Stanza, user, node string) []byte {
	c := t.userCaps(user)
	if node != "" && node != capsNode+"#"+c.ver {
		if c = t.transportCaps(); node != capsNode+"#"+c.ver {
			return wire.ErrorReply(st, wire.ItemNotFound, "no such node")
		}
	}
	r := wire.Result(st)
	c.writeInfo(r, node)
	return r.Bytes()
}

// writeInfo writes the disco#info query of a contact with caps c.
func (c *contactCaps) writeInfo(r *wire.Writer, node string) {
	r.Start("query", wire.NSDiscoInfo)
	if node != "" {
		r.Attr("node", node)
	}
	for _, id := range contactIdentities {
		r.Start("identity", "").Attr("category", id[0]).Attr("type", id[1]).End()
	}
	for _, f := range c.features {
		r.Start("feature", "").Attr("var", f).End()
	}
	if c.maxReactions > 0 {
		// XEP-0444 §2.1, in a form of its own (XEP-0128).
		r.Start("x", wire.NSData).Attr("type", "result")
		r.Start("field", "").Attr("var", "FORM_TYPE").Attr("type", "hidden").Leaf("value", "", nsReactionRules).End()
		r.Start("field", "").Attr("var", "max_reactions_per_user").Leaf("value", "", strconv.Itoa(c.maxReactions)).End()
		r.End()
	}
	r.End()
}

// writeCaps adds the caps of a contact of s's login to a presence being
// written.
func (s *session) writeCaps(w *wire.Writer) {
	c := s.contactCaps()
	w.Start("c", nsCaps).Attr("hash", "sha-1").Attr("node", capsNode).Attr("ver", c.ver).End()
}
