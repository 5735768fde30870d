package irc

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Session is one login's connection to its IRC server.
type Session struct {
	n       *Network
	loginID string
	user    string // the bare JID of the XMPP user whose login it is
	acc     Account
	// cm is the server's casemap (casemap.go), read without mu.
	cm atomic.Int32
	// codec is the server's encoding (encoding.go), set once.
	codec codec
	// chanCodecs are the codecs of the channels with their own
	// encoding (chanenc.go), by chat ID, read without mu; replaced
	// whole under mu.
	chanCodecs atomic.Pointer[map[string]codec]
	// commands are the login's commands after connecting, parsed once
	// (afterConnect sends them, secretLine leaves them out of history);
	// set once.
	commands    []ircmsg.Message
	badCommands []badCommand // those that are no IRC line, logged at each connection

	mu       sync.Mutex
	conn     *ircevent.Connection // nil when not connected
	channels map[string]*channel  // joined channels, by folded name
	// namesWaiting, set by internal tests only, is called when a
	// ChatInfo starts waiting for the NAMES of channel id: a test
	// acts then, not after a sleep.
	namesWaiting func(id string)
	// shown is the user's own nick as the gateway last heard it in
	// each channel, by folded name, kept across reconnections: a nick
	// the server gave on reconnecting is a rename of the user.
	shown  map[string]string
	people *people // the members' IDs, for this connection
	self   string  // the user's nick, as the server last said it
	// selfAddr is the user's own user and host, from their JOIN's
	// source (a ban by host must not match them).
	selfAddr userHost
	caps     map[string]bool
	prefix   prefixes
	modes    chanModes
	// pending is the configured channels not joined yet since the
	// connection came up, by folded name, and the CONNECTED message
	// to send once they are: the user's rooms are there when the
	// gateway hears the login is connected.
	pending   map[string]bool
	connected string
	// connectedSaid is the message of the last CONNECTED state, said
	// again when the login's features change (redact.go).
	connectedSaid string
	// visibleHost is the user's host as the server last said it
	// (396, RPL_VISIBLEHOST: a cloak), shown in the server's chat when
	// it changes (server.go).
	visibleHost string
	// up: the server welcomed this connection (registered), and its
	// channels' JOINs went; until then a command has no connection to
	// use (online): a line sent during a reconnection's registration
	// is refused by the server (451) without a word the plugin takes.
	up bool
	// ready is closed when the first connection attempt of Connect has
	// an outcome (connected, channels joined; or refused).
	ready     chan struct{}
	readyOnce *sync.Once
	joins     map[string]chan error // JoinChat calls waiting, by folded channel
	nickWait  *nickWait             // the SetNick call waiting, if any
	// modMu lets one moderation command at a time wait for the server
	// (moderation.go), modWait.
	modMu   sync.Mutex
	modWait *modWait
	// listTurn, a one-slot channel, lets one search (LIST) at a time
	// wait for the server (search.go), listWait; a lock that a search
	// gives up waiting for when its context ends.
	listTurn chan struct{}
	listWait *listWait
	// listStale, when not zero, is when the LIST given up on, whose end
	// (323) has not come, is taken as lost: its replies are no search's.
	listStale time.Time
	// rawList is the LIST typed in the server's chat running, if any
	// (serverlist.go).
	rawList *rawList
	// bans are the masks of the bans the user set from XMPP on this
	// connection, by channel and member: what Unban lifts first.
	bans   map[banKey][]string
	echoes []*echo // own lines waiting for the server's echo
	// sendWaits are the sends waiting for the server's answer to their
	// lines, oldest first (refusals.go).
	sendWaits []*sendWait
	// windows are the commands sent between two PINGs of their own,
	// whose answers are theirs alone (refusals.go), in the order sent.
	windows []*window
	// wireMu keeps the lines whose answers are told apart by their
	// order (a send's, a TAGMSG's, a window's) in the order they are
	// registered in: one writer at a time. Taken before mu.
	wireMu sync.Mutex
	// stop is closed by Disconnect: it ends a wait between attempts.
	stop chan struct{}
	// attempts counts the connection attempts since the last one that
	// reached the server (see dial).
	attempts int
	// plain is the current attempt's connection when TLS is off: what
	// the server said first tells a TLS port (tls.go).
	plain *plainConn
	// looping: the connection reached the server once, and ircevent's
	// Loop reconnects it; dial reports the attempts that fail.
	looping bool
	// welcomed: the server welcomed this Connect's login once. A first
	// connection it hangs up on as Connect returns fails like one that
	// never got in, and run tries again as for a first connection:
	// refused then says why as dial does for a reconnection.
	welcomed bool
	// attempt is the last attempt that reached the server, and what
	// it heard before the server's welcome (registration.go).
	attempt *attempt
	// History (history.go): the CHATHISTORY requests waiting for their
	// batch, in the order sent; the most one asks for; the server time
	// of the newest message seen in each chat, by chat ID (kept across
	// reconnections); the last batch handed to the gateway.
	histWait []*histReq
	histMax  int
	newest   map[string]time.Time
	heard    time.Time // the newest message's server time, in all
	histSent chan struct{}
	// live is the msgids of the messages that came live (the user's
	// echoed ones too), oldest first in liveOrder: history leaves them
	// out (history.go).
	live      map[string]bool
	liveOrder []string
	// serverAhead is how far the server's clock is ahead of ours, as
	// its last PONG with server-time told (clockKnown; pongTold), or,
	// where its PONGs told nothing yet, its last answer of another
	// kind (the user's JOIN echoed, the welcome): serverclock.go.
	serverAhead          time.Duration
	clockKnown, pongTold bool
	// typing is what the user last told each target (folded) about
	// their typing (typing.go).
	typing map[string]typed
	// The nick's identification with services on this connection
	// (identify.go): identifying, an IDENTIFY went to NickServ and its
	// outcome is not known yet; identified, the server or services said
	// it is; byServer, the server said so (900, the user mode), which
	// NickServ's words may come before; idGen counts connections, so
	// that a late timer is not taken for this one's; needID is the
	// channels refused for registered nicks only, by ID (their names),
	// joined again at identification.
	identifying, identified, byServer bool
	idGen                             int
	needID                            map[string]string
	// regain is where the asking NickServ for the login's nick back is
	// on this connection (regain.go).
	regain regain
	// idNick is the nick the last IDENTIFY went under: services
	// identify the nick the user has.
	idNick string
	// ngircd: the server says it is ngircd (004), whose user mode R
	// marks an identified nick (identify.go).
	ngircd bool
	// statusMsg is the server's STATUSMSG prefixes ("@+"): a message
	// to "@#chan" is to its operators.
	statusMsg string
	// chanIDLen is the length of a safe channel's ID (safechan.go);
	// joinedAs, the ID a JoinChat's channel (by the ID asked) was
	// joined as, where its JOIN named it otherwise.
	chanIDLen int
	joinedAs  map[string]string
	// motd is the server's MOTD as it comes, while motdOpen (motd.go).
	motd     []string
	motdOpen bool
	// errorSaid is the server's last ERROR on the connection.
	errorSaid string
	// lines and ctcp pace the lines of the user's messages (nil: the
	// login's throttle is off) and the answers to CTCP queries (pace.go).
	lines, ctcp *pacer
	// away is the user's away message as their XMPP presence last set
	// it ("" = here), kept across connections; awaySent is what the
	// server has of it on this connection (away.go).
	away, awaySent string
	// presences are the IDs whose presence away-notify or a 301 gave
	// on this connection, with the away message shown ("" = here)
	// (away.go): offline when they quit, share no channel with the
	// user any more, or the connection drops.
	presences map[string]string
	// modeAsks are the joined channels whose modes are to be asked
	// for (MODE #chan) and, with away-notify, who is away in them (WHO
	// #chan), by ID, in turn; asking: a goroutine asks them (modes.go).
	modeAsks []chanAsk
	asking   bool
	// typeMu keeps the TAGMSGs of typing (SetTyping's, the repeats')
	// and the end of typing in the order decided: a repeat's active is
	// not sent after the message that ended typing. Taken before mu.
	typeMu sync.Mutex
	// reactions are the reaction sets told (the user's, by login ID)
	// and heard, by message and person (reactions.go).
	reactions reactSets
	// redacted are the messages deleted on the server (REDACT,
	// redact.go), by chat and msgid (redactedKey), oldest first in
	// redactedOrder: history of their chat leaves them out.
	redacted      map[string]bool
	redactedOrder []string
	// reactIDs are the reactions heard (live, the echoes of the user's, a
	// catch-up's, a backfill's, the user's sent without an echo once
	// history told their msgid), by the msgid of their TAGMSG:
	// a REDACT of one takes it back (redact.go).
	reactIDs     map[string]reactRef
	reactIDOrder []string
	// backReactIDs are a Backfill's reactions (reactRef.page set), apart
	// from reactIDs and bounded on their own, oldest first in
	// backReactIDOrder: a big backfill forgets its own oldest, not the
	// reactions heard live (redact.go).
	backReactIDs     map[string]reactRef
	backReactIDOrder []string
	// withdrawnReacts are reactions known by their TAGMSG's msgid that
	// are taken back already (a later TAGMSG of the same emoji stands
	// for it, or history told the msgid of one the user sent and took
	// back), by msgid, their chat as value, oldest first in
	// withdrawnOrder: a REDACT of one is no retraction (redact.go). The
	// user's are on disk too (ownstore.go), for after a restart.
	withdrawnReacts map[string]string
	withdrawnOrder  []string
	// ownRedacts are the user's reactions React took back with a
	// REDACT of their TAGMSG, by its msgid, oldest first in
	// ownRedactOrder: the server's REDACT answering it is no event.
	ownRedacts     map[string]reactRef
	ownRedactOrder []string
	// own is what history needs to tell the user's own lines and
	// reactions, kept on disk (ownstore.go).
	own ownStore
	// contacts are the nicks of the user's one-to-one chats, newest
	// last, kept across connections; watched, those the server was
	// asked to watch on this connection (by folded nick) and what it
	// said of each, with watchCmd (MONITOR, WATCH, "": none) and
	// watchLimit from its ISUPPORT (monitor.go).
	contacts   []string
	watched    map[string]string
	watchCmd   string
	watchLimit int
}

