package irc

import (
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
)

// CTCP (\x01COMMAND args\x01 in a PRIVMSG) is read here, not by irc-go:
// irc-go dropped an ACTION whose closing \x01 is left out (the CTCP spec
// lets clients omit it), and answered every query at once, so that a
// flood of queries (a channel's members asking VERSION, one nick asking
// again and again) made the user's connection flood the server with
// answers, and servers disconnect a client that floods.

// ctcpBurst and ctcpEvery pace the answers to CTCP queries: ctcpBurst at
// once, then one each ctcpEvery, and only while the user's lines leave a
// line of the pace free; the queries beyond are not answered.
const (
	ctcpBurst = 3
	ctcpEvery = 2 * time.Second
)

// parseCTCP reads a CTCP message: its command (upper case) and its
// argument; ok is false for a text that is no CTCP. The closing \x01 may
// be missing.
func parseCTCP(text string) (cmd, arg string, ok bool) {
	body, ok := strings.CutPrefix(text, "\x01")
	if !ok {
		return "", "", false
	}
	if i := strings.IndexByte(body, '\x01'); i >= 0 {
		body = body[:i]
	}
	cmd, arg, _ = strings.Cut(body, " ")
	return strings.ToUpper(cmd), arg, true
}

// onPrivmsg takes a PRIVMSG: a message, a /me (CTCP ACTION), or a CTCP
// query, answered at the pacer's pace; other CTCPs (DCC...) are dropped.
func (s *Session) onPrivmsg(c *ircevent.Connection, m ircmsg.Message) {
	if len(m.Params) < 2 {
		return
	}
	cmd, arg, ok := parseCTCP(m.Params[1])
	if !ok {
		s.onMessage(m, false)
		return
	}
	if cmd == "ACTION" {
		m.Params = []string{m.Params[0], arg}
		s.onMessage(m, true)
		return
	}
	nick := m.Nick()
	if !strings.Contains(m.Source, "!") || s.isSelf(nick) {
		return // the server's, or the user's own (another client of theirs)
	}
	var answer string
	switch cmd {
	case "VERSION":
		answer = "VERSION passerelle IRC gateway " + Version
	case "PING":
		answer = "PING " + arg
	case "TIME":
		answer = "TIME " + time.Now().UTC().Format(time.RFC1123)
	case "CLIENTINFO":
		answer = "CLIENTINFO ACTION CLIENTINFO PING TIME VERSION"
	default:
		return
	}
	// An answer also takes a free token of the user's lines (pace.go):
	// the server counts every line of the connection, and a paste at
	// the pace leaves none for the answers, which are dropped meanwhile.
	if !s.ctcp.allow() || !s.lines.allow() {
		s.n.host.Logger().Debug("irc: CTCP query not answered: too many", "login", s.loginID, "query", cmd)
		return
	}
	_ = c.Notice(nick, "\x01"+strings.TrimSuffix(answer, " ")+"\x01")
}

// ctcpReply is a CTCP reply (a NOTICE "\x01VERSION irssi 1.4\x01") as
// the user reads it, "CTCP VERSION reply: irssi 1.4" (the answer to a
// query the user made from another client on the account, or by a
// command after connecting).
func ctcpReply(cmd, arg string) string {
	if arg = strings.TrimSpace(arg); arg == "" {
		return "CTCP " + cmd + " reply"
	}
	return "CTCP " + cmd + " reply: " + arg
}
