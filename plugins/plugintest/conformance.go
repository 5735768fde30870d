package plugintest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Config describes the plugin under test and its (fake) network.
type Config struct {
	// Binary is the plugin binary (see BuildBinary), or any executable
	// that speaks go-plugin's handshake, such as an interpreter.
	Binary string
	// Args are Binary's arguments (a script, for an interpreter).
	Args []string
	// ConfigJSON is the [transport.config] table as JSON; nil = "{}".
	ConfigJSON []byte
	// FlowID is the login flow to use; "" = the first one.
	FlowID string
	// LoginFields is the input that completes a single-step login: its
	// one form's answers, by field ID. Ignored when Login is set.
	LoginFields map[string]string
	// Login, if set, describes a login of several steps (a phone number,
	// then a code, then a password; a QR code the user scans): what the
	// user does at each step, in order. The kit checks each step the
	// plugin gives (the process ID, a form with named, typed fields or
	// something to display), that a Wrong answer is asked again on the
	// same process and the right one goes on, that the login completes
	// after the last step and not before, and that a process cancelled
	// at its last step is gone. Every other check logs in this way.
	Login []LoginStep
	// Contact is a chat_id that exists on the network: a direct chat.
	Contact string
	// ContactUserID is the user_id of that contact, the sender of what
	// arrives in that chat; "" = Contact.
	ContactUserID string
	// Incoming makes the network deliver one incoming message from the
	// contact on (loginID, chatID) and returns its text, which must be
	// new each time. nil means the network answers each message sent to
	// it with the same text (like echo), and the kit sends one instead.
	Incoming func(t testing.TB, loginID, chatID string) string
	// Delivered, if set, returns the texts the network has received on
	// (loginID, chatID) so far; the kit then checks that a repeated
	// txn_id reached the network once. With Incoming nil the kit counts
	// the echoes instead.
	Delivered func(t testing.TB, loginID, chatID string) []string
	// Group is a group chat_id the login is in, where a message is sent
	// and the group actions the plugin advertises are tried; "" skips
	// them. The plugin must advertise groups, and describe it as a group
	// or channel. leave_chat is tried last: the login is out of the
	// group after the check.
	Group string
	// Identifier is what a user types to find Contact (ResolveIdentifier);
	// "" = Contact.
	Identifier string
	// ConnectTimeout bounds the wait, after each Connect, for the
	// login's CONNECTED state; 0 = DefaultConnectTimeout, or Timeout if
	// shorter.
	ConnectTimeout time.Duration
	// PartlySent, if set, is a message the network takes only in part
	// (a file goes, the next part fails): sent to Contact, its answer
	// must carry both the message_id (and meta) of what went and the
	// error of what did not, and a repeat of its txn_id, after a SIGKILL
	// and a restart too, that same answer. nil skips the check.
	PartlySent *pb.SendMessage
}

func (c *Config) identifier() string {
	if c.Identifier != "" {
		return c.Identifier
	}
	return c.Contact
}

func (c *Config) contactUserID() string {
	if c.ContactUserID != "" {
		return c.ContactUserID
	}
	return c.Contact
}

// Run runs the conformance checks as subtests of t, each against its own
// plugin process and data folder:
//
//   - init: Init reports the contract's API version and a network name.
//   - login: the flows, a form step with a process ID, wrong input asked
//     again, completion with a stable login_id, cancelled processes refused
//     as NOT_FOUND.
//     With Config.Login, each step of a login of several (see LoginStep).
//   - connect: Connect succeeds and a CONNECTED login state event follows;
//     so again after a Disconnect (the gateway's relogin). Each Connect
//     carries a new connection number, as the gateway's do; a state that
//     says an earlier Connect's is ignored, as the gateway ignores it.
//   - send: a send returns a message ID and at most 1 KiB of meta; a
//     repeated txn_id (on the same stream, on a new one, and after a
//     SIGKILL and a restart) repeats the whole answer and acts once; a
//     send answered just before a SIGKILL has reached the network all the
//     same (Delivered, or its echo after the restart); the
//     first message action advertised (edit, reaction, read marker,
//     retraction) works after the restart on the message sent before it,
//     named by its message_id and meta, and a new message sent then gets
//     a message_id none before the restart had; an unknown login gets a
//     LOGIN_REQUIRED error result; a chat the network does not know is
//     sent to or refused with a kind (not UNSPECIFIED) and a text.
//   - partly (with Config.PartlySent): a send that went in part is
//     answered with its message_id and its error together, and so again
//     for a repeat of its txn_id, after a restart too.
//   - order (echo-like networks): many sends in flight to one chat are
//     answered in the order sent.
//   - features: each optional feature the capabilities advertise, and
//     the login's features sent with CONNECTED do not leave out (one per
//     optional interface of the SDK's Session: edits, reactions,
//     retractions, typing, read markers, presence, contacts, backfill,
//     media, group actions; and attachments) is handled, message actions
//     on a sent message succeed, and each one they do not advertise is
//     refused as UNSUPPORTED, with a text: the gateway trusts the
//     capabilities to answer clients. A reply goes out in either case.
//     Advertised, join_chat, set_nick, group_unban, chat_search,
//     poll_vote, poll_create, poll_close, pin, chat_timer, create_chat
//     and profile_avatar are skipped, as their effect on the network is
//     not the kit's to predict and the plugin's own tests check them
//     (their refusal is checked when not advertised).
//     DeclineInvite, which every plugin gets, in the contact's chat is
//     refused with a kind and a text. The lists (subtest profiles):
//     ContactList and ChatList are answered by every plugin (empty
//     without anything to list), each contact with a user_id; UserInfo
//     of the contact and ChatInfo of Config.Group (else of the contact)
//     describe what was asked or fail with a typed error, and succeed
//     with avatars or groups advertised. A ChatList that lists a group,
//     or a Config.Group, needs groups advertised; a message to
//     Config.Group is sent (subtest group_send).
//   - receive: an incoming message arrives as a well-formed event.
//   - replay: unacknowledged events come again, with the same seq and
//     event_id, on a new stream and after a SIGKILL of the plugin (a
//     further copy under the same event_id, as a network resending what
//     the killed plugin never confirmed makes, is allowed: the host drops
//     it); acknowledged ones do not.
//   - stop: a stop as the gateway's (Shutdown, then the connection
//     closed): the plugin exits by itself with status 0, not killed 2 s
//     later, and replays its unacknowledged event at the next start.
//   - errors: a unary call's typed error keeps its code across the wire
//     (NOT_FOUND for an unknown login process).
func Run(t *testing.T, cfg Config) {
	t.Helper()
	if cfg.Binary == "" || cfg.Contact == "" || (cfg.LoginFields == nil && len(cfg.Login) == 0) {
		t.Fatal("plugintest: Config needs Binary, LoginFields (or Login) and Contact")
	}
	r := &runner{cfg: cfg}
	// Every other check starts the plugin, logs in and connects: when it
	// cannot, each would only fail the same way again (after a Timeout).
	// A check left out by -run is no failure.
	if !t.Run("init", r.checkInit) && !r.started.Load() {
		t.Fatal("plugintest: the plugin did not start and answer Init (see init above): the other checks are not run")
	}
	login := r.checkLogin
	if len(cfg.Login) > 0 {
		login = r.checkLoginSteps
	}
	if !t.Run("login", login) && !r.loggedIn.Load() {
		t.Fatal("plugintest: no login completed (see login above): the other checks, which all log in, are not run")
	}
	if !t.Run("connect", r.checkConnect) && !r.connected.Load() {
		t.Fatal("plugintest: the login did not connect (see connect above): the other checks, which all connect, are not run")
	}
	// Every later check waits for the echo (or Incoming's message): a
	// network that does not echo would fail each after a Timeout.
	if !t.Run("send", r.checkSend) && r.noEcho.Load() {
		t.Fatal("plugintest: no echo came (see send above): with no Config.Incoming, the network must answer each message sent to Config.Contact with the same text; one that does not sets Config.Incoming (and Config.Delivered). The other checks, which all wait for it, are not run")
	}
	if cfg.PartlySent != nil {
		t.Run("partly", r.checkPartlySent)
	}
	if cfg.Incoming == nil {
		t.Run("order", r.checkOrder)
	}
	t.Run("features", r.checkFeatures)
	t.Run("receive", r.checkReceive)
	t.Run("replay", r.checkReplay)
	t.Run("stop", r.checkStop)
	t.Run("errors", r.checkErrors)
}