// badCommand is a command after connecting that is no IRC line: its
// first word (never a password) and why.
type badCommand struct {
	verb string
	err  error
}

// userName is the user name (ident) the login registers with: its nick
// in the letters, digits, "-", "_" and "." that every server takes in
// one, "passerelle" where none is left. Servers refuse a user name with
// a nick's other characters (ngircd: "Invalid user name", for dave[m])
// and hang up: such a login never got in.
func userName(nick string) string {
	u := strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)) {
			return r
		}
		return -1
	}, nick)
	if u == "" {
		return "passerelle"
	}
	return u
}

// ConnectWait is how long Connect waits for the first attempt's outcome
// before it returns anyway (the attempt goes on). Messages sent to the
// user before it is on the server are lost: IRC keeps nothing for
// absent nicks, so Connect returns when the user is there.
const ConnectWait = 15 * time.Second

var (
	_ sdk.ChatInfoer     = (*Session)(nil)
	_ sdk.ChatLister     = (*Session)(nil)
	_ sdk.Leaver         = (*Session)(nil)
	_ sdk.TopicSetter    = (*Session)(nil)
	_ sdk.ChatJoiner     = (*Session)(nil)
	_ sdk.NickSetter     = (*Session)(nil)
	_ sdk.Backfiller     = (*Session)(nil)
	_ sdk.InviteDecliner = (*Session)(nil)
	_ sdk.UserInfoer     = (*Session)(nil)
)

func newSession(n *Network, loginID string, acc Account) *Session {
	s := &Session{n: n, loginID: loginID, acc: acc, channels: map[string]*channel{}, shown: map[string]string{},
		bans: map[banKey][]string{}, joins: map[string]chan error{}, prefix: defaultPrefixes, modes: defaultChanModes,
		histMax: historyLimit, newest: map[string]time.Time{}, live: map[string]bool{}, typing: map[string]typed{},
		listTurn: make(chan struct{}, 1), needID: map[string]string{}, joinedAs: map[string]string{}, chanIDLen: defaultChanIDLen, presences: map[string]string{}, lines: linePacer(acc), ctcp: newPacer(ctcpBurst, ctcpEvery)}
	s.cm.Store(int32(parseCasemap(acc.Casemapping)))
	s.migrateIDs()
	s.codec, _ = lookupEncoding(acc.Encoding) // checked by LoadLogin
	s.storeChanCodecsLocked()
	for _, line := range acc.Commands {
		m, err := ircmsg.ParseLine(line)
		if err != nil {
			verb, _, _ := strings.Cut(line, " ") // never a password
			s.badCommands = append(s.badCommands, badCommand{verb, err})
			continue
		}
		s.commands = append(s.commands, m)
	}
	s.people = newPeople(s.fold)
	s.loadOwn()
	return s
}

