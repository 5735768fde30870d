package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// History on demand: the host's Backfill of a chat. WhatsApp keeps no
// history on its servers; the phone has it. A linked device asks the
// phone for the messages before one it knows (a peer message built by
// whatsmeow's BuildHistorySyncRequest, sent to the user's own JID), and
// the phone answers, when it is online, with a history sync blob of type
// ON_DEMAND. The message asked from is the older of the one the host's
// cursor names and the oldest the plugin has seen in the chat (pushed
// history, live messages, the user's own sends, earlier answers), which
// it keeps per chat in its login folder: a host cursor left behind by a
// newer pushed batch still pages back from the oldest. One request is in
// flight per login (the answer names no request, only its chat), each
// waited for onDemandWait; after one unanswered, those that queued
// meanwhile are not sent (the phone is likely offline) until onDemandWait
// has passed or an answer came. An answer with nothing older is the start
// of the chat (done), as is one reaching history_days; messages whatsmeow
// cannot read are of the page all the same (their IDs and times are in
// the blob): the cursor moves past them, and a page of them only is not
// the start.

// onDemandWait bounds the wait for the phone's answer.
var onDemandWait = newSetting(30 * time.Second)

// onDemandPage is the most messages asked of the phone at once (what
// whatsmeow recommends).
var onDemandPage = newSetting(50)

// oldestFile keeps, per chat, the oldest message seen.
const oldestFile = "history-oldest.json"

// anchor is what the phone needs to find a message: its chat (the JID
// WhatsApp keys it by), its ID, whether the user sent it, its time.
type anchor struct {
	Chat   string `json:"chat"`
	ID     string `json:"id"`
	FromMe bool   `json:"me,omitempty"`
	TimeMS int64  `json:"ms"`
	// Start: the phone said nothing older is to be had (historyend.go):
	// history on demand asks no more from here.
	Start bool `json:"start,omitempty"`
}

func anchorOf(chat types.JID, info *types.MessageInfo) anchor {
	return anchor{Chat: chat.ToNonAD().String(), ID: info.ID, FromMe: info.IsFromMe, TimeMS: info.Timestamp.UnixMilli()}
}

func (a anchor) zero() bool { return a.ID == "" }

// olderThan says whether a is older than b; any anchor is older than none.
func (a anchor) olderThan(b anchor) bool {
	return !a.zero() && (b.zero() || a.TimeMS < b.TimeMS)
}

// info is a as the MessageInfo BuildHistorySyncRequest takes.
func (a anchor) info() (*types.MessageInfo, error) {
	chat, err := types.ParseJID(a.Chat)
	if err != nil {
		return nil, err
	}
	return &types.MessageInfo{MessageSource: types.MessageSource{Chat: chat, IsFromMe: a.FromMe, IsGroup: chat.Server == types.GroupServer},
		ID: a.ID, Timestamp: time.UnixMilli(a.TimeMS)}, nil
}

// cursorPrefix marks the cursors of this plugin's batches; those of
// before ("wa:<µs>:<id>", "wa:none") name no sender and are passed over.
const cursorPrefix = "wa2:"

// cursor is a as a batch's cursor: "wa2:<ms>:<0|1>:<chat JID>:<ID>".
func (a anchor) cursor() string {
	me := 0
	if a.FromMe {
		me = 1
	}
	return fmt.Sprintf("%s%d:%d:%s:%s", cursorPrefix, a.TimeMS, me, a.Chat, a.ID)
}

// parseCursor is the anchor of a cursor; zero for any other string.
func parseCursor(c string) anchor {
	rest, ok := strings.CutPrefix(c, cursorPrefix)
	if !ok {
		return anchor{}
	}
	f := strings.SplitN(rest, ":", 4)
	if len(f) != 4 || f[3] == "" || (f[1] != "0" && f[1] != "1") {
		return anchor{}
	}
	ms, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return anchor{}
	}
	if _, err := types.ParseJID(f[2]); err != nil {
		return anchor{}
	}
	return anchor{Chat: f[2], ID: f[3], FromMe: f[1] == "1", TimeMS: ms}
}

