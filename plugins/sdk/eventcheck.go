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

// errInvalidBatch is a history batch SendHistory refused because the
// gateway would refuse it, or an event of it (checkBatch says why).
var errInvalidBatch = errors.New("sdk: the history batch was refused")

// checkEvent reports what ev lacks, or has wrong, that the gateway needs
// to deliver it: sent, it would be stored and acknowledged, or refused
// by the gateway's store, and dropped there (a line in the gateway's log
// at most), and the plugin's author never told. The bounds are the
// contract's (pb.Limit), which the gateway's store holds to.
func checkEvent(ev *pb.Event) error {
	if err := eventFault(ev); err != nil {
		return fmt.Errorf("%w: %w", errInvalidEvent, err)
	}
	return nil
}

// eventFault is checkEvent's reason, for an event alone or in a batch.
func eventFault(ev *pb.Event) error {
	if ev.Payload == nil {
		return errors.New("it has no payload (message, typing, login_state, ...): nothing to deliver")
	}
	kind := withArticle(eventKind(ev))
	// A login step belongs to a login process, which has no login ID yet;
	// but the gateway keeps an event_id per login.
	if ev.LoginId == "" && ev.GetLoginStep() != nil && ev.EventId != "" {
		return fmt.Errorf("%s event with no login_id but an event_id: the gateway keeps event_ids per login; give a login step none", kind)
	}
	if ev.LoginId == "" && ev.GetLoginStep() == nil {
		return fmt.Errorf("%s event with no login_id: the gateway delivers a login's events to its user alone", kind)
	}
	if ev.ChatId == "" && inChat(ev) {
		return fmt.Errorf("%s event with no chat_id: it happens in a chat, which the gateway addresses by it", kind)
	}
	for _, id := range [...]struct{ name, v string }{{"login_id", ev.LoginId}, {"chat_id", ev.ChatId}, {"event_id", ev.EventId}} {
		if err := checkID(id.name, id.v); err != nil {
			return fmt.Errorf("%s event's %w", kind, err)
		}
	}
	if len(ev.Meta) > MaxMetaBytes {
		return fmt.Errorf("%s event's meta is %d bytes, over the contract's %d (LIMIT_META_BYTES): keep less in it, or send the event without it", kind, len(ev.Meta), MaxMetaBytes)
	}
	return nil
}

// checkID reports what the gateway's store refuses in an ID: a NUL byte
// (its keys are made of IDs) or more than MaxIDBytes.
func checkID(name, v string) error {
	switch {
	case strings.IndexByte(v, 0) >= 0:
		return fmt.Errorf("%s %q holds a NUL byte, which no ID may: escape it", name, v)
	case len(v) > MaxIDBytes:
		return fmt.Errorf("%s is %d bytes, over the contract's %d (LIMIT_ID_BYTES): give a shorter one (a hash of the network's, mapped back in the data folder)", name, len(v), MaxIDBytes)
	}
	return nil
}

// checkBatch reports what the gateway refuses in a history batch, whose
// events' login and chat are filled in from it: its own login_id and
// chat_id (both needed) and cursor (needed unless done), then each event
// as checkEvent does, and one of another login or chat. The gateway
// refuses a bad batch whole, or a bad event alone, acknowledging it: the
// plugin would never hear.
func checkBatch(b *pb.HistoryBatch) error {
	if b.LoginId == "" || b.ChatId == "" {
		return fmt.Errorf("%w: a history batch needs its login_id and chat_id", errInvalidBatch)
	}
	if b.Cursor == "" && !b.Done {
		return fmt.Errorf("%w: a history batch that is not done needs its cursor: where the next batch starts", errInvalidBatch)
	}
	for _, id := range [...]struct{ name, v string }{{"login_id", b.LoginId}, {"chat_id", b.ChatId}, {"cursor", b.Cursor}} {
		if err := checkID(id.name, id.v); err != nil {
			return fmt.Errorf("%w: a history batch's %w", errInvalidBatch, err)
		}
	}
	for i, ev := range b.Events {
		if ev.LoginId != b.LoginId || ev.ChatId != b.ChatId {
			return fmt.Errorf("%w: a history batch of chat %q (login %q) holds event %d of chat %q (login %q): a batch is one chat's", errInvalidBatch, b.ChatId, b.LoginId, i, ev.ChatId, ev.LoginId)
		}
		if err := eventFault(ev); err != nil {
			return fmt.Errorf("%w: a history batch's event %d (event_id %q): %w", errInvalidBatch, i, ev.EventId, err)
		}
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
