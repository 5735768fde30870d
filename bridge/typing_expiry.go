package bridge

import (
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A contact's "composing" that the network ends by silence (Telegram,
// Signal and IRC repeat it while the contact types, and say nothing when
// they stop without sending) would stay shown in the user's client until
// the contact's next message: XMPP clients keep a chat state until
// another comes. The gateway says paused for them once the plugin's
// TypingEvent.timeout_ms (defaultTypingTimeout when 0) passed without a
// repeat, another state or a message from them in that chat.

// defaultTypingTimeout is how long a composing holds when the plugin
// gives no timeout: XEP-0085's own suggestion for going paused.
const defaultTypingTimeout = 30 * time.Second

// typingMax bounds the composing senders watched at once; past it, one
// more stays composing until it says otherwise, as before.
const typingMax = 10000

// typingWatch holds, per (login, chat, sender), the timer that ends a
// composing.
type typingWatch struct {
	mu     sync.Mutex
	m      map[string]*time.Timer
	closed bool
	// timeout overrides every plugin's timeout (tests); 0: none.
	timeout time.Duration
}

// seen notes ev on its way to the user: a composing starts or renews its
// sender's timer, anything else of the sender's ends it. paused is what
// runs when the timer fires, with the event to deliver. ended reports
// that ev, not a composing, ended one still shown.
func (w *typingWatch) seen(ev *pb.Event, paused func(*pb.Event)) (ended bool) {
	from := ev.GetSender()
	if from.GetUserId() == "" || from.GetIsFromMe() {
		return false
	}
	typing := ev.GetTyping()
	if typing == nil && ev.GetMessage() == nil {
		// A read receipt (the contact's open chat shows the user's
		// message), a reaction, a correction, a retraction: done while
		// typing, they end nothing that the client would see ended (a
		// message ends it with <active/>); stopped there, the
		// composing stayed shown.
		return false
	}
	k := refKey(ev.LoginId, ev.ChatId, from.GetUserId())
	composing := typing != nil && typing.State == pb.TypingState_TYPING_STATE_COMPOSING
	w.mu.Lock()
	defer w.mu.Unlock()
	if old := w.m[k]; old != nil {
		// Stop false: it fired, and its paused is on its way.
		ended = old.Stop() && !composing
		delete(w.m, k)
	}
	if !composing || w.closed || len(w.m) >= typingMax {
		return ended
	}
	d := time.Duration(typing.TimeoutMs) * time.Millisecond
	if d <= 0 {
		d = defaultTypingTimeout
	}
	if w.timeout > 0 {
		d = w.timeout
	}
	if w.m == nil {
		w.m = map[string]*time.Timer{}
	}
	end := &pb.Event{LoginId: ev.LoginId, ChatId: ev.ChatId, ChatType: ev.ChatType,
		Sender:  &pb.Sender{UserId: from.GetUserId()},
		Payload: &pb.Event_Typing{Typing: &pb.TypingEvent{State: pb.TypingState_TYPING_STATE_PAUSED}}}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		w.mu.Lock()
		mine := !w.closed && w.m[k] == t
		if mine {
			delete(w.m, k)
		}
		w.mu.Unlock()
		if mine {
			end.TimestampUnixMicro = time.Now().UnixMicro()
			paused(end)
		}
	})
	w.m[k] = t
	return false
}

// stop ends the timers at the transport's stop.
func (w *typingWatch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for _, t := range w.m {
		t.Stop()
	}
	w.m = nil
}

// typingSeen watches ev's sender's composing (above); the paused it ends
// with goes to the chat's worker as a network's event would. It reports
// that ev ends a composing still shown (seen).
func (t *transport) typingSeen(ev *pb.Event) bool {
	return t.typing.seen(ev, func(end *pb.Event) {
		t.push(delivery{xid: t.newID(), ev: end, idx: -1})
	})
}