// Connect starts the connection in the background; its progress comes as
// login state events. It returns when the first attempt connected (and
// joined the channels) or failed, at most ConnectWait later: IRC keeps
// nothing for a nick not yet on the server, so the gateway should not
// take the login as there before it is. On a connected session it does
// nothing.
func (s *Session) Connect(ctx context.Context) error {
	s.mu.Lock()
	if s.conn != nil {
		s.mu.Unlock()
		return nil
	}
	if fixed := s.n.cfg.FixedServer; fixed != "" && !sameHost(s.acc.Server, fixed) {
		// A login made before the admin fixed the server: nothing
		// goes to another.
		s.mu.Unlock()
		s.state(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, fmt.Sprintf("this gateway now connects only to %s, not %s: log in again", fixed, s.acc.Server))
		return nil
	}
	if msg := s.acc.uncarried(s.codec); msg != "" {
		// A login saved before the form checked this (or by hand):
		// refused before anything goes out, rather than a password
		// with "?" failing with no word of why.
		s.mu.Unlock()
		s.state(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, msg+": log in again with the field changed or another encoding")
		return nil
	}
	c := &ircevent.Connection{
		Server:   s.acc.addr(),
		Nick:     s.acc.Nick,
		User:     cmp.Or(s.acc.Username, userName(s.acc.Nick)),
		RealName: cmp.Or(s.acc.RealName, s.acc.Nick),
		// CTCP is read by the plugin (ctcp.go).
		EnableCTCP: false,
		// The wait between attempts is dial's (backoff.go); ircevent's
		// own fixed pacing is off.
		ReconnectFreq: time.Millisecond,
		Timeout:       s.n.cfg.timeout(),
		KeepAlive:     time.Duration(s.n.cfg.KeepAlive),
		QuitMessage:   "passerelle",
		RequestCaps:   wantedCaps(),
		// ircevent logs why a reconnection failed: into the gateway's log.
		Log: slog.NewLogLogger(s.n.host.Logger().With("login", s.loginID).Handler(), slog.LevelInfo),
	}
	c.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return s.dial(ctx, c, network, addr)
	}
	// irc-go counts a line's length in UTF-8, before the codec
	// (codecConn): a message's lines are cut by their length in the
	// server's or the channel's encoding (chanenc.go, which the user
	// can set at any time), up to three times as long in UTF-8 (€, 1
	// byte in cp1252), as a topic's or a reason's are (fitLine); raw
	// commands by their UTF-8 length, which is no less.
	c.MaxLineLen = 3 * 512
	c.Password = s.acc.ServerPassword
	if s.acc.SASLUser != "" {
		c.UseSASL, c.SASLLogin, c.SASLPassword, c.SASLMech = true, s.acc.SASLUser, s.acc.SASLPassword, "PLAIN"
	}
	// What a connection given up kept goes now: its own end may come
	// after this one's start, and then leaves this one's alone.
	offline, cut := s.connectionGoneLocked()
	s.conn, s.up = c, false
	s.attempts, s.looping, s.welcomed = 0, false, false
	s.stop = make(chan struct{})
	s.ready, s.readyOnce = make(chan struct{}), &sync.Once{}
	ready, stop := s.ready, s.stop
	s.handle(c)
	s.state(pb.LoginState_LOGIN_STATE_CONNECTING, "connecting to "+s.acc.addr())
	s.mu.Unlock()
	for _, ev := range offline {
		s.n.host.Emit(ev)
	}
	for _, r := range cut {
		s.sendHeldReactions(r) // histreact.go
	}
	go s.run(c, stop)
	t := time.NewTimer(ConnectWait)
	defer t.Stop()
	select {
	case <-ready:
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

// isReady ends Connect's wait.
func (s *Session) isReady() {
	s.mu.Lock()
	once, ready := s.readyOnce, s.ready
	s.mu.Unlock()
	if once != nil {
		once.Do(func() { close(ready) })
	}
}

// run connects, trying again (after dial's backoff) until the server is
// reached, then lets ircevent reconnect whenever the connection drops,
// until Quit. The first connection is tried here, not by ircevent's
// Loop: Loop waits for the end of a connection that was never made
// when the first dial failed, and would never try again.
func (s *Session) run(c *ircevent.Connection, stop chan struct{}) {
	// Logged for good: after it no attempt is made (tests wait for it).
	defer s.n.host.Logger().Info("irc: no more connection attempts", "login", s.loginID)
	for {
		err := c.Connect()
		if err == nil {
			break
		}
		s.refused(c, err)
		if errors.Is(err, ircevent.ClientHasQuit) || errors.Is(err, errStopped) || closed(stop) {
			return
		}
	}
	s.mu.Lock()
	s.looping = true
	s.mu.Unlock()
	c.Loop()
}

// refused reports a failed first connection attempt. run tries again
// (after dial's backoff), unless the server refused the SASL account or
// banned the login: trying again would not help, and the login waits for
// the next Connect.
// A server that cannot be reached, or whose TLS certificate is not
// trusted, is tried again too: the server's admin may fix it (a renewed
// certificate), and the login then comes back by itself; meanwhile the
// state's message says why, with what the server said before it ended
// the attempt (a ban, its ERROR).
func (s *Session) refused(c *ircevent.Connection, err error) {
	if errors.Is(err, ircevent.ClientHasQuit) || errors.Is(err, errStopped) {
		return
	}
	defer s.isReady()
	if derr := (*dialError)(nil); errors.As(err, &derr) {
		s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, fmt.Sprintf("could not connect to %s: %v%s", s.acc.addr(), err, refusedHint(err)))
		return
	}
	s.mu.Lock()
	welcomed, a, pc := s.welcomed, s.attempt, s.plain
	s.mu.Unlock()
	if a != nil && a.badNick != "" {
		return // nickRefused said why, and gave up
	}
	if a != nil && a.saslRefused {
		s.accountRefused(c, a)
		return
	}
	if a != nil && a.passRefused != "" && !a.registered {
		s.passwordRefused(c, a)
		return
	}
	if a != nil && a.saslAborted != "" {
		s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, saslAbortedMessage(s.acc, a))
		return
	}
	if a != nil && a.banned && !a.registered {
		s.bannedLogin(c, a)
		return
	}
	if welcomed {
		if a != nil && a.registered {
			// The connection registered, then ended before Connect saw
			// the welcome (irc-go's select takes the end as often as
			// the welcome when both are there): the disconnect callback
			// said so, with the server's words (its ERROR), which a
			// state here would replace.
			return
		}
		// A reconnection in all but name: not the server's refusal of
		// the login.
		msg := "disconnected from " + s.acc.addr() + "; reconnecting"
		if a != nil && !a.registered {
			msg = registrationFailure(s.acc.addr(), a) + "; trying again"
		}
		s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, msg)
		return
	}
	if errors.Is(err, ircevent.SASLFailed) {
		if _, offered := c.AcknowledgedCaps()["sasl"]; offered {
			// The server took SASL but never answered the account: its
			// services are down (a netsplit, a restart). No refusal:
			// tried again.
			s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, fmt.Sprintf(
				"%s did not answer the SASL account %s (its services may be down); trying again", s.acc.addr(), s.acc.SASLUser))
			return
		}
	}
	s.mu.Lock()
	taken := s.acc.SASLTaken
	s.mu.Unlock()
	if errors.Is(err, ircevent.SASLFailed) && taken {
		// The server offers no SASL now, yet took the account before:
		// its SASL service is gone (a netsplit, a restart), and
		// Solanum then hides SASL. Tried again.
		s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, fmt.Sprintf(
			"%s offers no SASL now, though it took the account %s before: its services may be down; trying again", s.acc.addr(), s.acc.SASLUser))
		return
	}
	if strings.Contains(err.Error(), "SASL") {
		// ircevent's own: the server offers no SASL. Its words ("SASL
		// setup timed out. Does the server support SASL?") left the
		// user to guess what to change in the login.
		s.giveUp(c)
		s.state(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, fmt.Sprintf(
			"%s refused the connection: it offers no SASL, which the login's SASL account %s needs; log in again without the SASL user and password (on a server without SASL, a NickServ password identifies a registered nick)",
			s.acc.addr(), s.acc.SASLUser))
		return
	}
	if errors.Is(err, ircevent.ServerTimedOut) {
		// Connected, but never welcomed (a server stuck on its ident or
		// DNS lookups, a bouncer whose network is down): no refusal.
		msg := fmt.Sprintf("%s took the connection but did not welcome the login within %v", s.acc.addr(), s.n.cfg.timeout())
		if c.CurrentNick() != "" {
			// 001 came (irc-go notes the nick it gives), not the end of
			// the MOTD (376, or 422), which irc-go waits for.
			msg = fmt.Sprintf("%s welcomed the login but did not end its registration within %v: no end of its message of the day (376, or 422 for none) came, which this gateway waits for", s.acc.addr(), s.n.cfg.timeout())
		}
		if a != nil && len(a.said) > 0 {
			msg += " (it said: " + strings.Join(a.said, "; ") + ")"
		}
		s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, msg+"; trying again")
		return
	}
	if !s.acc.TLS {
		err = plainError(s.acc.addr(), pc, err)
	}
	msg := fmt.Sprintf("%s refused the connection: %v", s.acc.addr(), err)
	if a != nil && len(a.said) > 0 {
		msg += ": " + strings.Join(a.said, "; ")
	}
	s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, msg)
}

