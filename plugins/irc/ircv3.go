package irc

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircmsg"

	"passerelle.im/passerelle/plugins/sdk"
)

// requestCaps are the IRCv3 capabilities asked for; a server that has
// none of them (or no CAP at all) is used without. message-tags brings
// each message's msgid (the event's ID), server-time its time,
// echo-message the server's echo of the user's own lines (which confirms
// a send), multi-prefix every mode of a member in NAMES,
// userhost-in-names their user and host (for bans by host), chghost a
// change of them (else the server shows one as a quit and a join),
// away-notify others' away states (away.go), draft/message-redaction
// the deletion of messages (redact.go).
var requestCaps = []string{"message-tags", "server-time", "echo-message", "multi-prefix", "userhost-in-names", "chghost", "away-notify", redactCap}

// onChghost notes someone's new user and host (IRCv3 chghost:
// ":nick!old@old CHGHOST newuser newhost"), for a later ban by host.
func (s *Session) onChghost(m ircmsg.Message) {
	if len(m.Params) < 2 || m.Params[0] == "" || m.Params[1] == "" {
		return
	}
	uh := userHost{user: m.Params[0], host: m.Params[1]}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isSelfLocked(m.Nick()) {
		s.selfAddr = uh
		return
	}
	s.people.seen(m.Nick(), uh)
}

// serverTime is when the server says m happened (server-time), or now.
func serverTime(m ircmsg.Message) time.Time {
	if ok, v := m.GetTag("time"); ok {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t
		}
	}
	return time.Now()
}

// EchoWait is how long a send waits for the server's echo of its lines.
const EchoWait = 10 * time.Second

// lateEcho is how long after its send gave up (EchoWait) a line's echo
// is still recognised as the user's own line, and dropped: as long as
// it can come on a connection that lives. The server answers a
// client's lines in order, and irc-go ends a connection whose keepalive
// PING (every KeepAlive) is not answered within its Timeout: a server
// that stalls longer than both has its connection dropped, which ends
// the waits (failEchoesLocked). Before, a minute: an echo later than
// that, from a server stalled a while between two keepalives, came as
// a message of the user's from another device, a second copy, and
// came back from history after a restart too.
func (c Config) lateEcho() time.Duration { return time.Duration(c.KeepAlive) + c.timeout() }

// echo is a line the user sent, waiting for the server's echo
// (echo-message): the echo is the send's confirmation, with the server's
// ID and time, and is not a message of its own. A refusal instead of
// the echo is the send's error (refusals.go).
type echo struct {
	target string // folded
	action bool
	text   string
	// tag: a TAGMSG (typing, a reaction), whose echo is a TAGMSG; text
	// is "". tags is what its echo must match (echoKey).
	tag  bool
	tags string
	// reaction: the TAGMSG carries a reaction (or takes one back); only
	// its echo (by tags) answers it, not another client's TAGMSG.
	reaction bool
	// send is the send the line is one of; nil where no one waits for
	// the answer (typing, the NickServ IDENTIFY).
	send *sendWait
	// sentAs is the ID the send's result gave the gateway, once it
	// returned without this line's echo (late): the echo's msgid is
	// then noted as one the gateway has under that ID (ownEchoes).
	sentAs string
	got    chan ircmsg.Message // gets the echo; closed when none will come
}

// expectEcho registers a line about to be sent, of send (nil: no one
// waits for it); nil when the server does not echo. The caller holds
// wireMu until the line went: the lines waiting are in the order they
// went, which is the order of their answers.
func (s *Session) expectEcho(target string, action bool, text string, send *sendWait) *echo {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.caps["echo-message"] {
		return nil
	}
	e := &echo{target: s.fold(target), action: action, text: text, send: send, got: make(chan ircmsg.Message, 1)}
	s.echoes = append(s.echoes, e)
	return e
}

// echoing reports whether the server echoes the user's lines.
func (s *Session) echoing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.caps["echo-message"]
}

// dropEcho forgets a line that will not be echoed.
func (s *Session) dropEcho(e *echo) {
	if e == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.Index(s.echoes, e); i >= 0 {
		s.echoes = slices.Delete(s.echoes, i, i+1)
		close(e.got)
	}
}

// echoed hands m, a line of the user's, to the send it echoes, and
// reports whether there was one. The server echoes a client's lines in
// order: the oldest line waiting with the same target and text, or
// failing that the oldest to the target whose text the server may have
// changed into m's (sameLine). A line of the user's to the target that
// is none of these is another client's on the account (a bouncer relays
// it), not an echo: taken for one, it was never shown, and the send's
// own echo came back as a message from another device.
func (s *Session) echoed(target string, action bool, m ircmsg.Message) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.caps["echo-message"] {
		return false
	}
	t := s.fold(target)
	i := slices.IndexFunc(s.echoes, func(e *echo) bool { return !e.tag && e.target == t && e.action == action && e.text == m.Params[1] })
	if i < 0 {
		i = slices.IndexFunc(s.echoes, func(e *echo) bool { return !e.tag && e.target == t && sameLine(e.text, m.Params[1]) })
	}
	if i < 0 {
		return false
	}
	e := s.echoes[i]
	s.answeredLocked(i)
	s.seenLiveLocked(m)
	if ok, id := m.GetTag("msgid"); ok && e.sentAs != "" && id != e.sentAs {
		s.ownEchoesLocked(id)
	}
	e.got <- m
	close(e.got)
	return true
}