// oldestKnown is the oldest message seen per chat ID, kept in the login
// folder (in memory only without one). Written only when a chat gets an
// older message, or its first: rarely once its history came.
type oldestKnown struct {
	path string
	log  *slog.Logger // a damaged file's line (sdk.LoadStateFile)

	mu     sync.Mutex
	loaded bool
	chats  map[string]anchor
}

func (o *oldestKnown) loadLocked() {
	if o.loaded {
		return
	}
	o.loaded, o.chats = true, map[string]anchor{}
	if saved, _ := sdk.LoadStateFile[map[string]anchor](o.path, "older history is not asked of the phone until a chat's next message", o.log); saved != nil {
		o.chats = saved
	}
}

// get is the oldest message seen in a chat.
func (o *oldestKnown) get(chatID string) anchor {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.loadLocked()
	return o.chats[chatID]
}

// note keeps each chat's anchor that is older than the one known, and
// writes the file when one was.
func (o *oldestKnown) note(seen map[string]anchor) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.loadLocked()
	changed := false
	for chat, a := range seen {
		known := o.chats[chat]
		// The start said of the oldest known: marked.
		start := a.Start && !known.Start && !known.zero() && a.ID == known.ID
		if chat != "" && (a.olderThan(known) || start) {
			o.chats[chat] = a
			changed = true
		}
	}
	if !changed || o.path == "" {
		return nil
	}
	b, err := json.Marshal(o.chats)
	if err != nil {
		return err
	}
	return writeState(o.path, b) // disappearing.go
}

// noteOldest records what the session saw; a failure costs only the
// anchor of a Backfill without cursor, so it is logged.
func (s *Session) noteOldest(seen map[string]anchor) {
	if err := s.hist.oldest.note(seen); err != nil {
		s.log.Warn("oldest message of a chat not kept", "err", err)
	}
}

// noteSent notes a message the user sent: a chat's first is where
// history on demand asks from.
func (s *Session) noteSent(chatID string, chat types.JID, resp whatsmeow.SendResponse) {
	info := types.MessageInfo{MessageSource: types.MessageSource{Chat: chat, IsFromMe: true}, ID: resp.ID, Timestamp: resp.Timestamp}
	s.noteOldest(map[string]anchor{chatID: anchorOf(chat, &info)})
}

// onDemand is the request waiting for the phone's answer.
type onDemand struct {
	one     sync.Mutex // held while a request is in flight
	mu      sync.Mutex
	waiting *odWait
	silent  time.Time // when a request went unanswered; zero once one is
}

type odWait struct {
	chatID string
	answer chan *waHistorySync.Conversation // nil: the blob held no chat
	// cut is closed when the connection drops while the request
	// waits: the answer cannot come on it (onDemandCut).
	cut chan struct{}
}

// onDemandCut ends the wait of the request in flight, if any, when the
// connection to WhatsApp drops: its answer, should the phone send it,
// comes after the reconnection as history come too late. Before, the
// request waited out onDemandWait and marked the phone silent, so a
// request made right after the reconnection was not sent either.
func (s *Session) onDemandCut() {
	od := &s.hist.od
	od.mu.Lock()
	defer od.mu.Unlock()
	if w := od.waiting; w != nil {
		od.waiting = nil
		close(w.cut)
	}
}