// accountRefused ends connection c, whose attempt a the server refused
// the SASL account: bad credentials, which the user must change (log in
// again); trying again would be refused again. So at the first
// connection, and on a reconnection (the password changed on the
// server).
func (s *Session) accountRefused(c *ircevent.Connection, a *attempt) {
	s.giveUp(c)
	if a.saslMechs != "" && !slices.Contains(strings.Split(strings.ToUpper(a.saslMechs), ","), "PLAIN") {
		// Not the password: the server takes no SASL PLAIN at all.
		s.state(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, fmt.Sprintf(
			"%s does not take SASL PLAIN, the only SASL this gateway speaks (it takes %s; it said %q): log in again without a SASL account (with a NickServ password, where the server has NickServ)",
			s.acc.addr(), a.saslMechs, a.sasl))
		return
	}
	s.state(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, fmt.Sprintf(
		"%s refused the SASL account %s (it said %q): it is not tried again; log in again with its right password",
		s.acc.addr(), s.acc.SASLUser, a.sasl))
}

// passwordRefused ends connection c, whose attempt a the server refused
// for its server password (464: wrong, or missing): bad credentials,
// which the user changes by logging in again. Trying again would be
// refused again, and a bouncer blocks an address that keeps failing its
// password (ZNC), the user's other clients with it.
func (s *Session) passwordRefused(c *ircevent.Connection, a *attempt) {
	s.giveUp(c)
	what := "refused the server password"
	if s.acc.ServerPassword == "" {
		what = "asks for a server password, which the login has none of"
	}
	s.state(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, fmt.Sprintf(
		"%s %s (it said %q): it is not tried again; log in again with its right password", s.acc.addr(), what, a.passRefused))
}

// saslAbortedMessage says that the server aborted attempt a's SASL
// login (906) instead of answering it: no refusal of the account, its
// SASL service is likely gone (a netsplit, a restart), and the login
// is tried again.
func saslAbortedMessage(acc Account, a *attempt) string {
	return fmt.Sprintf("%s aborted the SASL login of the account %s (it said %q): its services may be down; trying again",
		acc.addr(), acc.SASLUser, a.saslAborted)
}

// bannedLogin ends connection c, whose attempt a the server refused
// with a ban (a K-line, G-line or Z-line; 465, 463): the network stopped
// the login, and the user must act (ask the server's operators, wait
// for the ban to end), then relogin. Trying again would meet the ban
// again, and servers lengthen bans on clients that keep coming back. So
// at the first connection, and on a reconnection. The message quotes
// what the server said.
func (s *Session) bannedLogin(c *ircevent.Connection, a *attempt) {
	s.giveUp(c)
	s.state(pb.LoginState_LOGIN_STATE_STOPPED, registrationFailure(s.acc.addr(), a)+
		"; that is a ban, so it is not tried again: once it is lifted (the server's operators can say why and for how long), use relogin")
}

// giveUp ends connection c for good: no more attempts until the next
// Connect.
func (s *Session) giveUp(c *ircevent.Connection) {
	s.mu.Lock()
	if s.conn == c {
		s.conn = nil
		close(s.stop)
	}
	s.mu.Unlock()
	c.Quit()
}

// on adds connection c's callback for command, which runs only while
// no other connection replaced c (replaced). Every callback but the
// disconnect's (disconnected guards its own) is added so: a connection
// given up can still hand over lines it read (a server slow to close it
// after the QUIT) once Connect made another. Before, such a late JOIN,
// PART, NAMES or the like changed the new connection's channels.
func (s *Session) on(c *ircevent.Connection, command string, f func(ircmsg.Message)) {
	c.AddCallback(command, func(m ircmsg.Message) {
		if s.replaced(c) {
			return
		}
		f(m)
	})
}

// replaced reports whether another connection than c is the session's
// now. With none at all (the user quit, or c given up) c's callbacks
// still run, as its end does: what they note is c's own.
func (s *Session) replaced(c *ircevent.Connection) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn != nil && s.conn != c
}

// handle sets the connection's callbacks.
func (s *Session) handle(c *ircevent.Connection) {
	// Before the connect callback: the MOTD ends the registration, and
	// is shown before the login is said to be connected.
	s.handleMOTD(c)
	s.handleMOTDless(c)
	c.AddConnectCallback(func(ircmsg.Message) {
		// irc-go runs it at every end of a MOTD (376, 422): the
		// answers to a MOTD the user typed are no new registration.
		s.mu.Lock()
		again := s.attempt != nil && s.attempt.registered
		// Not only a replaced connection's: with none (the user quit,
		// or c given up) c is going, and its registration, read
		// before the server read the QUIT, is not the login's (it
		// said "connected" after Disconnect).
		gone := s.conn != c
		s.mu.Unlock()
		if !again && !gone {
			s.registered(c)
		}
	})
	c.AddDisconnectCallback(func(ircmsg.Message) { s.disconnected(c) })
	// The server's ERROR comes before it closes the connection: its words
	// (a KILL's reason, a netsplit's or ping timeout's Closing Link) go in
	// the state that says the connection dropped, which stays shown.
	s.on(c, "ERROR", func(m ircmsg.Message) {
		s.mu.Lock()
		s.errorSaid = plainText(lastParam(m))
		s.mu.Unlock()
	})
	s.on(c, "PRIVMSG", func(m ircmsg.Message) { s.onPrivmsg(c, m) })
	s.on(c, "NOTICE", s.onNotice)
	s.handleServerAnswers(c)
	s.on(c, "INVITE", s.onInvite)
	s.on(c, "TAGMSG", s.onTagmsg)
	s.on(c, "CHGHOST", s.onChghost)
	s.on(c, "AWAY", s.onAway)
	s.on(c, ircevent.RPL_AWAY, s.onRplAway)
	c.AddBatchCallback(func(b *ircevent.Batch) bool {
		// A replaced connection's batch is dropped whole, not handed
		// over line by line (false would).
		return s.replaced(c) || s.onBatch(c, b)
	})
	s.on(c, "FAIL", s.onHistoryFail)
	s.handleServerClock(c)
	s.handleChannels(c)
	s.handleNick(c)
	s.handleJoinErrors(c)
	s.handleModes(c)
	s.handleModeration(c)
	s.handleWhois(c)
	s.handleList(c)
	s.handleRegistration(c)
	s.handleIdentification(c)
	s.handleRefusals(c)
	s.handleRegain(c)
	s.handleCapChanges(c)
	s.handleWhoAways(c)
	s.handleWatch(c)
	s.handleRedaction(c)
}

// disconnected is connection c's end (its disconnect callback): what
// the session kept of the connection goes, and, where c is the current
// connection, the login is said to be reconnecting. Where another
// connection is current (Connect after giveUp, before c's late end),
// what the session keeps is that one's, and stays: Connect dropped c's.
// Before, c's late end emptied the new connection's channels (a room
// then had no members, its ChatInfo NOT_FOUND) and failed its waits.
func (s *Session) disconnected(c *ircevent.Connection) {
	s.mu.Lock()
	current := s.conn == c
	if !current && s.conn != nil {
		s.mu.Unlock()
		return
	}
	if current {
		s.up = false
	}
	said := s.errorSaid
	s.errorSaid = ""
	offline, cut := s.connectionGoneLocked()
	s.mu.Unlock()
	for _, ev := range offline {
		s.n.host.Emit(ev)
	}
	for _, r := range cut {
		s.sendHeldReactions(r) // histreact.go
	}
	if !current {
		return // Disconnect or Logout: the user quit
	}
	msg := "disconnected from " + s.acc.addr()
	if said != "" {
		msg += fmt.Sprintf(" (it said: %s)", said)
	}
	s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, msg+"; reconnecting")
}

