// Package plugintest is the conformance kit of the passerelle plugin
// contract. A transport runs it from a test in its own package, against
// its real binary launched over go-plugin exactly as the gateway launches
// it:
//
//	func TestMain(m *testing.M) { plugintest.Main(m) }
//
//	func TestConformance(t *testing.T) {
//		plugintest.Run(t, plugintest.Config{
//			Binary:      plugintest.BuildBinary(t, "example.org/passerelle-mynet/cmd/passerelle-mynet"),
//			LoginFields: map[string]string{"phone": "+33612345678"},
//			Contact:     "+33687654321",
//			Incoming:    fakeNetwork.Deliver, // or nil for an echo-like network
//		})
//	}
//
// A plugin in another language is any executable that speaks go-plugin's
// handshake: Config.Binary is its interpreter (or the program itself) and
// Config.Args its arguments, and Need skips the test where the interpreter
// or its libraries are missing (and fails it under CI=true). See
// examples/python-echo.
//
// Plugin is the handle the checks use, and other tests may use it too: it
// starts a plugin, drives its Events and Commands streams and kills it the
// hard way to check that nothing is lost.
//
// Every wait is bounded by Timeout, a generous limit that only turns a
// hang into a failure: no check depends on how fast the plugin is.
package plugintest

import (
	"context"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Timeout bounds every wait of the kit.
var Timeout = 60 * time.Second

// UserJID is the XMPP user the kit logs in as.
const UserJID = "tester@plugintest.localhost"

// Domain is the component JID handed to the plugin's Init.
const Domain = "plugintest.localhost"

// Plugin is a plugin process under test. Its methods report failures on
// the test that started it, so call them from that test's goroutine (start
// one Plugin per subtest).
type Plugin struct {
	// Binary, Args, DataDir and ConfigJSON are what the plugin runs
	// with; Restart keeps them.
	Binary     string
	Args       []string
	DataDir    string
	ConfigJSON []byte
	// Caps is the running process's answer to Init.
	Caps *pb.Capabilities

	t      testing.TB
	ctx    context.Context // ends when the test does
	cancel context.CancelFunc
	stderr *lockedBuffer

	mu   sync.Mutex
	proc *Process

	// own checks the echoes of the sends on its command streams.
	own ownEchoes
	// reported holds the event faults reported (checkEvent), by seq and
	// fault.
	reported sync.Map
	// conns numbers the Connects as the gateway does, seeded with the
	// start's time; connOf is each login's latest (Connection).
	conns  atomic.Uint64
	connOf sync.Map // login ID -> uint64
}

// Start launches binary over go-plugin, calls Init with dataDir ("" = a
// new temporary folder) and configJSON (nil = "{}"), and stops the process
// when the test ends. On failure the plugin's stderr is logged.
func Start(t testing.TB, binary, dataDir string, configJSON []byte) *Plugin {
	t.Helper()
	return StartArgs(t, binary, nil, dataDir, configJSON)
}

// StartArgs is Start with arguments for binary: any executable that speaks
// go-plugin's handshake, such as an interpreter and its script
// ("/usr/bin/python3", []string{"plugin.py"}).
func StartArgs(t testing.TB, binary string, args []string, dataDir string, configJSON []byte) *Plugin {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	if configJSON == nil {
		configJSON = []byte("{}")
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Plugin{Binary: binary, Args: args, DataDir: dataDir, ConfigJSON: configJSON,
		t: t, ctx: ctx, cancel: cancel, stderr: &lockedBuffer{}}
	t.Cleanup(p.cleanup)
	p.launch()
	return p
}

func (p *Plugin) launch() {
	p.t.Helper()
	var env []string
	if raceEnabled {
		// A plugin built with -race sleeps 1 s at exit by default.
		gorace := os.Getenv("GORACE")
		if !strings.Contains(gorace, "atexit_sleep_ms") {
			env = append(env, strings.TrimSpace("GORACE="+gorace+" atexit_sleep_ms=0"))
		}
	}
	proc, err := launch(p.Binary, p.Args, env, p.stderr)
	if err != nil {
		p.t.Fatalf("plugintest: launch: %v", err)
	}
	p.mu.Lock()
	p.proc = proc
	p.mu.Unlock()
	ctx, cancel := p.CallContext()
	defer cancel()
	caps, err := proc.Transport.Init(ctx, &pb.InitRequest{HostApiVersion: sdk.APIVersion,
		ConfigJson: p.ConfigJSON, DataDir: p.DataDir, Domain: Domain})
	if err != nil {
		p.t.Fatalf("plugintest: Init: %v", err)
	}
	p.Caps = caps
}

func (p *Plugin) cleanup() {
	p.cancel()
	p.mu.Lock()
	proc := p.proc
	p.mu.Unlock()
	if proc != nil {
		proc.Kill()
	}
	log := p.stderr.String()
	if raceEnabled && strings.Contains(log, "WARNING: DATA RACE") {
		p.t.Errorf("plugintest: the plugin has a data race")
	}
	if p.t.Failed() && log != "" {
		p.t.Logf("plugin stderr:\n%s", log)
	}
}

// Client is the contract client of the running process (a new one after
// Restart).
func (p *Plugin) Client() pb.TransportClient { return p.Process().Transport }

// Process is the running process.
func (p *Plugin) Process() *Process {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.proc
}

// Stderr is what the plugin wrote to its stderr so far, over all its
// processes.
func (p *Plugin) Stderr() string { return p.stderr.String() }

// CallContext is a context for one call: it ends after Timeout or when the
// test ends.
func (p *Plugin) CallContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(p.ctx, Timeout)
}

// Kill ends the plugin process with SIGKILL, as a crash would, and waits
// until it is gone. Its streams end with it.
func (p *Plugin) Kill() {
	p.t.Helper()
	proc := p.Process()
	pid := proc.Pid()
	if pid <= 0 {
		p.t.Fatal("plugintest: the plugin has no process ID")
	}
	if err := killHard(pid); err != nil {
		p.t.Fatalf("plugintest: kill %d: %v", pid, err)
	}
	deadline := time.Now().Add(Timeout)
	for !proc.Exited() {
		if time.Now().After(deadline) {
			p.t.Fatalf("plugintest: process %d still running after SIGKILL", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	proc.Kill() // release go-plugin's side; the process is already gone
}

// Stop ends the plugin process as the gateway does at its own stop
// (go-plugin's Shutdown, its connection closed, a kill if the process has
// not exited 2 s later) and returns the exit status: 0 for a plugin that
// exited cleanly by itself, -1 for one that had to be killed. Its streams
// end with it.
func (p *Plugin) Stop() int {
	p.t.Helper()
	proc := p.Process()
	proc.Kill()
	return proc.ExitCode()
}

// Restart starts the plugin again on the same data folder and calls Init,
// killing the running process first (with SIGKILL) if it still runs.
func (p *Plugin) Restart() {
	p.t.Helper()
	if !p.Process().Exited() {
		p.Kill()
	}
	p.launch()
}

// Login runs the login flow flowID ("" = the first) with fields as the
// input of its one form (LoginSteps: a login of several) and returns the
// completed step. It fails the test if the login does not complete.
func (p *Plugin) Login(flowID string, fields map[string]string) *pb.CompleteStep {
	p.t.Helper()
	ctx, cancel := p.CallContext()
	defer cancel()
	c := p.Client()
	step, err := c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: UserJID, FlowId: flowID, LoginDir: p.LoginDir()})
	if err != nil {
		p.t.Fatalf("StartLogin: %v", err)
	}
	form := step.GetForm()
	step, err = c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: fields})
	if err != nil {
		p.t.Fatalf("SubmitLoginInput(%v): %v%s", fields, err, notCompleteHint(form, fields, nil))
	}
	done := step.GetComplete()
	if done == nil {
		p.t.Fatalf("SubmitLoginInput(%v) did not complete the login: %v%s", fields, step, notCompleteHint(form, fields, step))
	}
	return done
}

