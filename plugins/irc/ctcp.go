package irc

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
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
	if cmd == "DCC" {
		// A file or a chat offered by DCC, which the gateway does not
		// take: said in words, so that the user knows to ask otherwise
		// and the sender is not left waiting without a word.
		if text, ok := dccText(arg); ok {
			m.Params = []string{m.Params[0], text}
			s.onMessage(m, false)
		}
		return
	}
	cfg := s.n.cfg
	version := cmp.Or(cfg.CTCPVersion, ctcpDefaultVersion)
	var answer string
	switch {
	case cfg.CTCPOff:
		s.n.host.Logger().Debug("irc: CTCP query not answered: ctcp_off", "login", s.loginID, "query", cmd)
		return
	case cmd == "VERSION" && !strings.EqualFold(version, "off"):
		answer = "VERSION " + version
	case cmd == "PING":
		answer = "PING " + arg
	case cmd == "TIME":
		answer = "TIME " + time.Now().UTC().Format(time.RFC1123)
	case cmd == "CLIENTINFO" && strings.EqualFold(version, "off"):
		answer = "CLIENTINFO ACTION CLIENTINFO PING TIME"
	case cmd == "CLIENTINFO":
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

// ctcpDefaultVersion is the answer to a CTCP VERSION query where the
// transport's config sets none (ctcp_version).
const ctcpDefaultVersion = "passerelle " + Version + " (IRC to XMPP gateway)"

// ctcpCommand sends the CTCP query "/ctcp VERSION" (or PING, TIME,
// CLIENTINFO...) typed in a private chat or a channel's room: to the
// nick, or to the channel; the answers come in words (ctcpReply). A
// bare PING carries the time, as IRC clients send it. ACTION is /me's.
func (s *Session) ctcpCommand(ctx context.Context, conn *ircevent.Connection, target, args string) (sdk.Result, error) {
	cmd, arg, _ := strings.Cut(strings.TrimSpace(args), " ")
	cmd = strings.ToUpper(cmd)
	switch {
	case cmd == "":
		return sdk.Result{Command: true, Reply: "/ctcp sends a CTCP query to " + target + ": /ctcp VERSION, /ctcp PING, /ctcp TIME, /ctcp CLIENTINFO; the answers come here"}, nil
	case cmd == "ACTION":
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "/ctcp ACTION is /me: send \"/me %s\"", arg)
	case strings.ContainsAny(args, "\x00\x01") || !validCTCPCommand(cmd):
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%q is no CTCP command: one word of letters", cmd)
	}
	if cmd == "PING" && arg == "" {
		arg = strconv.FormatInt(time.Now().Unix(), 10)
	}
	if err := s.carries("the CTCP query", arg); err != nil {
		return sdk.Result{}, err
	}
	s.lines.admit(1, pasteTime) // a line is always taken, in turn with the user's others
	defer s.lines.sent(1)
	if err := s.lines.wait(ctx); err != nil {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the CTCP query not sent: %v", err)
	}
	query := strings.TrimSuffix(cmd+" "+arg, " ")
	if err := conn.Privmsg(target, "\x01"+query+"\x01"); err != nil {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the CTCP query not sent: %v", err)
	}
	return sdk.Result{Command: true, Reply: "CTCP " + query + " sent to " + target}, nil
}

// dccText is what the user reads of a DCC offer ("SEND name ip port
// size", the name quoted where it has spaces; "CHAT chat ip port"); ok
// is false for the rest of DCC (RESUME, ACCEPT: answers to offers the
// gateway never makes).
func dccText(arg string) (text string, ok bool) {
	kind, rest, _ := strings.Cut(strings.TrimSpace(arg), " ")
	switch strings.ToUpper(kind) {
	case "SEND":
		name := rest
		if q, ok := strings.CutPrefix(rest, `"`); ok {
			name, rest, _ = strings.Cut(q, `"`)
		} else {
			name, rest, _ = strings.Cut(rest, " ")
		}
		name = decodeText(name)
		if name == "" {
			return "", false
		}
		size := ""
		if f := strings.Fields(rest); len(f) >= 3 {
			if n, err := strconv.ParseInt(f[2], 10, 64); err == nil && n > 0 {
				size = fmt.Sprintf(" (%d bytes)", n)
			}
		}
		return fmt.Sprintf("[offers the file %q%s by DCC, which this gateway does not take: ask for a link instead]", name, size), true
	case "CHAT":
		return "[asks for a DCC chat, which this gateway does not take: write here instead]", true
	}
	return "", false
}

// validCTCPCommand reports whether cmd is a CTCP command's word.
func validCTCPCommand(cmd string) bool {
	if len(cmd) > 32 {
		return false
	}
	for _, r := range cmd {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' && r != '-' {
			return false
		}
	}
	return true
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
