package irc

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Moderating a channel from XMPP: Kick (KICK, with MODE +b first for a
// ban), Unban (MODE -b), SetRole (MODE +o/-o/+v/-v) and Invite (INVITE). The server
// decides whether the user may; its refusal is the command's typed
// error. Its echo of a KICK or MODE is what the room shows: the channel
// callbacks turn it into the member event, as for an operator on IRC, and
// nothing here emits one.

var (
	_ sdk.Kicker     = (*Session)(nil)
	_ sdk.Unbanner   = (*Session)(nil)
	_ sdk.RoleSetter = (*Session)(nil)
	_ sdk.Inviter    = (*Session)(nil)
)

// ModerationWait is how long Kick, SetRole and Invite wait for the
// server's answer.
const ModerationWait = 10 * time.Second

// modWait is a moderation command waiting for the server. IRC does not
// say which command a reply answers, and a server may answer nothing (a
// ban already set): the command's lines go between two PINGs of their
// own, a window (refusals.go), and what the server says between their
// PONGs is its answer alone (a 401 there is no send's to the same nick,
// and a send's is not the command's); the second PONG ends the wait
// with whatever they brought.
type modWait struct {
	what    string  // what was asked, for the errors: "kick dave from #chan"
	channel string  // the channel's ID
	nick    string  // the member's nick, folded
	token   string  // the second PING's parameter
	win     *window // its lines' answer (refusals.go)
	kick    bool    // a KICK was sent: its echo is the success
	kicked  bool    // the server's KICK echo came
	// redact is the msgid a REDACT deletes (redact.go): the server's
	// REDACT of it from the user is the success (redacted).
	redact   string
	redacted bool
	// redactMore are the msgids of the message's other lines, deleted
	// with it: their REDACTs are no events.
	redactMore []string
	ban        bool // the KICK follows the member's ban (MODE +b)
	// listing: a channel's ban list was asked (MODE +b); bans are its
	// masks (367) as they came.
	listing bool
	bans    []string
	// banList is each ban as "/mode +b" shows it (banEntry).
	banList []string
	// modes: the channel's modes were asked (a bare "/mode");
	// modesSaid is the server's answer (324), modes and arguments.
	modes     bool
	modesSaid string
	// whois: a nick's WHOIS was asked (whois.go); whoisSaid is its 311.
	whois     bool
	whoisSaid *whoisUser
	// refused: the first refusal, as the contract's code and the words
	// the user reads.
	refused bool
	code    pb.ErrorCode
	why     string
	answer  chan error
}

// modErrors are the server's refusals of KICK, MODE and INVITE, as the
// contract's errors, with the words the user reads.
var modErrors = map[string]struct {
	code pb.ErrorCode
	why  string
}{
	ircevent.ERR_CHANOPRIVSNEEDED:  {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you are not a channel operator (or not a high enough one)"},
	ircevent.ERR_UNIQOPPRIVSNEEDED: {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only the channel's creator may"},
	ircevent.ERR_NOPRIVILEGES:      {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you are not an IRC operator"},
	ircevent.ERR_RESTRICTED:        {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the server does not allow it"},
	ircevent.ERR_USERNOTINCHANNEL:  {pb.ErrorCode_ERROR_CODE_NOT_FOUND, "they are not in the channel"},
	ircevent.ERR_NOSUCHNICK:        {pb.ErrorCode_ERROR_CODE_NOT_FOUND, "nobody has that nick on the server"},
	ircevent.ERR_NOSUCHCHANNEL:     {pb.ErrorCode_ERROR_CODE_NOT_FOUND, "there is no such channel"},
	ircevent.ERR_NOTONCHANNEL:      {pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are not in the channel"},
	ircevent.ERR_USERONCHANNEL:     {pb.ErrorCode_ERROR_CODE_CONFLICT, "they are in the channel already"},
	ircevent.ERR_UNKNOWNMODE:       {pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "the server has no such mode"},
	ircevent.ERR_BANLISTFULL:       {pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "the channel's ban list is full"},
	ircevent.ERR_NEEDMOREPARAMS:    {pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "the server wants more parameters"},
}

// handleModeration gives the moderation command waiting the server's
// refusals and echoes, and ends its wait at its PONG.
func (s *Session) handleModeration(c *ircevent.Connection) {
	for code, e := range modErrors {
		s.on(c, code, func(m ircmsg.Message) {
			s.mu.Lock()
			defer s.mu.Unlock()
			w := s.modWait
			if w == nil || !w.win.active || w.refused || !w.names(s.caseMap(), m, code) {
				return // not within the command's answer
			}
			w.refused, w.code = true, e.code
			w.why = e.why + " (the server says: " + decodeText(lastParam(m)) + ")"
		})
	}
	s.on(c, "KICK", func(m ircmsg.Message) {
		if len(m.Params) < 2 {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if w := s.awaitedKickLocked(m); w != nil {
			w.kicked = true
		}
	})
	s.on(c, ircevent.RPL_USERHOST, s.onUserhost)
	s.on(c, ircevent.RPL_BANLIST, func(m ircmsg.Message) {
		if len(m.Params) < 3 {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if w := s.modWait; w != nil && w.listing && s.chanID(m.Params[1]) == w.channel {
			w.bans = append(w.bans, m.Params[2])
			w.banList = append(w.banList, banEntry(m)) // modecmd.go
		}
	})
	s.on(c, "PONG", func(m ircmsg.Message) {
		s.mu.Lock()
		w := s.modWait
		if w == nil || lastParam(m) != w.token {
			s.mu.Unlock()
			return
		}
		s.modWait = nil
		s.mu.Unlock()
		w.answer <- w.result()
	})
}

// names tells whether a refusal is about w's command: one that names a
// channel or a nick names w's (a 401 may answer a message sent
// meanwhile to someone else).
func (w *modWait) names(cm casemap, m ircmsg.Message, code string) bool {
	if len(m.Params) < 3 || code == ircevent.ERR_UNKNOWNMODE || code == ircevent.ERR_NEEDMOREPARAMS {
		return true // only the user's nick and the text; a mode letter, a command
	}
	for _, p := range m.Params[1 : len(m.Params)-1] {
		if cm.chanID(p) == w.channel || cm.fold(p) == w.nick {
			return true
		}
	}
	return false
}

// result is the command's outcome once the server answered all of it.
func (w *modWait) result() error {
	switch {
	case w.refused && w.kicked:
		// The ban was refused, the kick went through.
		return sdk.Errorf(w.code, "cannot %s: kicked, but not banned: %s", w.what, w.why)
	case w.refused:
		return sdk.Errorf(w.code, "cannot %s: %s", w.what, w.why)
	case w.kick && !w.kicked:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "cannot %s: the server answered, but did not say it was done", w.what)
	case w.redact != "" && !w.redacted:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "cannot %s: the server answered, but did not say it was deleted", w.what)
	}
	return nil
}

// banKick tells whether a KICK is the one of a ban the user set from
// XMPP, the ban not refused: the member is banned, not only kicked.
func (s *Session) banKick(m ircmsg.Message) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.awaitedKickLocked(m)
	return w != nil && w.ban && !w.refused
}

// awaitedKickLocked is the moderation command a KICK (at least two
// parameters) answers: the user's kick of the member it waits for, in
// its channel; nil for any other.
func (s *Session) awaitedKickLocked(m ircmsg.Message) *modWait {
	if w := s.modWait; w != nil && s.isSelfLocked(m.Nick()) && s.chanID(m.Params[0]) == w.channel && s.fold(m.Params[1]) == w.nick {
		return w
	}
	return nil
}

// failModWaitLocked answers the moderation command waiting: the
// connection dropped.
func (s *Session) failModWaitLocked() {
	if s.modWait != nil {
		s.modWait.answer <- sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the connection to %s dropped before it answered: %s", s.acc.addr(), s.modWait.what)
		s.modWait = nil
	}
}

// moderate sends lines (each a command and its parameters) for w, and
// waits for the server's answer to them all. One moderation command at
// a time: the replies of one are not taken for another's.
func (s *Session) moderate(ctx context.Context, conn *ircevent.Connection, w *modWait, lines ...[]string) error {
	s.modMu.Lock()
	defer s.modMu.Unlock()
	w.token = "passerelle-" + s.n.newID()
	w.win = s.newWindow(w.token)
	w.answer = make(chan error, 1)
	s.mu.Lock()
	s.modWait = w
	s.mu.Unlock()
	drop := func() {
		s.mu.Lock()
		if s.modWait == w {
			s.modWait = nil
		}
		s.mu.Unlock()
	}
	msgs := make([]ircmsg.Message, len(lines))
	for i, l := range lines {
		// A long reason or topic is cut, not refused, by its size in
		// the channel's encoding.
		if len(l) > 2 && (l[0] == "TOPIC" || l[0] == "KICK") {
			l = s.codecOf(l[1]).fitLine(l)
		} else {
			l = s.codec.fitLine(l)
		}
		msgs[i] = ircmsg.MakeMessage(nil, "", l[0], l[1:]...)
	}
	if err := s.sendInWindow(conn, w.win, msgs...); err != nil {
		drop()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "cannot %s: %v", w.what, err)
	}
	defer s.closeWindow(w.win)
	t := time.NewTimer(ModerationWait)
	defer t.Stop()
	select {
	case err := <-w.answer:
		return err
	case <-t.C:
		drop()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s did not answer within %v: %s", s.acc.addr(), ModerationWait, w.what)
	case <-ctx.Done():
		drop()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "given up (%v): %s", ctx.Err(), w.what)
	}
}

// modTarget is a member acted on in a joined channel.
type modTarget struct {
	id, name string // the channel's ID, and its name as the server spells it
	// nick is the member's current nick (the user's own for the login
	// ID); for someone not in the channel, what their ID names on the
	// server, for the server to answer, or "" when it names nobody.
	nick  string
	modes string // their channel modes
	in    bool   // they are in the channel
}

// inChannel finds the member with ID uid in the channel of chat ID
// chatID.
func (s *Session) inChannel(chatID, uid string) (modTarget, error) {
	t := modTarget{id: s.chanID(chatID)}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[t.id]
	if ch == nil {
		return t, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are not in %s", chatID)
	}
	t.name = ch.name
	switch mem := ch.members[uid]; {
	case mem != nil:
		t.nick, t.modes, t.in = mem.nick, mem.modes, true
	case uid == s.loginID:
		t.nick = s.self
	default:
		if n, ok := s.people.nick(uid); ok {
			t.nick = n
		} else if !strings.Contains(uid, "!") && validNick(uid) {
			t.nick = uid
		}
	}
	return t, nil
}

// Kick kicks a member out of a channel, with the reason (sdk.Kicker); a
// ban first bans them (MODE +b *!*@host, banMaskOf), so that they cannot
// come back, under their nick or another. It returns once the server
// kicked them: its KICK, which came first, is the member event.
func (s *Session) Kick(ctx context.Context, c sdk.Call, k *pb.Kick) error {
	conn, err := s.online()
	if err != nil {
		return err
	}
	t, err := s.inChannel(c.ChatID, k.UserId)
	if err != nil {
		return err
	}
	if t.nick == "" {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s is not in %s", k.UserId, c.ChatID)
	}
	w := &modWait{what: "kick " + decodeText(t.nick) + " from " + decodeText(t.name), channel: t.id, nick: s.fold(t.nick), kick: true}
	kick := []string{"KICK", t.name, t.nick}
	if r := strings.Join(strings.Fields(k.Reason), " "); r != "" {
		if err := s.carriesIn(c.ChatID, "the reason", r); err != nil {
			return err
		}
		kick = append(kick, r) // one line: IRC's reason has no line breaks
	}
	if !k.Ban {
		return s.moderate(ctx, conn, w, kick)
	}
	w.what, w.ban = "ban "+decodeText(t.nick)+" from "+decodeText(t.name), true
	mask, err := s.banMaskOf(ctx, conn, t)
	if err != nil {
		return err
	}
	if err := s.moderate(ctx, conn, w, []string{"MODE", t.name, "+b", mask}, kick); err != nil {
		return err
	}
	s.mu.Lock()
	key := banKey{t.id, k.UserId}
	if !slices.Contains(s.bans[key], mask) {
		s.bans[key] = append(s.bans[key], mask)
	}
	s.mu.Unlock()
	return nil
}

// banKey is a member's ID in a channel, by the channel's ID: what
// Session.bans keeps the masks of the bans set from XMPP under.
type banKey struct{ channel, member string }

// Unban lifts the bans on someone (sdk.Unbanner): MODE -b with the masks
// the user banned them with on this connection, else those of the
// channel's ban list (MODE +b, asked as a moderation command) that match
// their nick!user@host as last seen, or nick!*@* when the server never
// said their user and host. A member no mask names was not banned: no
// error, nothing sent. It returns once the server answered; a refusal
// (not an operator) is its typed error.
func (s *Session) Unban(ctx context.Context, c sdk.Call, userID string) error {
	conn, err := s.online()
	if err != nil {
		return err
	}
	t, err := s.inChannel(c.ChatID, userID)
	if err != nil {
		return err
	}
	key := banKey{t.id, userID}
	s.mu.Lock()
	masks := slices.Clone(s.bans[key])
	uh, known := s.people.userHost(userID)
	s.mu.Unlock()
	who := decodeText(t.nick)
	if who == "" {
		who = userID
	}
	if len(masks) == 0 {
		if t.nick == "" {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s is not known on %s since the last reconnection, and names no nick to find in the ban list", userID, s.acc.addr())
		}
		w := &modWait{what: "read the ban list of " + decodeText(t.name), channel: t.id, listing: true}
		if err := s.moderate(ctx, conn, w, []string{"MODE", t.name, "+b"}); err != nil {
			return err
		}
		subject := t.nick + "!*@*"
		if known {
			subject = t.nick + "!" + uh.user + "@" + uh.host
		}
		for _, m := range bansOf(s.caseMap(), w.bans, subject) {
			if !slices.Contains(masks, m) {
				masks = append(masks, m)
			}
		}
	}
	if len(masks) == 0 {
		s.n.host.Logger().Debug("irc: unban of someone no ban names", "login", s.loginID, "channel", decodeText(t.name), "nick", who)
		return nil
	}
	lines := make([][]string, 0, len(masks))
	for _, m := range masks {
		lines = append(lines, []string{"MODE", t.name, "-b", m}) // one a line: servers cap the modes of one
	}
	w := &modWait{what: "lift the ban on " + who + " in " + decodeText(t.name), channel: t.id, nick: s.fold(t.nick)}
	if err := s.moderate(ctx, conn, w, lines...); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.bans, key)
	s.mu.Unlock()
	return nil
}

// anyone is an address no ban of a person names: a mask matching it too
// matches everyone.
const anyone = "passerelle-nobody!nobody@nobody.invalid"

// bansOf are the masks of a ban list that name subject, but not those
// that match anyone (*!*@*: a channel closed to all): lifting one of
// those to let one person in would let everyone in.
// Names fold as cm says.
func bansOf(cm casemap, list []string, subject string) []string {
	var out []string
	for _, m := range list {
		if cm.maskMatches(m, subject) && !cm.maskMatches(m, anyone) {
			out = append(out, m)
		}
	}
	return out
}

// maskMatches tells whether the ban mask (nick!user@host, with * for any
// run and ? for any one character) matches subject, as IRC compares
// names: casefolded as cm says.
func (cm casemap) maskMatches(mask, subject string) bool {
	m, sub := cm.fold(mask), cm.fold(subject)
	// The classic two-pointer wildcard match: on a mismatch, go back to
	// the last * and let it take one more character.
	mi, si, star, mark := 0, 0, -1, 0
	for si < len(sub) {
		switch {
		case mi < len(m) && (m[mi] == '?' || m[mi] == sub[si]):
			mi++
			si++
		case mi < len(m) && m[mi] == '*':
			star, mark = mi, si
			mi++
		case star >= 0:
			mi, mark = star+1, mark+1
			si = mark
		default:
			return false
		}
	}
	for mi < len(m) && m[mi] == '*' {
		mi++
	}
	return mi == len(m)
}

// banMaskOf is the ban of the member t (banMask): by their host, which
// the server said when they joined after the user, or in NAMES with
// userhost-in-names; else the server is asked (USERHOST, waited for as
// a moderation command), and a nick it does not know is banned by nick.
// The user's own host, which the mask must not match, is asked for too
// when their JOIN did not say it.
func (s *Session) banMaskOf(ctx context.Context, conn *ircevent.Connection, t modTarget) (string, error) {
	addr := func() (uh userHost, ok bool, self userHost, selfNick string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if id, known := s.people.byNick[s.fold(t.nick)]; known {
			uh, ok = s.people.userHost(id)
		}
		return uh, ok, s.selfAddr, s.self
	}
	uh, ok, self, selfNick := addr()
	if !ok || self.host == "" {
		ask := []string{"USERHOST", t.nick}
		if self.host == "" && s.fold(selfNick) != s.fold(t.nick) {
			ask = append(ask, selfNick)
		}
		w := &modWait{what: "find the host of " + decodeText(t.nick), channel: t.id, nick: s.fold(t.nick)}
		if err := s.moderate(ctx, conn, w, ask); err != nil {
			return "", err
		}
		uh, ok, self, _ = addr()
	}
	if !ok {
		return banMask(t.nick, nil, self), nil
	}
	return banMask(t.nick, &uh, self), nil
}

// banMask is the ban of nick, whose user and host are uh (nil: not
// known), for the user whose own are self: *!*@host, the usual mask,
// which a new nick does not escape. A host the user shares (a web
// client's, a bouncer's, the same machine) is narrowed to the member's
// user, *!user@host, not to ban the user too; where that is the user's
// too, or uh is not known, the ban is of the nick, nick!*@*.
func banMask(nick string, uh *userHost, self userHost) string {
	switch {
	case uh == nil:
		return nick + "!*@*"
	case !strings.EqualFold(uh.host, self.host):
		return "*!*@" + uh.host
	case uh.user != self.user:
		return "*!" + uh.user + "@" + uh.host
	}
	return nick + "!*@*"
}

// onUserhost notes the users and hosts of a USERHOST answer (302):
// "nick=+user@host", with * after an IRC operator's nick and - before
// the user of someone away.
func (s *Session) onUserhost(m ircmsg.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, entry := range strings.Fields(lastParam(m)) {
		nick, rest, ok := strings.Cut(entry, "=")
		if !ok || len(rest) < 2 {
			continue
		}
		nick, rest = strings.TrimSuffix(nick, "*"), rest[1:]
		_, uh, ok := splitSource(nick + "!" + rest)
		switch {
		case !ok:
		case s.isSelfLocked(nick):
			s.selfAddr = uh
		default:
			s.people.seen(nick, uh)
		}
	}
}

// Invite invites someone to a channel (sdk.Inviter): INVITE, which the
// server passes to them; joining is theirs to do.
func (s *Session) Invite(ctx context.Context, c sdk.Call, userID string) error {
	conn, err := s.online()
	if err != nil {
		return err
	}
	t, err := s.inChannel(c.ChatID, userID)
	switch {
	case err != nil:
		return err
	case t.in:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_CONFLICT, "%s is in %s already", decodeText(t.nick), c.ChatID)
	case t.nick == "":
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s is not known on %s since the last reconnection", userID, s.acc.addr())
	}
	w := &modWait{what: "invite " + decodeText(t.nick) + " to " + decodeText(t.name), channel: t.id, nick: s.fold(t.nick)}
	return s.moderate(ctx, conn, w, []string{"INVITE", t.nick, t.name})
}

// SetRole changes a member's channel modes to give the role and
// affiliation asked (sdk.RoleSetter), the reverse of how modes show
// (prefixes.role): roleModes says which. It returns once the server
// answered; its MODE, which came first, is the member's role change.
func (s *Session) SetRole(ctx context.Context, c sdk.Call, r *pb.SetRole) error {
	conn, err := s.online()
	if err != nil {
		return err
	}
	t, err := s.inChannel(c.ChatID, r.UserId)
	if err != nil {
		return err
	}
	if !t.in {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s is not in %s", r.UserId, c.ChatID)
	}
	s.mu.Lock()
	p := s.prefix
	s.mu.Unlock()
	change, err := roleModes(p, t.modes, r)
	if err != nil || change == "" {
		return err // "": they are what was asked already
	}
	line := []string{"MODE", t.name, change}
	for _, m := range change {
		if m != '+' && m != '-' {
			line = append(line, t.nick)
		}
	}
	w := &modWait{what: "set " + change + " on " + decodeText(t.nick) + " in " + decodeText(t.name), channel: t.id, nick: s.fold(t.nick)}
	return s.moderate(ctx, conn, w, line)
}

// roleModes is the mode change ("+o", "-o+v", "" for none) that gives a
// member with modes the role and affiliation of r, on a server of
// prefixes p. The gateway fills in what r leaves as it is, so what
// differs from what the modes show is what was asked:
//
//   - affiliation admin: +o (an operator is an admin and moderator);
//     member, from admin: -o (and -v with the role visitor).
//   - role moderator: +o; participant, from moderator: -o (and -h);
//     participant otherwise: +v (voice, MUC's participant); visitor: the
//     moderator modes and voice taken away (-o-h-v).
//   - owner (q), and admin by +a, are not given or taken: IRC has no
//     general way, their servers' services do it. A ban (outcast) is a
//     Kick with ban, and affiliation none a kick (as the gateway sends them).
//
// Without +m a member without voice may speak: they still show as a
// participant after -v.
func roleModes(p prefixes, modes string, r *pb.SetRole) (string, error) {
	role, aff := p.role(modes)
	switch {
	case r.Affiliation == pb.Affiliation_AFFILIATION_OUTCAST:
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "irc: a ban is a kick with ban (MODE +b and KICK), not a role")
	case r.Affiliation == pb.Affiliation_AFFILIATION_NONE:
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "irc: taking someone out of a channel is a kick")
	case r.Affiliation == pb.Affiliation_AFFILIATION_OWNER || aff == pb.Affiliation_AFFILIATION_OWNER:
		if r.Affiliation == aff && r.Role == pb.Role_ROLE_MODERATOR {
			return "", nil
		}
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "irc: IRC has no general way to give or take a channel's ownership (+q): the server's services (ChanServ) do it, where it has them")
	}
	has := func(m rune) bool { return strings.ContainsRune(modes, m) }
	var plus, minus string
	demote := func() {
		for _, m := range "ohv" {
			if has(m) && (m != 'v' || r.Role == pb.Role_ROLE_VISITOR) {
				minus += string(m)
			}
		}
	}
	switch {
	case r.Affiliation == pb.Affiliation_AFFILIATION_ADMIN && aff != pb.Affiliation_AFFILIATION_ADMIN:
		if r.Role != role && r.Role != pb.Role_ROLE_MODERATOR {
			return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "irc: a channel operator (+o, an admin) is a moderator")
		}
		plus = "o"
	case r.Role == pb.Role_ROLE_MODERATOR && r.Affiliation == aff:
		if role != pb.Role_ROLE_MODERATOR {
			plus = "o"
		}
	case r.Role == pb.Role_ROLE_PARTICIPANT && role != pb.Role_ROLE_MODERATOR:
		if !has('v') {
			plus = "v"
		}
	default: // admin or moderator to less, or a visitor
		if has('a') || (aff == pb.Affiliation_AFFILIATION_ADMIN && !has('o')) {
			return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "irc: IRC has no general way to take a channel's admin status (+a or above) away: the server's services (ChanServ) do it, where it has them")
		}
		demote()
	}
	for _, m := range plus + minus {
		if !strings.ContainsRune(p.modes, m) {
			return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "irc: the server has no mode %c for members", m)
		}
	}
	var b strings.Builder
	if minus != "" {
		b.WriteString("-" + minus)
	}
	if plus != "" {
		b.WriteString("+" + plus)
	}
	return b.String(), nil
}
