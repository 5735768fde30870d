package whatsapp

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A contact's security code changes when they install WhatsApp again or
// move to a new phone; their chat on the phones then says so. WhatsApp's
// server tells it in an encrypt notification, whatsmeow's IdentityChange
// (which also forgets the contact's keys); whatsmeow sends an implicit
// one when a message comes under a key it does not trust and no
// notification came. The plugin says it in the one-to-one chat, once
// per change: the notification delivered again has the same time, hence
// the same event ID (the gateway drops the repeat after a restart too),
// and an implicit change within identityQuiet of one said is the same.

// identityQuiet is how long after a change said an implicit one (each
// of the contact's devices may bring one), or the notification of a
// change said implicitly, is taken for the same change.
const identityQuiet = time.Hour

// identityChangesFile keeps, in the login's folder, the last change said
// per chat: after a restart, an implicit change right after one said
// before (or the notification again) is still the same change.
const identityChangesFile = "identity-changes.json"

// identityKept is how long a change said is kept: past identityQuiet it
// matters only to the notification delivered again, which the gateway
// drops by its event ID anyway.
const identityKept = 7 * 24 * time.Hour

// identityChanges is the last change said per chat, kept in path ("":
// in memory only).
type identityChanges struct {
	path string
	log  *slog.Logger

	mu     sync.Mutex
	loaded bool
	last   map[string]identitySaid
}

type identitySaid struct {
	At       int64 `json:"at"` // unix ms
	Implicit bool  `json:"implicit,omitempty"`
}

func (c *identityChanges) loadLocked() {
	if c.loaded {
		return
	}
	c.loaded = true
	c.last, _ = sdk.LoadStateFile[map[string]identitySaid](c.path, "a security code change said before may be said again", c.log)
	if c.last == nil {
		c.last = map[string]identitySaid{}
	}
}

// fresh says whether a change of chatID at at is one not said yet, and
// notes it so (in memory: save writes it).
func (c *identityChanges) fresh(chatID string, at time.Time, implicit bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loadLocked()
	if prev, ok := c.last[chatID]; ok {
		prevAt := time.UnixMilli(prev.At)
		switch {
		case !implicit && !prev.Implicit && at.UnixMilli() == prev.At:
			return false // the notification again
		case (implicit || prev.Implicit) && at.Before(prevAt.Add(identityQuiet)):
			return false
		}
	}
	c.last[chatID] = identitySaid{At: at.UnixMilli(), Implicit: implicit}
	return true
}

// save writes the changes said, those older than identityKept (by
// WhatsApp's time) left out.
func (c *identityChanges) save(nowAt time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for chat, said := range c.last {
		if nowAt.Sub(time.UnixMilli(said.At)) > identityKept {
			delete(c.last, chat)
		}
	}
	if c.path == "" {
		return nil
	}
	b, err := json.Marshal(c.last)
	if err != nil {
		return err
	}
	return writeState(c.path, b)
}

// identityChanged says e in its contact's chat; a group's or the user's
// own account's says nothing.
func (s *Session) identityChanged(e *events.IdentityChange) {
	jid := e.JID.ToNonAD()
	if jid.User == "" || (jid.Server != types.DefaultUserServer && jid.Server != types.HiddenUserServer) {
		return
	}
	own := s.ownJID()
	for _, j := range s.sameUser(jid) {
		if j == own || (!own.IsEmpty() && j == s.ids.lidOf(own)) {
			return
		}
	}
	at := e.Timestamp
	if at.IsZero() {
		at = now()
	}
	chatID := chatIDOf(s.ids, jid)
	if !s.codeChanges.fresh(chatID, at, e.Implicit) {
		s.log.Debug("security code change said already", "chat", chatID, "implicit", e.Implicit)
		return
	}
	who := contactName(s.person(context.Background(), jid))
	if who == "" {
		who = chatID
	}
	s.log.Info("a contact's security code changed", "chat", chatID, "implicit", e.Implicit)
	text := "🔒 Your security code with " + who + " changed: they may have installed WhatsApp again or moved to a new phone. " +
		"To check that it is still them, compare the code on your phone (in the chat with them: their name, Encryption)."
	s.emitDurable(&pb.Event{ChatId: chatID, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, Sender: &pb.Sender{UserId: chatID},
		TimestampUnixMicro: at.UnixMicro(), EventId: identityEventID(chatID, at),
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}})
	// Written once the notice is out: a crash in between says it again
	// rather than never.
	if err := s.codeChanges.save(now()); err != nil {
		s.log.Warn("security code change said not kept: after a restart, an implicit one may be said again", "err", err)
	}
}

// identityEventID is the event ID of the notice of chatID's change at at:
// the same for the same notification (its time is WhatsApp's, to the
// second).
func identityEventID(chatID string, at time.Time) string {
	return "identity-" + strings.TrimPrefix(chatID, "+") + "-" + strconv.FormatInt(at.Unix(), 10)
}
