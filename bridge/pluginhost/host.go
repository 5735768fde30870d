// Package pluginhost runs one transport plugin process and keeps it
// running: it launches it over go-plugin, feeds its Events stream to the
// gateway and acknowledges what the gateway stored, carries commands on
// the Commands stream, and restarts the plugin with backoff when it dies or
// stops answering.
package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/stagetrace"
	"passerelle.im/passerelle/internal/stopwait"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// ErrUnavailable is returned while the plugin is not running.
var ErrUnavailable = &sdk.Error{Code: pb.ErrorCode_ERROR_CODE_UNAVAILABLE, Text: "the transport plugin is not running; try again shortly"}

// ErrStarting is ReadyClient's answer when the plugin runs but is still
// connecting its logins again after a start, past the caller's wait.
var ErrStarting = &sdk.Error{Code: pb.ErrorCode_ERROR_CODE_UNAVAILABLE, Text: "the transport is starting (connecting its logins again); try again in a moment"}

// Config is one plugin's setup.
type Config struct {
	// Name is the transport's name, for logs.
	Name string
	// Path is the plugin binary.
	Path string
	// DataDir is the plugin's state folder (created 0700).
	DataDir string
	// ConfigJSON is handed to the plugin's Init.
	ConfigJSON []byte
	// Domain is the transport's component JID.
	Domain string
	// ConfigAt, if set, is where the plugin's config is (FILE:LINE),
	// logged with the plugin's refusal of it so the admin knows where
	// to fix it.
	ConfigAt string
	// Log is the gateway's logger.
	Log *slog.Logger
	// OnEvents takes a batch of events and returns at once, with a
	// channel that yields nil once they are durably stored, or the error;
	// only then are they acknowledged to the plugin. It is called from one
	// goroutine, in stream order, and the channels are read in that order:
	// the next batch need not wait for the last one's fsync.
	OnEvents func(ctx context.Context, evs []*pb.Event) <-chan error
	// OnReady runs after every start of the plugin, once Init answered:
	// the place to Connect every login again; commands, and ReadyClient
	// outside OnReady, wait until it returns. ctx ends with that run.
	OnReady func(ctx context.Context, caps *pb.Capabilities)
	// OnStop, if set, hears why the plugin stopped, before its restart.
	OnStop func(err error)
	// OnStart, if set, runs for each new plugin process once Init
	// answered, before any stream opens (the store's HistoryRestarted).
	OnStart func()
	// OnHistory, if set, takes a batch of the History stream (history.go)
	// and returns once it is stored, or with the error that kept it from
	// being; only then is it acknowledged. It is called from one
	// goroutine, in stream order, and may take its time: the plugin's
	// history waits, its live events do not. Without it, or when the
	// plugin declares no backfill, the History stream is not opened.
	OnHistory func(ctx context.Context, b *pb.HistoryBatch) error
	// HealthInterval is how often the plugin is pinged (default 5 s).
	HealthInterval time.Duration
	// HoldTimeout is how long a command waits for a restarting plugin
	// before it fails with UNAVAILABLE (default 5 s): a crash and restart
	// then costs a delay, not an error.
	HoldTimeout time.Duration
	// CommandTimeout bounds the wait for a command's result, and
	// FileCommandTimeout for one that carries a file (sdk.CarriesFile),
	// counted from when it comes first of its chat's commands in flight
	// (chatline.go): past it the command fails as UNAVAILABLE (the plugin did not
	// answer; it may or may not have acted) and a late result is logged
	// and dropped. Defaults: the SDK's own limits
	// (sdk.DefaultCommandTimeout, sdk.DefaultFileCommandTimeout) and a
	// minute, so that a plugin of the SDK answers first.
	CommandTimeout, FileCommandTimeout time.Duration
	// OnInvalidUTF8, if set, runs for each message from the plugin whose
	// strings held invalid UTF-8 and were repaired (U+FFFD) so that it
	// could be decoded: the place to count it.
	OnInvalidUTF8 func()
	// CommandQueue bounds the commands waiting to go out on the
	// Commands stream (default DefaultCommandQueue): past it, while the
	// plugin does not read its stream, a command is refused at once
	// (errNotTaking) instead of a goroutine waiting for it.
	CommandQueue int
}

// DefaultCommandQueue is Config.CommandQueue's default: far more than a
// plugin that reads its stream ever has waiting.
const DefaultCommandQueue = 4096

