package whatsapp

import (
	"cmp"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types/events"

	"passerelle.im/passerelle/plugins/sdk"
)

// Which messages are pinned now. WhatsApp keeps no list of a chat's pins
// to ask for: each device keeps what the pins and unpins it saw say. So
// does the plugin (ChatInfo's pinned_ids, for "/pins"): the pins
// received (anyone's, the user's from the phone, in history too) and the
// user's own from XMPP, per chat, in the login's folder, each with when
// it runs out (a pin lasts as long as it says: 24 hours, 7 days or 30
// days).

// pinsFile keeps each chat's pins, by the contract's chat ID.
const pinsFile = "pins.json"

// pinsShown is how many pins a chat holds at most: WhatsApp's apps keep
// three, a fourth replacing the oldest (WhatsApp's help pages; no unpin
// of the oldest is known to be sent for it, so the plugin unpins it
// itself).
const pinsShown = 3

// pinLongest is the longest a pin lasts (WhatsApp's apps offer 24 hours,
// 7 days and 30 days): past it after its time, what the plugin keeps of
// a pin or an unpin is of no more use, since anything older it could
// outdate has run out too.
const pinLongest = 30 * 24 * time.Hour

// pinMarksKept is how many marks of messages not pinned now (unpinned,
// pushed out, run out) a chat keeps, the newest: enough to order the
// pins and unpins that come late (history, offline) against them, while
// a contact or a busy group unpinning without end (messages never
// pinned too) grows neither the file nor the time to write it, on the
// path of every incoming event. The older ones go, the chat's floor
// rising to the oldest kept.
const pinMarksKept = 16

// pinMarksAll bounds those marks (floors included) over all chats:
// past it, the oldest go outright (a pin delivered late and older than
// one of them may then come back).
const pinMarksAll = 1024

// pinFloor is the key of a chat's floor among its marks: a pin or unpin
// of a message the chat keeps no mark of, made before it, may be outdone
// by a mark forgotten (pinMarksKept) and changes nothing. No message has
// an empty ID (note takes none).
const pinFloor = ""

// pinMark is the last pin or unpin of a message seen.
type pinMark struct {
	// At is when it was made (unix ms; the pinning device's time, else
	// the message's): an older one delivered late (history, offline)
	// does not replace it.
	At int64 `json:"at"`
	// Until is when the pin runs out (unix ms); 0 for an unpin.
	Until int64 `json:"until,omitempty"`
}

// pinStore is the chats' pins, kept in the login folder (in memory only
// without one): chat ID, then the pinned message's ID.
type pinStore struct {
	path string
	log  *slog.Logger // a damaged file's line (sdk.LoadStateFile)

	mu     sync.Mutex
	loaded bool
	chats  map[string]map[string]pinMark
}

func newPinStore(loginDir string, log *slog.Logger) *pinStore {
	p := &pinStore{log: log}
	if loginDir != "" {
		p.path = filepath.Join(loginDir, pinsFile)
	}
	return p
}

func (p *pinStore) loadLocked() {
	if p.loaded {
		return
	}
	p.loaded, p.chats = true, map[string]map[string]pinMark{}
	p.chats, _ = sdk.LoadStateFile[map[string]map[string]pinMark](p.path, "the pins kept are not listed nor run out", p.log)
	if p.chats == nil {
		p.chats = map[string]map[string]pinMark{}
	}
}

