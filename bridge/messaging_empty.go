package bridge

import (
	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
)

// A message of the user's that asks the network for nothing (no words,
// file, correction, retraction or reactions: userMessage.action) was
// dropped without a word, whatever it held. Most such messages are meant
// so: a chat state alone (XEP-0085 §5.5 sends them so, to a contact and
// in a room), a read marker or a receipt (XEP-0333, XEP-0184), a key
// exchange of an encrypted session. But a blank body (white space only)
// or an element the gateway does not bridge (an attention request, a
// call) is something the user's client sent and shows as sent, to a
// contact or in a room, and nothing happened: it is refused, with why
// (userMessage.refusal).

// nsEvents is XEP-0022's message events, chat states' ancestor (Psi
// sends them beside its chat states).
const nsEvents = "jabber:x:event"

// nsJMI is XEP-0353's Jingle Message Initiation: a call's ringing.
const nsJMI = "urn:xmpp:jingle-message:0"

// carries says what a message's child e brings, when parseUserMessage's
// own cases do not take it: signal, a state or a receipt meant to be
// dropped when the network takes none; meta, a mark of the message's
// other parts (ids, hints, fallbacks, a private message's muc#user <x/>),
// nothing on its own; neither: an element the gateway does not bridge.
func carries(e *wire.Element) (signal, meta bool) {
	n := e.XMLName
	switch n.Space {
	case wire.NSChatStates, nsMarkers, wire.NSReceipts, nsEvents:
		return true, false
	case nsJMI:
		// A call's answer, retraction or end is about a call this
		// side never rang (its propose is refused): nothing to say.
		return n.Local != "propose", false
	case "", "jabber:client", "jabber:component:accept":
		// body and subject are read already; thread, and an <error/> a
		// client echoes, say nothing more.
		return false, true
	case nsReference:
		// A mention's mark, or a SIMS file: one left here had no
		// address the gateway fetches (a Jingle source alone).
		return false, e.Child(nsSIMS, "media-sharing") == nil
	case wire.NSSID, wire.NSDelay, nsHints, nsFallback, nsFallbackOld, nsSpoiler, nsReply, nsCorrect,
		muc.NSUser, muc.NSOccupantID, nsNick, "urn:xmpp:styling:0", "urn:xmpp:carbons:2",
		"http://jabber.org/protocol/xhtml-im", "http://jabber.org/protocol/address", "urn:xmpp:eme:0":
		return false, true
	}
	return false, false
}

// notBridged notes e, a child of the message that carries neither a
// signal nor a mark (carries), when it is the first such.
func (m *userMessage) notBridged(e *wire.Element) {
	signal, meta := carries(e)
	switch {
	case signal:
		m.signal = true
	case !meta && m.unknown == "":
		m.unknown = unbridgedName(e)
	}
}

// unbridgedName says what e, an element not bridged, is to the user.
func unbridgedName(e *wire.Element) string {
	switch n := e.XMLName; {
	case n.Space == nsJMI:
		return "a call"
	case n.Space == nsSFS || n.Space == nsReference:
		return "a file without an HTTP address to fetch it from"
	}
	return "<" + e.XMLName.Local + " xmlns='" + e.XMLName.Space + "'/>"
}

// refusal is the error a message of the user's of type typ that asks
// for nothing is answered with, in a chat with network: none ("") when it
// carries a chat state, a marker, a receipt or an encrypted session's
// keys, or nothing at all, or is no chat or groupchat message (what a
// client's compose sends): a headline or normal one without words is
// the user's server's (PEP notifications of the user's avatar and nick
// to their contacts), nothing the user sent. An element not bridged is
// named; a blank body is said to be one, a reply's quote alone too.
func (m userMessage) refusal(typ, network string) (wire.Condition, string) {
	if typ != "chat" && typ != "groupchat" || m.action() || m.hasChatState || m.displayed != "" || m.signal || m.encrypted {
		return "", ""
	}
	switch {
	case m.unknown != "":
		return wire.FeatureNotImpl, m.unknown + " is not bridged to " + network + ": nothing was sent"
	case m.blank && m.quoteOnly:
		// A reply whose body is its quote alone (XEP-0461's fallback):
		// "white space only" named words the client showed as typed.
		return wire.NotAcceptable, "the reply is empty (nothing but the quoted text): nothing was sent to " + network
	case m.blank:
		return wire.NotAcceptable, "the message is empty (white space only): nothing was sent to " + network
	}
	return "", ""
}