type runner struct {
	cfg Config
	n   atomic.Uint64
	// started, loggedIn, connected: the plugin answered Init; a login
	// completed; a login connected. echoed: an echo came. noEcho: a wait
	// for an echo ended the check that waited, with none come before in
	// the run (one that stops after a restart is a failure of its own).
	started, loggedIn, connected, echoed, noEcho atomic.Bool
	// incomingTexts are the texts Config.Incoming returned: each must
	// be new.
	incomingTexts sync.Map
}

func (r *runner) start(t *testing.T) *Plugin {
	t.Helper()
	return StartArgs(t, r.cfg.Binary, r.cfg.Args, "", r.cfg.ConfigJSON)
}

// unique returns a new text or ID with the given tag.
func (r *runner) unique(tag string) string {
	return fmt.Sprintf("plugintest %s %d", tag, r.n.Add(1))
}

func isLoginState(loginID string) func(*pb.Event) bool {
	return func(ev *pb.Event) bool { return ev.LoginId == loginID && ev.GetLoginState() != nil }
}

func isMessage(loginID string, texts ...string) func(*pb.Event) bool {
	return func(ev *pb.Event) bool {
		m := ev.GetMessage()
		return ev.LoginId == loginID && m != nil && slices.Contains(texts, m.Text)
	}
}

// DefaultConnectTimeout is how long the kit waits, after a Connect, for
// the login's CONNECTED state when Config.ConnectTimeout is 0 (and
// Timeout is not shorter): long enough for a fake network, short enough
// that a plugin that never says CONNECTED fails soon.
const DefaultConnectTimeout = 20 * time.Second

// connectTimeout is how long a Connect may take to say CONNECTED.
func (c *Config) connectTimeout() time.Duration {
	if c.ConnectTimeout > 0 {
		return c.ConnectTimeout
	}
	return min(DefaultConnectTimeout, Timeout)
}

// awaitConnected reads login state events of loginID until CONNECTED and
// returns that event; a terminal state, or none CONNECTED within
// Config.ConnectTimeout, fails the test. when says which Connect it
// follows, for the failure (" after a Disconnect"; "" for the first).
func (r *runner) awaitConnected(t *testing.T, evs *EventStream, loginID, when string) *pb.Event {
	t.Helper()
	wait := r.cfg.connectTimeout()
	deadline := time.Now().Add(wait)
	var last, stale *pb.LoginStateEvent
	conn := evs.p.Connection(loginID)
	for {
		ev, note := evs.awaitWithin(time.Until(deadline), fmt.Sprintf("CONNECTED login state of login %q%s", loginID, when), isLoginState(loginID))
		if ev == nil {
			seen := "no login state came"
			if last != nil {
				seen = fmt.Sprintf("its last state was %v", last.State)
				if last.Message != "" {
					seen += fmt.Sprintf(" (%q)", last.Message)
				}
			}
			if stale != nil {
				// The gateway, too, would have waited in vain.
				seen += fmt.Sprintf("; a %v state came with connection %d, the number of an earlier Connect than this one's %d, which the gateway ignores as the state of a connection gone: a state says back the latest Connect's ConnectRequest.connection in LoginStateEvent.connection, or leaves it 0 (the Go SDK stamps it: do not copy a number from an earlier state)",
					stale.State, stale.Connection, conn)
			}
			t.Fatalf("login %q%s: no CONNECTED login state within %v of Connect: %s%s. Connect emits a LoginStateEvent with state CONNECTED once the login is connected (the gateway shows the login offline until then); a network slower to connect than that sets Config.ConnectTimeout (PLUGINTEST_CONNECT_TIMEOUT for TestCommand)",
				loginID, when, wait, seen, note)
			return nil
		}
		if ls := ev.GetLoginState(); ls.Connection != 0 && ls.Connection < conn {
			// Of a connection before this one: the gateway ignores it.
			stale = ls
			continue
		}
		last = ev.GetLoginState()
		switch st := last.State; st {
		case pb.LoginState_LOGIN_STATE_CONNECTED:
			return ev
		case pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, pb.LoginState_LOGIN_STATE_LOGGED_OUT:
			t.Fatalf("login %s went to %v (%s) instead of CONNECTED", loginID, st, last.Message)
		}
	}
}

// login logs in as Config says.
func (r *runner) login(p *Plugin) *pb.CompleteStep {
	p.t.Helper()
	if len(r.cfg.Login) > 0 {
		return p.LoginSteps(r.cfg.FlowID, r.cfg.Login)
	}
	return p.Login(r.cfg.FlowID, r.cfg.LoginFields)
}

// session logs in, opens the event stream, connects and waits until the
// login is connected.
func (r *runner) session(t *testing.T, p *Plugin) (*pb.CompleteStep, *EventStream) {
	t.Helper()
	done := r.login(p)
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)
	r.awaitConnected(t, evs, done.LoginId, "")
	return done, evs
}

// incoming makes one message arrive from the contact and returns its
// text: through Incoming, or by sending it to an echo-like network.
func (r *runner) incoming(t *testing.T, cmds *CommandStream, loginID string) string {
	t.Helper()
	if r.cfg.Incoming != nil {
		text := r.cfg.Incoming(t, loginID, r.cfg.Contact)
		if _, again := r.incomingTexts.LoadOrStore(text, true); again {
			t.Fatalf("Config.Incoming returned %q a second time: return a new text at each call (a counter in it will do), as the kit awaits each message by its text and would take the earlier one for it", text)
		}
		return text
	}
	text := r.unique("message")
	res := cmds.Send(SendText(loginID, r.cfg.Contact, r.unique("txn"), text))
	if res.Error != nil {
		t.Fatalf("send to %s: %v", r.cfg.Contact, res.Error)
	}
	return text
}

// arrival names, for a failure, the message event of text that
// incoming made come.
func (r *runner) arrival(text string) string {
	if r.cfg.Incoming != nil {
		return fmt.Sprintf("message event of %q, which Config.Incoming made the network deliver in %s", text, r.cfg.Contact)
	}
	return fmt.Sprintf("echo of %q in %s (with no Config.Incoming, the network answers each message sent to Config.Contact with the same text, as a MessageEvent; a network that does not sets Config.Incoming)", text, r.cfg.Contact)
}

func (r *runner) checkInit(t *testing.T) {
	p := r.start(t)
	r.started.Store(true)
	if p.Caps.ApiVersion != sdk.APIVersion {
		t.Errorf("api_version = %d, want %d", p.Caps.ApiVersion, sdk.APIVersion)
	}
	if p.Caps.Network == "" {
		t.Error("Capabilities.network is empty")
	}
}

// checkFlows checks LoginFlows: at least one flow, each with an ID.
func (r *runner) checkFlows(t *testing.T, p *Plugin) {
	t.Helper()
	ctx, cancel := p.CallContext()
	defer cancel()
	flows, err := p.Client().LoginFlows(ctx, &pb.LoginFlowsRequest{})
	if err != nil {
		t.Fatalf("LoginFlows: %v", err)
	}
	if len(flows.Flows) == 0 {
		t.Fatal("LoginFlows offers no flow")
	}
	for _, f := range flows.Flows {
		if f.Id == "" {
			t.Errorf("login flow %q has no ID", f.Name)
		}
	}
}