// note keeps a pin (for secs seconds) or an unpin (unpin true) of
// target in chatID made at at, unless one made later is known; it
// forgets what is of no more use (pinLongest) on the way, and writes the
// file when anything changed.
func (p *pinStore) note(chatID, target string, at time.Time, secs uint32, unpin bool, now time.Time) error {
	if chatID == "" || target == "" {
		return nil
	}
	if at.After(now) {
		// Made by a clock ahead (or a hostile one): as made now, lest it
		// outdo every unpin until then and outlive pinLongest.
		at = now
	}
	m := pinMark{At: at.UnixMilli()}
	if !unpin {
		// No longer than the apps offer: a longer claim would stay
		// listed past the prune of everything it could outdate.
		m.Until = at.Add(min(time.Duration(secs)*time.Second, pinLongest)).UnixMilli()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.loadLocked()
	changed := p.pruneLocked(now)
	pins := p.chats[chatID]
	cur, ok := pins[target]
	switch {
	case ok && (m.At < cur.At || m == cur):
		// A later one known, or this one again.
	case !ok && m.At < max(pins[pinFloor].At, now.Add(-pinLongest).UnixMilli()):
		// Older than what the chat keeps: possibly outdone by a mark
		// forgotten, else run out (pruneLocked would forget it).
	default:
		if pins == nil {
			pins = map[string]pinMark{}
			p.chats[chatID] = pins
		}
		pins[target], changed = m, true
		if !unpin {
			evictLocked(pins, now)
		}
		p.boundLocked(chatID, now)
	}
	if !changed {
		return nil
	}
	return p.saveLocked()
}

// boundLocked keeps of chatID's messages not pinned at now the
// pinMarksKept newest marks, the floor rising to the oldest of them, and
// of all chats' the pinMarksAll newest.
func (p *pinStore) boundLocked(chatID string, now time.Time) {
	pins := p.chats[chatID]
	past := pastMarks(pins, now)
	if len(past) > pinMarksKept {
		slices.SortFunc(past, func(a, b livePin) int { return cmp.Or(cmp.Compare(b.at, a.at), cmp.Compare(a.id, b.id)) })
		for _, l := range past[pinMarksKept:] {
			delete(pins, l.id)
		}
		// The oldest kept, not the newest forgotten: an unpin older than
		// what is kept then changes nothing, and is not written.
		if floor := past[pinMarksKept-1].at; floor > pins[pinFloor].At {
			pins[pinFloor] = pinMark{At: floor}
		}
	}

	type chatMark struct {
		chat, id string
		at       int64
	}
	var all []chatMark
	for chat, pins := range p.chats {
		for id, m := range pins {
			if m.Until <= now.UnixMilli() {
				all = append(all, chatMark{chat, id, m.At})
			}
		}
	}
	if len(all) <= pinMarksAll {
		return
	}
	slices.SortFunc(all, func(a, b chatMark) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.chat, b.chat), cmp.Compare(a.id, b.id))
	})
	for _, m := range all[:len(all)-pinMarksAll] {
		delete(p.chats[m.chat], m.id)
		if len(p.chats[m.chat]) == 0 {
			delete(p.chats, m.chat)
		}
	}
}

// pastMarks is the marks of a chat's messages not pinned at now (the
// floor aside), in no order.
func pastMarks(pins map[string]pinMark, now time.Time) []livePin {
	var past []livePin
	for id, m := range pins {
		if id != pinFloor && m.Until <= now.UnixMilli() {
			past = append(past, livePin{id, m.At})
		}
	}
	return past
}

// evictLocked unpins the oldest pins of a chat past pinsShown, as
// WhatsApp's apps do when a new pin comes: kept as unpinned, so that
// another later (or the same pin again) does not bring them back.
func evictLocked(pins map[string]pinMark, now time.Time) {
	live := livePins(pins, now)
	for _, l := range live[:max(0, len(live)-pinsShown)] {
		pins[l.id] = pinMark{At: l.at}
	}
}

// livePin is a message pinned and when (pastMarks: a message's last
// mark, not pinned, and when it was made).
type livePin struct {
	id string
	at int64
}

// livePins is the messages pinned at now, oldest pin first.
func livePins(pins map[string]pinMark, now time.Time) []livePin {
	var live []livePin
	for id, m := range pins {
		if m.Until > now.UnixMilli() {
			live = append(live, livePin{id, m.At})
		}
	}
	slices.SortFunc(live, func(a, b livePin) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.id, b.id)) })
	return live
}

// pruneLocked forgets the marks past use: a pin run out and an unpin,
// once pinLongest has passed since it was made. It says whether any
// was.
func (p *pinStore) pruneLocked(now time.Time) bool {
	limit := now.Add(-pinLongest).UnixMilli()
	changed := false
	for chat, pins := range p.chats {
		for id, m := range pins {
			if m.At < limit && m.Until <= now.UnixMilli() {
				delete(pins, id)
				changed = true
			}
		}
		if len(pins) == 0 {
			delete(p.chats, chat)
			changed = true
		}
	}
	return changed
}

// pinned is the messages pinned in chatID at now, oldest pin first.
func (p *pinStore) pinned(chatID string, now time.Time) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.loadLocked()
	live := livePins(p.chats[chatID], now)
	out := make([]string, 0, len(live))
	for _, l := range live {
		out = append(out, l.id)
	}
	return out
}

// retracted unpins a message deleted for everyone (the apps' pin goes
// with it), whatever the times say: a deleted message is pinned no more.
// A message not pinned changes nothing, and nothing is written for it.
func (p *pinStore) retracted(chatID, target string, at time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.loadLocked()
	cur, ok := p.chats[chatID][target]
	if !ok || cur.Until == 0 {
		return nil
	}
	p.chats[chatID][target] = pinMark{At: max(cur.At, at.UnixMilli())}
	p.boundLocked(chatID, now())
	return p.saveLocked()
}