// LoginDir is the login folder the kit gives the plugin's logins (as the
// gateway gives each login one): "logins/conformance" in its data folder,
// made on first use, the same across restarts.
func (p *Plugin) LoginDir() string {
	p.t.Helper()
	dir := filepath.Join(p.DataDir, "logins", "conformance")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		p.t.Fatalf("plugintest: login folder: %v", err)
	}
	return dir
}

// Connect connects a login with its saved state and, as the gateway
// does, a connection number greater than every one before (Connection).
func (p *Plugin) Connect(loginID string, savedState []byte) {
	p.t.Helper()
	ctx, cancel := p.CallContext()
	defer cancel()
	// A number greater than every one before, in this process or an
	// earlier one on the same data folder, as the gateway picks it.
	p.conns.CompareAndSwap(0, uint64(time.Now().UnixNano()))
	n := p.conns.Add(1)
	p.connOf.Store(loginID, n)
	if _, err := p.Client().Connect(ctx, &pb.ConnectRequest{LoginId: loginID, UserJid: UserJID, SavedState: savedState, LoginDir: p.LoginDir(), Connection: n}); err != nil {
		p.t.Fatalf("Connect(%s): %v", loginID, err)
	}
}

// Connection is the number of loginID's latest Connect
// (ConnectRequest.connection), which its login states say back in
// LoginStateEvent.connection (the Go SDK stamps them); 0 before any.
// The gateway ignores a state whose number is that of an earlier
// Connect of the login.
func (p *Plugin) Connection(loginID string) uint64 {
	n, _ := p.connOf.Load(loginID)
	c, _ := n.(uint64)
	return c
}