func (r *runner) checkLogin(t *testing.T) {
	p := r.start(t)
	c := p.Client()
	ctx, cancel := p.CallContext()
	defer cancel()
	r.checkFlows(t, p)

	step, err := c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: UserJID, FlowId: r.cfg.FlowID, LoginDir: p.LoginDir()})
	if err != nil {
		t.Fatalf("StartLogin: %v", err)
	}
	if step.ProcessId == "" {
		t.Fatalf("StartLogin: no process ID in %v", step)
	}
	if step.GetForm() == nil || len(step.GetForm().Fields) == 0 {
		t.Fatalf("StartLogin: want a form step with fields, got %v", step)
	}
	pid := step.ProcessId

	// Empty input is wrong input: asked again with an error, or refused
	// with a typed error; never a completed login.
	again, err := c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: pid, Fields: map[string]string{}})
	if err != nil {
		if code := sdk.FromGRPC(err).Code; code == pb.ErrorCode_ERROR_CODE_UNSPECIFIED || code == pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
			t.Errorf("empty input: untyped error %v", err)
		}
		// The process may be gone; the real login starts a new one.
		step, err = c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: UserJID, FlowId: r.cfg.FlowID, LoginDir: p.LoginDir()})
		if err != nil {
			t.Fatalf("StartLogin: %v", err)
		}
		pid = step.ProcessId
	} else {
		if again.GetComplete() != nil {
			t.Fatalf("empty input completed the login: %v", again)
		}
		if again.Error == "" {
			t.Errorf("empty input: the step is asked again without an error text: %v", again)
		}
		if again.ProcessId != pid || again.GetForm() == nil {
			t.Errorf("empty input: want the same form step of process %s again, got %v", pid, again)
		}
	}

	// The right input completes the login, on the same process.
	done, err := c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: pid, Fields: r.cfg.LoginFields})
	if err != nil {
		t.Fatalf("SubmitLoginInput(%v): %v%s", r.cfg.LoginFields, err, notCompleteHint(step.GetForm(), r.cfg.LoginFields, nil))
	}
	complete := done.GetComplete()
	if complete == nil {
		t.Fatalf("SubmitLoginInput(%v) did not complete: %v%s", r.cfg.LoginFields, done, notCompleteHint(step.GetForm(), r.cfg.LoginFields, done))
	}
	if complete.LoginId == "" {
		t.Fatal("completed login has no login_id")
	}
	checkLoginID(t, complete.LoginId)
	r.loggedIn.Store(true)

	// The same account again is the same login.
	if second := p.Login(r.cfg.FlowID, r.cfg.LoginFields); second.LoginId != complete.LoginId {
		t.Errorf("logging in again gave login_id %q, first %q:%s", second.LoginId, complete.LoginId, sameLogin)
	}

	// A cancelled process is gone.
	step, err = c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: UserJID, FlowId: r.cfg.FlowID, LoginDir: p.LoginDir()})
	if err != nil {
		t.Fatalf("StartLogin: %v", err)
	}
	if _, err := c.CancelLogin(ctx, &pb.LoginProcessRef{ProcessId: step.ProcessId}); err != nil {
		t.Fatalf("CancelLogin: %v", err)
	}
	// Gone: NOT_FOUND, as any unknown process.
	after, err := c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: r.cfg.LoginFields})
	switch {
	case err == nil:
		t.Errorf("SubmitLoginInput on a cancelled process was accepted: %v", after)
	case sdk.FromGRPC(err).Code != pb.ErrorCode_ERROR_CODE_NOT_FOUND:
		t.Errorf("SubmitLoginInput on a cancelled process: %v, want NOT_FOUND", err)
	}
}

func (r *runner) checkConnect(t *testing.T) {
	p := r.start(t)
	done := r.login(p)
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)
	ev := r.awaitConnected(t, evs, done.LoginId, "")
	r.connected.Store(true)
	if ev.Seq == 0 {
		t.Errorf("login state event without seq: %v", ev)
	}
	evs.Ack(ev.Seq)

	// The gateway's relogin: Disconnect, then Connect on the same
	// process. The login's state is told again: the gateway shows it
	// as the transport's presence, and the user waits on it.
	ctx, cancel := p.CallContext()
	defer cancel()
	if _, err := p.Client().Disconnect(ctx, &pb.LoginRef{LoginId: done.LoginId}); err != nil {
		t.Fatalf("Disconnect(%s): %v", done.LoginId, err)
	}
	p.Connect(done.LoginId, done.SavedState)
	r.awaitConnected(t, evs, done.LoginId, " after a Disconnect and a new Connect (the gateway's relogin: tell the state at every Connect)")
}

func (r *runner) checkSend(t *testing.T) {
	p := r.start(t)
	login, evs := r.session(t, p)
	loginID := login.LoginId
	cmds := p.Commands()

	txn, text := r.unique("txn"), r.unique("send")
	first := cmds.Send(SendText(loginID, r.cfg.Contact, txn, text))
	if first.Error != nil {
		t.Fatalf("send to %s: %v", r.cfg.Contact, first.Error)
	}
	if first.MessageId == "" {
		t.Error("send result has no message_id")
	}
	checkMeta(t, "send result", first.Meta)
	again := cmds.Send(SendText(loginID, r.cfg.Contact, txn, text))
	if !sameAnswer(again, first) {
		t.Errorf("repeated txn_id: got %v, want the first answer %v", again, first)
	}
	// The host may retry on a new stream (it reconnected).
	other := p.Commands()
	if res := other.Send(SendText(loginID, r.cfg.Contact, txn, text)); !sameAnswer(res, first) {
		t.Errorf("repeated txn_id on a new stream: got %v, want the first answer %v", res, first)
	}
	// It acted once.
	r.checkDelivered(t, loginID, text, "")
	echoes := r.countEchoes(t, cmds, evs, loginID, nil, text)[text]
	if r.cfg.Incoming == nil && len(echoes) != 1 {
		t.Errorf("a txn_id sent 3 times was echoed %d times, want 1", len(echoes))
	}

	// An unknown login is an error result, not a hang: LOGIN_REQUIRED, a
	// login not connected, which the user is told to log in again for.
	res := cmds.Send(SendText("plugintest-no-such-login", r.cfg.Contact, r.unique("txn"), "hello?"))
	if res.Error == nil {
		t.Errorf("send for an unknown login succeeded: %v", res)
	} else if res.Error.Code != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Errorf("send for an unknown login: %v, want LOGIN_REQUIRED", res.Error)
	}
	// A chat the network does not know: sent (a network where any name
	// is an address) or refused with a kind and a text. UNSPECIFIED is a
	// bug's: the user reads an internal error of the gateway's.
	if res := cmds.Send(SendText(loginID, noSuchChat, r.unique("txn"), r.unique("nowhere"))); res.Error != nil {
		if res.Error.Code == pb.ErrorCode_ERROR_CODE_UNSPECIFIED || res.Error.Text == "" {
			t.Errorf("send to a chat the network does not know (%s): %v: %s", noSuchChat, res.Error, untypedError)
		}
	}

	// A send is answered once the network has the message: killed right
	// after the answer, the plugin has still sent it.
	taken := r.unique("taken")
	if res := cmds.Send(SendText(loginID, r.cfg.Contact, r.unique("txn"), taken)); res.Error != nil {
		t.Fatalf("send to %s: %v", r.cfg.Contact, res.Error)
	}
	sentBefore := p.own.messageIDs(loginID, r.cfg.Contact)

	// The host resends the commands in flight when the plugin restarts:
	// the answer outlives a crash (the SDK keeps it in its journal) and
	// the resend does not act again.
	p.Kill()
	p.Restart()
	evs = p.Events()
	p.Connect(loginID, login.SavedState)
	cmds = p.Commands()
	if res := cmds.Send(SendText(loginID, r.cfg.Contact, txn, text)); !sameAnswer(res, first) {
		t.Errorf("repeated txn_id after a SIGKILL and a restart: got %v, want the first answer %v: keep the answers to txn_ids in the data folder, written before the answer is sent", res, first)
	}
	r.checkDelivered(t, loginID, text, " after a restart")
	r.checkTaken(t, loginID, taken)
	after := r.countEchoes(t, cmds, evs, loginID, echoes, text, taken)
	if n := len(after[text]); n != 0 {
		t.Errorf("a txn_id answered before a SIGKILL, sent again after the restart, was echoed %d more times, want none: it was sent again", n)
	}
	if r.cfg.Incoming == nil && r.cfg.Delivered == nil && len(after[taken]) == 0 {
		t.Errorf("%q, answered as sent just before a SIGKILL, was never echoed, in the process or after the restart: %s", taken, answeredUntaken)
	}
	r.checkActAfterRestart(t, p, cmds, loginID, first)
	r.checkNewIDAfterRestart(t, cmds, loginID, sentBefore)
}

