package sdk

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/limits"
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
	if err := CheckEvent(ev); err != nil {
		return fmt.Errorf("%w: %w", errInvalidEvent, err)
	}
	return nil
}

// CheckEvent reports why the gateway would drop ev, naming the field and
// the contract's rule or limit it breaks, or nil: no payload; no
// login_id (a login step may have none, and then no event_id); no
// chat_id for what happens in a chat (a message, an edit, a reaction,
// typing, a member's change, ...); a NUL byte in login_id, chat_id or
// event_id, or one of them over MaxIDBytes (LIMIT_ID_BYTES), or in the
// login_id of a login step's completed login; a notice
// with no text, or with a chat_id; a meta over MaxMetaBytes
// (LIMIT_META_BYTES). Host.Emit refuses such an event; the
// conformance kit (plugins/plugintest) holds the events of a plugin
// written without the SDK to the same rules.
func CheckEvent(ev *pb.Event) error {
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
	if done := ev.GetLoginStep().GetComplete(); done != nil {
		// The login the gateway would refuse to store (logincheck.go
		// refuses it as an answer to a step).
		if err := checkID("login_id", done.LoginId); err != nil {
			return fmt.Errorf("%s event's completed login's %w", kind, err)
		}
	}
	if n := ev.GetNotice(); n != nil && n.Text == "" {
		return errors.New("a notice event with no text: the gateway shows the user nothing")
	}
	if n := ev.GetNotice(); n != nil && ev.ChatId != "" {
		return fmt.Errorf("a notice event with chat_id %q: a notice belongs to no chat (send a message in the chat instead)", ev.ChatId)
	}
	if len(ev.Meta) > MaxMetaBytes {
		return fmt.Errorf("%s event's meta is %d bytes, over the contract's %d (LIMIT_META_BYTES): keep less in it, or send the event without it", kind, len(ev.Meta), MaxMetaBytes)
	}
	return nil
}

// checkID reports what the gateway's store refuses in an ID
// (limits.CheckID, the store's own check): a NUL byte (its keys
// are made of IDs) or more than MaxIDBytes.
func checkID(name, v string) error {
	switch err := limits.CheckID(v); {
	case errors.Is(err, limits.ErrNUL):
		return fmt.Errorf("%s %q holds a NUL byte, which no ID may: escape it", name, v)
	case errors.Is(err, limits.ErrTooLong):
		return fmt.Errorf("%s is %d bytes, over the contract's %d (LIMIT_ID_BYTES): give a shorter one (a hash of the network's, mapped back in the data folder)", name, len(v), MaxIDBytes)
	case err != nil:
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// checkBatch is CheckHistoryBatch for SendHistory, whose batch's events
// have their login and chat filled in already.
func checkBatch(b *pb.HistoryBatch) error {
	if err := CheckHistoryBatch(b); err != nil {
		return fmt.Errorf("%w: %w", errInvalidBatch, err)
	}
	return nil
}

// CheckHistoryBatch reports why the gateway would refuse b, whole or an
// event of it, naming the field and the contract's rule or limit, or
// nil: no login_id or chat_id; no cursor in a batch that is not done; a
// NUL byte or more than MaxIDBytes (LIMIT_ID_BYTES) in those three; an
// event that CheckEvent refuses, or that names another login or chat.
// As the gateway does, an event's empty login_id and chat_id stand for
// the batch's. The gateway acknowledges what it refuses: the plugin
// would never hear. SendHistory refuses such a batch; the conformance
// kit holds the batches of a plugin written without the SDK to the same
// rules.
func CheckHistoryBatch(b *pb.HistoryBatch) error {
	if b.LoginId == "" || b.ChatId == "" {
		return errors.New("a history batch needs its login_id and chat_id")
	}
	if b.Cursor == "" && !b.Done {
		return errors.New("a history batch that is not done needs its cursor: where the next batch starts")
	}
	for _, id := range [...]struct{ name, v string }{{"login_id", b.LoginId}, {"chat_id", b.ChatId}, {"cursor", b.Cursor}} {
		if err := checkID(id.name, id.v); err != nil {
			return fmt.Errorf("a history batch's %w", err)
		}
	}
	for i, ev := range b.Events {
		if (ev.LoginId != "" && ev.LoginId != b.LoginId) || (ev.ChatId != "" && ev.ChatId != b.ChatId) {
			return fmt.Errorf("a history batch of chat %q (login %q) holds event %d of chat %q (login %q): a batch is one chat's", b.ChatId, b.LoginId, i, ev.ChatId, ev.LoginId)
		}
		if ev.LoginId == "" || ev.ChatId == "" {
			// The gateway fills them in from the batch before its checks.
			ev = proto.CloneOf(ev)
			ev.LoginId, ev.ChatId = b.LoginId, b.ChatId
		}
		if err := CheckEvent(ev); err != nil {
			return fmt.Errorf("a history batch's event %d (event_id %q): %w", i, ev.EventId, err)
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