// Host supervises one plugin process.
type Host struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	client  pb.TransportClient
	cmds    pb.Transport_CommandsClient
	caps    *pb.Capabilities
	pending map[uint64]*inflight
	// lines lists each chat's commands in flight, in the order sent:
	// only the first is timed (inflight.timer; chatLine).
	lines  map[chatKey][]uint64
	nextID uint64
	// out is the running stream's queue of commands, sent in order by
	// one goroutine (writeCommands); nil while cmds is.
	out chan *pb.Command
	// refused counts the commands refused since the queue was last
	// emptied (refuse, writeCommands).
	refused atomic.Uint64
	ready   chan struct{}
	pid     int
	gen     uint64 // plugin processes started (Generation)
	// retrying, while down's commands in flight are sent again, is
	// closed once they are: new commands go after them.
	retrying chan struct{}
	// handling counts the result handlers running (drain).
	handling atomic.Int32
	// stopping is closed when Run's context ends (the gateway stops);
	// nil until Run.
	stopping <-chan struct{}
	// badUTF8 counts the plugin's messages repaired (invalidUTF8).
	badUTF8 atomic.Uint64
	// strayResults counts results for no command in flight (stray).
	strayResults atomic.Uint64
	// bg runs the callbacks and resends that may outlive Run (Close):
	// a callback runs the caller's code (a store write, a stanza), and ran
	// after the caller's store was closed when untracked.
	bg stopwait.Group

	// holdWait, if set (by tests), hears of each wait of a command for
	// a plugin that is not ready, with its deadline.
	holdWait func(until time.Time)
	// after, if set (by tests), stands for time.After in Run's wait
	// before a restart of the plugin.
	after func(time.Duration) <-chan time.Time
}

// New returns a host; Run starts the plugin.
func New(cfg Config) *Host {
	if cfg.HealthInterval <= 0 {
		cfg.HealthInterval = 5 * time.Second
	}
	if cfg.HoldTimeout <= 0 {
		cfg.HoldTimeout = 5 * time.Second
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = sdk.DefaultCommandTimeout + time.Minute
	}
	if cfg.FileCommandTimeout <= 0 {
		cfg.FileCommandTimeout = sdk.DefaultFileCommandTimeout + time.Minute
	}
	if cfg.CommandQueue <= 0 {
		cfg.CommandQueue = DefaultCommandQueue
	}
	return &Host{cfg: cfg, log: cfg.Log.With("transport", cfg.Name), pending: map[uint64]*inflight{}, lines: map[chatKey][]uint64{}, ready: make(chan struct{})}
}

// Client returns the contract client while the plugin runs, whether or
// not OnReady has connected the logins again (ReadyClient waits for it).
func (h *Host) Client() (pb.TransportClient, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.client == nil {
		return nil, ErrUnavailable
	}
	return h.client, nil
}

// Caps is what the plugin declared at its last Init (nil before).
func (h *Host) Caps() *pb.Capabilities {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.caps
}

// Pid is the running plugin's process ID, or 0.
func (h *Host) Pid() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pid
}

// Generation counts the plugin processes started: it changes with each
// restart, so what lives in one process's memory (an upload ID) is known
// to be gone once it differs from the generation it was made in.
func (h *Host) Generation() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gen
}

