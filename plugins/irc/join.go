package irc

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// JoinChatWait is how long JoinChat waits for the server's answer.
const JoinChatWait = 15 * time.Second

// joinErrors are the server's refusals of a JOIN, as the contract's
// errors (XMPP conditions a MUC client understands).
var joinErrors = map[string]pb.ErrorCode{
	ircevent.ERR_NOSUCHCHANNEL:   pb.ErrorCode_ERROR_CODE_NOT_FOUND,
	ircevent.ERR_BADCHANMASK:     pb.ErrorCode_ERROR_CODE_NOT_FOUND,
	ircevent.ERR_TOOMANYCHANNELS: pb.ErrorCode_ERROR_CODE_RATE_LIMITED,
	ircevent.ERR_CHANNELISFULL:   pb.ErrorCode_ERROR_CODE_UNAVAILABLE,
	ircevent.ERR_INVITEONLYCHAN:  pb.ErrorCode_ERROR_CODE_NOT_ALLOWED,
	ircevent.ERR_BANNEDFROMCHAN:  pb.ErrorCode_ERROR_CODE_BANNED,
	ircevent.ERR_BADCHANNELKEY:   pb.ErrorCode_ERROR_CODE_UNAUTHORIZED,
	ircevent.ERR_NEEDREGGEDNICK:  pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED,
	ircevent.ERR_UNAVAILRESOURCE: pb.ErrorCode_ERROR_CODE_UNAVAILABLE,
	ircevent.ERR_LINKCHANNEL:     pb.ErrorCode_ERROR_CODE_NOT_FOUND,
	errBadChanName:               pb.ErrorCode_ERROR_CODE_NOT_FOUND,
	errSecureOnly:                pb.ErrorCode_ERROR_CODE_NOT_ALLOWED,
	errOperOnly:                  pb.ErrorCode_ERROR_CODE_NOT_ALLOWED,
	ngircdSecureOnly:             pb.ErrorCode_ERROR_CODE_NOT_ALLOWED,
	ngircdOperOnly:               pb.ErrorCode_ERROR_CODE_NOT_ALLOWED,
}

// More refusals of a JOIN: 479 (Solanum's and InspIRCd's illegal
// channel name), 489 (UnrealIRCd's and InspIRCd's +z, TLS connections
// only), 520 (their +O, IRC operators only); and ngircd's 471s that are
// no full channel, told apart by their words (joinRefusal).
const (
	errBadChanName   = "479"
	errSecureOnly    = "489"
	errOperOnly      = "520"
	ngircdSecureOnly = "471 (+z)"
	ngircdOperOnly   = "471 (+O)"
)

// joinWhy says in words why a JOIN was refused, for the user.
var joinWhy = map[string]string{
	ircevent.ERR_NOSUCHCHANNEL:   "there is no such channel",
	ircevent.ERR_BADCHANMASK:     "that is no channel name the server takes",
	ircevent.ERR_TOOMANYCHANNELS: "you are in as many channels as the server allows",
	ircevent.ERR_CHANNELISFULL:   "the channel is full",
	ircevent.ERR_INVITEONLYCHAN:  "the channel is invite-only",
	ircevent.ERR_BANNEDFROMCHAN:  "you are banned from the channel",
	ircevent.ERR_BADCHANNELKEY:   "the channel needs a key (the room's password), and that was not it",
	ircevent.ERR_NEEDREGGEDNICK:  "the channel takes only registered nicks",
	ircevent.ERR_UNAVAILRESOURCE: "the channel is temporarily unavailable",
	ircevent.ERR_LINKCHANNEL:     "the channel forwards elsewhere",
	errBadChanName:               "that is no channel name the server takes",
	errSecureOnly:                "the channel takes only TLS connections",
	errOperOnly:                  "the channel takes only IRC operators",
	ngircdSecureOnly:             "the channel takes only TLS connections",
	ngircdOperOnly:               "the channel takes only IRC operators",
}