// connectionGoneLocked forgets what the session kept of a connection
// that ended: its channels, typing, the waits for its answers (failed),
// the contacts it watched and the presences it told, whose offline
// events it returns, to emit, with the history requests it cut (their
// held reactions to send: sendHeldReactions).
func (s *Session) connectionGoneLocked() (offline []*pb.Event, cut []*histReq) {
	s.dropChannelsLocked()
	s.clearTypingLocked() // said on the connection that ended
	s.failEchoesLocked()
	s.failSendWaitsLocked()
	s.failWaitsLocked()
	cut, s.histWait = s.histWait, nil // no answer will come
	s.watched = nil                   // the server forgets its list
	return s.presencesGoneLocked(), cut
}

// registered is the end of registration: the connection is up. It notes
// what the server offers, then joins the configured channels.
func (s *Session) registered(c *ircevent.Connection) {
	nick := c.CurrentNick()
	caps := map[string]bool{}
	for name := range c.AcknowledgedCaps() {
		caps[name] = true
	}
	isupport := c.ISupport()
	s.mu.Lock()
	s.noteCasemapLocked(parseCasemap(isupport["CASEMAPPING"]))
	s.self, s.caps, s.people, s.selfAddr, s.errorSaid = nick, caps, newPeople(s.fold), userHost{}, ""
	s.bans = map[banKey][]string{} // member IDs are the connection's
	s.prefix = parsePrefixes(isupport["PREFIX"])
	s.modes = parseChanModes(isupport["CHANMODES"])
	s.histMax = historyLimitOf(isupport)
	s.statusMsg = isupport["STATUSMSG"]
	s.chanIDLen = chanIDLen(isupport)
	// Identified already where SASL took the account (no welcome
	// without it); a NickServ IDENTIFY goes below.
	s.identified, s.identifying, s.needID, s.idNick = s.acc.SASLUser != "", false, map[string]string{}, ""
	s.byServer = s.identified
	s.idGen++
	s.awaySent = "" // the server forgets it with the connection
	// The next attempt is a reconnection: it waits (backoff.go).
	s.attempts = 1
	s.welcomed = true
	if s.attempt != nil {
		s.attempt.registered = true
	}
	wanted := s.acc.Nick
	withoutTLS, held := "", false
	if s.attempt != nil {
		withoutTLS, held = s.attempt.withoutTLS, s.attempt.held
	}
	if s.acc.SASLUser != "" && !s.acc.SASLTaken {
		s.acc.SASLTaken = true
		if err := s.saveLocked(); err != nil {
			s.n.host.Logger().Error("irc: the login's state not saved", "login", s.loginID, "err", err)
		}
	}
	s.mu.Unlock()
	s.onLoggedOut(c)
	// A nick the server cut to its NICKLEN (Solanum does, without a
	// word) is no one else's: nothing to ask back, and irc-go's NICK
	// for the login's at each keepalive would be cut again.
	cut := len(nick) < len(wanted) && strings.HasPrefix(s.fold(wanted), s.fold(nick))
	if cut {
		c.SetNick(nick)
	} else {
		s.askNickBack(c, nick)
	}
	s.identify(c)
	s.afterConnect(c)
	s.watchContacts(c)
	s.catchUpPrivate(c)
	msg := "connected to " + s.acc.addr() + " as " + nick
	switch {
	case cut:
		msg = fmt.Sprintf("connected to %s as %s: the server takes nicks of at most %d characters, and cut %s", s.acc.addr(), nick, len(nick), wanted)
	case s.fold(nick) != s.fold(wanted) && held:
		msg = fmt.Sprintf("connected to %s, but the server holds the nick %s for now (as after a netsplit): you are %s", s.acc.addr(), wanted, nick)
	case s.fold(nick) != s.fold(wanted):
		msg = fmt.Sprintf("connected to %s, but the nick %s is in use: you are %s", s.acc.addr(), wanted, nick)
	}
	if withoutTLS != "" {
		msg += "; " + withoutTLS
	}
	s.rejoin(c, msg)
	// After rejoin marks the connection up: a presence set meanwhile
	// is either sent by SetPresence or read here.
	s.sendAway(c)
}

// identify identifies the nick with NickServ, for a login with a
// NickServ password and no SASL account: at the welcome, and when the
// login's nick comes back after the welcome gave another (handleNick).
// The server's echo of the line (echo-message) is expected, so that the
// password is not shown as a message the user sent.
func (s *Session) identify(c *ircevent.Connection) {
	s.mu.Lock()
	pw, sasl := s.acc.NickServPassword, s.acc.SASLUser != ""
	s.mu.Unlock()
	if pw == "" || sasl {
		return
	}
	if !s.toNickServ(c, "IDENTIFY "+pw) {
		return
	}
	s.startIdentifying(c)
}

// afterConnect sends the login's commands after connecting, before its
// channels' JOINs (a cloak's MODE +x must come first, or the channels
// see the user's real host). They go as typed, between two PINGs of
// their own: what the server says between their PONGs answers them, and
// is shown as the server's messages (server.go).
func (s *Session) afterConnect(c *ircevent.Connection) {
	for _, bad := range s.badCommands {
		s.n.host.Logger().Warn("irc: a command after connecting is no IRC line", "login", s.loginID, "command", bad.verb, "err", bad.err)
	}
	if len(s.commands) == 0 {
		return
	}
	if err := s.sendCommands(c, slices.Clone(s.commands), true, false); err != nil {
		s.n.host.Logger().Warn("irc: the commands after connecting were not sent", "login", s.loginID, "err", err)
	}
}

// JoinWait is how long a connection waits for its channels to be joined
// before it says it is connected anyway.
const JoinWait = 10 * time.Second

// rejoin joins the configured channels, then says the login is connected
// (with msg): when they are joined or refused, at most JoinWait later.
func (s *Session) rejoin(c *ircevent.Connection, msg string) {
	s.mu.Lock()
	s.pending, s.connected, s.up = map[string]bool{}, msg, true
	channels := slices.Clone(s.acc.Channels)
	keys := map[string]string{}
	for _, ch := range channels {
		s.pending[s.chanID(ch)] = true
		keys[ch] = s.acc.Keys[s.chanID(ch)]
	}
	s.mu.Unlock()
	for _, params := range joinLines(channels, keys) {
		_ = c.Send("JOIN", params...)
	}
	s.joinDone("")
	time.AfterFunc(JoinWait, func() {
		s.mu.Lock()
		clear(s.pending)
		s.mu.Unlock()
		s.joinDone("")
	})
}

// joinLines are the parameters of the JOIN lines that join channels
// (with their keys, by name): as few lines as fit in 512 bytes, "JOIN
// #a,#b,#c keyA,keyB", the channels with a key first in each, as IRC
// clients do. A JOIN a channel, all at once, is a flood that servers
// disconnect a login in many channels for.
func joinLines(channels []string, keys map[string]string) [][]string {
	keyed := slices.Clone(channels)
	slices.SortStableFunc(keyed, func(a, b string) int {
		ka, kb := keys[a] != "", keys[b] != ""
		switch {
		case ka && !kb:
			return -1
		case kb && !ka:
			return 1
		}
		return 0
	})
	const room = 512 - len("JOIN  \r\n")
	var lines [][]string
	var names, ks []string
	size := 0
	flush := func() {
		if len(names) > 0 {
			p := []string{strings.Join(names, ",")}
			if len(ks) > 0 {
				p = append(p, strings.Join(ks, ","))
			}
			lines = append(lines, p)
		}
		names, ks, size = nil, nil, 0
	}
	for _, ch := range keyed {
		k := keys[ch]
		grow := len(ch) + 1 + len(k) + 1
		// Keyed channels come first, so a line's keys are its first
		// channels'; a keyed channel after an unkeyed one starts a line.
		if size+grow > room || (k != "" && len(ks) < len(names)) {
			flush()
		}
		names = append(names, ch)
		if k != "" {
			ks = append(ks, k)
		}
		size += grow
	}
	flush()
	return lines
}