// onDemandAnswer hands the waiting request its answer from an ON_DEMAND
// blob, and returns what is left of the blob for the pushed history (nil
// when nothing): an answer that came too late goes that way.
func (s *Session) onDemandAnswer(data *waHistorySync.HistorySync) *waHistorySync.HistorySync {
	s.hist.od.mu.Lock()
	defer s.hist.od.mu.Unlock()
	s.hist.od.silent = time.Time{} // the phone answers (late or not)
	w := s.hist.od.waiting
	if w == nil {
		return data
	}
	convs := data.GetConversations()
	if len(convs) == 0 {
		s.hist.od.waiting = nil
		w.answer <- nil
		return nil
	}
	for i, conv := range convs {
		chat, err := types.ParseJID(conv.GetID())
		if err != nil || chatIDOf(s.ids, chat) != w.chatID {
			continue
		}
		s.hist.od.waiting = nil
		w.answer <- conv
		if len(convs) == 1 {
			return nil
		}
		rest := &waHistorySync.HistorySync{SyncType: data.SyncType}
		rest.Conversations = append(append(rest.Conversations, convs[:i]...), convs[i+1:]...)
		return rest
	}
	return data
}

var (
	// errNoAnswer: the phone did not answer in time.
	errNoAnswer = errors.New("the phone did not answer")
	// errSilent: a request just went unanswered; this one is not sent.
	errSilent = fmt.Errorf("%w lately: not asked again yet", errNoAnswer)
	// errCut: the connection dropped while the request waited.
	errCut = fmt.Errorf("%w: the connection to WhatsApp dropped", errNoAnswer)
)

