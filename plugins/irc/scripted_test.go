package irc_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircmsg"
)

// scripted is an IRC server in the test's process, on a loopback port,
// for what ngircd does not offer: IRCv3 capability negotiation, SASL
// PLAIN, message tags, server-time and echo-message. It speaks just
// enough IRC for one client at a time and records what it was sent.
type scripted struct {
	t    *testing.T
	ln   net.Listener
	caps string // offered in CAP LS
	// capsMore, when set, are more lines of CAP LS 302 before caps,
	// each sent as "CAP * LS * :<line>" (a long list), caps last.
	capsMore []string
	// nak are capabilities offered whose CAP REQ is refused (NAK).
	nak map[string]bool
	// sasl is the account "user\x00password" SASL PLAIN takes ("" = none).
	sasl string
	// refuse closes each connection at once (a server that is down).
	refuse bool
	// saslFail is the text of the server's 904 when it refuses an
	// account ("" = "SASL authentication failed").
	saslFail string
	// saslSilent: AUTHENTICATE gets no answer, as when the network's
	// services (which check accounts) are down.
	saslSilent bool
	// saslMechs, when set, are the only SASL mechanisms taken: another
	// is answered with 908 (the list) and 904, as the spec says.
	saslMechs string
	// saslAbort, when set, answers AUTHENTICATE with 906 and this
	// text, as Solanum does while its SASL service is gone.
	saslAbort string
	// dropOnSASLFail closes the connection right after refusing a SASL
	// account, before the client's QUIT.
	dropOnSASLFail bool
	// nickserv is the password NickServ takes (IDENTIFY).
	nickserv string
	// noRegain: NickServ has no REGAIN (Anope, ergo), only GHOST.
	noRegain bool
	// nickservSilent: NickServ answers no IDENTIFY, as when services
	// are slow or down.
	nickservSilent bool
	// greeting is a line sent as soon as a client connects, as many
	// servers do ("*** Looking up your hostname").
	greeting string
	// atRegistration, when not nil, ends each connection where its
	// registration would end, before the welcome (001): the server sends
	// these lines and hangs up, as a server that K-lines the client or
	// refuses its password does.
	atRegistration []string
	// afterWelcome, when not nil, makes the next welcome the last: the
	// server hangs up right after it, and from then on ends each
	// registration with these lines (atRegistration).
	afterWelcome []string
	// isupport is more of the 005 line ("CHATHISTORY=3").
	isupport string
	// motd, when not nil, is the message of the day sent after the
	// welcome (375, a 372 a line, 376) instead of 422 (none).
	motd []string
	// cookie, when set, is a PING's token the server sends once
	// NICK and USER came, registering the client only once its PONG
	// carries it (UnrealIRCd's and ircu's anti-spoof check).
	cookie string
	// mute: the server answers no registration at all (no 001 ever).
	mute bool
	// noMOTDEnd: the welcome and 005 come, but neither the MOTD's end
	// (376) nor 422, which irc-go waits for.
	noMOTDEnd bool
	// history is what the server keeps (draft/chathistory): lines as
	// they were relayed, each with its time and msgid tags, oldest
	// first. CHATHISTORY answers from it.
	history []string
	// channels is what LIST answers, as 322 lines' "<channel> <users>
	// :<topic>", whatever the mask; a LIST whose mask holds "slow" is
	// answered once listHold gives (is closed), the server reading
	// nothing meanwhile; one whose mask holds "many" ends with a 416 (too
	// many matches) and, once listHold gives, a 323. The test says when,
	// rather than a delay a loaded machine could outlast.
	channels []string
	listHold chan struct{}
	// listsEnded counts the LISTs answered to their 323.
	listsEnded int
	// solanum: LIST behaves as Solanum's: a LIST holding "hang" starts a
	// listing that sends nothing yet; a LIST while one runs aborts it
	// (one NOTICE and one 323) and is itself dropped. load2hi: answer a
	// LIST with 263 and 323, as Solanum's pace_wait does.
	solanum, listing, load2hi bool
	// refuseJoin answers a JOIN of a channel (by its name as sent) with
	// this numeric and text ("474 :Cannot join channel (+b)") instead of
	// joining.
	refuseJoin map[string]string
	// refuseMsg answers a PRIVMSG to a target (by its name as sent)
	// ("NOTICE :text": with the server's notice to the user instead)
	// with this numeric and text ("707 :Targets changing too fast")
	// instead of relaying it.
	refuseMsg map[string]string
	// nicksInUse are nicks someone else has: a NICK taking one is
	// refused (433).
	nicksInUse map[string]bool
	// nicksDelayed are nicks held after a netsplit (IRCnet's nick
	// delay): a NICK taking one is refused (437).
	nicksDelayed map[string]bool
	// refuseNick answers a NICK taking a nick (after the welcome) with
	// this numeric and the rest of its line after the client's nick
	// ("438 kit2 :Nick change too fast").
	refuseNick map[string]string
	// nickLen, when not 0, cuts a longer nick to it, as Solanum does
	// with its NICKLEN.
	nickLen int
	// joinAs answers a JOIN of a channel (by its name as sent) with a
	// JOIN of another name: IRCnet's safe channels, "!name" (or
	// "!!name", which creates one) joined as "!ABCDEname", its ID first.
	joinAs map[string]string
	// silentJoin: a JOIN of these channels gets no answer yet.
	silentJoin map[string]bool
	// refused counts the JOINs refused so far (refuseJoin): once it
	// grew, a line sent is read by the client after the refusal.
	refused int
	// failHistory is how many CHATHISTORY requests of a chat to refuse
	// (FAIL) before answering.
	failHistory int
	// historyCut, when set, cuts the CHATHISTORY request that comes once
	// historyLeft more are answered, once: "fail" refuses it (FAIL),
	// "drop" hangs up on it, unanswered.
	historyCut  string
	historyLeft int
	// beforeEcho, when set, is a line sent once, right before the next
	// echo of a PRIVMSG: what another client on the account says at
	// that moment (a bouncer relays it).
	beforeEcho string
	// echoAs, when set, is the text of the next echo of a PRIVMSG: a
	// server that changed the line (cut it, stripped its colours).
	echoAs string
	// refuseTag answers a TAGMSG to a target (by its name as sent) with
	// this numeric and text ("404 :Cannot send to channel") instead of
	// relaying it.
	refuseTag map[string]string
	// redactFail answers a REDACT of a msgid with a FAIL of this code
	// and the rest ("REDACT_WINDOW_EXPIRED 300 :too late": "FAIL REDACT
	// <code> <target> <msgid> <rest>") instead of relaying it.
	redactFail map[string]string
	// redactEchoTo relays the user's REDACT of a msgid to the user
	// naming this target instead of theirs (a wrong or hostile
	// server's echo).
	redactEchoTo map[string]string
	// holdAt, when set, is a command and its target ("PRIVMSG dave"):
	// from the line that has them on, the server's answers are held
	// (it reads and handles lines, but what it writes waits), as from
	// a lagging server, until release. holding and held are that state
	// and what was written meanwhile.
	holdAt  string
	holding bool
	held    []byte
	// skew, when not 0, is how far the server's clock is ahead of the
	// test's: its server-time tags say now plus skew (not echoTime),
	// on its PONGs too, as Ergo's do.
	skew time.Duration
	// pongUntimed: its PONGs carry no server-time, skewed or not (a
	// server that tags only some of its lines).
	pongUntimed bool

	mu      sync.Mutex
	conn    net.Conn
	nick    string
	acked   map[string]bool
	lines   []string    // every line received, in order
	times   []time.Time // when each of lines came
	arrived []time.Time // when each connection came
	msgid   int
	batches int
	syncs   int
	changed chan struct{} // closed and renewed at each line or connection
}