// WaitReady blocks until the plugin runs with every login reconnected,
// or ctx ends, or the gateway stops (errStopping: no plugin comes then).
func (h *Host) WaitReady(ctx context.Context) error {
	h.mu.Lock()
	ch, stopping := h.ready, h.stopping
	up := h.cmds != nil
	h.mu.Unlock()
	if up {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-stopping:
		return errStopping
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reloadKey marks OnReady's context with the generation it runs for.
type reloadKey struct{}

// ReadyClient returns the contract client once the plugin runs with every
// login connected again (OnReady returned), waiting for that until ctx
// ends: a call that depends on the logins the plugin has (a login flow
// that finds the user's stored login, a logout of it) must not reach a
// plugin that has not loaded them yet. Within OnReady (its ctx, or one
// made from it) there is no wait, as OnReady itself connects the logins.
// The error is ErrStarting while OnReady still runs, else ErrUnavailable.
func (h *Host) ReadyClient(ctx context.Context) (pb.TransportClient, error) {
	if gen, ok := ctx.Value(reloadKey{}).(uint64); ok {
		h.mu.Lock()
		c, cur := h.client, h.gen
		h.mu.Unlock()
		if gen == cur && c != nil {
			return c, nil
		}
	}
	h.WaitReady(ctx) // the state below says how it ended
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.cmds != nil && h.client != nil:
		return h.client, nil
	case h.client != nil:
		return nil, ErrStarting
	default:
		return nil, ErrUnavailable
	}
}

// errStopping ends a wait for the plugin: the gateway stops.
var errStopping = errors.New("the gateway stops")

// stopped reports whether the gateway stops (Run's context ended).
func (h *Host) stopped() bool {
	h.mu.Lock()
	stopping := h.stopping
	h.mu.Unlock()
	select {
	case <-stopping:
		return true
	default:
		return false
	}
}

// inflight is a command sent and not yet answered.
type inflight struct {
	cmd *pb.Command
	// ctx is Do's (nil or never ending for Send's): once it ends, its
	// caller was told the command failed, and it is not sent again
	// (givenUp).
	ctx     context.Context
	cb      func(*pb.CommandResult)
	hold    func() // SendHolding's, for the wait of a retry
	retried bool
	// timer fails the command when the plugin does not answer within
	// limit (expire); set once the command comes first of its chat's
	// (chatLine), stopped by its result.
	timer *time.Timer
	limit time.Duration
	// sent: the writer put the command on the stream. One given up on
	// (expire) before is not sent at all (writeCommands).
	sent bool
}

// givenUp reports whether Do's caller gave up on f (its ctx ended): it
// was told the command failed, so the command is not sent again after a
// crash (down), nor sent at all if it is still queued (writeCommands).
func (f *inflight) givenUp() bool { return f.ctx != nil && f.ctx.Err() != nil }

// stopTimer stops f's expiry, if it has one.
func (f *inflight) stopTimer() {
	if f.timer != nil {
		f.timer.Stop()
	}
}

// Send puts a command on the stream; cb gets its result exactly once,
// from another goroutine (callbacks of different commands may run at the
// same time, in any order; once Close has begun, as for a callback that
// sends again while Close waits for it, in the caller's, before Send
// returns: cb must not need a lock the caller holds) (an UNAVAILABLE
// error if the plugin stays down for HoldTimeout or dies before
// answering). While the plugin restarts,
// Send waits for it, so commands keep their order. Once the gateway
// stops (Run's context ends), a command the plugin has not answered gets
// UNAVAILABLE at once, with no wait; but one with a txn_id gets no
// answer at all: it is held (SendHolding), and the caller's record of it
// sends it at the next start (an answer would have it forget the record).
func (h *Host) Send(cmd *pb.Command, cb func(*pb.CommandResult)) {
	h.send(context.Background(), cmd, cb, nil, false, time.Time{})
}

// SendHolding is Send that calls hold before the command waits for a
// plugin that is not ready (and not at all when it is): in the caller's
// goroutine, or, for a command in flight when the plugin died and sent
// again to the next one, in the goroutine that sends it again. The caller
// records what would be lost if the gateway died meanwhile; hold may be
// called twice.
func (h *Host) SendHolding(cmd *pb.Command, hold func(), cb func(*pb.CommandResult)) {
	h.send(context.Background(), cmd, cb, hold, false, time.Time{})
}

// send is Send; until, when not zero, is the end of the wait for a
// plugin that is not ready (else HoldTimeout from now): the commands
// retried after a crash share one, so that the last of them does not
// wait for each one before it in turn (down). ctx's end ends that wait
// too (Do's caller gave up): the command fails, never sent.
func (h *Host) send(ctx context.Context, cmd *pb.Command, cb func(*pb.CommandResult), hold func(), retried bool, until time.Time) {
	h.mu.Lock()
	stream := h.cmds
	if stream == nil {
		h.mu.Unlock()
		if hold != nil {
			hold()
		}
		if until.IsZero() {
			until = time.Now().Add(h.cfg.HoldTimeout)
		}
		if h.holdWait != nil {
			h.holdWait(until)
		}
		wctx, cancel := context.WithDeadline(ctx, until)
		err := h.WaitReady(wctx)
		cancel()
		h.mu.Lock()
		stream = h.cmds
		if err != nil || stream == nil {
			h.mu.Unlock()
			if h.stopped() && cmd.TxnId != "" {
				return // held: the caller's record has it (Send)
			}
			if ctx.Err() != nil {
				return // Do's caller gave up: Do tells it
			}
			h.bg.Go(func() { cb(&pb.CommandResult{CorrelationId: cmd.CorrelationId, Error: sdk.ToProto(ErrUnavailable)}) })
			return
		}
	}
	if r := h.retrying; r != nil && !retried {
		// The commands in flight when the plugin died go first: a
		// chat's order is the stream's.
		h.mu.Unlock()
		select {
		case <-r:
		case <-ctx.Done():
			return // Do's caller gave up: Do tells it
		}
		h.send(ctx, cmd, cb, hold, retried, until)
		return
	}
	if len(h.out) == cap(h.out) {
		// The plugin does not read its stream: the caller hears so now,
		// rather than a goroutine waiting behind the others. Counted
		// under h.mu, so that down's reset is not undone by a refusal
		// of the process gone.
		first := h.refused.Add(1) == 1
		h.mu.Unlock()
		h.refuse(cmd, cb, first)
		return
	}
	h.nextID++
	cmd.CorrelationId = h.nextID
	f := &inflight{cmd: cmd, ctx: ctx, cb: cb, hold: hold, retried: retried, limit: h.cfg.CommandTimeout}
	if sdk.CarriesFile(cmd) {
		f.limit = h.cfg.FileCommandTimeout
	}
	h.pending[cmd.CorrelationId] = f
	h.queueLocked(cmd.CorrelationId, f)
	h.out <- cmd // room checked above, under h.mu as every send to out
	h.mu.Unlock()
}

// refuse fails cmd at once: the plugin's queue of commands is full, as it
// does not read its Commands stream. The first refusal since the queue
// was last empty, or the plugin last restarted (down), is a warning;
// the queue emptied again is logged with the count (writeCommands).
func (h *Host) refuse(cmd *pb.Command, cb func(*pb.CommandResult), first bool) {
	if first {
		h.log.Warn("the transport plugin is not taking commands: it does not read its Commands stream; new commands are refused until it does",
			"plugin", h.cfg.Path, "waiting", h.cfg.CommandQueue)
	}
	r := &pb.CommandResult{CorrelationId: cmd.CorrelationId, Error: &pb.Error{Code: pb.ErrorCode_ERROR_CODE_UNAVAILABLE,
		Text: fmt.Sprintf("the %s plugin is not taking commands (%d commands wait already); this was not sent, try again later", h.cfg.Name, h.cfg.CommandQueue)}}
	h.bg.Go(func() { cb(r) })
}

// writeCommands sends out's commands on the stream in order until ctx
// ends; those left are in flight, which down takes over.
func (h *Host) writeCommands(ctx context.Context, stream pb.Transport_CommandsClient, out <-chan *pb.Command) {
	for {
		var cmd *pb.Command
		select {
		case cmd = <-out:
		case <-ctx.Done():
			return
		}
		// A command given up on while it waited here (expire: its caller
		// heard it failed) is dropped, not sent: a message the user was
		// told failed would reach the network anyway, and be sent twice
		// if they sent it again. So is one whose Do's caller gave up (its
		// ctx ended) once it was queued again for a restarted plugin,
		// where Do's drop missed it. The check and the mark are under
		// h.mu, as expire's removal: one or the other comes first.
		h.mu.Lock()
		f, live := h.pending[cmd.CorrelationId]
		if live && f.givenUp() {
			h.forgetLocked(cmd.CorrelationId, f)
			live = false
		}
		if live {
			f.sent = true
		}
		h.mu.Unlock()
		if !live {
			h.log.Debug("a command given up on before it was sent is dropped", "action", commandAction(cmd), "login", cmd.LoginId,
				"chat", cmd.ChatId, "txn", cmd.TxnId, "correlation_id", cmd.CorrelationId)
		} else if err := stream.Send(cmd); err != nil {
			// The stream broke: down() takes the command over, with
			// the others in flight.
			h.log.Debug("command send failed", "err", err)
			continue
		} else {
			stagetrace.Mark(stagetrace.GatewayCmd, cmd.GetSend().GetText())
		}
		if len(out) > 0 {
			continue // the plugin reads again once what waited is out
		}
		if n := h.refused.Swap(0); n > 0 {
			h.log.Info("the transport plugin takes commands again", "plugin", h.cfg.Path, "refused_meanwhile", n)
		}
	}
}

// expire fails the command id when the plugin has not answered it within
// limit: a plugin that never answers (a lost command, a handler that
// hangs) must not leave the user without an answer. It runs once, if the
// command is still in flight; its result, if it comes at last, finds no
// command and is dropped (stray), so the user hears once.
func (h *Host) expire(id uint64, limit time.Duration) {
	h.mu.Lock()
	f, ok := h.pending[id]
	delete(h.pending, id)
	sent := ok && f.sent
	if ok {
		h.unqueueLocked(id, f)
	}
	h.mu.Unlock()
	if !ok {
		return
	}
	text := fmt.Sprintf("the transport plugin did not answer within %s; this may or may not have been done", limit)
	if !sent {
		// Still in the queue: the writer drops it (writeCommands).
		text = fmt.Sprintf("the transport plugin did not answer within %s: it does not read its commands, and this was not sent", limit)
	}
	h.log.Warn("the transport plugin did not answer a command in time; it fails as unavailable, and a late answer will be dropped",
		"action", commandAction(f.cmd), "login", f.cmd.LoginId, "chat", f.cmd.ChatId, "txn", f.cmd.TxnId, "correlation_id", id, "waited", limit, "sent", sent)
	h.handling.Add(1)
	defer h.handling.Add(-1)
	f.cb(&pb.CommandResult{CorrelationId: id, Error: &pb.Error{Code: pb.ErrorCode_ERROR_CODE_UNAVAILABLE, Text: text}})
}

// commandAction names cmd's action for the log ("send", "edit", ...).
func commandAction(cmd *pb.Command) string {
	if od := cmd.ProtoReflect().WhichOneof(cmd.ProtoReflect().Descriptor().Oneofs().ByName("action")); od != nil {
		return string(od.Name())
	}
	return "none"
}

// stray logs a result that names no command in flight: the plugin
// answered a command twice, answered one the gateway gave up on
// (expire), or made up a correlation_id (one not sent yet, too). It is dropped: the command's
// caller heard once. Only the first is a warning, as a plugin that does
// it once likely does it often.
func (h *Host) stray(r *pb.CommandResult) {
	level := slog.LevelDebug
	if h.strayResults.Add(1) == 1 {
		level = slog.LevelWarn
	}
	h.log.Log(context.Background(), level, "the transport plugin answered a command that is not in flight (answered twice, or after the gateway gave up on it); the answer is dropped (warned once)",
		"correlation_id", r.CorrelationId, "message_id", r.MessageId, "error", r.GetError().GetText())
}

// StrayResults is how many results named no command in flight (stray).
func (h *Host) StrayResults() uint64 { return h.strayResults.Load() }

// Do is Send, waiting for the result, or for ctx: at a stop of the
// gateway a command with a txn_id gets no result (Send). A command whose
// ctx ended before it was sent is never sent: its caller, told it
// failed, may send it again, and the network would have it twice. A
// result already there when ctx ends is the answer, for the same reason.
func (h *Host) Do(ctx context.Context, cmd *pb.Command) (*pb.CommandResult, error) {
	ch := make(chan *pb.CommandResult, 1)
	h.send(ctx, cmd, func(r *pb.CommandResult) { ch <- r }, nil, false, time.Time{})
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		h.drop(cmd)
		select {
		case r := <-ch: // it came as the caller gave up: select picks either
			return r, nil
		default:
			return nil, ctx.Err()
		}
	}
}

