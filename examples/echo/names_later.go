package echo

import (
	"context"
	"strconv"
	"strings"
	"sync"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// NamesMark in a username makes a login whose account is in NamesTogether
// channels from its start, #later-1 and on (NamesLaterSign), listed
// without their members, as IRC channels whose NAMES has not ended. Their
// ChatInfo answers with the members only once all of them are asked at
// the same time (as if their NAMES all ended late, together); one asked
// alone waits until its call's time ends (UNAVAILABLE). A gateway that
// asks them one after another gets none.
const (
	NamesMark     = "+names"
	NamesTogether = 3
)

// namesWait is a NamesMark account's ChatInfo calls waiting for the
// others: released, closed, when NamesTogether wait at once.
type namesWait struct {
	mu      sync.Mutex
	waiting int
	all     chan struct{}
}

// namesChannelsLocked adds a NamesMark account's channels to cs, once.
// Call with n.mu held.
func (s *Session) namesChannelsLocked(cs map[string]*channel) {
	if !strings.Contains(s.loginID, NamesMark) {
		return
	}
	for i := 1; i <= NamesTogether; i++ {
		cs[NamesLaterSign+strconv.Itoa(i)] = &channel{nick: s.loginID}
	}
}

// namesInfo waits, for a ChatInfo of a NamesMark account's channel whose
// members were not told, until NamesTogether such calls wait at once, and
// then marks the channel's members told.
func (s *Session) namesInfo(ctx context.Context, chatID string) error {
	if !strings.Contains(s.loginID, NamesMark) || !strings.HasPrefix(chatID, NamesLaterSign) {
		return nil
	}
	v, _ := s.n.namesWaits.LoadOrStore(s.loginID, &namesWait{all: make(chan struct{})})
	w := v.(*namesWait)
	w.mu.Lock()
	w.waiting++
	if w.waiting == NamesTogether {
		close(w.all)
	}
	w.mu.Unlock()
	select {
	case <-w.all:
	case <-ctx.Done():
		w.mu.Lock()
		w.waiting--
		w.mu.Unlock()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the members of %s did not come: %v", chatID, ctx.Err())
	}
	s.n.mu.Lock()
	if ch := s.channelsLocked()[chatID]; ch != nil {
		ch.named = true
	}
	s.n.mu.Unlock()
	return nil
}