func startScripted(t *testing.T, caps, sasl string) *scripted {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startScriptedOn(t, ln, caps, sasl)
}

// startScriptedOn is startScripted on a listener of the test's (one
// with TLS, one on a port chosen before).
func startScriptedOn(t *testing.T, ln net.Listener, caps, sasl string) *scripted {
	t.Helper()
	s := &scripted{t: t, ln: ln, caps: caps, sasl: sasl, changed: make(chan struct{})}
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		if s.conn != nil {
			s.conn.Close()
		}
		s.mu.Unlock()
	})
	go s.accept()
	return s
}

func (s *scripted) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// fields are the login form's fields for this server.
func (s *scripted) fields(nick string) map[string]string {
	return map[string]string{"server": "127.0.0.1", "port": fmt.Sprint(s.port()), "tls": "off", "nick": nick}
}

func (s *scripted) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.arrived = append(s.arrived, time.Now())
		refuse, greeting := s.refuse, s.greeting
		if !refuse {
			if s.conn != nil {
				s.conn.Close()
			}
			s.conn, s.acked, s.nick = c, map[string]bool{}, ""
		}
		s.signalLocked()
		s.mu.Unlock()
		if refuse {
			c.Close()
			continue
		}
		if greeting != "" {
			fmt.Fprintf(c, "%s\r\n", greeting)
		}
		go s.serve(c)
	}
}