// drop takes cmd out of the commands in flight if it is still queued,
// not sent: the writer then drops it (writeCommands). One sent is left
// to its answer.
func (h *Host) drop(cmd *pb.Command) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := cmd.CorrelationId // set under h.mu (send), again at a resend after a crash
	f, ok := h.pending[id]
	if !ok || f.sent || f.cmd != cmd {
		return
	}
	h.forgetLocked(id, f)
}

// forgetLocked takes f, command id, out of the commands in flight
// without an answer: its caller was told it failed. Call with h.mu held.
func (h *Host) forgetLocked(id uint64, f *inflight) {
	delete(h.pending, id)
	h.unqueueLocked(id, f)
	f.stopTimer()
}

// maxBackoff is the longest wait between two starts of a plugin that
// crashes or fails to start.
const maxBackoff = 30 * time.Second

// maxRefusedBackoff is the longest wait between two starts of a plugin
// that refuses to start (its config, its contract version): the same
// config and binary fail the same way, and the gateway reads its config
// only at its start, so a try is for what may change under it meanwhile
// (the machine, the binary), not a loop.
const maxRefusedBackoff = 10 * time.Minute

// Run starts the plugin and restarts it whenever it dies, until ctx ends.
// A plugin that refuses to start (an InitError, or another contract
// version: sdk.VersionError) is logged as refused (at error once per
// cause, then at debug: startFails) and tried again after maxBackoff,
// then twice as long each time up to maxRefusedBackoff.
func (h *Host) Run(ctx context.Context) error {
	h.mu.Lock()
	h.stopping = ctx.Done()
	h.mu.Unlock()
	const minBackoff = 200 * time.Millisecond
	backoff := minBackoff
	var fails startFails
	for {
		started := time.Now()
		err := h.runOnce(ctx, fails.started)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > time.Minute {
			backoff = minBackoff
		}
		// A start that failed, the launch or Init, is told as one
		// story with the others (startFails): once at error per cause,
		// its repeats at debug.
		level, attrs := slog.LevelError, []any(nil)
		se := (*startError)(nil)
		if errors.As(err, &se) {
			level, attrs = fails.failed(se.err)
			err = se.err
		}
		var ie *InitError
		ve := (*sdk.VersionError)(nil)
		refused := errors.As(err, &ve) || errors.As(err, &ie)
		if refused {
			// Its config, the binary or the machine must change first:
			// tried again at a pace that slows to maxRefusedBackoff.
			backoff = max(backoff, maxBackoff)
		} else {
			backoff = min(backoff, maxBackoff)
		}
		if ve != nil {
			h.log.Log(ctx, level, "transport plugin refused", append([]any{"err", err, "retry_in", backoff}, attrs...)...)
		} else if ie != nil {
			args := []any{"err", err, "retry_in", backoff}
			if h.cfg.ConfigAt != "" {
				// The retry starts it with the config read at the
				// gateway's start: an admin who edits the file must
				// know that only a restart applies it.
				args = append([]any{"config", h.cfg.ConfigAt}, append(args, "hint", "a change to the config file applies at the gateway's restart")...)
			}
			h.log.Log(ctx, level, "transport plugin refused to start; fix what it says", append(args, attrs...)...)
		} else if se != nil {
			h.log.Log(ctx, level, "transport plugin failed to start; trying again", append([]any{"plugin", h.cfg.Path, "err", err, "retry_in", backoff}, attrs...)...)
		} else {
			h.log.Error("transport plugin stopped; restarting", "err", err, "retry_in", backoff)
		}
		if h.cfg.OnStop != nil {
			h.cfg.OnStop(err)
		}
		after := time.After
		if h.after != nil {
			after = h.after
		}
		select {
		case <-after(backoff):
		case <-ctx.Done():
			return nil
		}
		limit := maxBackoff
		if refused {
			limit = maxRefusedBackoff
		}
		backoff = min(backoff*2, limit)
	}
}

