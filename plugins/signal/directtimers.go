package signal

import "sync"

// A message sent from XMPP into a direct chat reads the chat's
// disappearing messages timer from signal-cli (chatTimer, send.go), and
// listContacts naming a recipient has signal-cli fetch that recipient's
// profile from Signal's servers whatever its age: one profile request
// to Signal per message sent. The plugin keeps each direct chat's timer
// as last read, and reads it again only when signal-cli may have
// changed it: a message in the chat carrying another timer, or a timer
// update (signal-cli takes the timer from these), the phone's contact
// list synced, or the user setting it (SetChatTimer). signal-cli stays
// the authority: its own rules (the timer's version) decide the value
// read.

// directTimers are the direct chats' timers as last read, in seconds
// (0: off), by chat ID.
type directTimers struct {
	mu sync.Mutex
	m  map[string]int
}

// get is chat's timer, if known.
func (t *directTimers) get(chat string) (int, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	secs, ok := t.m[chat]
	return secs, ok
}

// set records chat's timer as read.
func (t *directTimers) set(chat string, secs int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]int{}
	}
	t.m[chat] = secs
}

// seen takes a message of chat carrying timer secs: a timer other than
// the one known is read again.
func (t *directTimers) seen(chat string, secs int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if known, ok := t.m[chat]; ok && known != secs {
		delete(t.m, chat)
	}
}

// forget drops chat's timer ("": every chat's).
func (t *directTimers) forget(chat string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if chat == "" {
		t.m = nil
		return
	}
	delete(t.m, chat)
}
