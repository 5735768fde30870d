package bridge

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Long work of a login (contract v2's ProgressEvent: a history sync, a
// big contact import) shown to the user: the transport JID's presence
// status says where it is ("history: 40 of 120 chats"), at most once per
// progressEvery, and goes back to the login's state once the work is
// done; a chat message from the transport JID says when a task starts
// and when it ends, the start at most once per progressQuiet of a task
// (a network that reports many short runs of the same work does not
// fill the chat). Progress is ephemeral (outbox.go): worth nothing late.

// progressEvery is the shortest time between two presences of progress.
const progressEvery = time.Second

// progressQuiet is how long after a task ended its start is not told
// again in the chat.
const progressQuiet = time.Minute

// progressBoard is a session's long work under way.
type progressBoard struct {
	mu      sync.Mutex
	tasks   map[string]*pb.ProgressEvent // running, by task
	ended   map[string]time.Time         // when each task last ended
	told    map[string]bool              // the tasks whose start was told in the chat
	last    time.Time                    // when a presence of progress last went out
	pending *time.Timer                  // a presence waiting for its turn
}

// progressEvent takes one ProgressEvent of the session's login.
func (s *session) progressEvent(ctx context.Context, p *pb.ProgressEvent) {
	t, b := s.t, &s.progress
	task := p.Task
	if task == "" {
		task = "work"
	}
	finished := p.Total > 0 && p.Done >= p.Total
	now := time.Now()
	var say string
	b.mu.Lock()
	if b.tasks == nil {
		b.tasks, b.ended, b.told = map[string]*pb.ProgressEvent{}, map[string]time.Time{}, map[string]bool{}
	}
	_, running := b.tasks[task]
	switch {
	case finished && !running:
		// Done before anything was shown: nothing to tell; or its
		// presence went with a change of the login's state (clear),
		// and only its end is left to tell.
		told := b.told[task]
		delete(b.told, task)
		b.mu.Unlock()
		if told {
			t.send(ctx, t.chat(s.user, "Done: "+progressText(task, p)+"."))
		}
		return
	case finished:
		delete(b.tasks, task)
		b.ended[task] = now
		if b.told[task] {
			say = "Done: " + progressText(task, p) + "."
		}
		delete(b.told, task)
	default:
		b.tasks[task] = p
		if !running && !b.told[task] && now.Sub(b.ended[task]) >= progressQuiet {
			b.told[task] = true
			say = "Started: " + progressText(task, p) + "."
		}
	}
	var send []byte
	switch wait := progressEvery - now.Sub(b.last); {
	case len(b.tasks) == 0:
		// The last task ended: the login's own state again, at once.
		if b.pending != nil {
			b.pending.Stop()
			b.pending = nil
		}
		st := s.loginState()
		send = t.statePresence(s.user, st.state, st.msg)
		b.last = now
	case wait <= 0 && b.pending == nil:
		send = s.progressPresenceLocked(s.user)
		b.last = now
	case b.pending == nil:
		// Its turn comes: then it shows whatever is newest.
		b.pending = time.AfterFunc(wait, func() {
			b.mu.Lock()
			b.pending = nil
			var out []byte
			if len(b.tasks) > 0 && t.session(s.user) == s {
				out = s.progressPresenceLocked(s.user)
				b.last = time.Now()
			}
			b.mu.Unlock()
			if out != nil {
				t.send(ctx, out)
			}
		})
	}
	b.mu.Unlock()
	if say != "" {
		t.send(ctx, t.chat(s.user, say))
	}
	if send != nil {
		t.send(ctx, send)
	}
}

// progressPresenceLocked is the transport's presence with the tasks under
// way as its status, after the login state's own, to to. Call with
// s.progress.mu held.
func (s *session) progressPresenceLocked(to string) []byte {
	b := &s.progress
	names := make([]string, 0, len(b.tasks))
	for task := range b.tasks {
		names = append(names, task)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, task := range names {
		parts[i] = progressText(task, b.tasks[task])
	}
	st := s.loginState()
	msg := strings.Join(parts, "; ")
	if st.msg != "" {
		msg = st.msg + "; " + msg
	}
	return s.t.statePresence(to, st.state, msg)
}

// progressText says where a task is: the plugin's own text, else
// "history: 40 of 120 chats" (or "history: 40 chats" while the total is
// not known).
func progressText(task string, p *pb.ProgressEvent) string {
	if p.Text != "" {
		return p.Text
	}
	done, total := max(p.Done, 0), max(p.Total, 0)
	unit := ""
	if p.Unit != "" {
		unit = " " + p.Unit
	}
	switch {
	case total > 0:
		return fmt.Sprintf("%s: %d of %d%s", task, min(done, total), total, unit)
	case done > 0:
		return fmt.Sprintf("%s: %d%s", task, done, unit)
	}
	return task
}

// clear forgets the tasks shown: the login's state presence, sent after
// it, no longer shows them (a plugin that restarted starts its work over,
// or not at all). A task told started is still told ended.
func (b *progressBoard) clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.tasks)
	if b.pending != nil {
		b.pending.Stop()
		b.pending = nil
	}
}
