package botmode

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/sync/singleflight"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A chat's auto-delete timer and its pinned message are getChat's
// (message_auto_delete_time; pinned_message, the latest pin only: the Bot
// API lists no others), for ChatInfo's timer and pins. The Bot API tells
// a bot of a pin (pinned_message) and of a timer change
// (message_auto_delete_timer_changed), not of an unpin: what getChat said
// is kept a short while (chatStateTTL), so that ChatInfo, which the
// gateway asks at each change of a room, asks Telegram once for several;
// a pin, an unpin or a timer change the bot makes or sees drops it.

// chatStateTTL is how long getChat's timer and pin stand for a chat.
const chatStateTTL = time.Minute

// chatState is getChat's timer and latest pin of a chat.
type chatState struct {
	at     time.Time
	timer  int // seconds; 0: off
	pinned int // message ID; 0: none
	thread int // the pinned message's topic, in a forum
}

// chatStates are the chats' states, by chat ID, in memory.
type chatStates struct {
	mu sync.Mutex
	m  map[int64]chatState
	// asking is the getChat calls under way, by chat ID: the gateway
	// asks ChatInfo and the chat's picture of a new room at once, and
	// each would otherwise ask Telegram (its rate limit is the bot's).
	asking singleflight.Group
}

// getChat asks Telegram about chat id, once for callers asking at the
// same time, and keeps its timer and pin.
func (s *Session) getChat(ctx context.Context, id int64) (*models.ChatFullInfo, error) {
	v, err, _ := s.states.asking.Do(strconv.FormatInt(id, 10), func() (any, error) {
		info, err := s.bot.GetChat(ctx, &bot.GetChatParams{ChatID: id})
		if err != nil {
			return nil, err
		}
		s.states.note(info)
		return info, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*models.ChatFullInfo), nil
}

// note keeps getChat's answer about a chat, and returns its state.
func (cs *chatStates) note(info *models.ChatFullInfo) chatState {
	st := chatState{at: time.Now(), timer: info.MessageAutoDeleteTime}
	if pm := info.PinnedMessage; pm != nil {
		st.pinned = pm.ID
		if pm.IsTopicMessage {
			st.thread = pm.MessageThreadID
		}
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.m == nil {
		cs.m = map[int64]chatState{}
	}
	cs.m[info.ID] = st
	return st
}

// get is chat id's state, when kept and fresh.
func (cs *chatStates) get(id int64) (chatState, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	st, ok := cs.m[id]
	if !ok || time.Since(st.at) > chatStateTTL {
		return chatState{}, false
	}
	return st, true
}

// drop forgets chat id's state: its next ChatInfo asks getChat.
func (cs *chatStates) drop(id int64) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.m, id)
}

// withState adds chat id's timer and pin to out, ChatInfo's answer for
// it (thread: a forum topic's room, whose pin is the chat's latest only
// when in that topic). A getChat that fails leaves them unsaid (not
// known), in the log.
func (s *Session) withState(ctx context.Context, out *pb.Chat, id int64, thread int) *pb.Chat {
	st, ok := s.states.get(id)
	if !ok {
		if s.bot == nil {
			return out
		}
		if _, err := s.getChat(ctx, id); err != nil {
			s.log.Info("telegram bot: a chat's timer and pin could not be looked up", "chat", id, "err", err)
			return out
		}
		st, _ = s.states.get(id)
	}
	out.Timer = &pb.ChatTimer{Seconds: int64(st.timer)}
	if st.pinned != 0 && (thread == 0 || st.thread == thread) {
		out.PinnedIds = []string{strconv.Itoa(st.pinned)}
	}
	return out
}