// Close waits for what the host runs beside Run and may outlive it: the
// commands' callbacks (a result, an expiry, the refusal of a command
// sent once the plugin stopped) and the resend of a dead plugin's
// commands. Call it once Run returned, before what the callbacks use
// (the caller's store) closes. A command sent once it has begun (by a
// callback it waits for, or after) is refused, or held, at once: its
// callback runs before Send returns.
func (h *Host) Close() {
	h.mu.Lock()
	if h.stopping == nil { // never run: no plugin comes
		stopped := make(chan struct{})
		close(stopped)
		h.stopping = stopped
	}
	h.mu.Unlock()
	h.bg.Stop()
}

// startReminderEvery is how often a plugin that keeps failing to start
// the same way is told of again at error level (the count so far).
const startReminderEvery = 10 * time.Minute

// startFails tells which failed starts of the plugin to log at error: the
// first, one of another cause, and a reminder now and then; the others
// are at debug, as an operator reading the log at info needs the cause
// once, not every 30 s for as long as the binary is missing.
type startFails struct {
	n        int // failed starts in a row
	cause    string
	first    time.Time
	reminded time.Time
}

// started notes a start of the plugin, its Init answered: one that
// ends failed starts is told, with their count. (Launched but refused
// in Init, it did not start: told as a failed start.)
func (f *startFails) started(log *slog.Logger) {
	if f.n > 0 {
		log.Info("transport plugin started after failed starts", "failed_starts", f.n, "failing_for", time.Since(f.first).Round(time.Millisecond))
	}
	*f = startFails{}
}

