package pluginhost

import (
	"slices"
	"time"
)

// A plugin runs a chat's commands one at a time, in the order sent (the
// SDK does: a login's and chat's commands wait behind the one running,
// a file's upload for minutes), so a command's wait for its result is
// the plugin's only once it comes first of its chat's commands in
// flight: its time limit (CommandTimeout) counts from then. Counted
// from its send, a text sent behind a large file failed as unanswered
// while the plugin still had it to send.

// chatKey is the line a command waits in: the SDK's, its login's and
// chat's.
type chatKey struct{ login, chat string }

// queueLocked puts the command id, f, at the end of its chat's line, and
// times it if it is first. h.mu is held.
func (h *Host) queueLocked(id uint64, f *inflight) {
	k := chatKey{f.cmd.LoginId, f.cmd.ChatId}
	h.lines[k] = append(h.lines[k], id)
	if len(h.lines[k]) == 1 {
		h.timeLocked(id, f)
	}
}

// unqueueLocked takes the command id, f, out of its chat's line, answered
// or given up on, and times the command that is first now. h.mu is held.
func (h *Host) unqueueLocked(id uint64, f *inflight) {
	k := chatKey{f.cmd.LoginId, f.cmd.ChatId}
	line := slices.DeleteFunc(h.lines[k], func(x uint64) bool { return x == id })
	if len(line) == 0 {
		delete(h.lines, k)
		return
	}
	h.lines[k] = line
	if first := h.pending[line[0]]; first != nil && first.timer == nil {
		h.timeLocked(line[0], first)
	}
}

// timeLocked starts f's time limit (expire). h.mu is held. The expiry
// runs the command's callback: counted for Close.
func (h *Host) timeLocked(id uint64, f *inflight) {
	limit := f.limit
	f.timer = time.AfterFunc(limit, func() { h.bg.Run(func() { h.expire(id, limit) }) })
}
