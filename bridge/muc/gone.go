package muc

import "passerelle.im/passerelle/bridge/wire"

// Gone reports whether an error stanza that came back from an occupant's
// real JID says that JID is not there any more (XEP-0045, "Service
// removes user because of error response"): its server could not
// deliver what the room sent, for good (type cancel, a delivery
// condition). A client going away without leaving the room (its server
// or its link cut) leaves a resource every room message bounces from.
// An error about one stanza (a modify or auth error, a cancel such as
// not-allowed or feature-not-implemented), or one that may pass (wait),
// says nothing of the resource.
func Gone(st *wire.Stanza) bool {
	if st.Type() != "error" || (st.Kind() != "message" && st.Kind() != "presence") {
		return false
	}
	e := st.Child("", "error")
	if e == nil || e.Attr("type") != "cancel" {
		return false
	}
	switch cond, _ := st.ErrorCondition(); wire.Condition(cond) {
	case wire.ServiceUnavailable, wire.ItemNotFound, wire.Gone, recipientUnavailable, remoteServerNotFound:
		return true
	}
	return false
}

// Delivery conditions of RFC 6120 the gateway never sends.
const (
	recipientUnavailable wire.Condition = "recipient-unavailable"
	remoteServerNotFound wire.Condition = "remote-server-not-found"
)