// failed notes a failed start with err, and returns its log level and
// the attributes to add.
func (f *startFails) failed(err error) (slog.Level, []any) {
	now := time.Now()
	f.n++
	if f.n == 1 || err.Error() != f.cause {
		if f.n == 1 {
			f.first = now
		}
		f.cause, f.reminded = err.Error(), now
		if f.n == 1 {
			return slog.LevelError, nil
		}
		return slog.LevelError, []any{"failed_starts", f.n, "note", "the cause changed"}
	}
	if now.Sub(f.reminded) >= startReminderEvery {
		f.reminded = now
		return slog.LevelError, []any{"failed_starts", f.n, "failing_for", now.Sub(f.first).Round(time.Second)}
	}
	return slog.LevelDebug, []any{"failed_starts", f.n}
}

// startError is a start of the plugin that failed (its launch, or its
// Init), told apart from a plugin that ran and stopped in Run's log.
type startError struct{ err error }

func (e *startError) Error() string { return e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

// runOnce runs one plugin process until it ends; started hears when it
// has started (its Init answered). A launch or Init that fails is a
// startError.
func (h *Host) runOnce(ctx context.Context, started func(*slog.Logger)) error {
	if err := os.MkdirAll(h.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("plugin data dir: %w", err)
	}
	plog := h.log.With("plugin", h.cfg.Name)
	p, err := launch(ctx, launchConfig{
		Path:        h.cfg.Path,
		Stderr:      &logWriter{log: plog},
		Logger:      hclog.New(&hclog.LoggerOptions{Name: "go-plugin", Output: &logWriter{log: h.log}, JSONFormat: true, Level: hclog.Warn}),
		InvalidUTF8: h.invalidUTF8,
	})
	if err != nil {
		return &startError{err}
	}
	defer p.Kill()

	caps, err := p.init(ctx, h.cfg.ConfigJSON, h.cfg.DataDir, h.cfg.Domain)
	if err != nil {
		return &startError{err}
	}
	started(h.log)
	if h.cfg.OnStart != nil {
		h.cfg.OnStart()
	}

	// The streams outlive ctx by the drain: a stop of the gateway lets
	// the commands in flight be answered, and their results handled,
	// before the plugin goes; else a message the plugin sent (its echo
	// already out) is recorded as unanswered and sent again at the next
	// start.
	rctx, stop := context.WithCancelCause(context.WithoutCancel(ctx))
	drained := make(chan struct{})
	// The wait ends the run's streams first: the drain then ends too.
	defer func() { stop(nil); <-drained }()
	go func() {
		defer close(drained)
		select {
		case <-ctx.Done():
			h.drain(rctx, drainWait)
			stop(context.Cause(ctx))
		case <-rctx.Done():
		}
	}()
	events, err := p.Transport.Events(rctx)
	if err != nil {
		return fmt.Errorf("open event stream: %w", err)
	}
	cmds, err := p.Transport.Commands(rctx)
	if err != nil {
		return fmt.Errorf("open command stream: %w", err)
	}

	h.mu.Lock()
	h.client, h.caps, h.pid = p.Transport, caps, p.Pid()
	h.gen++
	gen := h.gen
	h.mu.Unlock()
	defer h.down()
	h.log.Info("transport plugin running", "network", caps.Network, "version", caps.Version, "pid", p.Pid())

	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop(nil)
	wg.Go(func() { stop(h.pumpEvents(rctx, events, &wg)) })
	wg.Go(func() { stop(h.readResults(cmds)) })
	wg.Go(func() { stop(h.watch(rctx, p)) })
	if h.cfg.OnHistory != nil && caps.GetFeatures().GetBackfill() {
		wg.Go(func() { h.runHistory(rctx, p.Transport) })
	}
	// Commands (and ReadyClient) wait until every login is connected
	// again, so the first message or login after a restart does not meet
	// a login the plugin has not loaded yet.
	if h.cfg.OnReady != nil {
		h.cfg.OnReady(context.WithValue(rctx, reloadKey{}, gen), caps)
	}
	out := make(chan *pb.Command, h.cfg.CommandQueue)
	wg.Go(func() { h.writeCommands(rctx, cmds, out) })
	h.mu.Lock()
	if rctx.Err() == nil {
		h.cmds, h.out = cmds, out
		close(h.ready)
	}
	h.mu.Unlock()
	<-rctx.Done()
	return context.Cause(rctx)
}

// drainWait bounds how long a stop of the gateway waits for the commands
// in flight.
const drainWait = 3 * time.Second

// drain waits, up to wait, until no command is in flight and no result
// handler runs, or until ctx (the run's streams) ends: down then takes
// over the commands in flight.
func (h *Host) drain(ctx context.Context, wait time.Duration) {
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if ctx.Err() != nil {
			return
		}
		h.mu.Lock()
		n := len(h.pending)
		h.mu.Unlock()
		if n == 0 && h.handling.Load() == 0 {
			return
		}
	}
	h.log.Warn("stopping with commands in flight: the messages among them are sent again at the next start")
}