// joinDone notes that a configured channel was joined or refused, and
// says the login is connected once none is pending.
func (s *Session) joinDone(id string) {
	s.mu.Lock()
	delete(s.pending, id)
	msg := ""
	if len(s.pending) == 0 {
		msg, s.connected = s.connected, ""
	}
	s.mu.Unlock()
	if msg != "" {
		s.connectedState(msg) // redact.go: with the login's features
		s.isReady()
	}
}

// isSelf reports whether nick is the user's.
func (s *Session) isSelf(nick string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isSelfLocked(nick)
}

func (s *Session) isSelfLocked(nick string) bool { return s.fold(nick) == s.fold(s.self) }

// failWaitsLocked answers the JoinChat, SetNick and moderation calls
// waiting for the server: the connection dropped, no answer will come.
func (s *Session) failWaitsLocked() {
	for id, wait := range s.joins {
		wait <- sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the connection to %s dropped before it answered the join of %s", s.acc.addr(), id)
		delete(s.joins, id)
	}
	if s.nickWait != nil {
		s.nickWait.answer <- sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the connection to %s dropped before it answered the nick change", s.acc.addr())
		s.nickWait = nil
	}
	s.failModWaitLocked()
	s.failListWaitLocked()
}

// sender is who an event comes from: the user (by the login ID), a
// member, by the ID this connection gave the nick, or the server (a name
// with a dot, which no nick has: no ID).
func (s *Session) sender(nick string) *pb.Sender {
	if strings.ContainsRune(nick, '.') {
		return &pb.Sender{Name: decodeText(nick)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isSelfLocked(nick) {
		return &pb.Sender{UserId: s.loginID, Name: decodeText(nick), IsFromMe: true}
	}
	return &pb.Sender{UserId: s.people.id(nick), Name: decodeText(nick)}
}

// onMessage turns a PRIVMSG (or a CTCP ACTION, as "/me ...") into a
// message event: in a channel, a group message; to us, a direct one. The
// echo of a line the user sent completes its send instead (ircv3.go).
func (s *Session) onMessage(m ircmsg.Message, action bool) {
	if len(m.Params) < 2 {
		return
	}
	if s.isSelf(m.Nick()) && s.echoed(m.Params[0], action, m) {
		return
	}
	if ev := s.messageEvent(m, action); ev != nil {
		if ev.ChatType == pb.ChatType_CHAT_TYPE_DIRECT && !ev.Sender.IsFromMe {
			s.noteContact(m.Nick())
		}
		s.noteNewest(ev.ChatId, m)
		s.mu.Lock()
		s.seenLiveLocked(m)
		s.mu.Unlock()
		s.n.host.Emit(ev)
	}
}

// messageEvent is the message event of a PRIVMSG or NOTICE m (a CTCP
// ACTION when action); nil for a line to no chat (from the server
// itself).
func (s *Session) messageEvent(m ircmsg.Message, action bool) *pb.Event {
	if len(m.Params) < 2 {
		return nil
	}
	nick, target := m.Nick(), m.Params[0]
	text, spans := formatted(decodeText(m.Params[1]))
	if ch, ok := s.statusTarget(target); ok {
		// To the channel's operators (or voiced members) alone: shown
		// in the channel, saying so.
		marker := "(to " + decodeText(target) + ") "
		text = marker + text
		for _, sp := range spans {
			sp.Start, sp.End = sp.Start+uint32(len(marker)), sp.End+uint32(len(marker))
		}
		target = ch
	}
	if action {
		text = "/me " + text
		for _, sp := range spans {
			sp.Start, sp.End = sp.Start+4, sp.End+4
		}
	}
	ev := &pb.Event{LoginId: s.loginID, EventId: s.eventID(m), TimestampUnixMicro: serverTime(m).UnixMicro(),
		Sender: s.sender(nick), Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text, Spans: spans, ReplyToId: replyTo(m)}}}
	switch {
	case isChannel(target):
		ev.ChatId, ev.ChatType = s.chanID(target), pb.ChatType_CHAT_TYPE_GROUP
	case ev.Sender.IsFromMe:
		// The user's own line from another client on the same account
		// (a bouncer): the chat is the one with its target.
		s.mu.Lock()
		ev.ChatId = s.people.id(target)
		s.mu.Unlock()
		ev.ChatType = pb.ChatType_CHAT_TYPE_DIRECT
	case ev.Sender.UserId == "":
		return nil // from the server itself, to no chat
	default:
		ev.ChatId, ev.ChatType = ev.Sender.UserId, pb.ChatType_CHAT_TYPE_DIRECT
	}
	return ev
}

// statusTarget reads a message's target that names some of a channel's
// members (STATUSMSG: "@#chan", its operators): the channel, and ok.
// The prefixes are the server's ISUPPORT STATUSMSG; none without it.
func (s *Session) statusTarget(target string) (string, bool) {
	s.mu.Lock()
	prefixes := s.statusMsg
	s.mu.Unlock()
	rest := strings.TrimLeft(target, prefixes)
	if prefixes == "" || rest == target || !isChannel(rest) {
		return "", false
	}
	return rest, true
}

// onInvite shows an invitation of the user to a channel (":bob INVITE
// kit #chan") as a /me of the inviter in their private chat, for clients
// that show no room invitation, and, where the user is not in the
// channel, as the channel's invitation (InvitedEvent: the gateway's
// XEP-0045 mediated invitation from the room, as biboumi sends), whose
// acceptance joins the channel. An invitation of someone else (IRCv3
// invite-notify, to a channel's operators) is not the user's.
func (s *Session) onInvite(m ircmsg.Message) {
	if len(m.Params) < 2 || !strings.Contains(m.Source, "!") || !s.isSelf(m.Params[0]) || !isChannel(m.Params[1]) {
		return
	}
	when := serverTime(m).UnixMicro()
	ev := &pb.Event{LoginId: s.loginID, EventId: s.eventID(m), TimestampUnixMicro: when,
		Sender:  s.sender(m.Nick()),
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "/me invites you to " + decodeText(m.Params[1])}}}
	ev.ChatId, ev.ChatType = ev.Sender.UserId, pb.ChatType_CHAT_TYPE_DIRECT
	s.n.host.Emit(ev)
	if _, in := s.channelName(m.Params[1]); in {
		return // a server lets no one invite a member: nothing to join
	}
	s.n.host.Emit(&pb.Event{LoginId: s.loginID, EventId: ev.EventId + "-invited", TimestampUnixMicro: when,
		ChatId: s.chanID(m.Params[1]), ChatType: pb.ChatType_CHAT_TYPE_GROUP, Sender: s.sender(m.Nick()),
		Payload: &pb.Event_Invited{Invited: &pb.InvitedEvent{ChatName: plainText(m.Params[1])}}})
}

