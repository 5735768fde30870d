package signal

import (
	"context"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A read receipt Signal refused for a rate limit was only logged (the
// gateway logs MarkRead's error): the mark stayed where it was, and the
// receipts went with the chat's next mark, which may never come (the
// user read the chat to its end). The sender's app showed the messages
// unread. So a mark refused for a rate limit is made again after a
// while, and again, each wait twice the one before, until it goes
// through, a later mark of the chat replaces it, or the session is
// disconnected. It is kept in the login's folder meanwhile
// (pendingreceipts.go): the login's next subscription (after a
// disconnection, signal-cli's restart, the plugin's) makes it again.
// Typing is not retried: a late "typing" says what is no longer so, and
// the next keystroke says it again.

// receiptRetryWait is the wait before a mark a rate limit refused is
// made again; maxReceiptRetryWait bounds the waits that double it.
var (
	receiptRetryWait    = time.Minute
	maxReceiptRetryWait = time.Hour
)

// receiptRetryAfter runs f after wait, as time.AfterFunc: a test runs
// it when it chooses.
var receiptRetryAfter = func(wait time.Duration, f func()) { time.AfterFunc(wait, f) }

// receiptRetries are, by chat, the latest mark under way or waiting to
// be made again: an entry lasts from the mark's start to its end, or to
// its retry's end (through, refused otherwise, replaced by a later
// mark, or the session disconnected). Kept for every chat ever marked,
// they grew with each chat for good. The zero value is ready.
type receiptRetries struct {
	mu  sync.Mutex
	gen map[string]uint64 // each chat's latest mark: an older retry is dropped
	n   uint64
}

// supersede notes a new mark of chat: the retry of an earlier one is
// dropped, the new one sending what it would.
func (r *receiptRetries) supersede(chat string) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gen == nil {
		r.gen = map[string]uint64{}
	}
	r.n++
	r.gen[chat] = r.n
	return r.n
}

// current reports whether gen is still chat's latest mark.
func (r *receiptRetries) current(chat string, gen uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gen[chat] == gen
}

// done ends the mark gen of chat: through, refused for good, or given
// up. A later mark's entry is left.
func (r *receiptRetries) done(chat string, gen uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gen[chat] == gen {
		delete(r.gen, chat)
	}
}

// dropAll ends every mark's retry: the session is disconnected (the
// marks kept in the login's folder are made again at the next
// subscription).
func (r *receiptRetries) dropAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.gen)
}

// has reports whether chat has a mark under way or waiting.
func (r *receiptRetries) has(chat string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.gen[chat]
	return ok
}

// pending is how many chats have a mark under way or to make again.
func (r *receiptRetries) pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.gen)
}

// retryIfRateLimited has the mark m of c (gen, supersede's) made again
// after wait when err is a rate limit, unless the chat was marked again
// since or the session disconnected; else the mark is done with. The
// login's folder keeps the mark while it waits: forgotten once a mark
// of the chat goes through, or once its own retry (retry) fails for
// another reason than signal-cli being unavailable (the next
// subscription makes it again).
func (s *Session) retryIfRateLimited(c sdk.Call, m *pb.MarkRead, err error, gen uint64, wait time.Duration, retry bool) {
	code := sdk.ToProto(err).GetCode()
	current := s.receiptRetries.current(c.ChatID, gen)
	switch {
	case !current:
	case err == nil:
		s.pendingReceipts.remove(c.ChatID)
	case code == pb.ErrorCode_ERROR_CODE_RATE_LIMITED:
		s.pendingReceipts.put(c.ChatID, m)
	case retry && code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE:
		s.pendingReceipts.remove(c.ChatID)
	}
	if code != pb.ErrorCode_ERROR_CODE_RATE_LIMITED || !current {
		s.receiptRetries.done(c.ChatID, gen)
		return
	}
	s.n.host.Logger().Info("signal: read receipts refused for a rate limit; sent again later", "login", s.loginID, "chat", c.ChatID, "wait", wait)
	receiptRetryAfter(wait, func() { s.remark(c, m, gen, wait) })
}

// remark makes the mark m of c (gen) again, unless the chat was marked
// again since or the session disconnected; wait is the one before it.
func (s *Session) remark(c sdk.Call, m *pb.MarkRead, gen uint64, wait time.Duration) {
	if s.client() == nil || !s.receiptRetries.current(c.ChatID, gen) {
		s.receiptRetries.done(c.ChatID, gen)
		return // disconnected, or marked again since
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.markRead(ctx, c, m)
	if err != nil && sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_RATE_LIMITED {
		s.n.host.Logger().Warn("signal: read receipts sent again after a rate limit failed; the chat's next mark sends them", "login", s.loginID, "chat", c.ChatID, "err", err)
	}
	s.retryIfRateLimited(c, m, err, gen, min(2*wait, maxReceiptRetryWait), true)
}

// resumeReceipts makes again, at once, the marks the login's folder
// keeps whose chat has none under way: left by a session before (the
// plugin restarted, the login disconnected), or whose retry found
// signal-cli down. Run once subscribed.
func (s *Session) resumeReceipts() {
	for _, p := range s.pendingReceipts.all() {
		if s.receiptRetries.has(p.Chat) {
			continue
		}
		gen := s.receiptRetries.supersede(p.Chat)
		s.n.host.Logger().Info("signal: read receipts refused for a rate limit before are sent again", "login", s.loginID, "chat", p.Chat)
		s.remark(sdk.Call{ChatID: p.Chat}, &pb.MarkRead{UpToId: p.UpToID, UpToMeta: p.UpToMeta}, gen, receiptRetryWait/2)
	}
}