// hangUp closes the current connection, as a server that drops it.
func (s *scripted) hangUp() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
	}
}

func (s *scripted) signalLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// send writes a line to the client.
func (s *scripted) send(format string, args ...any) {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		fmt.Fprintf(c, format+"\r\n", args...)
	}
}

// wait waits until cond (called under the lock) holds.
func (s *scripted) wait(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		ok, ch := cond(), s.changed
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			s.mu.Lock()
			defer s.mu.Unlock()
			s.t.Fatalf("scripted server: %s never came; lines: %q", what, s.lines)
		}
	}
}

// sync waits until the client has handled every line sent to it so
// far: it answers a PING in turn, as irc-go runs a line's callbacks
// before it reads the next, and writes its lines in order, so that
// what it wrote before the PONG has been read here too. It does so
// twice: the server's answers to the client's lines (an echo) are
// written as the server reads them, which may be after the first PING
// went (the client's line not read yet when the test sent it); by the
// first PONG they are written, so the second PING comes after them.
// Once, an echo read after the PONG left the test going on without it
// (TestUnreactByRedact, on a loaded machine).
func (s *scripted) sync() {
	s.t.Helper()
	for range 2 {
		s.mu.Lock()
		s.syncs++
		token := fmt.Sprintf("sync-%d", s.syncs)
		s.mu.Unlock()
		s.send("PING :%s", token)
		s.wait("the PONG of "+token, func() bool {
			for _, l := range s.lines {
				if strings.HasPrefix(l, "PONG") && strings.HasSuffix(l, token) {
					return true
				}
			}
			return false
		})
	}
}

// releaseList lets the LIST held (listHold) end and waits until the
// client handled its 323. A sync alone, right after listHold gives,
// could have its PING written before the list.
func (s *scripted) releaseList() {
	s.t.Helper()
	s.mu.Lock()
	n := s.listsEnded
	close(s.listHold)
	s.mu.Unlock()
	s.wait("the held list's end", func() bool { return s.listsEnded > n })
	s.sync()
}