// tagEchoed takes m, a TAGMSG of the user's, as the echo of one sent:
// the oldest waiting to its target with the same key (echoKey), or
// (unless exact) the oldest waiting to its target that is no reaction,
// answered; its msgid is then heard live (history leaves it out). A
// reaction is never answered by another client's TAGMSG: its own echo,
// unmatched then, would be taken for another client's reaction. It
// reports whether there was one; a TAGMSG of the user's that echoes
// none is another client's on the account (a bouncer relays it).
func (s *Session) tagEchoed(m ircmsg.Message, exact bool) bool {
	e, kept := s.takeTagEcho(m, exact)
	if e == nil {
		return false
	}
	if kept {
		// On disk before the read loop reads on, without mu held
		// (ownstore.go).
		s.flushOwn()
	}
	if e.reaction {
		// A REDACT of it (the user's other client, an operator's, the
		// user's own retraction of it) takes it back: before, the echo
		// of the user's reaction was noted nowhere, and its REDACT came
		// as the retraction of a message the gateway never had.
		sender := s.sender(m.Nick())
		if chat, typ, ok := s.chatOf(m.Params[0], sender); ok {
			s.noteReactionID(m, sender, chat, typ, true)
			s.flushOwn() // on disk before the read loop reads on
		}
	}
	close(e.got) // out of s.echoes: no one else closes it
	return true
}

// takeTagEcho is tagEchoed's take, under mu: the echo answered (nil:
// none), taken out of s.echoes; kept reports that a reaction's msgid
// was kept for history, to write.
func (s *Session) takeTagEcho(m ircmsg.Message, exact bool) (answered *echo, kept bool) {
	key := echoKey(m.ClientOnlyTags())
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.fold(m.Params[0])
	i := slices.IndexFunc(s.echoes, func(e *echo) bool { return e.tag && e.target == t && e.tags == key })
	var e *echo
	switch {
	case i >= 0:
		e = s.echoes[i]
		s.answeredLocked(i) // and those sent before it, whose echoes are lost
	case exact:
		return nil, false
	default:
		// Maybe another client's: only the one taken goes, the
		// reactions before it (which it skipped) still wait.
		if i = slices.IndexFunc(s.echoes, func(e *echo) bool { return e.tag && !e.reaction && e.target == t }); i < 0 {
			return nil, false
		}
		e = s.echoes[i]
		s.echoes = slices.Delete(s.echoes, i, i+1)
	}
	s.seenLiveLocked(m)
	if ok, id := m.GetTag("msgid"); ok && e.reaction && s.hasHistoryLocked() {
		// The gateway has the reaction under no ID: its msgid is
		// kept on disk, for history after a restart (ownstore.go),
		// where there is history, in place of what it does (kept
		// until the echo came: React).
		if !s.takeUnechoedReactionLocked(e.tags, id) {
			s.keepOwnMsgidLocked(id)
		}
		kept = s.own.dirty
	}
	return e, kept
}

// tagEcho is the echo awaited of a TAGMSG with tags to target.
func (s *Session) tagEcho(target string, tags map[string]string) *echo {
	_, react := tags[reactTag]
	_, unreact := tags[unreactTag]
	return &echo{target: s.fold(target), tag: true, tags: echoKey(tags), reaction: react || unreact, got: make(chan ircmsg.Message, 1)}
}

// echoKey is what tells the echo of a TAGMSG with tags from another's:
// for a reaction, what it does (react or unreact, the emoji, the
// message), which a server that rewrites tags keeps (+draft/reply
// echoed as +reply, a tag it does not know dropped); else its client
// tags (tagKey).
func echoKey(tags map[string]string) string {
	for _, kind := range []string{reactTag, unreactTag} {
		if e, ok := tags[kind]; ok {
			to := ""
			for _, name := range replyTags {
				if id := tags[name]; id != "" {
					to = id
					break
				}
			}
			return kind + "=" + e + " to " + to
		}
	}
	return tagKey(tags)
}

// tagKey is a TAGMSG's client tags in one string, sorted: what tells
// the echo of one TAGMSG from another's.
func tagKey(tags map[string]string) string {
	kv := make([]string, 0, len(tags))
	for k, v := range tags {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv)
	return strings.Join(kv, ";")
}

