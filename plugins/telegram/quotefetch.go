package telegram

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gotd/td/tg"
)

// A plain reply names only the message it answers. When the plugin has
// not seen that message since it started (sent before the login, or
// forgotten past quoteLimit), it asks Telegram for it, once: the answer
// is kept with the messages seen, so the next reply to it asks nothing,
// and a message Telegram has not (deleted) is kept as known without
// text. The reply waits for the answer, in the handler of the updates of
// its chat (gotd's manager runs one per supergroup or channel and one for
// private chats and basic groups), so the wait is bounded: at most
// quoteFetchTimeout, and after a failure no reply asks for
// quoteFetchPause, its quote left out. A failure never fails the event:
// the reply comes without a quote, as before.

// quoteFetchTimeout bounds the wait for a replied message; a variable
// for the tests.
var quoteFetchTimeout = 3 * time.Second

// quoteFetchPause is how long replies ask nothing after a failed fetch,
// so that a Telegram that does not answer delays one reply, not each.
var quoteFetchPause = 30 * time.Second

// quoteFetches is when fetching replied messages may start again.
type quoteFetches struct {
	mu       sync.Mutex
	resumeAt time.Time
}

// paused reports whether a recent failure holds fetches back.
func (f *quoteFetches) paused(now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return now.Before(f.resumeAt)
}

// failed holds fetches back for quoteFetchPause from now.
func (f *quoteFetches) failed(now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resumeAt = now.Add(quoteFetchPause)
}

// fetchQuoted asks Telegram for message id of chat (messages.getMessages;
// channels.getMessages in a supergroup or channel) and keeps what a reply
// quotes of it. Live replies only: a history page would ask once per
// reply to a message older than the page.
func (s *Session) fetchQuoted(ctx context.Context, chat string, id int) {
	if s.quoteFetch.paused(time.Now()) {
		return
	}
	fctx, cancel := context.WithTimeout(ctx, quoteFetchTimeout)
	defer cancel()
	if err := s.fetchQuotedMsg(fctx, chat, id); err != nil {
		if ctx.Err() != nil {
			return // the session ending, not Telegram failing
		}
		s.quoteFetch.failed(time.Now())
		s.n.log().Warn("telegram: a reply's message not fetched: the reply comes without its quote", "login", s.login.LoginID, "chat", chat, "message", id, "err", err)
	}
}

// fetchQuotedMsg is fetchQuoted's request.
func (s *Session) fetchQuotedMsg(ctx context.Context, chat string, id int) error {
	api, _, err := s.client()
	if err != nil {
		return err
	}
	res, err := s.getMessage(ctx, api, chat, id) // media.go
	if err != nil {
		return fmt.Errorf("telegram: get the replied message: %w", err)
	}
	// Known from now on, whatever the answer: a message Telegram has
	// not in this chat is not asked for again.
	s.quotes.Put(quoteKey(chat, id), quotedMsg{}, quoteLimit)
	mm, ok := res.AsModified()
	if !ok {
		return nil
	}
	s.peers.add(mm.GetUsers(), mm.GetChats())
	for _, mc := range mm.GetMessages() {
		m, ok := mc.(*tg.Message)
		// Message IDs of private chats and basic groups are the
		// account's: the one found must be chat's.
		if !ok || m.ID != id || baseChat(s.messageChat(m, false)) != baseChat(chat) {
			continue
		}
		text, _ := s.messageText(m)
		s.noteQuoted(chat, m, text)
	}
	return nil
}
