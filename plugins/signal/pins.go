package signal

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"time"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Pinned messages (signal-cli 0.14.0 and later): a pin or an unpin is a
// data message of its own (JsonPinMessage, JsonUnpinMessage), naming the
// message by its author and timestamp; the user's own, made on the
// phone, come as a sync message's sent message. Each is a notice of the
// chat from whoever pinned, replying to the message pinned.

// pinMessage pins the message of TargetSentTimestamp (JsonPinMessage)
// for PinDurationSeconds (-1 forever, 0 unspecified, else seconds). The
// duration is not shown, and the pin's end comes as no message: the
// pin is only left out of the chat's pins (pinnedIn) once it ran out.
type pinMessage struct {
	TargetSentTimestamp int64  `json:"targetSentTimestamp"`
	TargetAuthorNumber  string `json:"targetAuthorNumber"`
	TargetAuthorUUID    string `json:"targetAuthorUuid"`
	PinDurationSeconds  int64  `json:"pinDurationSeconds"`
}

// unpinMessage takes the pin off the message of TargetSentTimestamp
// (JsonUnpinMessage).
type unpinMessage struct {
	TargetSentTimestamp int64  `json:"targetSentTimestamp"`
	TargetAuthorNumber  string `json:"targetAuthorNumber"`
	TargetAuthorUUID    string `json:"targetAuthorUuid"`
}

// pinNotice is the notice of the pin (or unpin) of the message at target
// by sender in chat, made at ts: the pin's own timestamp is its event
// ID, so that a replay is dropped.
func (s *Session) pinNotice(ctx context.Context, chat string, sender *pb.Sender, ts int64, target string, unpin bool) {
	s.emit(ctx, &pb.Event{ChatId: chat, ChatType: chatType(chat), Sender: sender, TimestampUnixMicro: ts * 1000, EventId: s.idFor(ts, sender.UserId),
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: mediatext.PinText(unpin), ReplyToId: target}}}, true)
}

var _ sdk.Pinner = (*Session)(nil)

// pinForever is sendPinMessage's pinDuration for a pin without end, as
// Signal's apps offer by default: signal-cli's argparse default, which
// JSON-RPC does not apply (a missing one fails there).
const pinForever = -1

// Pin pins the message for everyone in the chat, or unpins it, by
// signal-cli's sendPinMessage or sendUnpinMessage (0.14.0 and later),
// naming it by its author and timestamp. signal-cli checks no group
// permission for it. It does not echo the pin to the gateway's device:
// the notice is emitted here, as for a pin made on the phone.
func (s *Session) Pin(ctx context.Context, c sdk.Call, pin *pb.Pin) error {
	p, err := s.target(c.ChatID)
	if err != nil {
		return err
	}
	ts, author, err := s.msgRef(pin.TargetId, pin.TargetMeta)
	if err != nil {
		return err
	}
	if author == "" {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "the author of message %s is not known: Signal cannot name it", pin.TargetId)
	}
	if err := s.refuseNotice(ts, author, "pinned"); err != nil {
		return err
	}
	p["targetAuthor"], p["targetTimestamp"] = author, ts
	method, what := "sendPinMessage", "could not pin the message"
	if pin.Unpin {
		method, what = "sendUnpinMessage", "could not unpin the message"
	} else {
		p["pinDuration"] = pinForever
	}
	res, err := s.send(ctx, c, what, method, p)
	if se, ok := errors.AsType[*sdk.Error](err); ok && se.Code == pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		return sdk.Errorf(se.Code, "%s (pinning needs signal-cli 0.14.0 or later; pin it on your phone)", se.Text)
	}
	if err != nil {
		return err
	}
	who := s.who(author)
	if pin.Unpin {
		s.pins.unpin(c.ChatID, s.chats.original(ts, who...), who...)
	} else {
		s.pins.pin(c.ChatID, s.chats.original(ts, who...), res.Timestamp, pinForever, who...)
	}
	s.pinNotice(ctx, c.ChatID, &pb.Sender{UserId: s.selfID(), IsFromMe: true}, res.Timestamp, pin.TargetId, pin.Unpin)
	if pin.Unpin {
		s.tellPartly(ctx, c.ChatID, res, "your unpinning of a message")
	} else {
		s.tellPartly(ctx, c.ChatID, res, "your pin")
	}
	return nil
}

// Signal keeps no list of a chat's pins that signal-cli would give: the
// plugin keeps the pins it saw (pinMessage, unpinMessage, the user's
// own from the phone) and made (Pin), per chat, for ChatInfo's
// pinned_ids ("/pins"), in the login's folder (a tsMap, tsmap.go) so
// that a restart loses none. A pin is keyed by the message pinned (its
// original, for an edited one): a pin again of a message pinned moves it
// to the newest, and a pin that ran out is left out, then dropped.

// pinnedFile is the pins' file in the login's folder.
const pinnedFile = "pinned.jsonl"

// maxPinned bounds the pins kept, all chats together: past it, the
// oldest is forgotten. A variable for the tests.
var maxPinned = 10000