// sent returns the lines the server read, from the from-th on, that
// start with prefix.
func (s *scripted) sent(from int, prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.lines[from:] {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// got waits for a line starting with prefix and returns it.
func (s *scripted) got(prefix string) string {
	s.t.Helper()
	var line string
	s.wait("a line "+prefix, func() bool {
		for _, l := range s.lines {
			if strings.HasPrefix(l, prefix) {
				line = l
				return true
			}
		}
		return false
	})
	return line
}

// heldConn is a client's connection whose writes wait while the
// server holds its answers (holdAt).
type heldConn struct {
	net.Conn
	s *scripted
}

func (h heldConn) Write(p []byte) (int, error) {
	h.s.mu.Lock()
	if h.s.holding {
		h.s.held = append(h.s.held, p...)
		h.s.mu.Unlock()
		return len(p), nil
	}
	h.s.mu.Unlock()
	return h.Conn.Write(p)
}

// release sends the answers held (holdAt), in order, and stops holding.
func (s *scripted) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holding = false
	if s.conn != nil {
		s.conn.Write(s.held)
	}
	s.held = nil
}

func (s *scripted) serve(conn net.Conn) {
	// A client that is gone, or one that failed the TLS handshake, is
	// hung up on, as a real server does.
	defer conn.Close()
	c := heldConn{conn, s}
	r := bufio.NewScanner(conn)
	registered, capEnd, user := false, false, false
	for r.Scan() {
		line := r.Text()
		m, err := ircmsg.ParseLine(line)
		s.mu.Lock()
		s.lines = append(s.lines, line)
		s.times = append(s.times, time.Now())
		s.signalLocked()
		s.mu.Unlock()
		if err != nil {
			continue
		}
		p := func(i int) string {
			if i < len(m.Params) {
				return m.Params[i]
			}
			return ""
		}
		s.mu.Lock()
		if s.holdAt != "" && m.Command+" "+p(0) == s.holdAt {
			s.holding, s.holdAt = true, ""
		}
		s.mu.Unlock()
		switch m.Command {
		case "CAP":
			switch p(0) {
			case "LS":
				s.mu.Lock()
				caps, more := s.caps, s.capsMore
				s.mu.Unlock()
				for _, l := range more {
					fmt.Fprintf(c, ":srv CAP * LS * :%s\r\n", l)
				}
				fmt.Fprintf(c, ":srv CAP * LS :%s\r\n", caps)
			case "REQ":
				s.mu.Lock()
				nak := false
				for _, name := range strings.Fields(p(1)) {
					nak = nak || s.nak[name]
				}
				for _, name := range strings.Fields(p(1)) {
					s.acked[name] = !nak
				}
				s.mu.Unlock()
				answer := "ACK"
				if nak {
					answer = "NAK"
				}
				fmt.Fprintf(c, ":srv CAP * %s :%s\r\n", answer, p(1))
			case "END":
				capEnd = true
			}
		case "AUTHENTICATE":
			s.mu.Lock()
			mechs, silent, abort, why := s.saslMechs, s.saslSilent, s.saslAbort, s.saslFail
			s.mu.Unlock()
			if silent {
				continue
			}
			if abort != "" {
				fmt.Fprintf(c, ":srv 906 * :%s\r\n", abort)
				continue
			}
			if mechs != "" && !strings.Contains(","+mechs+",", ","+p(0)+",") && p(0) != "*" && !strings.Contains(p(0), "=") {
				if why == "" {
					why = "SASL authentication failed"
				}
				fmt.Fprintf(c, ":srv 908 * %s :are available SASL mechanisms\r\n", mechs)
				fmt.Fprintf(c, ":srv 904 * :%s\r\n", why)
				continue
			}
			if p(0) == "PLAIN" {
				fmt.Fprint(c, "AUTHENTICATE +\r\n")
				continue
			}
			b, _ := base64.StdEncoding.DecodeString(p(0))
			// authzid \0 authcid \0 password
			parts := strings.SplitN(string(b), "\x00", 3)
			s.mu.Lock()
			account := s.sasl
			s.mu.Unlock()
			if len(parts) == 3 && account != "" && parts[1]+"\x00"+parts[2] == account {
				fmt.Fprintf(c, ":srv 900 * *!*@* %s :You are now logged in as %s\r\n", parts[1], parts[1])
				fmt.Fprint(c, ":srv 903 * :SASL authentication successful\r\n")
			} else {
				s.mu.Lock()
				drop, why := s.dropOnSASLFail, s.saslFail
				s.mu.Unlock()
				if why == "" {
					why = "SASL authentication failed"
				}
				fmt.Fprintf(c, ":srv 904 * :%s\r\n", why)
				if drop {
					c.Close()
				}
			}
		case "NICK":
			s.mu.Lock()
			inUse, refused, nick := s.nicksInUse[p(0)], s.refuseNick[p(0)], s.nick
			s.mu.Unlock()
			if code, rest, ok := strings.Cut(refused, " "); ok && registered {
				fmt.Fprintf(c, ":srv %s %s %s\r\n", code, nick, rest)
				continue
			}
			if inUse {
				fmt.Fprintf(c, ":srv 433 * %s :Nickname is already in use\r\n", p(0))
				continue
			}
			s.mu.Lock()
			delayed := s.nicksDelayed[p(0)]
			s.mu.Unlock()
			if delayed {
				fmt.Fprintf(c, ":srv 437 * %s :Nick/channel is temporarily unavailable\r\n", p(0))
				continue
			}
			s.mu.Lock()
			old, now := s.nick, p(0)
			if s.nickLen > 0 && len(now) > s.nickLen {
				now = now[:s.nickLen]
			}
			s.nick = now
			// Waiters on the nick (wait) woke at the line's arrival,
			// before this change: wake them again.
			s.signalLocked()
			s.mu.Unlock()
			if registered && old == now {
				continue // the nick the client has: nothing changes
			}
			if registered {
				fmt.Fprintf(c, ":%s!u@h NICK %s\r\n", old, now)
			}
		case "USER":
			user = true
		case "PING":
			s.mu.Lock()
			skewed := s.skew != 0 && !s.pongUntimed
			s.mu.Unlock()
			tags := ""
			if skewed {
				tags = s.tags(false)
			}
			fmt.Fprintf(c, "%s:srv PONG srv :%s\r\n", tags, p(0))
		case "PONG":
			s.mu.Lock()
			if s.cookie != "" && p(0) == strings.TrimPrefix(s.cookie, "sent:") {
				s.cookie = "" // the client is who it says: registered
			}
			s.mu.Unlock()
		case "JOIN":
			if p(0) == "#drop" {
				c.Close() // the connection drops before any answer
				return
			}
			// A list of channels: each joined in turn.
			for _, ch := range strings.Split(p(0), ",") {
				s.mu.Lock()
				nick, refused, silent := s.nick, s.refuseJoin[ch], s.silentJoin[ch]
				if as := s.joinAs[ch]; as != "" {
					ch = as
				}
				s.mu.Unlock()
				if silent {
					continue
				}
				if code, text, ok := strings.Cut(refused, " "); ok {
					fmt.Fprintf(c, ":srv %s %s %s %s\r\n", code, nick, ch, text)
					s.mu.Lock()
					s.refused++
					s.signalLocked()
					s.mu.Unlock()
					if code != "470" {
						continue
					}
					// Solanum's +f: "470 me #a #b :Forwarding...", then
					// the user is joined to #b.
					ch = strings.Fields(text)[0]
				}
				// The JOIN's echo at the server's clock (now, plus
				// skew): the plugin reads that clock from it where the
				// PONGs tell none, as they do not here unless skewed.
				fmt.Fprintf(c, "%s:%s!u@h JOIN %s\r\n", s.clockTags(), nick, ch)
				fmt.Fprintf(c, ":srv 353 %s = %s :@op %s\r\n", nick, ch, nick)
				fmt.Fprintf(c, ":srv 366 %s %s :End of NAMES list\r\n", nick, ch)
			}
		case "PRIVMSG":
			if p(0) == "hangup" {
				c.Close() // the server goes down having read the line
				return
			}
			s.mu.Lock()
			refused, nick := s.refuseMsg[p(0)], s.nick
			s.mu.Unlock()
			if code, text, ok := strings.Cut(refused, " "); ok && code == "NOTICE" {
				// A server notice instead (Solanum's flood throttle).
				fmt.Fprintf(c, ":srv NOTICE %s %s\r\n", nick, text)
				continue
			} else if ok {
				fmt.Fprintf(c, ":srv %s %s %s %s\r\n", code, nick, p(0), text)
				continue
			}
			s.mu.Lock()
			echo, nick, before, text := s.acked["echo-message"], s.nick, s.beforeEcho, p(1)
			if s.echoAs != "" {
				text = s.echoAs
			}
			s.beforeEcho, s.echoAs = "", ""
			s.mu.Unlock()
			if echo {
				if before != "" {
					fmt.Fprintf(c, "%s\r\n", before)
				}
				fmt.Fprintf(c, "%s:%s!u@h PRIVMSG %s :%s\r\n", s.tags(true), nick, p(0), text)
			}
			s.mu.Lock()
			silent := s.nickservSilent
			s.mu.Unlock()
			if cmd, args, _ := strings.Cut(p(1), " "); strings.EqualFold(p(0), "NickServ") && (cmd == "REGAIN" || cmd == "GHOST") {
				if !silent {
					s.nickBack(c, cmd, args)
				}
				continue
			}
			if strings.EqualFold(p(0), "NickServ") && !silent {
				// A server notice first, then NickServ's answer.
				fmt.Fprintf(c, ":srv NOTICE %s :*** a notice of the server\r\n", nick)
				answer := "Invalid password for " + nick + "."
				if p(1) == "IDENTIFY "+s.nickserv {
					answer = "You are now identified for \x02" + nick + "\x02."
				}
				fmt.Fprintf(c, ":NickServ!NickServ@services. NOTICE %s :%s\r\n", nick, answer)
			}
		case "TAGMSG":
			// Echoed as PRIVMSG is, with the client's tags.
			s.mu.Lock()
			echo, nick, refused := s.acked["echo-message"], s.nick, s.refuseTag[p(0)]
			s.mu.Unlock()
			if code, text, ok := strings.Cut(refused, " "); ok {
				fmt.Fprintf(c, ":srv %s %s %s %s\r\n", code, nick, p(0), text)
				continue
			}
			if echo {
				tags := strings.TrimSuffix(strings.TrimPrefix(s.tags(true), "@"), " ")
				for k, v := range m.ClientOnlyTags() {
					tags = strings.TrimPrefix(tags+";"+k+"="+v, ";")
				}
				fmt.Fprintf(c, "@%s :%s!u@h TAGMSG %s\r\n", tags, nick, p(0))
			}
		case "REDACT":
			// draft/message-redaction, as Ergo: relayed to the sender
			// too (with the capability), or refused with a FAIL.
			s.mu.Lock()
			nick, failed, has := s.nick, s.redactFail[p(1)], s.acked["draft/message-redaction"]
			target := p(0)
			if to := s.redactEchoTo[p(1)]; to != "" {
				target = to
			}
			s.mu.Unlock()
			if code, rest, ok := strings.Cut(failed, " "); ok {
				fmt.Fprintf(c, ":srv FAIL REDACT %s %s %s %s\r\n", code, p(0), p(1), rest)
				continue
			}
			if has {
				reason := ""
				if len(m.Params) > 2 {
					reason = " :" + p(2)
				}
				fmt.Fprintf(c, "%s:%s!u@h REDACT %s %s%s\r\n", s.tags(true), nick, target, p(1), reason)
			}
		case "LIST":
			s.mu.Lock()
			nick, chans, hold := s.nick, s.channels, s.listHold
			if s.load2hi {
				s.mu.Unlock()
				// One write: a line the test sends (sync) comes after both.
				fmt.Fprintf(c, ":srv 263 %s LIST :Server load is temporarily too heavy. Please wait a while and try again.\r\n:srv 323 %s :End of /LIST\r\n", nick, nick)
				continue
			}
			if s.solanum {
				if s.listing {
					s.listing = false
					s.mu.Unlock()
					fmt.Fprintf(c, ":srv NOTICE %s :/LIST aborted\r\n:srv 323 %s :End of /LIST\r\n", nick, nick)
					continue
				}
				if strings.Contains(p(0), "hang") {
					s.listing = true
					s.mu.Unlock()
					continue
				}
			}
			s.mu.Unlock()
			if strings.Contains(p(0), "slow") && hold != nil {
				<-hold
			}
			for _, ch := range chans {
				fmt.Fprintf(c, ":srv 322 %s %s\r\n", nick, ch)
			}
			if strings.Contains(p(0), "many") {
				fmt.Fprintf(c, ":srv 416 %s LIST :Too many matches\r\n", nick)
				if hold != nil {
					<-hold
				}
			}
			fmt.Fprintf(c, ":srv 323 %s :End of LIST\r\n", nick)
			s.mu.Lock()
			s.listsEnded++
			s.signalLocked()
			s.mu.Unlock()
		case "CHATHISTORY":
			if p(0) == "TARGETS" {
				s.historyTargets(c, p(1), p(2))
				continue
			}
			s.chatHistory(c, p(0), p(1), p(2), p(3))
		case "QUIT":
			c.Close()
			return
		}
		s.mu.Lock()
		nick := s.nick
		s.mu.Unlock()
		// Registration ends once NICK, USER and (when CAP was used) CAP
		// END came; a client that asked for no CAP is done at USER.
		if !registered && nick != "" && user && (capEnd || !s.capsUsed()) {
			s.mu.Lock()
			end, cookie, mute := s.atRegistration, s.cookie, s.mute
			if cookie != "" && !strings.HasPrefix(cookie, "sent:") {
				s.cookie = "sent:" + cookie
			}
			s.mu.Unlock()
			if mute {
				continue
			}
			if cookie != "" {
				if !strings.HasPrefix(cookie, "sent:") {
					fmt.Fprintf(c, "PING :%s\r\n", cookie)
				}
				continue // registered once the PONG brings the cookie back
			}
			if end != nil {
				for _, l := range end {
					fmt.Fprintf(c, "%s\r\n", l)
				}
				return
			}
			registered = true
			fmt.Fprintf(c, ":srv 001 %s :Welcome\r\n", nick)
			s.mu.Lock()
			isupport := s.isupport
			s.mu.Unlock()
			// Its own parameters: without the space, the last token
			// took ":are" into its value ("STATUSMSG=@+:are").
			if isupport = strings.TrimSpace(isupport); isupport != "" {
				isupport += " "
			}
			fmt.Fprintf(c, ":srv 005 %s PREFIX=(ov)@+ CHANMODES=b,k,l,imnst %s:are supported\r\n", nick, isupport)
			s.mu.Lock()
			motd, noEnd := s.motd, s.noMOTDEnd
			s.mu.Unlock()
			if noEnd {
				continue
			}
			if motd == nil {
				fmt.Fprintf(c, ":srv 422 %s :No MOTD\r\n", nick)
			} else {
				fmt.Fprintf(c, ":srv 375 %s :- srv Message of the Day -\r\n", nick)
				for _, l := range motd {
					fmt.Fprintf(c, ":srv 372 %s :- %s\r\n", nick, l)
				}
				fmt.Fprintf(c, ":srv 376 %s :End of /MOTD command.\r\n", nick)
			}
			s.mu.Lock()
			after := s.afterWelcome
			if after != nil {
				s.afterWelcome, s.atRegistration = nil, after
			}
			s.mu.Unlock()
			if after != nil {
				c.Close()
				return
			}
		}
	}
}

// nickBack answers NickServ's REGAIN and GHOST ("kit s3cret"), as
// Atheme does: with the password, the nick's holder is killed and the
// nick freed; REGAIN also gives it to the client. Where NickServ has no
// REGAIN (noRegain) it says so.
func (s *scripted) nickBack(c net.Conn, cmd, args string) {
	nick, pw, _ := strings.Cut(args, " ")
	s.mu.Lock()
	var out string
	switch {
	case cmd == "REGAIN" && s.noRegain:
		out = fmt.Sprintf(":NickServ!NickServ@services. NOTICE %s :Unknown command REGAIN.\r\n", s.nick)
	case pw != s.nickserv:
		out = fmt.Sprintf(":NickServ!NickServ@services. NOTICE %s :Invalid password for %s.\r\n", s.nick, nick)
	case cmd == "GHOST":
		delete(s.nicksInUse, nick)
		out = fmt.Sprintf(":NickServ!NickServ@services. NOTICE %s :%s has been ghosted.\r\n", s.nick, nick)
	default:
		delete(s.nicksInUse, nick)
		out = fmt.Sprintf(":%s!u@h NICK %s\r\n:NickServ!NickServ@services. NOTICE %s :%s has been regained.\r\n", s.nick, nick, nick, nick)
		s.nick = nick
	}
	s.signalLocked()
	s.mu.Unlock()
	fmt.Fprint(c, out)
}

func (s *scripted) capsUsed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lines {
		if strings.HasPrefix(l, "CAP ") {
			return true
		}
	}
	return false
}