// ---------------------------------------------------------------- events

// EventStream is one Events stream, read in the background.
type EventStream struct {
	p      *Plugin
	stream pb.Transport_EventsClient
	cancel context.CancelFunc
	events chan *pb.Event // closed when the stream ends
	err    error          // why it ended; read after events is closed
	sendMu sync.Mutex
}

// Events opens a new Events stream on the running process. The plugin
// first replays what was not acknowledged, then sends new events.
func (p *Plugin) Events() *EventStream {
	p.t.Helper()
	ctx, cancel := context.WithCancel(p.ctx)
	stream, err := p.Client().Events(ctx)
	if err != nil {
		cancel()
		p.t.Fatalf("open Events: %v", err)
	}
	s := &EventStream{p: p, stream: stream, cancel: cancel, events: make(chan *pb.Event, 4096)}
	go func() {
		defer close(s.events)
		for {
			ev, err := stream.Recv()
			if err != nil {
				s.err = err
				return
			}
			select {
			case s.events <- ev:
			case <-ctx.Done():
				s.err = ctx.Err()
				return
			}
		}
	}()
	p.t.Cleanup(cancel)
	return s
}

// NextEvent returns the next event for which match is true (nil: any
// event), skipping the others. It fails the test if the stream ends or
// Timeout passes first.
func (s *EventStream) NextEvent(match func(*pb.Event) bool) *pb.Event {
	s.p.t.Helper()
	return s.Await("awaited event", match)
}

// Await is NextEvent, whose failure names what was awaited ("the echo of
// "hi": the network answers each message with the same text"). Every
// event it reads, matched or skipped, is held to the contract's rules on
// one event (a quote without reply_to_id; what the gateway would drop: a
// NUL byte or over LIMIT_ID_BYTES in an ID, a meta over LIMIT_META_BYTES,
// no login_id, no chat_id for what happens in a chat), and a message of
// the user's own with the text of a send on one of p's command streams to
// the rules of a send's echo (its txn_id, or the result's message_id).
func (s *EventStream) Await(what string, match func(*pb.Event) bool) *pb.Event {
	s.p.t.Helper()
	ev, note := s.awaitWithin(Timeout, what, match)
	if ev == nil {
		s.p.t.Fatalf("no %s after %v%s", what, Timeout, note)
	}
	return ev
}

