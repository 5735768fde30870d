package signal

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The signal-cli the plugin runs may die (a crash, Java out of memory)
// or stop answering (then killed): the supervisor starts it again and
// the sessions subscribe again by themselves. Meanwhile the login's
// state said so, but only in the gateway's presence, which the next
// "connected" replaces: the user is told once the session is back,
// with a notice of the account, that signal-cli stopped and why. What
// came meanwhile is not lost: Signal keeps it until signal-cli fetches
// it.

// maxExitWhy bounds signal-cli's last words quoted in the notice.
const maxExitWhy = 300

// seenExits notes the daemon's exits so far as told: those before the
// session are none of its user's business.
func (s *Session) seenExits() {
	if s.n.daemon == nil {
		return
	}
	n, _ := s.n.daemon.lastExited()
	s.mu.Lock()
	s.exitsTold = n
	s.mu.Unlock()
}

// tellRestart tells the user, once the session is subscribed again,
// that the daemon the plugin runs exited since last told and was
// started again. The exit's time names the notice: a replay of it has
// the same ID, another exit another.
func (s *Session) tellRestart(ctx context.Context) {
	if s.n.daemon == nil {
		return
	}
	n, exit := s.n.daemon.lastExited()
	s.mu.Lock()
	told := s.exitsTold
	s.exitsTold = n
	s.mu.Unlock()
	if n <= told || exit.at.IsZero() {
		return
	}
	why := strings.TrimPrefix(exit.why, "signal-cli ") // "exited (...)", "stopped answering..."
	if len(why) > maxExitWhy {
		cut := maxExitWhy
		for cut > 0 && !utf8.RuneStart(why[cut]) {
			cut--
		}
		why = why[:cut] + "…"
	}
	text := "signal-cli, which the gateway runs to reach Signal, stopped (" + why + ") and was started again"
	if n-told > 1 {
		text += " (" + strconv.Itoa(n-told) + " times since last told)"
	}
	text += ". What came meanwhile comes now. If it happens again, the gateway's admin finds more in its log."
	s.emit(ctx, sdk.Notice(s.loginID, "signal-cli-restarted-"+strconv.FormatInt(exit.at.UnixMilli(), 10), text, pb.NoticeLevel_NOTICE_LEVEL_WARNING), false)
}