// pinned is one line of the file: the message of timestamp TS by Author
// (its user ID; "" in lines from before it was kept) pinned in Chat at
// At (Unix ms) until Until (Unix ms, 0: for ever); Gone is an unpin.
type pinned struct {
	TS     int64  `json:"t"`
	Author string `json:"a,omitempty"`
	Chat   string `json:"c"`
	At     int64  `json:"p"`
	Until  int64  `json:"u,omitempty"`
	Gone   bool   `json:"g,omitempty"`
}

// pinList is the pins of all chats, oldest pin first.
type pinList struct{ m *tsMap[pinned] }

// loadPins reads the pins of the login folder dir ("": memory only); a
// damaged file is logged and repaired, keeping its good lines, and the
// pins that ran out are dropped.
func loadPins(dir string, log *slog.Logger) *pinList {
	return &pinList{loadTSMap(dir, log, tsKind[pinned]{
		file: pinnedFile, what: "list of pinned messages",
		lost: "after a restart, /pins may miss a pin or show one taken off",
		max:  maxPinned,
		// Pruned by their end: an age of 0 keeps those that end later
		// than now, and those without end.
		key: func(e pinned) tsKey { return tsKey{e.TS, e.Author} },
		stamp: func(e pinned) int64 {
			if e.Until == 0 {
				return math.MaxInt64
			}
			return e.Until
		},
		valid: func(e pinned) bool { return e.Chat != "" && e.At > 0 && e.Until >= 0 },
		gone:  func(e pinned) bool { return e.Gone },
		// A pin or unpin replaces the pin kept before authors were.
		supersede: true,
	})}
}

// authorOf is the author under which the pin of the message of
// timestamp ts by who (the author's forms, the user ID first) is kept:
// as noted before, else who's user ID; "" for a removal of a pin kept
// without author.
func (l *pinList) authorOf(ts int64, unpin bool, who []string) string {
	old, ok := l.m.get(ts, who...)
	switch {
	case ok && (old.Author != "" || unpin):
		return old.Author
	case len(who) > 0:
		return who[0]
	}
	return ""
}

// pin records the pin of the message of timestamp ts by who (the
// author's forms, the user ID first) in chat, made at at (Unix ms) for
// secs seconds (pinForever, or 0 unspecified: no end), on disk before
// it returns.
func (l *pinList) pin(chat string, ts, at, secs int64, who ...string) {
	if ts <= 0 || chat == "" {
		return
	}
	if at <= 0 {
		at = time.Now().UnixMilli()
	}
	e := pinned{TS: ts, Author: l.authorOf(ts, false, who), Chat: chat, At: at}
	if secs > 0 && secs < (math.MaxInt64-at)/1000 {
		e.Until = at + secs*1000
	} // else for ever, or past any end a clock reaches
	now := time.Now().UnixMilli()
	l.m.put(e, func(old pinned, known bool) bool {
		// The same pin again changes nothing; nor does a pin naming the
		// message of another chat (a message is in one chat: such a pin
		// is forged), which would take that pin away.
		return known && (old == e || old.Chat != chat && (old.Until == 0 || old.Until > now))
	})
}

// unpin records that the message of timestamp ts by who in chat is
// pinned no more; a pin of another chat's message stays.
func (l *pinList) unpin(chat string, ts int64, who ...string) {
	e := pinned{TS: ts, Author: l.authorOf(ts, true, who), Chat: chat, At: time.Now().UnixMilli(), Gone: true}
	l.m.put(e, func(old pinned, known bool) bool { return !known || old.Chat != chat })
}

// pinnedIn is the pins of chat now, oldest pin first.
func (l *pinList) pinnedIn(chat string) []pinned {
	now := time.Now().UnixMilli()
	var pins []pinned
	l.m.each(func(e pinned) {
		if e.Chat == chat && (e.Until == 0 || e.Until > now) {
			pins = append(pins, e)
		}
	})
	return pins
}

// pinnedIDs is the IDs of the messages pinned in chat now, oldest pin
// first.
func (s *Session) pinnedIDs(chat string) []string {
	var ids []string
	for _, p := range s.pins.pinnedIn(chat) {
		if p.Author == "" {
			ids = append(ids, s.idAt(p.TS)) // a pin kept before authors were
		} else {
			ids = append(ids, s.idFor(p.TS, p.Author))
		}
	}
	return ids
}

// moved keeps the pins of a direct chat under its new ID: a contact
// known by ACI alone whose number became known, or a new number of the
// same person (the identity move, after which the gateway asks for the
// chat by its new ID). Their order among themselves is kept.
func (l *pinList) moved(oldChat, newChat string) {
	if oldChat == "" || newChat == "" || oldChat == newChat {
		return
	}
	var pins []pinned
	l.m.each(func(e pinned) {
		if e.Chat == oldChat {
			pins = append(pins, e)
		}
	})
	for _, e := range pins {
		e.Chat = newChat
		l.m.put(e, func(old pinned, known bool) bool { return known && old == e })
	}
}