// DeclineInvite declines an invitation to a channel (sdk.InviteDecliner,
// the XEP-0045 decline of the room's invitation onInvite sent): IRC has
// no answer to an INVITE, so nothing is sent and the inviter is not
// told; the user just does not join. A channel the user is in is
// NOT_ALLOWED (leaving is LeaveChat), a chat that is no channel NOT_FOUND.
func (s *Session) DeclineInvite(_ context.Context, c sdk.Call, _ *pb.DeclineInvite) error {
	name, ok := s.chanName(c.ChatID)
	if !ok || !isChannel(name) {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s is no channel", c.ChatID)
	}
	if _, in := s.channelName(c.ChatID); in {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you are in %s already: leave the room to part it", name)
	}
	return nil
}

// onNotice shows a NOTICE from someone (NickServ's answers, a channel's
// bot, a person) as a message, as IRC clients do, in the channel it
// names first in brackets (noticeChannel), a CTCP reply as words
// (ctcpReply). The server's own notices (a source with no
// nick!user@host: connection chatter) are not for the user.
func (s *Session) onNotice(m ircmsg.Message) {
	if len(m.Params) < 2 {
		return
	}
	if cmd, arg, ok := parseCTCP(m.Params[1]); ok {
		if cmd == "" || !strings.Contains(m.Source, "!") {
			return
		}
		if cmd == "ACTION" {
			// A /me as a notice (some bots'): a /me.
			if !s.isSelf(m.Nick()) {
				m.Params = []string{m.Params[0], arg}
				s.onMessage(m, true)
			}
			return
		}
		m.Params = []string{m.Params[0], ctcpReply(cmd, arg)}
	}
	if !strings.Contains(m.Source, "!") {
		s.onServerAnswer(m) // shown where it answers the commands after connecting
		return
	}
	if s.isSelf(m.Nick()) {
		return
	}
	if ch, ok := s.noticeChannel(m); ok {
		m.Params = []string{ch, m.Params[1]}
	}
	s.onMessage(m, false)
}

// noticeChannel reads a notice to the user that starts with a channel
// of theirs in brackets ("[#chan] Welcome to #chan": ChanServ's entry
// message, a channel's bot): the channel it is about, where it is
// shown, as biboumi, WeeChat and irssi show it; false for another.
func (s *Session) noticeChannel(m ircmsg.Message) (string, bool) {
	if isChannel(m.Params[0]) {
		return "", false
	}
	name, _, ok := strings.Cut(strings.TrimPrefix(m.Params[1], "["), "]")
	if !ok || !strings.HasPrefix(m.Params[1], "[") || !isChannel(name) {
		return "", false
	}
	return s.channelName(name)
}

// eventID is the server's msgid of a message (IRCv3 message-tags), or a
// new ID of ours.
func (s *Session) eventID(m ircmsg.Message) string {
	if ok, id := m.GetTag("msgid"); ok && id != "" {
		return id
	}
	return s.n.newID()
}

// state emits a login state event.
func (s *Session) state(st pb.LoginState, msg string) {
	s.n.host.Emit(&pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: st, Message: msg}}})
}

// saveLocked emits the account as the login's saved state.
func (s *Session) saveLocked() error {
	state, err := json.Marshal(s.acc)
	if err != nil {
		return fmt.Errorf("irc: %w", err)
	}
	s.n.host.Emit(&pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_SavedState{SavedState: &pb.SavedStateEvent{SavedState: state}}})
	return nil
}

// Disconnect quits the server.
func (s *Session) Disconnect(context.Context) error {
	s.mu.Lock()
	c := s.conn
	if c != nil {
		close(s.stop)
	}
	s.conn = nil
	s.clearTypingLocked()
	s.mu.Unlock()
	if c != nil {
		c.Quit()
	}
	return nil
}

// Logout quits the server; an IRC login keeps nothing on the network.
func (s *Session) Logout(ctx context.Context) error {
	s.n.ids.forget(s.user, s.loginID)
	err := s.Disconnect(ctx)
	s.removeOwn()
	return err
}

// online is the connection, or an error when there is none.
func (s *Session) online() (*ircevent.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil || !s.conn.Connected() {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "not connected to %s", s.acc.addr())
	}
	if !s.up {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "connecting to %s again (the server has not welcomed the login yet): send again in a moment", s.acc.addr())
	}
	return s.conn, nil
}