// tags are the IRCv3 tags the server puts on a line for the client:
// server-time (a fixed time, to tell it from the time of receipt) and, on
// a message, a msgid.
func (s *scripted) tags(msg bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var tags []string
	switch {
	case s.acked["server-time"] && s.skew != 0:
		tags = append(tags, "time="+time.Now().Add(s.skew).UTC().Format("2006-01-02T15:04:05.000Z"))
	case s.acked["server-time"]:
		tags = append(tags, "time="+echoTime)
	}
	if msg && s.acked["message-tags"] {
		s.msgid++
		tags = append(tags, fmt.Sprintf("msgid=srv-%d", s.msgid))
	}
	if len(tags) == 0 {
		return ""
	}
	return "@" + strings.Join(tags, ";") + " "
}

const echoTime = "2025-06-07T08:09:10.123Z"

// clockTags are the tags of a line the server writes at once in answer
// to the client's (a JOIN's echo): its server-time by its clock, now
// plus skew, not echoTime.
func (s *scripted) clockTags() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.acked["server-time"] {
		return ""
	}
	return "@time=" + time.Now().Add(s.skew).UTC().Format("2006-01-02T15:04:05.000Z") + " "
}

// chatHistory answers CHATHISTORY LATEST and BEFORE from s.history, as
// draft/chathistory says: the newest limit messages of target after
// (LATEST) or before (BEFORE) the reference, a timestamp or "*", oldest
// first, in a chathistory batch.
func (s *scripted) chatHistory(c net.Conn, sub, target, ref, limit string) {
	n, err := strconv.Atoi(limit)
	var at time.Time
	if ref != "*" {
		v, ok := strings.CutPrefix(ref, "timestamp=")
		at, err = time.Parse(time.RFC3339Nano, v)
		if !ok {
			err = fmt.Errorf("bad reference %q", ref)
		}
	}
	if err != nil || (sub != "LATEST" && sub != "BEFORE") || (sub == "BEFORE" && ref == "*") {
		fmt.Fprintf(c, "FAIL CHATHISTORY INVALID_PARAMS %s :bad request\r\n", sub)
		return
	}
	s.mu.Lock()
	if s.historyCut != "" && s.historyLeft == 0 {
		cut := s.historyCut
		s.historyCut = ""
		s.mu.Unlock()
		if cut == "drop" {
			c.Close()
			return
		}
		fmt.Fprintf(c, ":srv FAIL CHATHISTORY MESSAGE_ERROR %s %s :Messages could not be retrieved\r\n", sub, target)
		return
	}
	if s.historyCut != "" {
		s.historyLeft--
	}
	if s.failHistory > 0 {
		s.failHistory--
		s.mu.Unlock()
		fmt.Fprintf(c, ":srv FAIL CHATHISTORY INVALID_TARGET %s %s :Messages could not be retrieved\r\n", sub, target)
		return
	}
	var found []string
	for _, l := range s.history {
		m, err := ircmsg.ParseLine(l)
		if err != nil || len(m.Params) == 0 || !strings.EqualFold(s.historyTarget(m), target) {
			continue
		}
		_, v := m.GetTag("time")
		t, _ := time.Parse(time.RFC3339Nano, v)
		if ref == "*" || (sub == "LATEST" && t.After(at)) || (sub == "BEFORE" && t.Before(at)) {
			found = append(found, l)
		}
	}
	s.batches++
	id := fmt.Sprintf("h%d", s.batches)
	s.mu.Unlock()
	if len(found) > n {
		found = found[len(found)-n:]
	}
	fmt.Fprintf(c, ":srv BATCH +%s chathistory %s\r\n", id, target)
	for _, l := range found {
		fmt.Fprintf(c, "@batch=%s;%s\r\n", id, strings.TrimPrefix(l, "@"))
	}
	fmt.Fprintf(c, ":srv BATCH -%s\r\n", id)
}

