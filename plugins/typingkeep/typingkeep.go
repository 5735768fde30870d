// Package typingkeep keeps a network's typing notification alive while
// the XMPP user composes. XMPP clients say <composing/> once and nothing
// more until they pause, go active or send; networks whose typing ends
// by silence (Telegram's 6 s, Signal's 15 s, WhatsApp's composing
// presence) need it said again, or the contact sees the user stop
// typing after a few seconds.
package typingkeep

import (
	"context"
	"sync"
	"time"
)

// Keeper says typing again to each chat the user composes in, every
// Every, until Stop, StopAll, a failed repeat, or Max after the user
// last said composing (XEP-0085's clients pause after 30 s without
// input; one that went away says nothing more).
type Keeper struct {
	every, max time.Duration
	say        func(ctx context.Context, chat string) error

	// sendMu is held across each repeat's send, and taken by Stop: once
	// Stop returns, no repeat goes to the chat, so none follows the
	// message or the paused that Stop came before.
	sendMu sync.Mutex
	mu     sync.Mutex
	chats  map[string]*repeat
}

// repeat is one chat's timer, and when the user last said composing.
type repeat struct {
	timer *time.Timer
	last  time.Time
}

// sayTimeout bounds a repeat's send (and so how long Stop may wait for
// one): a typing notification later than that is no use.
const sayTimeout = 5 * time.Second

// New is a Keeper that calls say (within sayTimeout) to repeat the
// typing of a chat. say must not wait for anything its caller holds
// while calling Stop or StopAll.
func New(every, max time.Duration, say func(ctx context.Context, chat string) error) *Keeper {
	return &Keeper{every: every, max: max, say: say, chats: map[string]*repeat{}}
}

// Composing notes that the user said composing in chat, just told to
// the network: the repeats start, or go on for Max from now.
func (k *Keeper) Composing(chat string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if r, ok := k.chats[chat]; ok {
		r.last = time.Now()
		return
	}
	r := &repeat{last: time.Now()}
	r.timer = time.AfterFunc(k.every, func() { k.fire(chat, r) })
	k.chats[chat] = r
}

// fire repeats chat's typing, unless r was stopped or Max passed.
func (k *Keeper) fire(chat string, r *repeat) {
	k.sendMu.Lock()
	defer k.sendMu.Unlock()
	k.mu.Lock()
	if k.chats[chat] != r {
		k.mu.Unlock()
		return
	}
	if time.Since(r.last) >= k.max {
		delete(k.chats, chat)
		k.mu.Unlock()
		return
	}
	k.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), sayTimeout)
	err := k.say(ctx, chat)
	cancel()
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.chats[chat] != r {
		return
	}
	if err != nil {
		delete(k.chats, chat) // the chat or the connection is gone
		return
	}
	r.timer.Reset(k.every)
}

// Stop ends chat's repeats: the user paused, went active or away, sent
// a message there, or left the chat. It waits for a repeat under way.
func (k *Keeper) Stop(chat string) {
	k.sendMu.Lock()
	defer k.sendMu.Unlock()
	k.mu.Lock()
	defer k.mu.Unlock()
	if r, ok := k.chats[chat]; ok {
		r.timer.Stop()
		delete(k.chats, chat)
	}
}

// StopAll ends every chat's repeats: the login went away.
func (k *Keeper) StopAll() {
	k.sendMu.Lock()
	defer k.sendMu.Unlock()
	k.mu.Lock()
	defer k.mu.Unlock()
	for chat, r := range k.chats {
		r.timer.Stop()
		delete(k.chats, chat)
	}
}

// Repeating is how many chats have repeats going.
func (k *Keeper) Repeating() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.chats)
}

// Lazy is a Keeper made at its first use, as a plugin's session is
// made before it can say anything. Every, when set, is the pace instead
// of the one Get is given (tests shorten it).
type Lazy struct {
	once  sync.Once
	k     *Keeper
	Every time.Duration
}

// Get is the Keeper, made with New(every, max, say) the first time.
func (l *Lazy) Get(every, max time.Duration, say func(ctx context.Context, chat string) error) *Keeper {
	l.once.Do(func() {
		if l.Every > 0 {
			every = l.Every
		}
		l.k = New(every, max, say)
	})
	return l.k
}

// Set tells the network the user's chat state in chat (tell) and keeps
// a composing alive: any other state ends the repeats before it is told,
// so none follows it; a composing told starts them, or goes on with them.
func (k *Keeper) Set(ctx context.Context, chat string, composing bool, tell func(context.Context) error) error {
	if !composing {
		k.Stop(chat)
	}
	if err := tell(ctx); err != nil {
		return err
	}
	if composing {
		k.Composing(chat)
	}
	return nil
}