// target is the IRC target of a chat ID: the channel, or the current
// nick of the member the ID stands for.
func (s *Session) target(chatID string) (string, error) {
	// A comma is only in the ID of a channel whose name is not UTF-8.
	if _, ok := s.chanName(chatID); !ok || chatID == "" || strings.ContainsAny(chatID, " \r\n\x00") {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%q is no nick or channel", chatID)
	}
	if isChannel(chatID) {
		name, ok := s.channelName(chatID)
		if !ok {
			s.mu.Lock()
			rejoining := s.pending[s.chanID(chatID)]
			s.mu.Unlock()
			if rejoining {
				// The connection came back and the channel's JOIN is
				// under way: a moment, not a room that is gone.
				return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s is being joined again after the reconnection to %s: send again in a moment", chatID, s.acc.addr())
			}
			return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are not in %s", chatID)
		}
		return name, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if nick, ok := s.people.nick(chatID); ok {
		return nick, nil
	}
	if strings.Contains(chatID, "!") || !validNick(chatID) {
		// An ID given to someone whose nick was taken by another; this
		// connection does not know them.
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s is not known on %s since the last reconnection", chatID, s.acc.addr())
	}
	return chatID, nil
}

// SendMessage sends a PRIVMSG to a nick or a channel, one per line, at
// the pace servers take them (pace.go); a text starting with "/me " goes
// as a CTCP ACTION. Its spans go as mIRC's codes, or as the user typed
// them where the channel takes no codes (ircformat.go). Where the server
// echoes the user's messages (echo-message), it returns once the server
// did, with the server's ID and time of the message.
func (s *Session) SendMessage(ctx context.Context, c sdk.Call, msg *pb.SendMessage) (sdk.Result, error) {
	conn, err := s.online()
	if err != nil {
		return sdk.Result{}, err
	}
	if hasSpoiler(msg.Spans) {
		// As the gateway refuses one to a network without formatting.
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED,
			"IRC cannot hide a spoiler: its text would show to everyone. Nothing was sent; to send it visible, send it without the spoiler mark")
	}
	// Commands are read as typed: the gateway took XEP-0393's
	// directives out ("MODE #c +b *!*@host" has a bold "!"), and they
	// go back in (ircformat.go).
	typed := ircText(msg.Text, msg.Spans, false)
	if c.ChatID == s.acc.serverChatID() {
		return s.sendRaw(ctx, conn, typed)
	}
	target, err := s.target(c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	if arg, ok := sdk.ChatCommand(typed, "/encoding"); ok && isChannel(target) {
		// biboumi's per-channel encoding, set in the room (chanenc.go).
		return s.roomEncoding(c.ChatID, arg)
	}
	if args, ok := sdk.ChatCommand(typed, "/mode"); ok && isChannel(target) {
		// biboumi's "/mode +o dave" in a room: the channel's MODE, not
		// a message to it, which everyone there would read (modecmd.go).
		return s.roomMode(ctx, conn, c.ChatID, target, args)
	}
	if args, ok := sdk.ChatCommand(typed, "/ctcp"); ok {
		// A CTCP query to the nick or the channel (ctcp.go).
		return s.ctcpCommand(ctx, conn, target, args)
	}
	if res, ok := s.privateCommand(target, conn.CurrentNick(), typed); ok && !isChannel(target) {
		return res, nil
	}
	// "//mode" goes as "/mode", "//me waves" as "/me waves": text.
	escaped := sdk.UnescapeChatCommand(msg)
	// Bold, italic... as mIRC's codes where the target takes them, else
	// as typed (ircformat.go).
	body := ircText(msg.Text, msg.Spans, s.codesAllowed(target))
	if err := cmp.Or(s.carriesIn(c.ChatID, "the message", body), s.carries("the name "+target, target)); err != nil {
		return sdk.Result{}, err
	}
	if !isChannel(target) {
		s.noteContact(target) // a one-to-one chat (monitor.go)
	}
	// The message ends typing for its receivers: no repeat goes after
	// it (ended first, so that one going now is sent before it).
	s.typingEnded(target)
	type ircLine struct {
		text   string
		action bool
	}
	var lines []ircLine
	// A carriage return alone breaks a line too, and a NUL cannot be
	// sent: IRC forbids both in a line.
	text := strings.NewReplacer("\r\n", "\n", "\r", "\n", "\x00", "").Replace(body)
	for i, line := range strings.Split(text, "\n") {
		if line == "" {
			continue
		}
		rest, action := strings.CutPrefix(line, "/me ")
		if escaped && i == 0 {
			rest, action = line, false
		}
		budget := lineBudget(sourceLen(s.codec.size(conn.CurrentNick()), conn.User), s.codec.size(target), action)
		if strings.ContainsAny(rest, styleCodes) {
			// Room for the codes opened again after a cut.
			budget -= len(styleCodes)
		}
		for _, part := range carryCodes(s.codecOf(c.ChatID).split(rest, budget)) {
			lines = append(lines, ircLine{part, action})
		}
	}
	if ok, room := s.lines.admit(len(lines), pasteTime); !ok {
		// Refused whole, before a line goes: cut short by the command's
		// deadline, it would be half sent, and a resend would repeat
		// the half.
		if max := s.lines.most(pasteTime); room < max {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE,
				"the message makes %d IRC lines; at this login's pace (its throttle), with %d lines of other messages still to go, at most %d more go within %v: wait for those, split it, or send it as a file", len(lines), max-room, room, pasteTime)
		}
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE,
			"the message makes %d IRC lines; at this login's pace (its throttle) at most %d go in one message: split it, or send it as a file", len(lines), room)
	}
	left := len(lines)
	defer func() { s.lines.sent(left) }()
	// Waited for from before the first line: the server may refuse it
	// at once (refusals.go). Where it echoes the user's lines, their
	// echoes confirm the send; else a PING after them.
	echoes := s.echoing()
	answer := s.awaitAnswer(target, echoes)
	defer s.dropSendWait(answer)
	var waits []*echo
	// A reply's tag goes on its first line (reply.go).
	tags := s.replyTagsFor(msg.ReplyToId)
	for i, l := range lines {
		err := s.lines.wait(ctx)
		left--
		s.lines.sent(1)
		if err != nil {
			s.forgetLate(waits)
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "not all sent to %s: %v", target, err)
		}
		s.wireMu.Lock()
		e := s.expectEcho(target, l.action, l.text, answer)
		switch {
		case i == 0 && tags != nil && l.action:
			err = conn.SendWithTags(tags, "PRIVMSG", target, "\x01ACTION "+l.text+"\x01")
		case i == 0 && tags != nil:
			err = conn.SendWithTags(tags, "PRIVMSG", target, l.text)
		case l.action:
			err = conn.Action(target, l.text)
		default:
			err = conn.Privmsg(target, l.text)
		}
		s.wireMu.Unlock()
		if err != nil {
			s.dropEcho(e)
			s.forgetLate(waits)
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "not sent to %s: %v", target, err)
		}
		if e != nil {
			waits = append(waits, e)
		}
	}
	if echoes {
		return s.awaitEchoes(ctx, answer, waits, target)
	}
	if err := s.confirmSent(ctx, conn, answer, target); err != nil {
		return sdk.Result{}, err
	}
	// No echo tells the lines' msgids: history's copies are told by
	// their words (ownstore.go), else they came back as second copies.
	sent := time.Now()
	digests := make([]string, len(lines))
	for i, l := range lines {
		digests[i] = s.lineDigest(target, l.action, l.text)
	}
	// At the server's time, which history's copies carry: its clock
	// may be minutes off ours (serverclock.go).
	s.noteUnechoedLines(digests, s.serverNow())
	return sdk.Result{MessageID: s.n.newID(), Time: sent}, nil
}

func lastParam(m ircmsg.Message) string {
	if len(m.Params) == 0 {
		return ""
	}
	return m.Params[len(m.Params)-1]
}

// sourceLen is the most bytes the user's nick!user@host (the nick of
// nick bytes) can take as the
// server relays their lines: the user name is the one irc-go gave at
// connecting (the login's nick then, not the current one), with the "~"
// servers put before it when ident does not answer; a host is at most 63
// bytes (HOSTLEN). The host the server last showed is not used: a cloak
// can replace it without a word to the user.
func sourceLen(nick int, user string) int { return nick + len("!~@") + len(user) + 63 }

// lineBudget is how many bytes of text one PRIVMSG to target may carry:
// the server relays it as ":<source> PRIVMSG target :text\r\n" in at
// most 512 bytes, the source (nick!user@host) at most source bytes and
// the target target bytes.
func lineBudget(source, target int, action bool) int {
	n := 512 - len(": PRIVMSG  :\r\n") - source - target
	if action {
		n -= len("\x01ACTION \x01")
	}
	return max(n, 64)
}

// split cuts text into pieces of at most max bytes in the encoding (a
// line in KOI8-R carries a Cyrillic letter in one byte, not UTF-8's
// two): after the last space that leaves a piece at least half full, so
// that words stay whole, else between characters, not before a combining
// mark or joiner (an accent, a part of an emoji) when it can help it.
// Nothing is lost: the space stays at the end of its piece.
func (e codec) split(text string, max int) []string {
	var parts []string
	for {
		cut := e.fit(text, max)
		if cut == len(text) {
			break
		}
		half := e.fit(text[:cut], max/2)
		if sp := strings.LastIndexByte(text[:cut], ' '); text[cut] != ' ' && sp >= half {
			cut = sp + 1
		} else {
			for c := cut; c > half; {
				r, _ := utf8.DecodeRuneInString(text[c:])
				prev, n := utf8.DecodeLastRuneInString(text[:c])
				if !joins(r) && prev != '\u200d' && !midFlag(text, c) {
					cut = c
					break
				}
				c -= n
			}
		}
		parts = append(parts, text[:cut])
		text = text[cut:]
	}
	return append(parts, text)
}

// joins reports whether r belongs with the character before it: a
// combining mark, a zero-width joiner, a variation selector, an emoji
// skin tone, an emoji tag (the letters of a subdivision's flag, 🏴 and
// tags).
func joins(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) || r == '\u200d' ||
		(r >= '\ufe00' && r <= '\ufe0f') || (r >= 0x1f3fb && r <= 0x1f3ff) || (r >= 0xe0020 && r <= 0xe007f)
}

// midFlag reports whether text cut at c would split a flag, two
// regional indicators (🇫🇷): the rune at c is one, after an odd run
// of them.
func midFlag(text string, c int) bool {
	regional := func(r rune) bool { return r >= 0x1f1e6 && r <= 0x1f1ff }
	if r, _ := utf8.DecodeRuneInString(text[c:]); !regional(r) {
		return false
	}
	n := 0
	for before := text[:c]; ; n++ {
		r, size := utf8.DecodeLastRuneInString(before)
		if !regional(r) {
			break
		}
		before = before[:len(before)-size]
	}
	return n%2 == 1
}