// handleJoinErrors reports a refused JOIN to the JoinChat waiting for it,
// and stops a login's wait for a configured channel the server refused.
// A refusal for registered nicks only may wait for the nick's
// identification instead (identify.go).
func (s *Session) handleJoinErrors(c *ircevent.Connection) {
	for code := range joinErrors {
		if strings.Contains(code, " ") {
			continue // no numeric: one joinRefusal tells apart
		}
		s.on(c, code, func(m ircmsg.Message) {
			if len(m.Params) < 2 {
				return
			}
			code := joinRefusal(code, lastParam(m))
			name := m.Params[1]
			id := s.chanID(name)
			if code == ircevent.ERR_LINKCHANNEL && len(m.Params) >= 4 && isChannel(m.Params[2]) && s.forwarded(id, s.chanID(m.Params[2])) {
				return
			}
			what := joinWhy[code]
			if code == ircevent.ERR_LINKCHANNEL && len(m.Params) >= 4 && isChannel(m.Params[2]) {
				// "470 me #a #b :Forwarding": the server joins the user
				// to #b instead, whose room comes as one joined.
				what = "the channel forwards to " + decodeText(m.Params[2]) + ", which you are joined to instead"
			}
			why := fmt.Sprintf("cannot join %s: %s (the server says: %s)", decodeText(name), what, decodeText(lastParam(m)))
			s.mu.Lock()
			if s.lineWaitingLocked(s.fold(name)) {
				// The answer to a line of the user's to the channel,
				// sent before any JOIN of it (the server answers in
				// order): a late refusal of a message, the user
				// kicked and joining again meanwhile, is no refusal
				// of the join (refusals.go takes it).
				s.mu.Unlock()
				return
			}
			wait := s.joins[id]
			_, in := s.channels[id]
			if code == ircevent.ERR_NEEDREGGEDNICK && !in && (wait != nil || s.ownsLocked(id)) {
				held, hint := s.holdForIdentificationLocked(name, wait != nil)
				if held {
					s.mu.Unlock()
					return // joined again once services answer
				}
				if hint != "" {
					why += ": " + hint
				}
			}
			delete(s.joins, id)
			s.mu.Unlock()
			if wait != nil {
				wait <- sdk.Errorf(joinErrors[code], "%s", why)
			} else {
				s.n.host.Logger().Warn("irc: channel not joined", "channel", name, "why", lastParam(m))
				s.rejoinRefused(m, code, id, why)
			}
			s.joinDone(id)
		})
	}
}

// forwarded takes a JoinChat's channel id that the server forwards to
// channel to ("470 me #a #b :Forwarding", Solanum's +f, UnrealIRCd's
// and InspIRCd's +L), joining the user to it instead: the join is that
// channel's, and answers with its ID, so that the gateway sends the
// user to its room (as for another spelling). False where no JoinChat
// waits for id.
func (s *Session) forwarded(id, to string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.joins[id]
	if w == nil || s.joins[to] != nil || to == id {
		return false
	}
	delete(s.joins, id)
	s.joins[to] = w
	s.joinedAs[id] = to
	return true
}

// joinRefusal is the refusal a JOIN's numeric code means, with the
// server's text: ngircd refuses a channel for registered users only
// (+R) with 471 ("Cannot join channel (+R) -- Registered users only"),
// which other servers say with 477, and one for TLS connections (+z) or
// IRC operators (+O) only with 471 too; its 471 says the channel is
// full otherwise.
func joinRefusal(code, text string) string {
	if code != ircevent.ERR_CHANNELISFULL {
		return code
	}
	switch {
	case strings.Contains(text, "(+R)"):
		return ircevent.ERR_NEEDREGGEDNICK
	case strings.Contains(text, "(+z)"):
		return ngircdSecureOnly
	case strings.Contains(text, "(+O)"):
		return ngircdOperOnly
	}
	return code
}

// ownsLocked reports whether channel id is on the login's list.
func (s *Session) ownsLocked(id string) bool {
	return slices.ContainsFunc(s.acc.Channels, func(ch string) bool { return s.chanID(ch) == id })
}

// lastingRefusals are the JOIN refusals that a later attempt would meet
// again until someone acts (an operator, the user): a channel of the
// login so refused comes off its list. The others (a full channel, one
// held after a netsplit, too many channels) are tried again at the next
// connection; so is a channel for registered nicks only, which the
// user's identification opens (identify.go).
var lastingRefusals = map[string]bool{
	ircevent.ERR_NOSUCHCHANNEL: true, ircevent.ERR_BADCHANMASK: true, ircevent.ERR_INVITEONLYCHAN: true,
	ircevent.ERR_BANNEDFROMCHAN: true, ircevent.ERR_BADCHANNELKEY: true, ircevent.ERR_LINKCHANNEL: true,
	errBadChanName: true,
}

