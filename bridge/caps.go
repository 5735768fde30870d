package bridge

import (
	"crypto/sha1"
	"encoding/base64"
	"slices"
	"strings"
	"sync/atomic"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// What a contact can do is what its transport can: clients look at a
// contact's disco#info (XEP-0030), or at the XEP-0115 caps hash in its
// presence, before they offer receipts, corrections, reactions and the
// rest, and hide what is not listed.

const (
	nsCaps = "http://jabber.org/protocol/caps"
	// capsNode names the software in caps (XEP-0115 §4: a URI).
	capsNode = "https://passerelle.im"
)

// contactIdentity is a contact's disco identity: category, type.
var contactIdentities = [][2]string{{"client", "pc"}, {"pubsub", "pep"}}

// contactCaps is what every contact of a transport advertises.
type contactCaps struct {
	from     *pb.Capabilities // what it was computed from
	features []string         // sorted
	ver      string           // XEP-0115 verification string
}

// lastCaps caches the last computation: the plugin's capabilities change
// only when it restarts.
var lastCaps atomic.Pointer[contactCaps]

// contactFeatures lists what a contact of a transport with these
// capabilities supports, and its caps.
func contactFeatures(caps *pb.Capabilities) *contactCaps {
	if c := lastCaps.Load(); c != nil && c.from == caps {
		return c
	}
	fs := []string{wire.NSDiscoInfo, wire.NSPing, nsVCard, nsAvatarMeta, nsAvatarMeta + "+notify", nsCaps}
	f := caps.GetFeatures()
	for _, x := range []struct {
		has bool
		ns  string
	}{
		{f.GetDeliveryReceipts(), wire.NSReceipts},
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
	c := &contactCaps{from: caps, features: fs, ver: capsVer(contactIdentities, fs)}
	lastCaps.Store(c)
	return c
}

// capsVer is the XEP-0115 §5 verification string of identities (no
// language, no name) and sorted features, without extended forms.
func capsVer(ids [][2]string, features []string) string {
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
	sum := sha1.Sum([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// contactDiscoInfo answers disco#info for a contact, with no node or with
// the node#ver of its caps.
func (t *transport) contactDiscoInfo(st *wire.Stanza, node string) []byte {
	c := contactFeatures(t.host.Caps())
	if node != "" && node != capsNode+"#"+c.ver {
		return wire.ErrorReply(st, wire.ItemNotFound, "no such node")
	}
	r := wire.Result(st)
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
	return r.Bytes()
}

// writeCaps adds the contact's caps to a presence being written.
func (t *transport) writeCaps(w *wire.Writer) {
	c := contactFeatures(t.host.Caps())
	w.Start("c", nsCaps).Attr("hash", "sha-1").Attr("node", capsNode).Attr("ver", c.ver).End()
}
