package whatsapp

import (
	"encoding/json"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The calls shown, kept in the login's folder (in memory only without
// one): a call ringing when the plugin stops is corrected when its end
// comes after the restart (WhatsApp does not deliver its offer again:
// whatsmeow acknowledged it), and the phone's log of a call shown before
// a restart is still taken for it.

// callsFile keeps the calls ringing and those ended lately.
const callsFile = "calls.json"

// callsMax bounds the calls kept, ringing and ended: the oldest go
// first.
const callsMax = 64

// callRingKept is how long a call is kept ringing without its end (one
// whose end was lost): no call lasts that long.
const callRingKept = 24 * time.Hour

// callEndKept is how long an ended call is kept for the phone's log of
// it: WhatsApp keeps what it could not deliver (the log, sent to the
// linked devices) for 30 days.
const callEndKept = 30 * 24 * time.Hour

// callRec is a call shown (or to show once it ends).
type callRec struct {
	ID string `json:"id"` // WhatsApp's call ID
	// Chat is the contract's chat ID of the call; Aliases the same
	// chat's other IDs (the caller's LID beside their number, or the
	// reverse), under which the phone may log it.
	Chat    string   `json:"chat"`
	Aliases []string `json:"aliases,omitempty"`
	Sender  string   `json:"sender"`
	Video   bool     `json:"video,omitempty"`
	Group   bool     `json:"group,omitempty"`
	At      int64    `json:"at"`              // the offer (unix µs)
	Shown   bool     `json:"shown,omitempty"` // its ringing message was shown
	Answer  int64    `json:"answer,omitempty"`
	End     int64    `json:"end,omitempty"`    // unix ms; 0: ringing
	Logged  bool     `json:"logged,omitempty"` // the phone's log of it was taken
}

// event is the call's ringing message (its payload nil when not shown).
func (r *callRec) event() *pb.Event {
	typ := pb.ChatType_CHAT_TYPE_DIRECT
	if r.Group {
		typ = pb.ChatType_CHAT_TYPE_GROUP
	}
	ev := &pb.Event{ChatId: r.Chat, ChatType: typ, Sender: &pb.Sender{UserId: r.Sender},
		TimestampUnixMicro: r.At, EventId: callEventID(r.ID)}
	if r.Shown {
		ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: mediatext.CallText(r.call(), onPhone)}}
	}
	return ev
}

func (r *callRec) call() mediatext.Call { return mediatext.Call{Video: r.Video, Group: r.Group} }

// inChat says whether the call is in one of the chat IDs.
func (r *callRec) inChat(ids []string) bool {
	return slices.Contains(ids, r.Chat) || slices.ContainsFunc(r.Aliases, func(a string) bool { return slices.Contains(ids, a) })
}

// calls is the calls kept, oldest first.
type calls struct {
	path string       // "": memory only
	log  *slog.Logger // a damaged file's line (sdk.LoadStateFile)

	mu     sync.Mutex
	loaded bool
	recs   []*callRec
}

func newCalls(loginDir string, log *slog.Logger) *calls {
	c := &calls{log: log}
	if loginDir != "" {
		c.path = filepath.Join(loginDir, callsFile)
	}
	return c
}

func (c *calls) loadLocked() {
	if c.loaded {
		return
	}
	c.loaded = true
	c.recs, _ = sdk.LoadStateFile[[]*callRec](c.path, "a call ringing is not corrected at its end", c.log)
	c.recs = slices.DeleteFunc(c.recs, func(r *callRec) bool { return r == nil || r.ID == "" })
}

// saveLocked forgets the calls of no more use, then writes the file.
func (c *calls) saveLocked(now time.Time) error {
	c.recs = slices.DeleteFunc(c.recs, func(r *callRec) bool {
		if r.End != 0 {
			return now.Sub(time.UnixMilli(r.End)) > callEndKept
		}
		return now.Sub(time.UnixMicro(r.At)) > callRingKept
	})
	if len(c.recs) > callsMax {
		c.recs = slices.Delete(c.recs, 0, len(c.recs)-callsMax)
	}
	if c.path == "" {
		return nil
	}
	b, err := json.Marshal(c.recs)
	if err != nil {
		return err
	}
	return writeState(c.path, b)
}

func (c *calls) findLocked(id string) *callRec {
	for _, r := range c.recs {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// known says whether a call is kept (ringing or ended).
func (c *calls) known(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loadLocked()
	return c.findLocked(id) != nil
}

// add keeps a call offered, unless it is known already (its notice and
// its offer, or its offer delivered again).
func (c *calls) add(r *callRec, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loadLocked()
	if c.findLocked(r.ID) != nil {
		return nil
	}
	c.recs = append(c.recs, r)
	return c.saveLocked(now)
}

// accepted notes when a device accepted a ringing call.
func (c *calls) accepted(id string, at, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loadLocked()
	if r := c.findLocked(id); r != nil && r.End == 0 && r.Answer == 0 {
		r.Answer = at.UnixMilli()
		return c.saveLocked(now)
	}
	return nil
}

// ringing is a copy of a call ringing; nil when it is not (unknown, or
// ended already).
func (c *calls) ringing(id string) *callRec {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loadLocked()
	r := c.findLocked(id)
	if r == nil || r.End != 0 {
		return nil
	}
	cp := *r
	return &cp
}

// ended notes a call's end at at.
func (c *calls) ended(id string, at, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loadLocked()
	r := c.findLocked(id)
	if r == nil || r.End != 0 {
		return nil
	}
	r.End = at.UnixMilli()
	return c.saveLocked(now)
}

// logged is the event ID of the call a log in one of chatIDs dated at
// is of: one of its kind (video or not) ringing there, else the ended
// one nearest in time, within callLogSkew; "" when none. The call is
// taken: a second log is another call's.
func (c *calls) logged(chatIDs []string, video bool, at, now time.Time) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loadLocked()
	var best *callRec
	for _, r := range c.recs {
		if r.Logged || r.Video != video || !r.inChat(chatIDs) {
			continue
		}
		if r.End == 0 {
			best = r
			break
		}
		d := at.Sub(time.UnixMilli(r.End)).Abs()
		if d <= callLogSkew && (best == nil || d < at.Sub(time.UnixMilli(best.End)).Abs()) {
			best = r
		}
	}
	if best == nil {
		return "", nil
	}
	best.Logged = true
	return callEventID(best.ID), c.saveLocked(now)
}