// awaitWithin is Await bounded by d, which returns nil and a note of
// the events that came instead of failing when d passes first. The end
// of the stream fails the test.
func (s *EventStream) awaitWithin(d time.Duration, what string, match func(*pb.Event) bool) (*pb.Event, string) {
	s.p.t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	skipped, last := 0, (*pb.Event)(nil)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				s.p.t.Fatalf("event stream ended (%v) before the %s%s", s.err, what, skippedNote(skipped, last))
				return nil, ""
			}
			s.p.checkEvent(ev)
			for _, f := range s.p.own.faults(ev) {
				s.p.t.Error(f)
			}
			if match == nil || match(ev) {
				return ev, ""
			}
			skipped, last = skipped+1, ev
		case <-timer.C:
			return nil, skippedNote(skipped, last)
		}
	}
}

// checkEvent fails the test for what ev breaks of the contract's rules
// on one event (eventFaults, dropFault), once per event and fault: a
// replay of the event is not reported again.
func (p *Plugin) checkEvent(ev *pb.Event) {
	p.t.Helper()
	faults := eventFaults(ev)
	if f := dropFault(ev); f != "" {
		faults = append(faults, f)
	}
	for _, f := range faults {
		if _, seen := p.reported.LoadOrStore(fmt.Sprintf("%d\x00%s", ev.Seq, f), true); seen {
			continue
		}
		p.t.Errorf("event %d: %s: %s", ev.Seq, f, short(ev))
	}
}

func skippedNote(n int, last *pb.Event) string {
	if n == 0 {
		return " (no other event came)"
	}
	return fmt.Sprintf(" (%d other events came, the last: %v)", n, last)
}

// arrived yields the events received so far and not yet read, without
// waiting for more.
func (s *EventStream) arrived() iter.Seq[*pb.Event] {
	return func(yield func(*pb.Event) bool) {
		for {
			select {
			case ev, ok := <-s.events:
				if !ok || !yield(ev) {
					return
				}
			default:
				return
			}
		}
	}
}

// Ack acknowledges every event with seq <= upTo.
func (s *EventStream) Ack(upTo uint64) {
	s.p.t.Helper()
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if err := s.stream.Send(&pb.EventAck{UpToSeq: upTo}); err != nil {
		s.p.t.Fatalf("ack %d: %v", upTo, err)
	}
}

// Close ends the stream from the host side.
func (s *EventStream) Close() { s.cancel() }

// Err waits until the stream ends, at most Timeout, and returns why it
// ended (io.EOF: the plugin closed it cleanly). Events not yet read are
// dropped.
func (s *EventStream) Err() error {
	s.p.t.Helper()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return s.err
			}
		case <-timer.C:
			s.p.t.Fatalf("event stream still open after %v", Timeout)
			return nil
		}
	}
}

// ---------------------------------------------------------------- commands

// CommandStream is one Commands stream. Results are matched to commands by
// correlation ID; any number of commands may be in flight.
type CommandStream struct {
	p      *Plugin
	stream pb.Transport_CommandsClient
	cancel context.CancelFunc
	next   atomic.Uint64

	mu      sync.Mutex
	sendMu  sync.Mutex
	waiting map[uint64]chan *pb.CommandResult
	sends   map[uint64]*sentRecord // the sends of text waiting, for p.own
	ended   error                  // set when the stream ended
	strange []string               // protocol errors seen by the reader
}