// checkNewIDAfterRestart sends a new message after the restart: its
// message_id must be none of before's (by ID, their texts), those of the
// sends the process before answered in the same chat. The host keys a message by its ID in
// its chat, so a new one under an old one's ID is taken for the old: a
// correction or retraction of either reaches the other, and its echo is
// dropped as seen. A login still connecting (UNAVAILABLE,
// LOGIN_REQUIRED) is asked again until Timeout.
func (r *runner) checkNewIDAfterRestart(t *testing.T, cmds *CommandStream, loginID string, before map[string]string) {
	t.Helper()
	fresh := r.unique("fresh")
	res := sendConnecting(cmds, func() *pb.Command { return SendText(loginID, r.cfg.Contact, r.unique("txn"), fresh) })
	if res.Error != nil {
		t.Errorf("a new send to %s after a SIGKILL and a restart: %v", r.cfg.Contact, res.Error)
	} else if old, reused := before[res.MessageId]; reused && res.MessageId != "" {
		t.Errorf("a new message sent after a restart was answered with message_id %q, the ID of %q, sent before the restart: message IDs must stay unique across restarts of the plugin, as the gateway keys a message by its ID in its chat (a correction or retraction of either would reach the other, and an echo under it is dropped as seen); take the network's ID, or make one from a prefix new at each start (random, or the start time) and a counter", res.MessageId, old)
	}
}

