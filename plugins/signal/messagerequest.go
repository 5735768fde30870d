package signal

import (
	"context"
	"strings"
)

// A message from someone the user never wrote to, nor has in their
// address book, nor accepted on the phone is a message request on
// Signal: the apps show it for the user to accept, and until then tell
// its sender nothing of the user (Signal: "they won't know you've seen
// their message until you accept"): no read receipt, no typing. A
// direct chat whose other one is such is told the same way here: a
// mark read sends them no receipt, and typing is not sent. The user
// accepts by writing to them (signal-cli then shares the user's profile
// with them, its profileSharing) or on the phone (signal-cli applies
// the phone's answer): what follows is told as in any chat. Before, a
// stranger's message marked read told them so, as no Signal app does.

// accepted reports whether the contact is no message request: in the
// address book (name), written to or accepted (profileSharing), or from
// a signal-cli that does not say (before profileSharing was listed).
func (c contactEntry) accepted() bool {
	return c.Name != "" || c.ProfileSharing == nil || *c.ProfileSharing
}

// requestPending reports whether chatID is a direct chat whose other
// one's message request the user has not accepted, as signal-cli says
// now; false when it cannot be read (as before: receipts and typing
// go). An accepted chat is remembered for the session: acceptance is
// not taken back.
func (s *Session) requestPending(ctx context.Context, chatID string) bool {
	if groupIDOf(chatID) != "" || s.isSelfChat(chatID) {
		return false
	}
	s.mu.Lock()
	known := s.acceptedChats[chatID]
	s.mu.Unlock()
	if known {
		return false
	}
	// Not waited for when signal-cli is down, and not long when it
	// hangs: typing is not held (TypingWait), and what follows meets
	// the same trouble.
	ctx, cancel := context.WithTimeout(ctx, TypingWait)
	defer cancel()
	var cs []contactEntry
	if err := s.callRawWaiting(ctx, "could not read the contact", 0, "listContacts",
		map[string]any{"recipient": []string{chatID}, "allRecipients": true}, &cs); err != nil {
		return false
	}
	for _, c := range cs {
		if deref(c.Number) != chatID && !strings.EqualFold(c.UUID, chatID) {
			continue
		}
		if !c.accepted() {
			return true
		}
		s.noteAccepted(chatID)
		return false
	}
	return false
}

// noteAccepted remembers the direct chats of ids as no message requests.
func (s *Session) noteAccepted(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.acceptedChats == nil {
		s.acceptedChats = map[string]bool{}
	}
	for _, id := range ids {
		s.acceptedChats[id] = true
	}
}