// Commands opens a new Commands stream on the running process.
func (p *Plugin) Commands() *CommandStream {
	p.t.Helper()
	ctx, cancel := context.WithCancel(p.ctx)
	stream, err := p.Client().Commands(ctx)
	if err != nil {
		cancel()
		p.t.Fatalf("open Commands: %v", err)
	}
	c := &CommandStream{p: p, stream: stream, cancel: cancel, waiting: map[uint64]chan *pb.CommandResult{}, sends: map[uint64]*sentRecord{}}
	go c.read()
	p.t.Cleanup(cancel)
	return c
}

func (c *CommandStream) read() {
	for {
		r, err := c.stream.Recv()
		c.mu.Lock()
		if err != nil {
			if err == io.EOF {
				err = fmt.Errorf("commands stream closed by the plugin: %w", err)
			}
			c.ended = err
			for id, ch := range c.waiting {
				close(ch)
				delete(c.waiting, id)
			}
			c.mu.Unlock()
			return
		}
		ch, ok := c.waiting[r.CorrelationId]
		if ok {
			delete(c.waiting, r.CorrelationId)
			if rec := c.sends[r.CorrelationId]; rec != nil {
				delete(c.sends, r.CorrelationId)
				c.p.own.answered(rec, r)
			}
			ch <- r
		} else {
			c.strange = append(c.strange, fmt.Sprintf("result with unknown or repeated correlation ID %d: %v", r.CorrelationId, r))
		}
		c.mu.Unlock()
	}
}

// Go sends cmd and returns a channel that receives its result, or is
// closed without one if the stream ends first. A zero CorrelationId is
// replaced by a fresh one. Go may be called from any goroutine.
func (c *CommandStream) Go(cmd *pb.Command) <-chan *pb.CommandResult {
	if cmd.CorrelationId == 0 {
		cmd.CorrelationId = c.next.Add(1)
	}
	ch := make(chan *pb.CommandResult, 1)
	c.mu.Lock()
	if c.ended != nil {
		close(ch)
		c.mu.Unlock()
		return ch
	}
	if _, dup := c.waiting[cmd.CorrelationId]; dup {
		c.strange = append(c.strange, fmt.Sprintf("correlation ID %d used twice by the test", cmd.CorrelationId))
	}
	c.waiting[cmd.CorrelationId] = ch
	if rec := c.p.own.sending(cmd); rec != nil {
		c.sends[cmd.CorrelationId] = rec
	}
	c.mu.Unlock()

	c.sendMu.Lock()
	err := c.stream.Send(cmd)
	c.sendMu.Unlock()
	if err != nil {
		c.mu.Lock()
		if w, ok := c.waiting[cmd.CorrelationId]; ok && w == ch {
			delete(c.waiting, cmd.CorrelationId)
			close(ch)
		}
		c.mu.Unlock()
	}
	return ch
}

// Wait returns the result from a channel Go returned, failing the test if
// the stream ends or Timeout passes first.
func (c *CommandStream) Wait(ch <-chan *pb.CommandResult) *pb.CommandResult {
	c.p.t.Helper()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case r, ok := <-ch:
		c.mu.Lock()
		strange, ended := c.strange, c.ended
		c.strange = nil
		c.mu.Unlock()
		for _, s := range strange {
			c.p.t.Errorf("commands stream: %s", s)
		}
		for _, f := range c.p.own.faults(nil) {
			c.p.t.Error(f)
		}
		if !ok {
			c.p.t.Fatalf("commands stream ended before the result: %v", ended)
		}
		return r
	case <-timer.C:
		c.p.t.Fatalf("no command result after %v", Timeout)
	}
	return nil
}

// Send sends cmd and waits for its result.
func (c *CommandStream) Send(cmd *pb.Command) *pb.CommandResult {
	c.p.t.Helper()
	return c.Wait(c.Go(cmd))
}

// Close ends the stream from the host side.
func (c *CommandStream) Close() { c.cancel() }

