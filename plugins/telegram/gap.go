package telegram

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// gapLimit bounds the messages a channel's gap brings from its history
// (atomic: a test lowers it while an earlier test's session may read it).
var gapLimit atomic.Int64

func init() { gapLimit.Store(1000) }

// A supergroup or channel with more news while the gateway was away (or
// the connection down) than Telegram's difference gives a user (100
// updates) is "too long": Telegram gives its new pts only, and gotd
// calls OnChannelTooLong having skipped the gap. Its messages are read
// from the channel's history instead, newer than the newest the session
// had (kept in the login's database across restarts), and go as any new
// message; the gateway drops those it had. The gap's edits, deletions
// and reactions are not recovered. A gap longer than gapLimit, or one
// whose history could not be read, is said in the chat (gapNotice)
// before the messages caught up: the older ones are only in Telegram.

// gapFill runs one channel's gap at a time, so a reconnection with
// many busy channels asks Telegram for their histories in turn.
type gapFill struct{ mu sync.Mutex }

// channelTooLong is gotd's OnChannelTooLong for connection gen. Where
// the gap starts is read now, before the channel's next updates move
// it; the history is read in the background, as gotd's update loop
// must not wait for a request; then caughtUp (the channel's catch-up
// over: gapreactions.go).
func (s *Session) channelTooLong(gen int, caughtUp func(int64)) func(int64) {
	return func(id int64) {
		since := s.newest.of(channelID(id))
		go func() {
			s.fillGap(gen, id, since)
			caughtUp(id)
		}()
	}
}

// fillGap sends the messages of channel id newer than since (all of its
// history_limit latest when since is 0, nothing being known).
func (s *Session) fillGap(gen int, id int64, since int) {
	s.gaps.mu.Lock()
	defer s.gaps.mu.Unlock()
	s.mu.Lock()
	api := s.api
	live := s.gen == gen && !s.stopped && api != nil
	s.mu.Unlock()
	if !live {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), DialTimeout*4)
	defer cancel()
	log := s.n.log().With("login", s.login.LoginID, "chat", channelID(id))
	msgs, full, err := s.gapMessages(ctx, api, id, since)
	var evs []*pb.Event
	switch {
	case err != nil:
		log.Warn("telegram: a channel's gap too long for Telegram's difference could not be read from its history; its messages are only in the history", "err", err)
		evs = append(evs, s.gapNotice(id, since, msgs, err))
	case !full:
		log.Warn("telegram: a channel's gap is longer than the gateway reads; its oldest messages are only in the history", "read", len(msgs))
		evs = append(evs, s.gapNotice(id, since, msgs, nil))
	case len(msgs) == 0:
		return
	}
	for _, m := range msgs {
		evs = append(evs, s.messageEvents(ctx, m, false)...)
	}
	if err := s.emitEvents(ctx, evs); err != nil {
		log.Error("telegram: a channel's gap not kept", "err", err)
		return
	}
	if st := s.db(); st != nil {
		if err := st.setChannelTops(s.newest.channels()); err != nil {
			log.Warn("telegram: the newest message of channels not kept", "err", err)
		}
	}
	log.Info("telegram: a channel's gap too long for Telegram's difference came from its history", "messages", len(msgs))
}

// gapNotice says in channel id that messages of its gap since message
// since were not caught up: those older than msgs (the gap's newest,
// oldest first, which came), all of them when none came; err is why
// reading stopped, if it failed. It comes from the chat itself, dated as
// the first message caught up (or now), and its ID names the gap, so a
// replay is dropped.
func (s *Session) gapNotice(id int64, since int, msgs []tg.MessageClass, err error) *pb.Event {
	chat := channelID(id)
	why := ""
	if err != nil {
		why = fmt.Sprintf(" (reading them failed: %v)", err)
	}
	text := fmt.Sprintf("The messages from while the gateway was away could not be caught up%s: they are in Telegram's apps.", why)
	at, first := time.Now().Unix(), 0
	if len(msgs) > 0 {
		text = fmt.Sprintf("Not every message from while the gateway was away came%s: only the latest %d did; the earlier ones are in Telegram's apps.", why, len(msgs))
		first = msgs[0].GetID()
		if m, ok := msgs[0].AsNotEmpty(); ok {
			at = int64(m.GetDate())
		}
	}
	return &pb.Event{ChatId: chat, ChatType: s.peers.chatType(chat), Sender: &pb.Sender{},
		TimestampUnixMicro: at * 1e6, EventId: fmt.Sprintf("gap.%d.%d", since, first),
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}}
}

// gapMessages are channel id's messages newer than since, oldest first,
// at most gapLimit (history_limit when since is 0); full says whether
// they reach since.
func (s *Session) gapMessages(ctx context.Context, api *tg.Client, id int64, since int) (msgs []tg.MessageClass, full bool, err error) {
	in, err := s.peers.inputChannel(id)
	if err != nil {
		return nil, false, err
	}
	peer := &tg.InputPeerChannel{ChannelID: in.ChannelID, AccessHash: in.AccessHash}
	want := int(gapLimit.Load())
	if since == 0 {
		want = s.n.cfg.HistoryLimit
	}
	offset := 0
	for len(msgs) < want {
		limit := min(historyPage, want-len(msgs))
		res, err := api.MessagesGetHistory(ctx, &tg.MessagesGetHistoryRequest{Peer: peer, OffsetID: offset, MinID: since, Limit: limit})
		if err != nil {
			slices.Reverse(msgs)
			return msgs, false, err
		}
		ms, ok := res.AsModified()
		if !ok {
			break
		}
		s.peers.add(ms.GetUsers(), ms.GetChats())
		page := ms.GetMessages()
		before := len(msgs)
		for _, m := range page {
			if m.GetID() <= since {
				continue
			}
			if offset == 0 || m.GetID() < offset {
				offset = m.GetID()
			}
			msgs = append(msgs, m)
		}
		if len(page) < limit || len(msgs) == before {
			full = true
			break
		}
	}
	slices.Reverse(msgs) // oldest first
	return msgs, full || since == 0, nil
}

// emitEvents sends evs, the last one kept durably by the SDK before it
// returns: the events before it are kept in order before it.
func (s *Session) emitEvents(ctx context.Context, evs []*pb.Event) error {
	if len(evs) == 0 {
		return nil
	}
	s.limitChatEvents(ctx, evs) // chatrights.go
	s.forgetRemoved(evs)        // joinrequests.go
	for _, ev := range evs[:len(evs)-1] {
		ev.LoginId = s.login.LoginID
		s.n.host.Emit(ev)
	}
	last := evs[len(evs)-1]
	last.LoginId = s.login.LoginID
	if err := s.n.host.EmitDurable(ctx, last); err != nil {
		return err
	}
	s.photosTold(evs)     // photoseen.go
	s.delivered.kept(evs) // delivered.go
	return nil
}

// loadChannelTops takes the channels' newest messages kept at the last
// disconnection.
func (s *Session) loadChannelTops(st *store) {
	tops, err := st.channelTops()
	if err != nil {
		s.n.log().Warn("telegram: the newest message of channels not read", "login", s.login.LoginID, "err", err)
		return
	}
	for id, top := range tops {
		s.newest.note(channelID(id), top)
	}
}
