package whatsapp

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
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

// identityChanges is the last change said per chat in this run.
type identityChanges struct {
	mu   sync.Mutex
	last map[string]identitySaid
}

type identitySaid struct {
	at       time.Time
	implicit bool
}

// fresh says whether a change of chatID at at is one not said yet, and
// notes it so.
func (c *identityChanges) fresh(chatID string, at time.Time, implicit bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.last[chatID]; ok {
		switch {
		case !implicit && !prev.implicit && at.Equal(prev.at):
			return false // the notification again
		case (implicit || prev.implicit) && at.Before(prev.at.Add(identityQuiet)):
			return false
		}
	}
	if c.last == nil {
		c.last = map[string]identitySaid{}
	}
	c.last[chatID] = identitySaid{at: at, implicit: implicit}
	return true
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
}

// identityEventID is the event ID of the notice of chatID's change at at:
// the same for the same notification (its time is WhatsApp's, to the
// second).
func identityEventID(chatID string, at time.Time) string {
	return "identity-" + strings.TrimPrefix(chatID, "+") + "-" + strconv.FormatInt(at.Unix(), 10)
}