// SendText is a send command with a txn_id.
func SendText(loginID, chatID, txnID, text string) *pb.Command {
	return &pb.Command{LoginId: loginID, ChatId: chatID, TxnId: txnID,
		Action: &pb.Command_Send{Send: &pb.SendMessage{Text: text}}}
}

// Act builds a command carrying action: one of the contract's actions
// (*pb.SendMessage, *pb.EditMessage, *pb.React, *pb.Retract, *pb.SetTyping,
// *pb.MarkRead, *pb.SetPresence, *pb.LeaveChat, *pb.SetTopic,
// *pb.SetChatName, *pb.Invite, *pb.Kick, *pb.Unban, *pb.SetRole, *pb.JoinChat,
// *pb.SetNick, *pb.CreateChat, *pb.SetChatAvatar, *pb.SetProfileAvatar,
// *pb.SearchChats, *pb.SetChatTimer, *pb.Vote, *pb.Pin, *pb.ClosePoll,
// *pb.DeclineInvite, *pb.DeleteChat: a pointer, as the contract's Go
// types are used).
// Another type leaves the command without an action, which
// the SDK refuses.
func Act(loginID, chatID, txnID string, action any) *pb.Command {
	c := &pb.Command{LoginId: loginID, ChatId: chatID, TxnId: txnID}
	switch a := action.(type) {
	case *pb.SendMessage:
		c.Action = &pb.Command_Send{Send: a}
	case *pb.EditMessage:
		c.Action = &pb.Command_Edit{Edit: a}
	case *pb.React:
		c.Action = &pb.Command_React{React: a}
	case *pb.Retract:
		c.Action = &pb.Command_Retract{Retract: a}
	case *pb.SetTyping:
		c.Action = &pb.Command_SetTyping{SetTyping: a}
	case *pb.MarkRead:
		c.Action = &pb.Command_MarkRead{MarkRead: a}
	case *pb.SetPresence:
		c.Action = &pb.Command_SetPresence{SetPresence: a}
	case *pb.LeaveChat:
		c.Action = &pb.Command_Leave{Leave: a}
	case *pb.SetTopic:
		c.Action = &pb.Command_SetTopic{SetTopic: a}
	case *pb.SetChatName:
		c.Action = &pb.Command_SetName{SetName: a}
	case *pb.SetChatAvatar:
		c.Action = &pb.Command_SetAvatar{SetAvatar: a}
	case *pb.SetProfileAvatar:
		c.Action = &pb.Command_SetProfileAvatar{SetProfileAvatar: a}
	case *pb.Invite:
		c.Action = &pb.Command_Invite{Invite: a}
	case *pb.Kick:
		c.Action = &pb.Command_Kick{Kick: a}
	case *pb.Unban:
		c.Action = &pb.Command_Unban{Unban: a}
	case *pb.SetRole:
		c.Action = &pb.Command_SetRole{SetRole: a}
	case *pb.JoinChat:
		c.Action = &pb.Command_Join{Join: a}
	case *pb.DeclineInvite:
		c.Action = &pb.Command_DeclineInvite{DeclineInvite: a}
	case *pb.DeleteChat:
		c.Action = &pb.Command_DeleteChat{DeleteChat: a}
	case *pb.SetNick:
		c.Action = &pb.Command_SetNick{SetNick: a}
	case *pb.CreateChat:
		c.Action = &pb.Command_Create{Create: a}
	case *pb.SearchChats:
		c.Action = &pb.Command_SearchChats{SearchChats: a}
	case *pb.SetChatTimer:
		c.Action = &pb.Command_SetTimer{SetTimer: a}
	case *pb.Vote:
		c.Action = &pb.Command_Vote{Vote: a}
	case *pb.Pin:
		c.Action = &pb.Command_Pin{Pin: a}
	case *pb.ClosePoll:
		c.Action = &pb.Command_ClosePoll{ClosePoll: a}
	}
	return c
}