// rejoinRefused takes the server's refusal (numeric code) of a JOIN no
// JoinChat waits for: of a channel of the login, at its connection, its
// room goes (ChatRemoved, with why), and after a lasting refusal the
// channel leaves the login's list. The user may be in the room still
// (joined before a reconnection): it would stay, with nothing sent to it
// reaching the channel.
func (s *Session) rejoinRefused(m ircmsg.Message, code, id, why string) {
	s.mu.Lock()
	_, in := s.channels[id]
	ours := s.ownsLocked(id)
	s.mu.Unlock()
	if in || !ours {
		return // another command's error (a 403 to a TOPIC), or no channel of the login
	}
	if !lastingRefusals[code] && !s.firstRefusal(id) {
		return // told at an earlier connection: its room is gone already
	}
	reason := pb.ChatRemovedEvent_REASON_LEFT
	if code == ircevent.ERR_BANNEDFROMCHAN {
		reason = pb.ChatRemovedEvent_REASON_BANNED
	}
	s.n.host.Emit(&pb.Event{LoginId: s.loginID, ChatId: id, ChatType: pb.ChatType_CHAT_TYPE_GROUP, EventId: s.n.newID(),
		TimestampUnixMicro: serverTime(m).UnixMicro(),
		Payload:            &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{Reason: reason, Text: why}}})
	if lastingRefusals[code] {
		if err := s.forgetChannel(id); err != nil {
			s.n.host.Logger().Error("irc: the login's channels not saved", "err", err)
		}
	}
}

// firstRefusal notes that the refusal of channel id, which stays on the
// login's list, is told (in the saved state, for restarts too), and
// reports whether it was not yet: a channel that keeps refusing (a full
// one, one for registered nicks only) loses its room once, not at every
// connection.
func (s *Session) firstRefusal(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.acc.Refused, id) {
		return false
	}
	s.acc.Refused = append(s.acc.Refused, id)
	if err := s.saveLocked(); err != nil {
		s.n.host.Logger().Error("irc: the login's state not saved", "login", s.loginID, "err", err)
	}
	return true
}

// joinedAgainLocked forgets that channel id's refusal was told: it is
// joined, so a later refusal is news to the user.
func (s *Session) joinedAgainLocked(id string) {
	if !slices.Contains(s.acc.Refused, id) {
		return
	}
	s.acc.Refused = slices.DeleteFunc(s.acc.Refused, func(r string) bool { return r == id })
	if err := s.saveLocked(); err != nil {
		s.n.host.Logger().Error("irc: the login's state not saved", "login", s.loginID, "err", err)
	}
}

// validChannel is a loose check of a channel name (RFC 2812: a prefix,
// then no space, comma, BELL or colon); servers refine it.
func validChannel(name string) bool {
	return len(name) > 1 && len(name) <= 200 && isChannel(name) && !strings.ContainsAny(name, " ,\a:\r\n\x00")
}

// JoinChat joins the channel the call names (by its ID: chanName), with
// the password as its key (sdk.ChatJoiner). It returns once the server listed the channel's
// members, after the chat's event; the channel is then the login's, and
// rejoined after reconnections and restarts. IRC has one nick per server,
// so the nick asked for is not used: the chat shows the user's. A
// channel asked by a spelling of its name that folds to another ID
// ("#[go]" is "#{go}") is joined under that ID, which it returns: the
// gateway sends the user to its room.
func (s *Session) JoinChat(ctx context.Context, c sdk.Call, j *pb.JoinChat) (string, error) {
	as, err := s.joinChannel(ctx, c, j)
	if err != nil {
		return "", err
	}
	if as != "" {
		return as, nil
	}
	if name, ok := s.chanName(c.ChatID); ok && s.chanID(name) != c.ChatID {
		return s.chanID(name), nil
	}
	return "", nil
}