// sendConnecting sends the command cmd makes (a new one at each try)
// and is its answer, sent again until Timeout while the login is still
// connecting after a restart (UNAVAILABLE, LOGIN_REQUIRED).
func sendConnecting(cmds *CommandStream, cmd func() *pb.Command) *pb.CommandResult {
	deadline := time.Now().Add(Timeout)
	for {
		res := cmds.Send(cmd())
		code := res.Error.GetCode()
		if (code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE && code != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED) || !time.Now().Before(deadline) {
			return res
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkActAfterRestart acts on sent, a message sent before the plugin was
// killed and started again, with the first message action the plugin
// advertises: the host names a message by its message_id and hands back
// its meta after restarts too, so what the plugin needs to act on it is
// in those, or on disk, not in the memory of the process before. A
// login still connecting (UNAVAILABLE, LOGIN_REQUIRED) is asked again
// until Timeout.
func (r *runner) checkActAfterRestart(t *testing.T, p *Plugin, cmds *CommandStream, loginID string, sent *pb.CommandResult) {
	t.Helper()
	f := p.Caps.GetFeatures()
	var name string
	var action any
	switch {
	case f.GetEdits():
		name, action = "an edit", &pb.EditMessage{TargetId: sent.MessageId, TargetMeta: sent.Meta, Text: r.unique("edited")}
	case f.GetReactions():
		name, action = "a reaction", &pb.React{TargetId: sent.MessageId, TargetMeta: sent.Meta, Emojis: []string{"👍"}}
	case f.GetReadReceipts():
		name, action = "a read marker", &pb.MarkRead{UpToId: sent.MessageId, UpToMeta: sent.Meta}
	case f.GetRetractions():
		name, action = "a retraction", &pb.Retract{TargetId: sent.MessageId, TargetMeta: sent.Meta}
	default:
		return
	}
	res := sendConnecting(cmds, func() *pb.Command { return Act(loginID, r.cfg.Contact, r.unique("txn"), action) })
	if res.Error != nil {
		t.Errorf("%s of a message sent before a SIGKILL and a restart, named by its message_id and the meta the host keeps: %v; keep what a later command needs in meta (or on disk), not in memory", name, res.Error)
	}
}

// checkPartlySent sends Config.PartlySent, which the network takes only
// in part: the user must learn both what went (the gateway maps it, so
// that it can be retracted) and what did not, and a resend must not send
// again what went.
func (r *runner) checkPartlySent(t *testing.T) {
	p := r.start(t)
	login, _ := r.session(t, p)
	loginID := login.LoginId
	cmds := p.Commands()
	txn := r.unique("txn")
	send := func() *pb.CommandResult {
		t.Helper()
		return cmds.Send(Act(loginID, r.cfg.Contact, txn, proto.CloneOf(r.cfg.PartlySent)))
	}
	first := send()
	if first.MessageId == "" || first.Error == nil {
		t.Fatalf("a send that went in part (Config.PartlySent): got %v, want both the message_id of what went and the error of what did not", first)
	}
	checkMeta(t, "the result of a send that went in part", first.Meta)
	if res := send(); !sameAnswer(res, first) {
		t.Errorf("repeated txn_id of a send that went in part: got %v, want the first answer %v", res, first)
	}
	p.Kill()
	p.Restart()
	p.Events()
	p.Connect(loginID, login.SavedState)
	cmds = p.Commands()
	if res := send(); !sameAnswer(res, first) {
		t.Errorf("repeated txn_id of a send that went in part, after a SIGKILL and a restart: got %v, want the first answer %v: keep it, with its error, as a send that went", res, first)
	}
}

// sameAnswer reports whether got repeats want, all but its correlation
// ID: a repeated txn_id's answer.
func sameAnswer(got, want *pb.CommandResult) bool {
	g, w := proto.CloneOf(got), proto.CloneOf(want)
	g.CorrelationId, w.CorrelationId = 0, 0
	return proto.Equal(g, w)
}

// checkMeta fails t for a message's metadata the host would not keep.
func checkMeta(t *testing.T, what string, meta []byte) {
	t.Helper()
	if len(meta) > sdk.MaxMetaBytes {
		t.Errorf("%s: meta is %d bytes, more than the %d the host keeps (it drops it, and the message's later commands come without their target_meta)", what, len(meta), sdk.MaxMetaBytes)
	}
}

// checkDelivered checks, with Config.Delivered, that the network received
// text once.
func (r *runner) checkDelivered(t *testing.T, loginID, text, when string) {
	t.Helper()
	if r.cfg.Delivered == nil {
		return
	}
	n := 0
	for _, s := range r.cfg.Delivered(t, loginID, r.cfg.Contact) {
		if s == text {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the network received the text %d times%s, want 1", n, when)
	}
}

// sameLogin is the kit's advice for a login_id that changed.
const sameLogin = " the same account must give the same login_id (the network's ID of the account, not one made up at each login): the gateway keys the login by it, and a relogin under a new one is taken for another account, beside the first"

// noSuchChat is a chat_id no network has.
const noSuchChat = "plugintest-no-such-chat"

// untypedError is the kit's advice for an error without a kind or text.
const untypedError = "refuse with a kind (NOT_FOUND for no such chat, BAD_REQUEST for an ID that cannot be one; Go: sdk.Errorf(code, ...)) and a text the user reads; an error without a kind (UNSPECIFIED, a plain error in Go) is a bug's, which the user sees as the gateway's internal-server-error"

// answeredUntaken is the kit's advice for a send answered before the
// network had it.
const answeredUntaken = "answer a send only once the network has taken the message (its call returned, the server acknowledged it): a message still queued in the process when it was answered is lost with the process, and the gateway, which had its answer, never sends it again"

// checkTaken checks, with Config.Delivered, that the network received
// text, a message answered as sent just before a SIGKILL.
func (r *runner) checkTaken(t *testing.T, loginID, text string) {
	t.Helper()
	if r.cfg.Delivered == nil {
		return
	}
	if !slices.Contains(r.cfg.Delivered(t, loginID, r.cfg.Contact), text) {
		t.Errorf("%q, answered as sent just before a SIGKILL, never reached the network: %s", text, answeredUntaken)
	}
}

// countEchoes returns, on an echo-like network (no Config.Incoming), the
// echoes of each of texts that evs brings before the echo of a new
// message sent after them, by event_id (seq without one), leaving out
// those in before: replays of what the plugin emitted already. The echo
// of a later message comes after any echo of the earlier ones (one chat
// is handled in order), so by then every echo of texts is in.
func (r *runner) countEchoes(t *testing.T, cmds *CommandStream, evs *EventStream, loginID string, before map[string]bool, texts ...string) map[string]map[string]bool {
	t.Helper()
	if r.cfg.Incoming != nil {
		return nil
	}
	fence := r.unique("fence")
	if res := cmds.Send(SendText(loginID, r.cfg.Contact, r.unique("txn"), fence)); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	echoes := map[string]map[string]bool{}
	for _, text := range texts {
		echoes[text] = map[string]bool{}
	}
	watch := slices.Concat(texts, []string{fence})
	echoed := false
	defer func() { // run by the Await's failure too
		if !echoed && !r.echoed.Load() {
			r.noEcho.Store(true)
		}
	}()
	for {
		ev := evs.Await(r.arrival(fence), isMessage(loginID, watch...))
		text := ev.GetMessage().Text
		if text == fence {
			echoed = true
			r.echoed.Store(true)
			return echoes
		}
		// A network that resends what a killed plugin never confirmed
		// may emit an echo again under its event_id: no new message.
		key := ev.EventId
		if key == "" {
			key = fmt.Sprint("seq ", ev.Seq)
		}
		if !before[key] {
			echoes[text][key] = true
		}
	}
}

// checkOrder sends many messages to one chat without waiting and checks
// the echoes come in the order sent.
func (r *runner) checkOrder(t *testing.T) {
	p := r.start(t)
	login, evs := r.session(t, p)
	cmds := p.Commands()
	var texts []string
	var chs []<-chan *pb.CommandResult
	for range 50 {
		text := r.unique("order")
		texts = append(texts, text)
		chs = append(chs, cmds.Go(SendText(login.LoginId, r.cfg.Contact, r.unique("txn"), text)))
	}
	for _, ch := range chs {
		if res := cmds.Wait(ch); res.Error != nil {
			t.Fatalf("send: %v", res.Error)
		}
	}
	for i, want := range texts {
		ev := evs.Await(r.arrival(want), isMessage(login.LoginId, texts...))
		if got := ev.GetMessage().Text; got != want {
			t.Fatalf("echo %d is %q, want %q: one chat's commands were not handled in order", i, got, want)
		}
	}
}

func (r *runner) checkReceive(t *testing.T) {
	p := r.start(t)
	login, evs := r.session(t, p)
	cmds := p.Commands()
	text := r.incoming(t, cmds, login.LoginId)
	ev := evs.Await(r.arrival(text), func(ev *pb.Event) bool { return ev.GetMessage().GetText() == text })
	if ev.LoginId != login.LoginId {
		t.Errorf("the message event's login_id = %q, want %q: the login it came to, as its CompleteStep named it", ev.LoginId, login.LoginId)
	}
	if ev.ChatId != r.cfg.Contact {
		t.Errorf("the message event's chat_id = %q, want %q (Config.Contact): the direct chat it came in", ev.ChatId, r.cfg.Contact)
	}
	if got := ev.GetSender().GetUserId(); got != r.cfg.contactUserID() {
		t.Errorf("the message event's sender.user_id = %q, want %q: set Event.sender to who wrote it, the contact (Config.ContactUserID, when it is not the chat's ID): the gateway sends the message from that contact's address", got, r.cfg.contactUserID())
	}
	if ev.GetSender().GetIsFromMe() {
		t.Error("a message from the contact is marked is_from_me")
	}
	if ev.Seq == 0 {
		t.Error("event has no seq")
	}
	if ev.EventId == "" {
		t.Error("the message event has no event_id: set it to the network's ID of the message (the gateway drops a redelivered event by it, and a later edit, reaction, reply or read marker names the message by it)")
	}
	if ev.TimestampUnixMicro <= 0 {
		t.Error("the message event has no timestamp_unix_micro: set it to the network's time of the message (the gateway stores it as the message's time, and delays what is old by it)")
	}
	checkMeta(t, "message event", ev.Meta)
	evs.Ack(ev.Seq)
}

// checkReplay kills the plugin with unacknowledged events and checks they
// come back, and that acknowledged ones do not. Each stream is checked up
// to a fence, a new incoming message: events come in seq order, so every
// replayed event must come before the fence, and none is awaited in vain.
func (r *runner) checkReplay(t *testing.T) {
	p := r.start(t)
	login, evs := r.session(t, p)
	loginID := login.LoginId
	cmds := p.Commands()

	var watch []string              // every text made to arrive
	known := map[string]*pb.Event{} // as first received
	incoming := func() string {
		t.Helper()
		text := r.incoming(t, cmds, loginID)
		watch = append(watch, text)
		return text
	}
	// expect reads the next message events of watch on s and checks they
	// are want, in this order; an event seen before must come again with
	// the same seq and event_id.
	check := func(when, want string, ev *pb.Event) {
		t.Helper()
		text := ev.GetMessage().Text
		if text != want {
			if prev := known[want]; prev != nil && known[text] == nil {
				t.Fatalf("%s: %q (seq %d) was not replayed: %q (seq %d) came first", when, want, prev.Seq, text, ev.Seq)
			}
			t.Fatalf("%s: got %q (seq %d), want %q", when, text, ev.Seq, want)
		}
		if prev := known[text]; prev == nil {
			known[text] = ev
		} else if ev.Seq != prev.Seq || ev.EventId != prev.EventId {
			t.Fatalf("%s: %q replayed with seq %d event_id %q, was seq %d event_id %q",
				when, text, ev.Seq, ev.EventId, prev.Seq, prev.EventId)
		}
	}
	// A network that resends what a killed plugin never confirmed to it
	// (Telegram's updates, WhatsApp's retries) may emit an event again,
	// after its replay, under the same event_id: the host drops that copy,
	// so expect passes over it.
	expect := func(when string, s *EventStream, want ...string) []*pb.Event {
		t.Helper()
		var got []*pb.Event
		seen := map[string]*pb.Event{} // texts matched in this pass
		for _, w := range want {
			ev := s.NextEvent(isMessage(loginID, watch...))
			for {
				prev := seen[ev.GetMessage().Text]
				if prev == nil || ev.EventId == "" || ev.EventId != prev.EventId {
					break
				}
				t.Logf("%s: %q again (seq %d, event_id %q): a copy the host drops", when, ev.GetMessage().Text, ev.Seq, ev.EventId)
				ev = s.NextEvent(isMessage(loginID, watch...))
			}
			check(when, w, ev)
			seen[w] = ev
			got = append(got, ev)
		}
		return got
	}
	reconnect := func() {
		t.Helper()
		p.Connect(loginID, login.SavedState)
		cmds = p.Commands()
	}

	// Two incoming messages, read and not acknowledged.
	a, b := incoming(), incoming()
	ab := expect("first delivery", evs, a, b)
	if ab[1].Seq <= ab[0].Seq {
		t.Fatalf("seq does not increase: %d then %d", ab[0].Seq, ab[1].Seq)
	}

	// A new stream on the same process replays them.
	evs = p.Events()
	d1 := incoming()
	expect("new stream", evs, a, b, d1)

	// So does a plugin killed and started again on its data folder, and
	// what it emits then is numbered after them.
	p.Kill()
	p.Restart()
	evs = p.Events()
	reconnect()
	d2 := incoming()
	got := expect("after SIGKILL", evs, a, b, d1, d2)
	if got[3].Seq <= got[2].Seq {
		t.Fatalf("after SIGKILL: new event has seq %d, not after the replayed %d", got[3].Seq, got[2].Seq)
	}

	// Acknowledge all that; a third message arrives.
	evs.Ack(got[3].Seq)
	c := incoming()
	expect("after the ack", evs, c)

	// A new stream replays c only. The ack travels on its own and may
	// still be on its way when that stream starts, so look again until it
	// has arrived; a plugin that ignores acks fails at Timeout.
	deadline := time.Now().Add(Timeout)
	for {
		s := p.Events()
		ev := s.NextEvent(isMessage(loginID, watch...))
		s.Close()
		text := ev.GetMessage().Text
		if text == c {
			check("new stream after the ack", c, ev)
			break
		}
		if prev := known[text]; prev == nil || prev.Seq != ev.Seq {
			t.Fatalf("new stream after the ack: got %q (seq %d), want %q", text, ev.Seq, c)
		}
		if time.Now().After(deadline) {
			t.Fatalf("acknowledged event %q (seq %d) still replayed on new streams after %v", text, ev.Seq, Timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Nor after another crash.
	p.Kill()
	p.Restart()
	evs = p.Events()
	reconnect()
	e := incoming()
	got = expect("after the ack and a SIGKILL", evs, c, e)
	evs.Ack(got[1].Seq)
}

// checkStop stops the plugin as the gateway does at its own stop
// (go-plugin's Shutdown, then the connection closed), with an event not
// acknowledged: the plugin exits by itself with status 0 (killed 2 s
// later otherwise, when what it was doing is cut off anywhere), and the
// event comes again at the next start, with its seq and event_id.
func (r *runner) checkStop(t *testing.T) {
	p := r.start(t)
	login, evs := r.session(t, p)
	cmds := p.Commands()
	text := r.incoming(t, cmds, login.LoginId)
	ev := evs.Await(r.arrival(text), isMessage(login.LoginId, text))
	switch code := p.Stop(); code {
	case 0:
	case -1:
		t.Errorf("after the gateway's Shutdown the plugin ended with status -1, want 0: it did not exit by itself within go-plugin's 2 s and was killed (end what it runs within sdk.StopTimeout; close the journal once the calls under way ended)")
	default:
		t.Errorf("after the gateway's Shutdown the plugin exited with status %d, want 0", code)
	}
	p.Restart()
	evs = p.Events()
	p.Connect(login.LoginId, login.SavedState)
	again := evs.Await(fmt.Sprintf("replay, after a stop, of the event not acknowledged, %s", r.arrival(text)), isMessage(login.LoginId, text))
	if again.Seq != ev.Seq || again.EventId != ev.EventId {
		t.Errorf("after a stop, %q came again with seq %d event_id %q, was seq %d event_id %q", text, again.Seq, again.EventId, ev.Seq, ev.EventId)
	}
}

func (r *runner) checkErrors(t *testing.T) {
	p := r.start(t)
	ctx, cancel := p.CallContext()
	defer cancel()
	_, err := p.Client().SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{
		ProcessId: "plugintest-no-such-process", Fields: r.cfg.LoginFields})
	if err == nil {
		t.Fatal("SubmitLoginInput on an unknown process succeeded")
	}
	if e := sdk.FromGRPC(err); e.Code != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("SubmitLoginInput on an unknown process: %v, want NOT_FOUND", err)
	}
	// The Go SDK also attaches the typed error as a detail of the status
	// (it keeps codes the status code cannot); if there is one, the
	// status code must agree with it.
	st, _ := status.FromError(err)
	for _, d := range st.Details() {
		if detail, ok := d.(*pb.Error); ok {
			if bare := sdk.FromGRPC(status.Error(st.Code(), st.Message())); bare.Code != detail.Code {
				t.Errorf("status code %v says %v, the error detail says %v", st.Code(), bare.Code, detail.Code)
			}
		}
	}
}

// feature is one optional feature of the contract as the kit checks it:
// the action that uses it, sent when the plugin advertises the feature
// (it must be handled: anything but UNSUPPORTED, and for message actions
// success) and when it does not (it must be refused as UNSUPPORTED).
type feature struct {
	name     string
	declared func(*pb.Features) bool
	// cmd is the command's action, or nil for a unary call (call).
	cmd func(f *featureRun) any
	// call makes a unary call and returns its error.
	call func(f *featureRun) error
	// mustSucceed: an advertised feature's action must succeed, not just
	// be handled (message actions on the kit's own message).
	mustSucceed bool
	// group: the action is in Config.Group, skipped without one.
	group bool
	// refusalOnly: the kit checks only that the feature is refused when
	// not advertised; an advertised one is the plugin's own tests' to
	// check (its effect on the network is not the kit's to predict).
	refusalOnly bool
}

// problem is what the kit found wrong in a feature's answer, beside the
// plugin's own errors.
type problem struct{ error }

// featureRun is what a feature's action needs.
type featureRun struct {
	r       *runner
	p       *Plugin
	loginID string
	sent    string // a message the kit sent to Contact
	// sentMeta is the metadata the plugin gave sent; the kit hands it
	// back as a host does.
	sentMeta []byte
}

func (f *featureRun) ctx() (context.Context, context.CancelFunc) { return f.p.CallContext() }

var features = []feature{
	{name: "typing", declared: (*pb.Features).GetTyping, mustSucceed: true,
		cmd: func(*featureRun) any { return &pb.SetTyping{State: pb.TypingState_TYPING_STATE_COMPOSING} }},
	{name: "read_receipts", declared: (*pb.Features).GetReadReceipts, mustSucceed: true,
		cmd: func(f *featureRun) any { return &pb.MarkRead{UpToId: f.sent, UpToMeta: f.sentMeta} }},
	{name: "edits", declared: (*pb.Features).GetEdits, mustSucceed: true,
		cmd: func(f *featureRun) any {
			return &pb.EditMessage{TargetId: f.sent, TargetMeta: f.sentMeta, Text: f.r.unique("edited")}
		}},
	{name: "reactions", declared: (*pb.Features).GetReactions, mustSucceed: true,
		cmd: func(f *featureRun) any {
			return &pb.React{TargetId: f.sent, TargetMeta: f.sentMeta, Emojis: []string{"👍"}}
		}},
	{name: "retractions", declared: (*pb.Features).GetRetractions, mustSucceed: true,
		cmd: func(f *featureRun) any { return &pb.Retract{TargetId: f.sent, TargetMeta: f.sentMeta} }},
	{name: "attachments", declared: (*pb.Features).GetAttachments, mustSucceed: true,
		cmd: func(*featureRun) any {
			return &pb.SendMessage{Attachments: []*pb.Attachment{{Name: "plugintest.txt", MimeType: "text/plain", Size: 5,
				Source: &pb.Attachment_Data{Data: []byte("hello")}}}}
		}},
	{name: "set_presence", declared: (*pb.Features).GetSetPresence, mustSucceed: true,
		cmd: func(*featureRun) any {
			return &pb.SetPresence{Presence: &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AWAY, Status: "plugintest"}}
		}},
	{name: "add_contacts", declared: (*pb.Features).GetAddContacts, call: func(f *featureRun) error {
		ctx, cancel := f.ctx()
		defer cancel()
		_, err := f.p.Client().ResolveIdentifier(ctx, &pb.ResolveIdentifierRequest{LoginId: f.loginID, Identifier: f.r.cfg.identifier()})
		return err
	}},
	// Backfill must bring a batch of the chat on the History stream.
	{name: "backfill", declared: (*pb.Features).GetBackfill, call: func(f *featureRun) error {
		ctx, cancel := f.ctx()
		defer cancel()
		hist, err := f.p.Client().History(ctx)
		if err != nil {
			return err
		}
		if _, err := f.p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: f.loginID, ChatId: f.r.cfg.Contact, Limit: 1}); err != nil {
			return err
		}
		b, err := hist.Recv()
		if err != nil {
			return problem{fmt.Errorf("no history batch after Backfill: %w", err)}
		}
		if fault := batchFault(b); fault != "" {
			return problem{fmt.Errorf("history batch %d: %s: %s", b.Seq, fault, short(b))}
		}
		if b.Seq == 0 || b.LoginId != f.loginID || b.ChatId != f.r.cfg.Contact {
			return problem{fmt.Errorf("history batch %s: want a seq, login %s and chat %s", short(b), f.loginID, f.r.cfg.Contact)}
		}
		// What the gateway would drop of its events, batchFault said.
		for i, ev := range b.Events {
			if faults := eventFaults(ev); len(faults) > 0 {
				return problem{fmt.Errorf("history batch %d, event %d: %s: %s", b.Seq, i, strings.Join(faults, "; "), short(ev))}
			}
		}
		return hist.Send(&pb.HistoryAck{UpToSeq: b.Seq})
	}},
	{name: "media_download", declared: (*pb.Features).GetMediaDownload, call: func(f *featureRun) error {
		ctx, cancel := f.ctx()
		defer cancel()
		s, err := f.p.Client().DownloadMedia(ctx, &pb.MediaRef{LoginId: f.loginID, ChatId: f.r.cfg.Contact, Ref: "plugintest-no-such-ref"})
		if err != nil {
			return err
		}
		_, err = s.Recv()
		return err
	}},
	{name: "media_upload", declared: (*pb.Features).GetMediaUpload, call: func(f *featureRun) error {
		ctx, cancel := f.ctx()
		defer cancel()
		s, err := f.p.Client().UploadMedia(ctx)
		if err != nil {
			return err
		}
		// io.EOF from Send: the plugin has answered already (a refusal
		// before reading the file); CloseAndRecv gives that answer.
		if err := s.Send(&pb.MediaChunk{LoginId: f.loginID, Info: &pb.MediaInfo{Name: "plugintest.txt", MimeType: "text/plain", Size: 5}, Data: []byte("hello")}); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		res, err := s.CloseAndRecv()
		if err == nil && res.UploadId == "" {
			return problem{errors.New("UploadMedia: no upload_id")}
		}
		return err
	}},
	{name: "group_topic", declared: (*pb.Features).GetGroupTopic, group: true,
		cmd: func(f *featureRun) any { return &pb.SetTopic{Topic: f.r.unique("topic")} }},
	{name: "group_name", declared: (*pb.Features).GetGroupName, group: true,
		cmd: func(f *featureRun) any { return &pb.SetChatName{Name: f.r.unique("name")} }},
	{name: "group_avatar", declared: (*pb.Features).GetGroupAvatar, group: true,
		cmd: func(*featureRun) any { return &pb.SetChatAvatar{Data: testPNG, MimeType: "image/png"} }},
	{name: "group_invite", declared: (*pb.Features).GetGroupInvite, group: true,
		cmd: func(f *featureRun) any { return &pb.Invite{UserId: f.r.cfg.contactUserID()} }},
	{name: "group_kick", declared: (*pb.Features).GetGroupKick, group: true,
		cmd: func(f *featureRun) any { return &pb.Kick{UserId: f.r.cfg.contactUserID()} }},
	{name: "group_roles", declared: (*pb.Features).GetGroupRoles, group: true,
		cmd: func(f *featureRun) any {
			return &pb.SetRole{UserId: f.r.cfg.contactUserID(), Affiliation: pb.Affiliation_AFFILIATION_MEMBER}
		}},
	// Joining and renaming change the login's own standing on the
	// network: checked only when not advertised.
	{name: "join_chat", declared: (*pb.Features).GetJoinChat, group: true, refusalOnly: true,
		cmd: func(*featureRun) any { return &pb.JoinChat{} }},
	{name: "set_nick", declared: (*pb.Features).GetSetNick, group: true, refusalOnly: true,
		cmd: func(f *featureRun) any { return &pb.SetNick{Nick: fmt.Sprintf("plugintest%d", f.r.n.Add(1))} }},
	// Lifting a ban changes who may join the group on the network.
	{name: "group_unban", declared: (*pb.Features).GetGroupUnban, group: true, refusalOnly: true,
		cmd: func(f *featureRun) any { return &pb.Unban{UserId: f.r.cfg.contactUserID()} }},
	// What a search finds is the network's: only a refusal is predictable.
	{name: "chat_search", declared: (*pb.Features).GetChatSearch, refusalOnly: true,
		cmd: func(*featureRun) any { return &pb.SearchChats{Query: "plugintest", Limit: 5} }},
	// A vote needs a poll, which only the network makes.
	{name: "poll_vote", declared: (*pb.Features).GetPollVote, refusalOnly: true,
		cmd: func(*featureRun) any { return &pb.Vote{TargetId: "plugintest-poll", Choices: []string{"1"}} }},
	// A pin needs a message, and shows to everyone in the chat.
	{name: "pin", declared: (*pb.Features).GetPin, refusalOnly: true,
		cmd: func(*featureRun) any { return &pb.Pin{TargetId: "plugintest-message"} }},
	// Closing a poll needs one of the user's, which the network made.
	{name: "poll_close", declared: (*pb.Features).GetPollClose, refusalOnly: true,
		cmd: func(*featureRun) any { return &pb.ClosePoll{TargetId: "plugintest-poll"} }},
	// A poll stays in the chat for everyone.
	{name: "poll_create", declared: (*pb.Features).GetPollCreate, refusalOnly: true,
		cmd: func(*featureRun) any {
			return &pb.SendMessage{Poll: &pb.Poll{Question: "plugintest?", Options: []string{"yes", "no"}}}
		}},
	// The chat's timer is the user's to choose.
	{name: "chat_timer", declared: (*pb.Features).GetChatTimer, refusalOnly: true,
		cmd: func(*featureRun) any { return &pb.SetChatTimer{Seconds: 86400} }},
	// Creating a group makes one on the network for good.
	{name: "create_chat", declared: (*pb.Features).GetCreateChat, refusalOnly: true,
		cmd: func(f *featureRun) any { return &pb.CreateChat{Name: f.r.unique("group")} }},
	// The user's own profile picture, for everyone on the network.
	{name: "profile_avatar", declared: (*pb.Features).GetProfileAvatar, refusalOnly: true,
		cmd: func(*featureRun) any { return &pb.SetProfileAvatar{Data: testPNG, MimeType: "image/png"} }},
	// Last: the user is out of the group after it.
	{name: "leave_chat", declared: (*pb.Features).GetLeaveChat, group: true,
		cmd: func(*featureRun) any { return &pb.LeaveChat{} }},
}

// testPNG is a 1x1 grey PNG, the picture group_avatar is checked with.
var testPNG = PNG(1, 1, color.Gray{Y: 0x80})

// PNG is a w x h PNG of one colour: a picture as an XMPP client sets a
// room's avatar, for tests.
func PNG(w, h int, c color.Color) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // an in-memory RGBA image always encodes
	}
	return b.Bytes()
}