// askPhone asks the phone for count messages of chatID before a, and
// waits for its answer (nil: nothing).
func (s *Session) askPhone(ctx context.Context, chatID string, a anchor, count int) (*waHistorySync.Conversation, error) {
	info, err := a.info()
	if err != nil {
		return nil, err
	}
	own := s.ownJID()
	if own.IsEmpty() {
		return nil, whatsmeow.ErrNotLoggedIn
	}
	od := &s.hist.od
	od.one.Lock()
	defer od.one.Unlock()
	w := &odWait{chatID: chatID, answer: make(chan *waHistorySync.Conversation, 1), cut: make(chan struct{})}
	od.mu.Lock()
	if !od.silent.IsZero() && time.Since(od.silent) < onDemandWait.get() {
		od.mu.Unlock()
		return nil, errSilent
	}
	od.waiting = w
	od.mu.Unlock()
	defer func() {
		od.mu.Lock()
		if od.waiting == w {
			od.waiting = nil
		}
		od.mu.Unlock()
	}()
	if _, err := s.d.cli.SendMessage(ctx, own, s.d.cli.BuildHistorySyncRequest(info, count), whatsmeow.SendRequestExtra{Peer: true}); err != nil {
		return nil, err
	}
	timer := time.NewTimer(onDemandWait.get())
	defer timer.Stop()
	select {
	case conv := <-w.answer:
		return conv, nil
	case <-w.cut:
		select {
		case conv := <-w.answer: // came first
			return conv, nil
		default:
		}
		return nil, errCut // the phone not marked silent: the next request is sent
	case <-timer.C:
		od.mu.Lock()
		od.silent = time.Now()
		od.mu.Unlock()
		return nil, errNoAnswer
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Backfill fetches a chat's history from the phone, page after page,
// from the older of the cursor's message and the oldest seen, until
// req.Limit messages came (one page when 0) or the chat's start. It
// answers at once: done when history is off or nothing of the chat is
// known (there is no message to ask before), an error when not logged
// in; the pages follow from a goroutine.
func (s *Session) Backfill(_ context.Context, req sdk.BackfillRequest) error {
	chat, err := parseChatID(req.ChatID)
	if err != nil {
		return err
	}
	if isChannel(chat) {
		return s.channelBackfill(req, chat) // channelhistory.go: WhatsApp has its posts
	}
	a := s.hist.oldest.get(req.ChatID)
	if c := parseCursor(req.Cursor); c.olderThan(a) {
		a = c
	}
	if s.n.historyDays() == 0 || a.zero() || a.Start {
		// Nothing to ask from, or the phone said nothing older is to
		// be had (historyend.go).
		go s.sendPage(&pb.HistoryBatch{LoginId: s.login.LoginID, ChatId: req.ChatID, ChatType: chatTypeOf(chat), Cursor: req.Cursor, Done: true})
		return nil
	}
	if !s.d.cli.IsLoggedIn() {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: history of %s: not connected to WhatsApp", req.ChatID)
	}
	go s.backfill(req, chat, a)
	return nil
}

// backfill asks the phone page after page and sends each page.
func (s *Session) backfill(req sdk.BackfillRequest, chat types.JID, a anchor) {
	ctx, cancel := s.untilStop() // history.go
	defer cancel()
	left := req.Limit
	if left <= 0 {
		left = onDemandPage.get()
	}
	for {
		count := min(left, onDemandPage.get())
		conv, err := s.askPhone(ctx, req.ChatID, a, count)
		if errors.Is(err, errNoAnswer) {
			// An empty page, not done: the gateway ends its fetch and
			// asks again from here at its next backfill of the chat
			// (a restart of the plugin, a room's scroll-back), not at
			// the reconnection; the answer, should it come later, goes
			// the pushed history's way.
			s.log.Info("history on demand: the phone did not answer", "chat", req.ChatID, "err", err)
			s.sendPage(&pb.HistoryBatch{LoginId: s.login.LoginID, ChatId: req.ChatID, ChatType: chatTypeOf(chat), Cursor: a.cursor()})
			return
		}
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("history on demand not asked", "chat", req.ChatID, "err", err)
			}
			return
		}
		r := s.historyEvents(chat, conv, s.n.historyCutoff(time.Now()), a)
		if err := s.historyUnreadable(r.unreadable); err != nil { // notices.go
			// Their notice not taken: the page is not sent, nor the
			// cursor moved past them; the host asks again from here,
			// and they are told then. Before, the page moved past
			// them all the same, and they were never told.
			s.sendPage(&pb.HistoryBatch{LoginId: s.login.LoginID, ChatId: req.ChatID, ChatType: chatTypeOf(chat), Cursor: a.cursor()})
			return
		}
		if r.end.moreOnPhone() {
			k, p := morePart(req.ChatID) // historyend.go
			s.moreOnPhone(map[string]lostPart{k: p})
			if !s.syncActive() {
				s.tellLost()
			}
		}
		b := &pb.HistoryBatch{LoginId: s.login.LoginID, ChatId: req.ChatID, ChatType: chatTypeOf(chat),
			Events: r.evs, Cursor: a.cursor(), Done: r.raw == 0 || r.cut || r.oldest.zero() || r.end.final(), Total: int64(len(r.evs))}
		if !r.oldest.zero() {
			b.Cursor = r.oldest.cursor()
			r.oldest.Start = r.end.final()
		}
		if !s.sendPage(b) {
			return
		}
		if !r.oldest.zero() {
			// Only once the host stored the page: noted before, a crash
			// in between lost the page for good, the next Backfill
			// asking the phone from before it.
			s.noteOldest(map[string]anchor{req.ChatID: r.oldest})
		} else if r.end.final() {
			a.Start = true // nothing older, the phone said: asked no more
			s.noteOldest(map[string]anchor{req.ChatID: a})
		}
		left -= r.raw
		if b.Done || left <= 0 {
			return
		}
		a = r.oldest
	}
}

// sendPage sends a batch to the host and waits until the host stored it;
// false when it could not, or not within a minute (the page may still
// come: it waits in the SDK's queue).
func (s *Session) sendPage(b *pb.HistoryBatch) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := sdk.SendHistoryWait(ctx, s.n.host, b); err != nil {
		s.log.Debug("history page not stored", "chat", b.ChatId, "err", err)
		return false
	}
	return true
}

// oldestPath is where a login keeps its chats' oldest messages.
func oldestPath(loginDir string) string {
	if loginDir == "" {
		return ""
	}
	return filepath.Join(loginDir, oldestFile)
}