// answeredLocked forgets the line waiting at i, answered, and the
// TAGMSGs to its target sent before it: their answers came before
// this one, so one still waiting was answered unseen (another client's
// TAGMSG on the account taken for its echo). Left, it would take a
// later line's refusal for its own.
func (s *Session) answeredLocked(i int) {
	t := s.echoes[i].target
	n := 0
	for j, e := range s.echoes {
		if j == i || (j < i && e.tag && e.target == t) {
			if j != i {
				close(e.got)
			}
			continue
		}
		s.echoes[n] = e
		n++
	}
	clear(s.echoes[n:])
	s.echoes = s.echoes[:n]
}

// sameLine reports whether echo may be the server's echo of the line sent
// as sent once the server changed it: its formatting stripped (a
// channel's +c or +S mode), or cut (a line past the server's length).
func sameLine(sent, echo string) bool {
	p, e := plainText(sent), plainText(echo)
	return p == e || (e != "" && strings.HasPrefix(p, e))
}

// failEchoesLocked ends the waits of lines whose echo will not come: the
// connection dropped. A reaction's stays kept as one sent without an
// echo (React keeps it so until its echo comes, ownstore.go).
func (s *Session) failEchoesLocked() {
	for _, e := range s.echoes {
		if e.send != nil {
			e.send.dropped = true
		}
		close(e.got)
	}
	s.echoes = nil
}

// awaitEchoes waits for the echoes of send w's lines to target, at most
// EchoWait: the result has the first line's msgid and server time. A
// line refused instead (refusals.go) is the send's error, and so is a
// connection that drops before the echoes came. Late echoes are no
// error (the lines went out all the same): the result has an ID of ours
// and the time now, and a late echo is dropped when it comes.
func (s *Session) awaitEchoes(ctx context.Context, w *sendWait, waits []*echo, target string) (sdk.Result, error) {
	res := sdk.Result{MessageID: s.n.newID(), Time: time.Now()}
	if len(waits) == 0 {
		return res, nil
	}
	t := time.NewTimer(EchoWait)
	defer t.Stop()
	var others []string // the msgids of the lines after the first
	defer func() {
		// The gateway has the message under the first line's ID:
		// the others' are noted, so that history after a restart
		// does not bring those lines again.
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, id := range others {
			if id != res.MessageID {
				s.ownEchoesLocked(id)
			}
		}
	}()
	for i, e := range waits {
		select {
		case m, ok := <-e.got:
			if !ok {
				// Refused, or disconnected. The lines after it are
				// answered still: left waiting, their answers are not
				// taken for a later line's.
				s.forgetLate(waits[i+1:])
				if err := s.sendError(w, target); err != nil {
					others = nil // the gateway has no message of them
					return sdk.Result{}, err
				}
				return res, nil
			}
			if ok, id := m.GetTag("msgid"); ok && id != "" && i > 0 {
				others = append(others, id)
			}
			if i == 0 {
				if ok, id := m.GetTag("msgid"); ok && id != "" {
					res.MessageID = id
				}
				res.Time = serverTime(m)
			}
			continue
		case <-t.C:
		case <-ctx.Done():
		}
		s.mu.Lock()
		for _, e := range waits[i:] {
			e.sentAs = res.MessageID
		}
		s.mu.Unlock()
		s.forgetLate(waits[i:])
		return res, nil
	}
	// Every line echoed: the others' msgids go with the message, for
	// its retraction (redact.go).
	res.Meta = linesMeta(slices.DeleteFunc(slices.Clone(others), func(id string) bool { return id == res.MessageID }))
	return res, nil
}

// ownEchoesKept bounds the msgids noted by ownEchoesLocked.
const ownEchoesKept = 256

// ownEchoesLocked notes id, the msgid of a line of the user's that the
// gateway has under another ID (a late echo's, after its send returned
// with an ID of the plugin's; a line after the first of a message), in
// the login's saved state: history leaves it out, after a restart of
// the plugin too (the live msgids are kept in memory only). Without it,
// the line came back from history as a message of the user's from
// another device, a second copy of what they sent.
func (s *Session) ownEchoesLocked(id string) {
	if id == "" || slices.Contains(s.acc.OwnEchoes, id) {
		return
	}
	s.acc.OwnEchoes = append(s.acc.OwnEchoes, id)
	if n := len(s.acc.OwnEchoes) - ownEchoesKept; n > 0 {
		s.acc.OwnEchoes = slices.Delete(s.acc.OwnEchoes, 0, n)
	}
	if err := s.saveLocked(); err != nil {
		s.n.host.Logger().Error("irc: the login's state not saved", "login", s.loginID, "err", err)
	}
}

// forgetLate forgets lines whose echo has not come, lateEcho from now
// (unless the connection drops before):
// an echo until then is still the user's own line.
func (s *Session) forgetLate(late []*echo) {
	if len(late) == 0 {
		return
	}
	time.AfterFunc(s.n.cfg.lateEcho(), func() {
		for _, e := range late {
			s.dropEcho(e)
		}
	})
}