// historyTarget is the chat of a kept message for the client: its
// channel, or the other end of a private message.
func (s *scripted) historyTarget(m ircmsg.Message) string {
	if strings.EqualFold(m.Params[0], s.nick) {
		return m.Nick()
	}
	return m.Params[0]
}

// historyTargets answers CHATHISTORY TARGETS: the chats with messages
// between the two timestamps, with the time of the latest, in a
// draft/chathistory-targets batch.
func (s *scripted) historyTargets(c net.Conn, from, to string) {
	parse := func(ref string) time.Time {
		t, _ := time.Parse(time.RFC3339Nano, strings.TrimPrefix(ref, "timestamp="))
		return t
	}
	a, b := parse(from), parse(to)
	if b.Before(a) {
		a, b = b, a
	}
	s.mu.Lock()
	latest := map[string]string{}
	var order []string
	for _, l := range s.history {
		m, err := ircmsg.ParseLine(l)
		if err != nil || len(m.Params) == 0 {
			continue
		}
		_, v := m.GetTag("time")
		if t, _ := time.Parse(time.RFC3339Nano, v); t.After(a) && t.Before(b) {
			target := s.historyTarget(m)
			if _, ok := latest[target]; !ok {
				order = append(order, target)
			}
			latest[target] = v
		}
	}
	s.batches++
	id := fmt.Sprintf("h%d", s.batches)
	s.mu.Unlock()
	fmt.Fprintf(c, ":srv BATCH +%s draft/chathistory-targets\r\n", id)
	for _, target := range order {
		fmt.Fprintf(c, "@batch=%s :srv CHATHISTORY TARGETS %s %s\r\n", id, target, latest[target])
	}
	fmt.Fprintf(c, ":srv BATCH -%s\r\n", id)
}
