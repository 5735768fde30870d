package botmode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The update loop. go-telegram/bot's own (Bot.Start) asks for the next
// batch, which confirms the last one to Telegram, before its handlers
// have run: a crash then loses the batch. This loop confirms a batch only
// once its events are in the SDK's journal on disk and the next offset is
// in the login's folder.

const offsetFile = "offset"

// allowedUpdates are the updates asked for. message_reaction and
// chat_member come only where the bot is an admin; poll only for a poll
// closed by hand (or one the bot sent).
var allowedUpdates = []string{"message", "edited_message", "channel_post", "edited_channel_post",
	"message_reaction", "my_chat_member", "chat_member", "poll"}

// position is where the update loop stands.
//
// Asked is the offset to ask Telegram from, kept in the login's folder
// (file "offset", JSON): every update below it is in the SDK's journal on
// disk (EmitDurable), so asking from it, which confirms them to Telegram,
// loses nothing even if the machine crashes. A plugin killed before it
// wrote Asked finds the updates again at Telegram and emits them again,
// under the same event IDs: the gateway drops the copies.
//
// Emitted, in memory only, is past the last update whose events were
// handed to the SDK: a batch whose journal write failed is asked for
// again without its events emitted twice.
type position struct {
	Asked   int64 `json:"asked"`
	Emitted int64 `json:"-"`
}

func loadPosition(dir string) (position, error) {
	if dir == "" {
		return position{}, nil
	}
	data, err := os.ReadFile(filepath.Join(dir, offsetFile))
	if errors.Is(err, fs.ErrNotExist) {
		return position{}, nil
	}
	if err != nil {
		return position{}, fmt.Errorf("botmode: read the update offset: %w", err)
	}
	// Earlier versions kept "emitted" and "boot" too: left unread.
	var p position
	if err := json.Unmarshal(data, &p); err != nil {
		return position{}, fmt.Errorf("botmode: the update offset file is damaged (%q): %w", data, err)
	}
	p.Emitted = p.Asked
	return p, nil
}

// savePosition writes the offset to ask from, durably.
func (s *Session) savePosition(p position) error {
	if s.cfg.Dir == "" {
		return nil
	}
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("botmode: %w", err)
	}
	return writeFileDurably(filepath.Join(s.cfg.Dir, offsetFile), data)
}

// apiError is an answer of the Bot API that is not a result.
type apiError struct {
	Method     string
	Status     int // HTTP status
	Code       int // error_code; 0 when the body was not the API's JSON
	Text       string
	RetryAfter time.Duration
}

func (e *apiError) Error() string {
	if e.Code == 0 {
		return fmt.Sprintf("%s: the Bot API answered HTTP %d with %s", e.Method, e.Status, e.Text)
	}
	return fmt.Sprintf("%s: %d %s", e.Method, e.Code, e.Text)
}

