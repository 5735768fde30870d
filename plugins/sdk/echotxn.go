package sdk

import (
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// sentTxnTTL is how long a send's txn_id is kept for the network's echo
// of the message: networks echo at once, or soon after a reconnection.
const sentTxnTTL = 5 * time.Minute

// sentTxnSize bounds the sends kept for their echo.
const sentTxnSize = 4096

// sentKey names a message the user sent: login, chat and the network's
// message ID from the send's result.
type sentKey struct{ login, chat, id string }

type sentTxn struct {
	key sentKey
	txn string
	at  time.Time
}

// sentTxns remembers, for a short while, the txn_id of each send the
// network gave a message ID, so that the echo of that message (an
// outgoing MessageEvent under that ID) carries the txn_id the contract
// asks for when the plugin did not set it: the gateway then knows it for
// the user's own message, even before the send's result reaches it.
type sentTxns struct {
	mu    sync.Mutex
	m     map[sentKey]sentTxn
	order []sentTxn // oldest first
	now   func() time.Time
}

// add remembers txn for the message k names.
func (s *sentTxns) add(k sentKey, txn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	s.pruneLocked(now)
	if s.m == nil {
		s.m = map[sentKey]sentTxn{}
	}
	e := sentTxn{k, txn, now}
	s.m[k] = e
	s.order = append(s.order, e)
	if len(s.order) > sentTxnSize {
		s.dropOldestLocked()
	}
}

// stamp sets ev's txn_id when ev is the user's own new message under
// the ID a recent send was answered with, and the plugin left it unset.
func (s *sentTxns) stamp(ev *pb.Event) {
	if ev.TxnId != "" || ev.EventId == "" || ev.GetMessage() == nil || !ev.GetSender().GetIsFromMe() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(s.clock())
	if e, ok := s.m[sentKey{ev.LoginId, ev.ChatId, ev.EventId}]; ok {
		ev.TxnId = e.txn
	}
}

func (s *sentTxns) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// pruneLocked forgets the sends older than sentTxnTTL.
func (s *sentTxns) pruneLocked(now time.Time) {
	for len(s.order) > 0 && now.Sub(s.order[0].at) > sentTxnTTL {
		s.dropOldestLocked()
	}
}

func (s *sentTxns) dropOldestLocked() {
	e := s.order[0]
	if cur, ok := s.m[e.key]; ok && cur == e { // not a later send under the same ID
		delete(s.m, e.key)
	}
	s.order[0] = sentTxn{}
	s.order = s.order[1:]
}