// down forgets the dead process. Commands in flight are sent again, once,
// to the restarted plugin: the SDK remembers answered txn_ids across
// restarts, so one the dead plugin completed is answered, not redone. A
// command already retried fails instead, so a message that crashes the
// plugin cannot crash it forever. When the gateway stops, no plugin
// comes: a command with a txn_id is held and left to the caller's record
// of it (Send), the others fail at once. Either way the failures' and
// holds' callbacks run side by side, and down returns once they are done
// (the caller's store is still open).
func (h *Host) down() {
	h.mu.Lock()
	h.client, h.pid = nil, 0
	if h.cmds != nil {
		h.cmds, h.out = nil, nil
		h.ready = make(chan struct{})
	}
	pending := h.pending
	h.pending = map[uint64]*inflight{}
	h.lines = map[chatKey][]uint64{}
	// The full queue went with the process: the next one that does not
	// read its stream is warned of again (refuse).
	refused := h.refused.Swap(0)
	h.mu.Unlock()
	if n := refused; n > 0 {
		h.log.Info("the transport plugin stopped while not taking commands", "plugin", h.cfg.Path, "refused_meanwhile", n)
	}
	stopping := h.stopped()
	ids := make([]uint64, 0, len(pending))
	for id := range pending {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var retry []*inflight
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxCallbacks)
	run := func(f func()) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f()
		})
	}
	for _, id := range ids {
		f := pending[id]
		f.stopTimer() // a retry has a timer of its own
		switch {
		case f.givenUp():
			// Do's caller gave up, and was told it failed: sent again, a
			// message it may send anew would reach the network twice.
			h.log.Debug("a command given up on is not sent again to the restarted plugin", "action", commandAction(f.cmd), "login", f.cmd.LoginId,
				"chat", f.cmd.ChatId, "txn", f.cmd.TxnId)
		case f.cmd.TxnId != "" && stopping:
			if f.hold != nil {
				run(f.hold)
			}
		case f.retried || f.cmd.TxnId == "":
			text := "the transport plugin stopped before confirming this; it may or may not have been sent"
			if !f.sent {
				// Still in the queue (f.sent is set under h.mu, and only
				// while f was in h.pending): safe to send again.
				text = "the transport plugin stopped before it took this; it was not sent"
			}
			run(func() {
				f.cb(&pb.CommandResult{CorrelationId: id, Error: &pb.Error{Code: pb.ErrorCode_ERROR_CODE_UNAVAILABLE, Text: text}})
			})
		default:
			retry = append(retry, f)
		}
	}
	wg.Wait()
	if len(retry) == 0 {
		return
	}
	done := make(chan struct{})
	h.mu.Lock()
	h.retrying = done
	h.mu.Unlock()
	h.bg.Go(func() {
		defer func() {
			h.mu.Lock()
			if h.retrying == done {
				h.retrying = nil
			}
			h.mu.Unlock()
			close(done)
		}()
		// Each is held before any waits: they are sent again in turn,
		// each waiting for the next plugin until one deadline for all:
		// if it does not come, every caller hears within HoldTimeout,
		// not the N-th after N of them.
		for _, f := range retry {
			if f.hold != nil {
				f.hold()
			}
		}
		until := time.Now().Add(h.cfg.HoldTimeout)
		for _, f := range retry {
			ctx := f.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			h.send(ctx, f.cmd, f.cb, f.hold, true, until)
		}
	})
}