// getUpdates asks for the updates from offset on, waiting up to the poll
// timeout. Each update comes raw, with its ID: one the library cannot
// decode is skipped by its ID rather than blocking all after it.
func (s *Session) getUpdates(ctx context.Context, offset int64) ([]json.RawMessage, error) {
	const method = "getUpdates"
	body, _ := json.Marshal(map[string]any{"offset": offset, "timeout": int(s.cfg.PollTimeout / time.Second),
		"allowed_updates": allowedUpdates})
	u := LoginOptions{ServerURL: s.cfg.ServerURL}.serverURL() + "/bot" + s.token + "/" + method
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		// The URL holds the token: keep it out of logs and messages.
		return nil, fmt.Errorf("%s: %s", method, strings.ReplaceAll(err.Error(), s.token, "***"))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: read the answer: %w", method, err)
	}
	var r struct {
		OK          bool              `json:"ok"`
		Result      []json.RawMessage `json:"result"`
		ErrorCode   int               `json:"error_code"`
		Description string            `json:"description"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, &apiError{Method: method, Status: resp.StatusCode, Text: describeBody(resp.Header.Get("Content-Type"), data)}
	}
	if !r.OK {
		return nil, &apiError{Method: method, Status: resp.StatusCode, Code: r.ErrorCode, Text: r.Description,
			RetryAfter: time.Duration(r.Parameters.RetryAfter) * time.Second}
	}
	return r.Result, nil
}

// describeBody says what a body that is not the API's JSON was.
func describeBody(ctype string, data []byte) string {
	text := strings.TrimSpace(string(data))
	if len(text) > 80 {
		text = text[:80] + "..."
	}
	if text == "" {
		return "an empty body"
	}
	return fmt.Sprintf("a body that is not the Bot API's JSON (%s: %q)", ctype, text)
}

// run is the session's life: getMe until it answers, then the update
// loop, until ctx ends or Telegram refuses the token.
func (s *Session) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	backoff := s.cfg.MinBackoff
	down := ""     // the last failure's text, while failing
	known := false // getMe answered since Connect
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	// fail reports a failure as a transient disconnection (once per kind
	// of failure) and waits before the next try.
	fail := func(err error) bool {
		var ae *apiError
		if errors.As(err, &ae) && (ae.Code == http.StatusUnauthorized || ae.Status == http.StatusUnauthorized) {
			s.state(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS,
				"Telegram refused the bot token ("+clip(ae.Text, 300)+"): it was revoked or changed in @BotFather. Log in again with the new token.")
			return false
		}
		delay := backoff
		why := clip(err.Error(), 300)
		if errors.As(err, &ae) && ae.RetryAfter > delay {
			delay = ae.RetryAfter
		}
		text := "The Telegram Bot API is not answering properly (" + why + "); retrying in " + delay.String() +
			". Nothing is lost: Telegram keeps the bot's updates for 24 hours."
		var le *localError
		if errors.As(err, &le) {
			text = "Telegram's updates cannot be stored here (" + why + "); retrying in " + delay.String() +
				". Nothing is lost: Telegram keeps them until they are."
		}
		if errors.As(err, &ae) && ae.Code == http.StatusConflict {
			text = "Telegram refuses to hand this bot's updates here (" + clip(ae.Text, 300) + "): another program is polling " +
				"the same bot, or a webhook is set. Stop it (or deleteWebhook); retrying in " + delay.String() + "."
		}
		if msg := failureKind(err); msg != down {
			down = msg
			s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, text)
		}
		s.log.Warn("telegram bot API", "err", err, "retry_in", delay)
		backoff = min(backoff*2, s.cfg.MaxBackoff)
		return wait(delay)
	}
	recovered := func() {
		backoff = s.cfg.MinBackoff
		if down != "" || !known {
			down, known = "", true
			s.state(pb.LoginState_LOGIN_STATE_CONNECTED, statusText(s.identity()))
		}
	}

	for !known {
		me, err := s.bot.GetMe(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if !fail(apiErrorOf("getMe", err)) {
				return
			}
			continue
		}
		s.mu.Lock()
		s.me = identityOf(me)
		s.mu.Unlock()
		recovered()
	}

	s.mu.Lock()
	pos := s.pos
	s.mu.Unlock()
	for {
		raw, err := s.getUpdates(ctx, pos.Asked)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if !fail(err) {
				return
			}
			continue
		}
		if len(raw) == 0 {
			recovered()
			continue
		}
		next, err := s.handleBatch(ctx, raw, pos)
		s.mu.Lock()
		pos, s.pos = next, next
		s.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			// Not confirmed: Telegram hands the batch again.
			if !fail(&localError{err}) {
				return
			}
			continue
		}
		// Only now: a batch that cannot be stored is no recovery.
		recovered()
	}
}

// localError is a failure on this side (disk, journal), not Telegram's.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

// failureKind groups failures for the login state: the same failure
// again is not reported again.
func failureKind(err error) string {
	var ae *apiError
	var le *localError
	switch {
	case errors.As(err, &le):
		return "local"
	case errors.As(err, &ae):
		return fmt.Sprintf("%d/%d", ae.Status, ae.Code)
	}
	return "network"
}

// handleBatch emits the events of a batch of updates and returns the
// next position. The order is what makes a crash lose nothing: events
// handed to the SDK (journal), the journal fsynced (EmitDurable of the
// saved state, which carries the offset to the gateway too), the chat
// list and the forum messages' topics saved, then position.Asked
// written; only the next getUpdates, from Asked, confirms the batch to
// Telegram. A kill before that emits the
// batch again in the next run, under the same event IDs, which the
// gateway drops.
func (s *Session) handleBatch(ctx context.Context, raw []json.RawMessage, pos position) (position, error) {
	var evs []*pb.Event
	next := pos.Asked
	for _, r := range raw {
		var upd models.Update
		if err := json.Unmarshal(r, &upd); err != nil {
			// Skip it by its ID, or the bot would be stuck on it.
			var id struct {
				ID int64 `json:"update_id"`
			}
			if json.Unmarshal(r, &id) != nil || id.ID == 0 {
				return pos, fmt.Errorf("getUpdates: an update without update_id: %.100s", r)
			}
			s.log.Error("telegram bot: an update that cannot be read was skipped", "update_id", id.ID, "err", err, "update", string(r))
			next = max(next, id.ID+1)
			continue
		}
		if upd.ID < pos.Asked {
			continue // confirmed already (a server that repeats itself)
		}
		withStoryReplies(r, &upd) // storyreply.go
		next = max(next, upd.ID+1)
		upEvs := s.eventsOf(ctx, &upd)
		if upd.ID < pos.Emitted {
			// Emitted already by this process, whose journal write
			// failed: its chat list changes are made again, its
			// events are in the journal's hands already.
			continue
		}
		for i, ev := range upEvs {
			ev.LoginId = s.cfg.LoginID
			if ev.EventId == "" {
				// A repeat after a kill is dropped by the gateway.
				ev.EventId = fmt.Sprintf("u%d.%d", upd.ID, i)
			}
			evs = append(evs, ev)
		}
	}
	for _, ev := range evs {
		s.cfg.Host.Emit(ev)
	}
	state, err := json.Marshal(savedState{Token: s.token, Bot: s.identity(), Offset: next})
	if err != nil {
		return pos, fmt.Errorf("botmode: %w", err)
	}
	if err := s.cfg.Host.EmitDurable(ctx, &pb.Event{LoginId: s.cfg.LoginID,
		Payload: &pb.Event_SavedState{SavedState: &pb.SavedStateEvent{SavedState: state}}}); err != nil {
		return position{Asked: pos.Asked, Emitted: max(next, pos.Emitted)}, fmt.Errorf("botmode: the events could not be stored: %w", err)
	}
	if err := s.chats.save(); err != nil {
		return position{Asked: pos.Asked, Emitted: max(next, pos.Emitted)}, err
	}
	if err := s.topicOfMsg.save(); err != nil {
		return position{Asked: pos.Asked, Emitted: max(next, pos.Emitted)}, err
	}
	done := position{Asked: next, Emitted: next}
	if err := s.savePosition(done); err != nil {
		return position{Asked: pos.Asked, Emitted: next}, err
	}
	return done, nil
}