// moved keeps a LID chat's pins under its phone number's chat ID, the
// later mark of a message winning (the later floor too), the oldest pins
// past pinsShown of the two chats pushed out.
func (p *pinStore) moved(oldID, newID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.loadLocked()
	old, ok := p.chats[oldID]
	if !ok {
		return nil
	}
	delete(p.chats, oldID)
	pins := p.chats[newID]
	if pins == nil {
		pins = map[string]pinMark{}
		p.chats[newID] = pins
	}
	for id, m := range old {
		if cur, has := pins[id]; !has || m.At > cur.At {
			pins[id] = m
		}
	}
	evictLocked(pins, now()) // one chat: three pins at most, as any
	p.boundLocked(newID, now())
	return p.saveLocked()
}

func (p *pinStore) saveLocked() error {
	if p.path == "" {
		return nil
	}
	b, err := json.Marshal(p.chats)
	if err != nil {
		return err
	}
	// Synced, file and folder: a rename alone may leave an empty file
	// after the machine's crash, and a damaged file loses every pin.
	return sdk.WriteFileDurably(p.path, b)
}

// pinChange is a pin or unpin a message (live or of history) makes: the
// message it names, whether it unpins, when it was made and for how long
// a pin lasts. ok false for a message that is none, of a kind not known,
// or naming no message.
func pinChange(evt *events.Message) (target string, unpin bool, at time.Time, secs uint32, ok bool) {
	var typ waE2E.PinInChatMessage_Type
	var ms int64
	if p := evt.Message.GetPinInChatMessage(); p != nil {
		target, typ, ms = p.GetKey().GetID(), p.GetType(), p.GetSenderTimestampMS()
		secs = evt.Message.GetMessageContextInfo().GetMessageAddOnDurationInSecs()
		if secs == 0 {
			// The length beside a pin sent from another device, should
			// the wrapping message carry it.
			secs = evt.RawMessage.GetMessageContextInfo().GetMessageAddOnDurationInSecs()
		}
	} else if web := evt.SourceWebMsg; evt.Message == nil && web.GetMessageStubType() == waWeb.WebMessageInfo_PINNED_MESSAGE_IN_CHAT {
		p := web.GetPinInChat()
		target, ms = p.GetKey().GetID(), p.GetSenderTimestampMS()
		secs = p.GetMessageAddOnContextInfo().GetMessageAddOnDurationInSecs()
		switch p.GetType() {
		case waWeb.PinInChat_PIN_FOR_ALL:
			typ = waE2E.PinInChatMessage_PIN_FOR_ALL
		case waWeb.PinInChat_UNPIN_FOR_ALL:
			typ = waE2E.PinInChatMessage_UNPIN_FOR_ALL
		}
	} else {
		return "", false, time.Time{}, 0, false
	}
	switch typ {
	case waE2E.PinInChatMessage_PIN_FOR_ALL:
	case waE2E.PinInChatMessage_UNPIN_FOR_ALL:
		unpin = true
	default:
		return "", false, time.Time{}, 0, false
	}
	if target == "" {
		return "", false, time.Time{}, 0, false
	}
	at = evt.Info.Timestamp
	if ms > 0 {
		at = time.UnixMilli(ms)
	}
	if secs == 0 {
		secs = pinSeconds // none said: the apps' default
	}
	return target, unpin, at, secs, true
}

// notePin keeps the pin or unpin evt makes in chatID, if any; a failure
// to write it is logged ("/pins" may then miss it after a restart).
func (s *Session) notePin(chatID string, evt *events.Message) {
	target, unpin, at, secs, ok := pinChange(evt)
	if !ok {
		return
	}
	s.keepPin(chatID, target, at, secs, unpin)
}

// keepPin keeps a pin or unpin of target in chatID; a failure to write
// it is logged.
func (s *Session) keepPin(chatID, target string, at time.Time, secs uint32, unpin bool) {
	if err := s.pins.note(chatID, target, at, secs, unpin, now()); err != nil {
		s.log.Warn("pin not kept", "chat", chatID, "target", target, "err", err)
	}
}

// dropPin unpins a message deleted for everyone, if pinned; a failure
// to write it is logged.
func (s *Session) dropPin(chatID, target string, at time.Time) {
	if err := s.pins.retracted(chatID, target, at); err != nil {
		s.log.Warn("pin of a deleted message not dropped", "chat", chatID, "target", target, "err", err)
	}
}