// maxCallbacks bounds the result callbacks running at once. Past it the
// stream is not read, which holds the plugin back.
const maxCallbacks = 1024

// readResults hands each result to its callback on a goroutine of its
// own, which Close waits for (the callback may outlive the stream): a
// callback that waits (the bridge stores the message ID map, one fsync)
// must not hold up the results behind it, or the command stream runs at
// one store commit per message.
func (h *Host) readResults(cmds pb.Transport_CommandsClient) error {
	sem := make(chan struct{}, maxCallbacks)
	for {
		r, err := cmds.Recv()
		if err != nil {
			return fmt.Errorf("command stream: %w", err)
		}
		h.mu.Lock()
		f, ok := h.pending[r.CorrelationId]
		// A command still in the queue was never sent: no answer can be
		// its (the plugin made the id up). Taken, it would tell the
		// command's caller of a send that never was, and the command
		// go out unanswered.
		ok = ok && f.sent
		if ok {
			delete(h.pending, r.CorrelationId)
			h.unqueueLocked(r.CorrelationId, f)
			f.stopTimer()
		}
		h.mu.Unlock()
		if !ok {
			h.stray(r)
			continue
		}
		sem <- struct{}{}
		h.handling.Add(1)
		h.bg.Go(func() {
			defer func() { <-sem }()
			defer h.handling.Add(-1)
			f.cb(r)
		})
	}
}

// pumpEvents receives events, has them stored a batch at a time, then
// acknowledges the batch. Its helpers (the stream's reader, the acks)
// run on wg, as they end only with ctx, which may end after it returns.
func (h *Host) pumpEvents(ctx context.Context, stream pb.Transport_EventsClient, wg *sync.WaitGroup) error {
	in := make(chan *pb.Event, 1024)
	recvErr := make(chan error, 1)
	wg.Go(func() {
		defer close(in)
		for {
			ev, err := stream.Recv()
			if err != nil {
				recvErr <- fmt.Errorf("event stream: %w", err)
				return
			}
			stagetrace.Mark(stagetrace.GatewayEv, ev.GetMessage().GetText())
			select {
			case in <- ev:
			case <-ctx.Done():
				recvErr <- ctx.Err()
				return
			}
		}
	})
	// Acknowledgements go out in order, each once its batch is stored.
	type pending struct {
		stored <-chan error
		seq    uint64
	}
	acks := make(chan pending, 256)
	ackErr := make(chan error, 2) // the store's and the acker's, each once at most
	ack := newAcker(ctx, h, stream, ackErr, wg)
	wg.Go(func() {
		for p := range acks {
			var err error
			select {
			case err = <-p.stored:
			case <-ctx.Done():
				err = ctx.Err()
			}
			if err != nil {
				select {
				case ackErr <- fmt.Errorf("store events: %w", err):
				default:
				}
				for range acks {
				}
				return
			}
			ack.upTo(p.seq)
		}
	})
	defer func() {
		close(acks)
	}()
	for {
		var ev *pb.Event
		select {
		case e, ok := <-in:
			if !ok {
				return <-recvErr
			}
			ev = e
		case err := <-ackErr:
			// A batch was not stored: the run ends now, not at the next
			// event (which may be long in coming), so that the plugin
			// sends the batch again to the next one.
			ackErr <- err
			return err
		}
		batch := make([]*pb.Event, 0, 16)
		batch = append(batch, ev)
	drain:
		for len(batch) < 256 {
			select {
			case ev, ok := <-in:
				if !ok {
					break drain
				}
				batch = append(batch, ev)
			default:
				break drain
			}
		}
		p := pending{stored: h.cfg.OnEvents(ctx, batch), seq: batch[len(batch)-1].Seq}
		select {
		case acks <- p:
		case err := <-ackErr:
			ackErr <- err
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// watch notices a plugin that exited or hangs.
func (h *Host) watch(ctx context.Context, p *process) error {
	t := time.NewTicker(h.cfg.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if p.Exited() {
			return errors.New("plugin process exited")
		}
		pctx, cancel := context.WithTimeout(ctx, h.cfg.HealthInterval)
		err := p.Ping(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("plugin does not answer: %w", err)
		}
	}
}

// InvalidUTF8Repaired is how many messages from the plugin held strings
// that were not UTF-8 and were taken with U+FFFD in their place.
func (h *Host) InvalidUTF8Repaired() uint64 { return h.badUTF8.Load() }

// invalidUTF8 counts a repaired message; only the first is logged, as
// a plugin that writes one such string likely writes many.
func (h *Host) invalidUTF8(m proto.Message) {
	if h.badUTF8.Add(1) == 1 {
		h.log.Warn("the plugin sent strings that are not UTF-8, which the contract requires; invalid bytes replaced with U+FFFD (logged once)",
			"message", m.ProtoReflect().Descriptor().FullName())
	}
	if h.cfg.OnInvalidUTF8 != nil {
		h.cfg.OnInvalidUTF8()
	}
}
