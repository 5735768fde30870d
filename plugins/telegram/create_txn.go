package telegram

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/sdk"
)

// A group created under a txn ID is made once, even when the plugin dies
// while Telegram makes it. The SDK answers a resend of a txn whose answer
// it journaled, but Telegram's answer and the journal's write are apart:
// a crash between them (or a lost answer: the request failed, yet
// Telegram acted) and the gateway's resend would make a second group.
// So the plugin writes, durably, "creating title T for txn X" before it
// asks, and the group's chat ID once it has it. A resend of X with a
// chat ID recorded gets that chat; with only the intent recorded, the
// group is looked for among the user's chats (messages.getDialogs): a
// basic group of that title the user created since the intent, not
// another txn's. Only when none is found is the group made.

// createsFile keeps the recent groups created under a txn ID, in the
// login's folder.
const createsFile = "creates.json"

// createsMax bounds the records kept, the oldest forgotten first: groups
// are made by hand, and a resend comes within minutes of its command.
const createsMax = 64

// createSkew is how long before the intent's time (the gateway's clock)
// a group's creation date (Telegram's clock) may be and still be the
// group the intent asked for: clocks apart by less than this.
const createSkew = 10 * time.Minute

// createRecord is a group created, or being created, under a txn ID.
type createRecord struct {
	Txn   string `json:"txn"`
	Title string `json:"title"`
	At    int64  `json:"at"`             // when asked, Unix seconds
	Chat  string `json:"chat,omitempty"` // "": not known to be made
}

// createLog is the records of createsFile, read at first use.
type createLog struct {
	mu     sync.Mutex
	path   string       // "": kept in memory only
	log    *slog.Logger // with path
	loaded bool
	recs   []createRecord // oldest first
}

// get is the record of txn.
func (l *createLog) get(txn string) (createRecord, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.loadLocked()
	for _, r := range l.recs {
		if r.Txn == txn {
			return r, true
		}
	}
	return createRecord{}, false
}

// claimed reports whether chat is the group of a txn other than txn.
func (l *createLog) claimed(chat, txn string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.loadLocked()
	for _, r := range l.recs {
		if r.Chat == chat && r.Txn != txn {
			return true
		}
	}
	return false
}

// put records r, replacing the record of its txn, and returns once it
// is on disk.
func (l *createLog) put(r createRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.loadLocked()
	recs := make([]createRecord, 0, len(l.recs)+1)
	for _, o := range l.recs {
		if o.Txn != r.Txn {
			recs = append(recs, o)
		}
	}
	recs = append(recs, r)
	if len(recs) > createsMax {
		recs = recs[len(recs)-createsMax:]
	}
	if l.path != "" {
		if err := sdk.SaveStateFile(l.path, recs); err != nil {
			return fmt.Errorf("telegram: %w", err)
		}
	}
	l.recs = recs
	return nil
}

// loadLocked reads the file once. A damaged file is set aside and
// logged (sdk.LoadStateFile): its records only guard against a second
// group after a crash.
func (l *createLog) loadLocked() {
	if l.loaded {
		return
	}
	l.loaded = true
	l.recs, _ = sdk.LoadStateFile[[]createRecord](l.path, "a resend of a group being created may make it twice", l.log)
}

// createdEarlier is the group an earlier run of rec's txn made, if it
// is among the user's chats: a basic group titled rec.Title that the
// user created since the intent (the first such, should there be more),
// and no other txn's group. "" when there is none.
func (s *Session) createdEarlier(ctx context.Context, api *tg.Client, rec createRecord) (string, error) {
	d, err := s.dialogs(ctx, api)
	if err != nil {
		return "", err
	}
	since := rec.At - int64(createSkew/time.Second)
	var found *tg.Chat
	for _, cc := range d.GetChats() {
		c, ok := cc.(*tg.Chat)
		if !ok || !c.Creator || c.Title != rec.Title || int64(c.Date) < since || s.creates.claimed(chatID(c.ID), rec.Txn) {
			continue
		}
		if found == nil || c.Date < found.Date || c.Date == found.Date && c.ID < found.ID {
			found = c
		}
	}
	if found == nil {
		return "", nil
	}
	return chatID(found.ID), nil
}
