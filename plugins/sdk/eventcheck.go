package sdk

import (
	"errors"
	"fmt"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
)

// errInvalidEvent is an event emit dropped because the gateway could do
// nothing with it (checkEvent says why).
var errInvalidEvent = errors.New("sdk: the event was dropped")

// checkEvent reports what ev lacks that the gateway needs to deliver it:
// sent, it would be stored, acknowledged and dropped there (a line in the
// gateway's log at most, a debug one for a missing login), and the
// plugin's author never told.
func checkEvent(ev *pb.Event) error {
	if ev.Payload == nil {
		return fmt.Errorf("%w: it has no payload (message, typing, login_state, ...): nothing to deliver", errInvalidEvent)
	}
	kind := withArticle(eventKind(ev))
	// A login step belongs to a login process, which has no login ID yet.
	if ev.LoginId == "" && ev.GetLoginStep() == nil {
		return fmt.Errorf("%w: %s event with no login_id: the gateway delivers a login's events to its user alone", errInvalidEvent, kind)
	}
	if ev.ChatId == "" && inChat(ev) {
		return fmt.Errorf("%w: %s event with no chat_id: it happens in a chat, which the gateway addresses by it", errInvalidEvent, kind)
	}
	return nil
}

// withArticle is kind after its indefinite article, chosen by its first
// letter, which suits every payload's name: "an invited", "a message".
func withArticle(kind string) string {
	if kind != "" && strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}

// inChat reports whether ev's payload happens in the chat its chat_id
// names (a ChatEvent names its chat in its Chat; the login's own events,
// contacts and presence have none).
func inChat(ev *pb.Event) bool {
	switch ev.Payload.(type) {
	case *pb.Event_Message, *pb.Event_Edit, *pb.Event_Reaction, *pb.Event_Retraction,
		*pb.Event_Receipt, *pb.Event_Typing, *pb.Event_Member, *pb.Event_Topic,
		*pb.Event_ChatRemoved, *pb.Event_Expiry, *pb.Event_Invited:
		return true
	}
	return false
}