// checkFeatures runs every optional feature's action: one the plugin
// advertises must be handled, one it does not must be refused as
// UNSUPPORTED. The gateway trusts the advertised features to answer its
// clients, and the SDK derives them from the interfaces a session
// implements: a failure here is a handler that does not work, or a
// feature advertised by hand.
func (r *runner) checkFeatures(t *testing.T) {
	p := r.start(t)
	login := r.login(p)
	p.Connect(login.LoginId, login.SavedState)
	connected := r.awaitConnected(t, p.Events(), login.LoginId, "")
	loginID := login.LoginId
	cmds := p.Commands()
	caps := p.Caps.GetFeatures()
	// A kind of login may do less than the transport (a Telegram bot):
	// the features sent with CONNECTED narrow the transport's, and the
	// gateway offers the login's user only what both have.
	loginCaps := connected.GetLoginState().GetFeatures()
	sent := cmds.Send(SendText(loginID, r.cfg.Contact, r.unique("txn"), r.unique("feature target")))
	if sent.Error != nil || sent.MessageId == "" {
		t.Fatalf("send: %v", sent)
	}
	checkMeta(t, "send result", sent.Meta)
	run := &featureRun{r: r, p: p, loginID: loginID, sent: sent.MessageId, sentMeta: sent.Meta}
	// The lists and profiles, which have no feature of their own: an
	// answer must describe what was asked; avatars and groups need them.
	t.Run("profiles", func(t *testing.T) {
		ctx, cancel := p.CallContext()
		defer cancel()
		cl := p.Client()
		contacts, err := cl.ContactList(ctx, &pb.LoginRef{LoginId: loginID})
		if err != nil {
			t.Errorf("ContactList: %v (every plugin answers it, with no contact when the network has none to list; the Go SDK does so without a ContactLister)", err)
		}
		for _, c := range contacts.GetContacts() {
			if c.UserId == "" {
				t.Errorf("ContactList: a contact without user_id: %v", c)
			}
		}
		user, err := cl.UserInfo(ctx, &pb.UserRef{LoginId: loginID, UserId: r.cfg.contactUserID()})
		switch {
		case err == nil && user.UserId != r.cfg.contactUserID():
			t.Errorf("UserInfo(%s) describes %q", r.cfg.contactUserID(), user.UserId)
		case err != nil && caps.GetAvatars():
			t.Errorf("avatars advertised, but UserInfo(%s) failed: %v", r.cfg.contactUserID(), err)
		case err != nil && sdk.FromGRPC(err).Code == pb.ErrorCode_ERROR_CODE_UNSPECIFIED:
			t.Errorf("UserInfo: untyped error %v", err)
		}
		chatID := r.cfg.Contact
		if r.cfg.Group != "" {
			chatID = r.cfg.Group
		}
		chat, err := cl.ChatInfo(ctx, &pb.ChatRef{LoginId: loginID, ChatId: chatID})
		switch {
		case err == nil && chat.ChatId != chatID:
			t.Errorf("ChatInfo(%s) describes %q", chatID, chat.ChatId)
		case err != nil && caps.GetGroups():
			t.Errorf("groups advertised, but ChatInfo(%s) failed: %v", chatID, err)
		}
		chats, err := cl.ChatList(ctx, &pb.LoginRef{LoginId: loginID})
		if err != nil {
			t.Errorf("ChatList: %v (every plugin answers it, with no chat when the network has no groups; the Go SDK does so without a ChatLister)", err)
		}
		// The gateway asks for the list, and makes rooms, only of a
		// plugin that advertises groups: without it they never show.
		if !caps.GetGroups() {
			for _, c := range chats.GetChats() {
				if isGroup(c.Type) {
					t.Errorf("ChatList lists the %v %q, but Features.groups is unset: the gateway never asks for the list nor makes rooms without it; %s", c.Type, c.ChatId, advertiseGroups)
					break
				}
			}
			if r.cfg.Group != "" {
				t.Errorf("Config.Group is %q, but Features.groups is unset: the gateway makes no room of it, and the group actions are not tried; %s", r.cfg.Group, advertiseGroups)
			}
		} else if r.cfg.Group != "" && chat != nil && chat.ChatId == r.cfg.Group && !isGroup(chat.Type) {
			t.Errorf("ChatInfo(%s), Config.Group, has type %v: the gateway makes a room only of a CHAT_TYPE_GROUP or CHAT_TYPE_CHANNEL", r.cfg.Group, chat.Type)
		}
	})
	// A message to the group goes, as to the contact: before the
	// feature checks, the last of which may leave the group.
	if r.cfg.Group != "" && caps.GetGroups() {
		t.Run("group_send", func(t *testing.T) {
			res := cmds.Send(SendText(loginID, r.cfg.Group, r.unique("txn"), r.unique("to the group")))
			if res.Error != nil || res.MessageId == "" {
				t.Errorf("a message to Config.Group %s: %v; want a message_id, as for a contact (the gateway sends a room's messages as any other, with the group's chat_id)", r.cfg.Group, res)
			}
			checkMeta(t, "group send result", res.Meta)
		})
	}
	for _, f := range features {
		t.Run(f.name, func(t *testing.T) {
			declared := f.declared(caps)
			if declared && loginCaps != nil && !f.declared(loginCaps) {
				t.Skipf("%s is advertised, but this login's features (sent with CONNECTED) leave it out: the gateway does not offer it to the login's user", f.name)
			}
			if declared && f.refusalOnly {
				t.Skipf("%s is advertised; the plugin's own tests check it", f.name)
			}
			chat := r.cfg.Contact
			if f.group {
				if declared && r.cfg.Group == "" {
					t.Skipf("%s is advertised; set Config.Group to check it", f.name)
				}
				if r.cfg.Group != "" {
					chat = r.cfg.Group
				}
			}
			var e *pb.Error
			what := "its call"
			if f.cmd != nil {
				act := f.cmd(run)
				what = describeAction(act)
				res := cmds.Send(Act(loginID, chat, r.unique("txn"), act))
				e = res.Error
			} else if err := f.call(run); err != nil && !errors.Is(err, io.EOF) {
				var p problem
				if errors.As(err, &p) {
					t.Fatal(p)
				}
				e = sdk.ToProto(sdk.FromGRPC(err))
			}
			unsupported := e.GetCode() == pb.ErrorCode_ERROR_CODE_UNSUPPORTED
			switch {
			case declared && unsupported:
				t.Errorf("advertised, but refused as UNSUPPORTED: %v", e)
			case declared && f.mustSucceed && e != nil:
				t.Errorf("advertised, but the action failed: %v", e)
			case !declared && e == nil:
				t.Errorf("not advertised (Features.%s unset), but %s succeeded: refuse it as UNSUPPORTED, which the gateway trusts the capabilities for, or advertise it", f.name, what)
			case !declared && !unsupported:
				t.Errorf("not advertised (Features.%s unset), but %s was answered %v: want UNSUPPORTED (gRPC UNIMPLEMENTED for a call)", f.name, what, e)
			case !declared && strings.TrimSpace(e.GetText()) == "":
				t.Errorf("not advertised (Features.%s unset), and %s was refused as UNSUPPORTED without a text: the user reads it (\"this network has no ...\"; the Go SDK's says \"not supported by this network\")", f.name, what)
			}
		})
	}
	// DeclineInvite has no feature: every plugin gets it. Of a chat the
	// user is not invited to (a direct chat), it is refused, with a kind
	// and a text: UNSUPPORTED without it (the Go SDK's answer without an
	// sdk.InviteDecliner), NOT_FOUND with it.
	t.Run("decline_invite", func(t *testing.T) {
		act := &pb.DeclineInvite{Reason: "plugintest"}
		res := cmds.Send(Act(loginID, r.cfg.Contact, r.unique("txn"), act))
		switch e := res.Error; {
		case e == nil:
			t.Errorf("%s in %s, a direct chat the user is not invited to, succeeded: refuse it, as UNSUPPORTED where the network has no invitations (the Go SDK does without an sdk.InviteDecliner), else NOT_FOUND", describeAction(act), r.cfg.Contact)
		case e.Code == pb.ErrorCode_ERROR_CODE_UNSPECIFIED:
			t.Errorf("%s in %s was refused without a kind (UNSPECIFIED, a bug's): %v; want UNSUPPORTED where the network has no invitations, else NOT_FOUND", describeAction(act), r.cfg.Contact, e)
		case strings.TrimSpace(e.Text) == "":
			t.Errorf("%s in %s was refused as %v without a text: the user reads it", describeAction(act), r.cfg.Contact, e.Code)
		}
	})
	// A reply to a network without replies still goes out, as a plain
	// message.
	t.Run("replies", func(t *testing.T) {
		res := cmds.Send(Act(loginID, r.cfg.Contact, r.unique("txn"), &pb.SendMessage{Text: r.unique("reply"), ReplyToId: sent.MessageId, ReplyToMeta: sent.Meta}))
		if res.Error != nil {
			t.Errorf("a reply failed (replies advertised: %v): %v", caps.GetReplies(), res.Error)
		}
	})
}

// describeAction names a feature's command for a failure: its type and
// its fields, cut short ("the command SendMessage{attachments:{...}}").
func describeAction(act any) string {
	m, ok := act.(proto.Message)
	if !ok {
		return fmt.Sprintf("the command %T", act)
	}
	text := prototext.MarshalOptions{}.Format(m)
	if len(text) > 120 {
		text = text[:120] + "..."
	}
	return fmt.Sprintf("the command %s{%s}", m.ProtoReflect().Descriptor().Name(), text)
}

// advertiseGroups is how a plugin that has groups says so.
const advertiseGroups = "advertise groups (Go: Features.Groups in Init, with sdk.ChatInfoer and sdk.ChatLister)"

// isGroup reports whether a chat of type typ is a room on the gateway: a
// group or a channel.
func isGroup(typ pb.ChatType) bool {
	return typ == pb.ChatType_CHAT_TYPE_GROUP || typ == pb.ChatType_CHAT_TYPE_CHANNEL
}
