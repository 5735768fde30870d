package telegram

import (
	"slices"
	"sync"
)

// askTelling are the requests to join whose notice is on its way to the
// host: told in memory (a read meanwhile does not tell them again), not
// on disk until the host confirmed the notice. Noted told on disk
// first, a plugin killed before the host had the notice started with
// the request told, and told it never. Not confirmed, a request stays
// untold, and the next read (an update, a connection) tells it, under
// the same event ID. The zero value is ready.
type askTelling struct {
	mu    sync.Mutex
	onWay map[string]bool            // chat+"\x00"+user
	last  map[string]map[string]bool // by chat: those asking as last read
}

// askRead applies a read of who asks to join chat now (ids; nil: none)
// to the requests told, and returns those to tell, sorted, now on their
// way: the caller ends them with askTold.
func (s *Session) askRead(chat string, ids map[string]bool) []string {
	t := &s.askTell
	t.mu.Lock()
	defer t.mu.Unlock()
	told := map[string]bool{}
	var fresh []string
	for id := range ids {
		switch key := chat + "\x00" + id; {
		case s.asks.Told(chat, id):
			told[id] = true
		case !t.onWay[key]:
			if t.onWay == nil {
				t.onWay = map[string]bool{}
			}
			t.onWay[key] = true
			fresh = append(fresh, id)
		}
	}
	if t.last == nil {
		t.last = map[string]map[string]bool{}
	}
	if len(ids) == 0 {
		delete(t.last, chat)
	} else {
		t.last[chat] = ids
	}
	s.asks.Update(chat, told) // forgets those answered; writes none of fresh
	slices.Sort(fresh)
	return fresh
}

// askTold ends the telling of fresh (from askRead): confirmed, each is
// noted told, unless the last read no longer lists it (answered on the
// phone meanwhile); else it stays untold.
func (s *Session) askTold(chat string, fresh []string, confirmed bool) {
	if len(fresh) == 0 {
		return
	}
	t := &s.askTell
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range fresh {
		delete(t.onWay, chat+"\x00"+id)
	}
	if !confirmed {
		return
	}
	keep := map[string]bool{}
	for id := range t.last[chat] {
		if slices.Contains(fresh, id) || s.asks.Told(chat, id) {
			keep[id] = true
		}
	}
	s.asks.Update(chat, keep)
}

// asked reports whether user's request to join chat was told, or is
// on its way: the room may answer it.
func (s *Session) asked(chat, id string) bool {
	t := &s.askTell
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.onWay[chat+"\x00"+id] || s.asks.Told(chat, id)
}

// askAnswered forgets user's request to join chat, answered (or gone),
// also if its notice is still on its way: not noted told at the
// confirmation.
func (s *Session) askAnswered(chat, id string) {
	t := &s.askTell
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.last[chat], id)
	s.asks.Untold(chat, id)
}

// askGone forgets the requests of chat, a group the user is out of.
func (s *Session) askGone(chat string) {
	t := &s.askTell
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.last, chat)
	s.asks.Forget(chat)
}