// joinChannel is JoinChat's work; the channel's ID is the one asked,
// but for a safe channel joined by its short name (safechan.go): as is
// then the ID of the channel joined.
func (s *Session) joinChannel(ctx context.Context, c sdk.Call, j *pb.JoinChat) (as string, _ error) {
	name, ok := s.chanName(c.ChatID)
	if !ok || !validChannel(name) {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is no IRC channel: a channel's name starts with # (or &, +, !) and has no space, comma or colon", c.ChatID)
	}
	if err := cmp.Or(s.carries("the channel's name", name), s.carries("the channel's key", j.GetPassword())); err != nil {
		return "", err
	}
	if strings.ContainsAny(j.GetPassword(), " ,\r\n\x00") {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a channel key has no space, comma or line break")
	}
	if n := len("JOIN ") + len(name) + len(" ") + len(j.GetPassword()) + len("\r\n"); j.GetPassword() != "" && n > 512 {
		// irc-go refuses such a line: the key is the user's to shorten,
		// not the server's fault.
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "the key of %s is too long: its JOIN would be %d bytes, and IRC takes lines of at most 512", c.ChatID, n)
	}
	conn, err := s.online()
	if err != nil {
		return "", err
	}
	id := s.chanID(name)
	s.mu.Lock()
	if ch := s.channels[id]; ch != nil && ch.synced {
		// Joined already: the gateway gets the chat again.
		chat := s.chatLocked(id, ch)
		s.mu.Unlock()
		s.n.host.Emit(&pb.Event{LoginId: s.loginID, ChatId: id, ChatType: pb.ChatType_CHAT_TYPE_GROUP,
			TimestampUnixMicro: time.Now().UnixMicro(), Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}}})
		return "", s.keepChannel(name, j.GetPassword())
	}
	wait := make(chan error, 1)
	if prev := s.joins[id]; prev != nil {
		prev <- sdk.Errorf(pb.ErrorCode_ERROR_CODE_CONFLICT, "joined again meanwhile")
	}
	s.joins[id] = wait
	s.mu.Unlock()
	if j.GetPassword() != "" {
		err = conn.Send("JOIN", name, j.GetPassword())
	} else {
		err = conn.Join(name)
	}
	if err != nil {
		s.dropJoin(id, wait)
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "could not join %s: %v", c.ChatID, err)
	}
	t := time.NewTimer(JoinChatWait)
	defer t.Stop()
	select {
	case err = <-wait:
	case <-t.C:
		if s.dropJoin(id, wait) {
			return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s takes only registered nicks, and your nick was still not identified %v later (services did not answer the IDENTIFY): join again once it is", c.ChatID, JoinChatWait)
		}
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s did not answer the join of %s within %v", s.acc.addr(), c.ChatID, JoinChatWait)
	case <-ctx.Done():
		s.dropJoin(id, wait)
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the join of %s was given up: %v", c.ChatID, ctx.Err())
	}
	s.mu.Lock()
	as = s.joinedAs[id]
	delete(s.joinedAs, id) // also where the channel joined instead refused
	if ch := s.channels[as]; ch != nil {
		name = ch.name // a safe channel's full name
	}
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	return as, s.keepChannel(name, j.GetPassword())
}

// dropJoin forgets JoinChat's wait for channel id, given up; a channel
// not the login's that waited for the nick's identification (held)
// then waits no more: joined later, no JoinChat would keep it.
func (s *Session) dropJoin(id string, wait chan error) (held bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.joins[id] == wait {
		delete(s.joins, id)
	}
	// A wait moved to the channel joined instead (forwarded, a safe
	// channel's full name) goes too.
	if to, ok := s.joinedAs[id]; ok {
		delete(s.joinedAs, id)
		if s.joins[to] == wait {
			delete(s.joins, to)
		}
	}
	if _, held = s.needID[id]; held && !s.ownsLocked(id) {
		delete(s.needID, id)
	}
	return held
}

// keepChannel puts a joined channel (and its key) on the login's list, in
// its saved state.
func (s *Session) keepChannel(name, key string) error {
	id := s.chanID(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	known := false
	for _, ch := range s.acc.Channels {
		known = known || s.chanID(ch) == id
	}
	if known && (key == "" || s.acc.Keys[id] == key) {
		return nil // a join without a key keeps the one known
	}
	if !known {
		s.acc.Channels = append(s.acc.Channels, name)
	}
	if key != "" {
		if s.acc.Keys == nil {
			s.acc.Keys = map[string]string{}
		}
		s.acc.Keys[id] = key
	}
	return s.saveLocked()
}

// keepKey notes channel id's key (none: "") as the channel's operators
// changed it, for a channel on the login's list: its saved state rejoins
// with it.
func (s *Session) keepKey(id, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ownsLocked(id) || s.acc.Keys[id] == key {
		return nil
	}
	if key == "" {
		delete(s.acc.Keys, id)
	} else {
		if s.acc.Keys == nil {
			s.acc.Keys = map[string]string{}
		}
		s.acc.Keys[id] = key
	}
	return s.saveLocked()
}
