package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/limits"
	pb "passerelle.im/passerelle/plugins/proto"
)

// maxQueuedCommands bounds the commands received and not yet answered
// on a stream: past it the stream is not read (the host waits), as
// before a flood of commands fills the plugin's memory.
const maxQueuedCommands = 2048

// MaxMetaBytes bounds Result.Meta and Event.Meta: the contract's
// LIMIT_META_BYTES, the bound the gateway's store holds to.
const MaxMetaBytes = limits.MetaBytes

// MaxIDBytes bounds an event's login_id, chat_id and event_id, and a
// history batch's login_id, chat_id and cursor: the contract's
// LIMIT_ID_BYTES. The gateway refuses longer ones, or any with a NUL.
const MaxIDBytes = limits.IDBytes

// txnCacheSize bounds the remembered answers to txn_ids.
const txnCacheSize = 8192

type server struct {
	pb.UnimplementedTransportServer
	t   transport
	log *slog.Logger

	mu   sync.Mutex
	q    *eventQueue
	hq   *historyQueue
	lock *os.File // the data folder's lock, held for the process's life

	txns txnCache
	// sent keeps recent sends' txn_ids for their echoes (echotxn.go).
	sent sentTxns
	// running counts the commands under way, for the stop (stop.go).
	running runningCommands
	// conns stamps login states with their connection (connection.go).
	conns connections

	// trace is WithTrace's hook, nil when off.
	trace func(stage Stage, text string)
	// timeout and fileTimeout bound a command (WithCommandTimeouts).
	timeout, fileTimeout time.Duration
}

func newServer(t transport, opts ...Option) *server {
	cfg := serveConfig{timeout: DefaultCommandTimeout, fileTimeout: DefaultFileCommandTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	return &server{
		t:           t,
		log:         slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})),
		txns:        txnCache{m: map[string]*txnEntry{}},
		trace:       cfg.trace,
		timeout:     cfg.timeout,
		fileTimeout: cfg.fileTimeout,
	}
}

// host is the Host handed to the transport.
type host struct{ s *server }

func (h host) Emit(ev *pb.Event) { h.emit(ev) }

// emit is what every Emit does: ev's txn_id stamped when it is a send's
// echo (echotxn.go), a login state's connection (connection.go), then ev
// queued; seq is 0 when the queue dropped it,
// err saying why.
func (h host) emit(ev *pb.Event) (q *eventQueue, seq uint64, err error) {
	h.s.sent.stamp(ev)
	h.s.conns.stamp(ev)
	q = h.s.queue()
	seq, err = q.emit(ev)
	return q, seq, err
}

func (h host) EmitWait(ctx context.Context, ev *pb.Event) error {
	q, seq, err := h.emit(ev)
	if err != nil {
		return err
	}
	return q.waitAcked(ctx, seq)
}

func (h host) EmitDurable(ctx context.Context, ev *pb.Event) error {
	q, seq, err := h.emit(ev)
	if err != nil {
		return err
	}
	if q.j == nil {
		return q.waitAcked(ctx, seq)
	}
	return q.sync(seq)
}

func (h host) SendHistory(ctx context.Context, b *pb.HistoryBatch) error {
	h.s.mu.Lock()
	q := h.s.hq
	h.s.mu.Unlock()
	if q == nil {
		return errors.New("sdk: SendHistory before Init")
	}
	if repairUTF8(b.ProtoReflect()) { // as queue.go's encode does for events
		h.s.log.Warn("a history batch's text was not UTF-8: what was not is replaced with U+FFFD", "chat_id", b.ChatId)
	}
	err := q.send(ctx, b)
	if errors.Is(err, errInvalidBatch) {
		h.s.log.Error("history batch dropped: the gateway could not store it", "reason", err.Error(),
			"login_id", b.LoginId, "chat_id", b.ChatId, "events", len(b.Events))
	}
	return err
}

// SendHistoryWait is SendHistory, then waits until the host stored b
// (HistoryWaiter).
func (h host) SendHistoryWait(ctx context.Context, b *pb.HistoryBatch) error {
	if err := h.SendHistory(ctx, b); err != nil {
		return err
	}
	h.s.mu.Lock()
	q := h.s.hq
	h.s.mu.Unlock()
	return q.stored(ctx, b.Seq)
}

func (h host) Logger() *slog.Logger { return h.s.log }

func (s *server) queue() *eventQueue {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.q
}

func (s *server) Init(ctx context.Context, req *pb.InitRequest) (*pb.Capabilities, error) {
	s.mu.Lock()
	if s.q == nil {
		if req.DataDir != "" {
			lock, err := lockDataDir(req.DataDir)
			if err != nil {
				s.mu.Unlock()
				return nil, status.Error(codes.FailedPrecondition, err.Error())
			}
			j, pending, acked, maxSeq, err := openJournal(req.DataDir)
			if err != nil {
				lock.Close()
				s.mu.Unlock()
				return nil, status.Error(codes.FailedPrecondition, err.Error())
			}
			s.lock = lock
			s.txns.load(j.txns)
			j.txns = nil
			s.q = newEventQueue(j, pending, acked, maxSeq, s.log)
			s.q.trace = s.trace
			s.q.txns = s.txns.answers
			s.txns.logTo(s.q)
		} else {
			s.q = newEventQueue(nil, nil, 0, 0, s.log)
			s.q.trace = s.trace
		}
		hq, err := newHistoryQueue(req.DataDir)
		if err != nil {
			s.mu.Unlock()
			return nil, status.Error(codes.FailedPrecondition, err.Error())
		}
		s.hq = hq
	}
	s.mu.Unlock()
	caps, err := s.t.Init(ctx, InitRequest{ConfigJSON: req.ConfigJson, DataDir: req.DataDir, Domain: req.Domain}, host{s})
	if err != nil {
		return nil, toStatus(err)
	}
	if caps.ApiVersion == 0 {
		caps.ApiVersion = APIVersion
	}
	return caps, nil
}

// shutdown writes what the journal holds and releases the data folder,
// for a process about to exit.
func (s *server) shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.q != nil {
		s.q.close()
	}
	if s.hq != nil {
		s.hq.close()
	}
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
}

func (s *server) LoginFlows(ctx context.Context, _ *pb.LoginFlowsRequest) (*pb.LoginFlowsResponse, error) {
	flows, err := s.t.LoginFlows(ctx)
	return &pb.LoginFlowsResponse{Flows: flows}, toStatus(err)
}

func (s *server) StartLogin(ctx context.Context, req *pb.StartLoginRequest) (*pb.LoginStep, error) {
	return nonNil(s.t.StartLogin(ctx, req))
}

func (s *server) SubmitLoginInput(ctx context.Context, req *pb.SubmitLoginInputRequest) (*pb.LoginStep, error) {
	return nonNil(s.t.SubmitLoginInput(ctx, req.ProcessId, req.Fields))
}

func (s *server) WaitLogin(ctx context.Context, req *pb.LoginProcessRef) (*pb.LoginStep, error) {
	return nonNil(s.t.WaitLogin(ctx, req.ProcessId))
}

func (s *server) CancelLogin(ctx context.Context, req *pb.LoginProcessRef) (*pb.Empty, error) {
	return &pb.Empty{}, toStatus(s.t.CancelLogin(ctx, req.ProcessId))
}

func (s *server) Connect(ctx context.Context, req *pb.ConnectRequest) (*pb.Empty, error) {
	begin := func() { s.conns.begin(req.LoginId, req.Connection) }
	return &pb.Empty{}, toStatus(s.t.Connect(ctx, req, begin))
}

func (s *server) Disconnect(ctx context.Context, req *pb.LoginRef) (*pb.Empty, error) {
	return &pb.Empty{}, toStatus(s.t.Disconnect(ctx, req.LoginId))
}

func (s *server) Logout(ctx context.Context, req *pb.LogoutRequest) (*pb.Empty, error) {
	return &pb.Empty{}, toStatus(s.t.Logout(ctx, req))
}

func (s *server) ResolveIdentifier(ctx context.Context, req *pb.ResolveIdentifierRequest) (*pb.Contact, error) {
	return nonNil(s.t.ResolveIdentifier(ctx, req))
}

func (s *server) ContactList(ctx context.Context, req *pb.LoginRef) (*pb.ContactListResponse, error) {
	cs, err := s.t.ContactList(ctx, req.LoginId)
	return &pb.ContactListResponse{Contacts: cs}, toStatus(err)
}

func (s *server) ChatInfo(ctx context.Context, req *pb.ChatRef) (*pb.Chat, error) {
	return nonNil(s.t.ChatInfo(ctx, req))
}

func (s *server) UserInfo(ctx context.Context, req *pb.UserRef) (*pb.Contact, error) {
	return nonNil(s.t.UserInfo(ctx, req.LoginId, req.UserId))
}

func (s *server) ChatList(ctx context.Context, req *pb.LoginRef) (*pb.ChatListResponse, error) {
	cs, err := s.t.ChatList(ctx, req.LoginId)
	return &pb.ChatListResponse{Chats: cs}, toStatus(err)
}

func (s *server) Backfill(ctx context.Context, req *pb.BackfillRequest) (*pb.Empty, error) {
	return &pb.Empty{}, toStatus(s.t.Backfill(ctx, req))
}

// nonNil converts the error and refuses a nil answer, which gRPC cannot
// send and which would otherwise surface as an opaque marshal error.
func nonNil[T any](v *T, err error) (*T, error) {
	if err != nil {
		return nil, toStatus(err)
	}
	if v == nil {
		return nil, status.Error(codes.Internal, "plugin returned no answer and no error")
	}
	return v, nil
}

func (s *server) Events(stream pb.Transport_EventsServer) error {
	q := s.queue()
	if q == nil {
		return status.Error(codes.FailedPrecondition, "Events before Init")
	}
	gen := q.newStream()
	go func() {
		for {
			ack, err := stream.Recv()
			if err != nil {
				return
			}
			q.ack(ack.UpToSeq)
		}
	}()
	err := q.stream(stream.Context(), gen, stream.Send)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (s *server) Commands(stream pb.Transport_CommandsServer) error {
	ctx := stream.Context()
	results := make(chan *pb.CommandResult, 256)
	sendErr := make(chan error, 1)
	go func() {
		batch := make([]*pb.CommandResult, 0, 64)
		for r := range results {
			batch = append(batch[:0], r)
		drain:
			for len(batch) < cap(batch) {
				select {
				case r, ok := <-results:
					if !ok {
						break drain
					}
					batch = append(batch, r)
				default:
					break drain
				}
			}
			// What the commands emitted and the answers to their
			// txn_ids reach the kernel before the host hears of them,
			// in one write.
			if q := s.queue(); q != nil {
				q.flush()
			}
			for _, r := range batch {
				if err := stream.Send(r); err != nil {
					sendErr <- err
					// Keep draining so workers never block.
					for range results {
					}
					return
				}
			}
		}
		sendErr <- nil
	}()

	// Each chat's commands run in order, in a goroutine of the chat's
	// while it has some; different chats at once. No chat waits behind
	// another's long command (a paste at its pace, a file's upload).
	type chatKey struct{ login, chat string }
	var (
		wg     sync.WaitGroup
		qmu    sync.Mutex
		queues = map[chatKey][]*pb.Command{} // present while its goroutine runs
		slots  = make(chan struct{}, maxQueuedCommands)
	)
	runChat := func(k chatKey) {
		for {
			qmu.Lock()
			q := queues[k]
			if len(q) == 0 {
				delete(queues, k)
				qmu.Unlock()
				return
			}
			cmd := q[0]
			q[0] = nil
			queues[k] = q[1:]
			qmu.Unlock()
			if ctx.Err() != nil {
				// The stream is gone: its answer could not reach the
				// host, which sends the command again to the next
				// process. Not run: a method that ignores its context
				// would act with nobody to hear of it.
				results <- &pb.CommandResult{CorrelationId: cmd.CorrelationId, Error: ToProto(errStreamGone)}
			} else {
				results <- s.runCommand(ctx, cmd)
			}
			<-slots
		}
	}
	var recvErr error
	for {
		cmd, err := stream.Recv()
		if err != nil {
			recvErr = err
			break
		}
		if s.trace != nil {
			s.trace(StageCommand, cmd.GetSend().GetText())
		}
		slots <- struct{}{}
		k := chatKey{cmd.LoginId, cmd.ChatId}
		qmu.Lock()
		q, running := queues[k]
		queues[k] = append(q, cmd)
		qmu.Unlock()
		if !running {
			wg.Go(func() { runChat(k) })
		}
	}
	wg.Wait()
	close(results)
	if err := <-sendErr; err != nil {
		return err
	}
	if errors.Is(recvErr, io.EOF) || status.Code(recvErr) == codes.Canceled {
		return nil
	}
	return recvErr
}

// errStreamGone answers a command still queued when its stream ended.
var errStreamGone = Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the command stream ended before this command ran; it was not run")

func (s *server) runCommand(ctx context.Context, cmd *pb.Command) *pb.CommandResult {
	if !s.running.start() {
		return &pb.CommandResult{CorrelationId: cmd.CorrelationId, Error: ToProto(errStopping)}
	}
	defer s.running.done()
	limit := s.timeout
	if CarriesFile(cmd) {
		limit = s.fileTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	key := ""
	// A search's answer is not remembered: it changes nothing, so a
	// repeat may search again, and its found chats (a page of names and
	// topics each time) would fill the cache and the journal, which keeps
	// none of them: a repeat after a restart was answered "none found".
	if cmd.TxnId != "" && cmd.GetSearchChats() == nil {
		key = cmd.LoginId + "\x00" + cmd.TxnId
		prev, err := s.txns.begin(ctx, key)
		if err != nil {
			return &pb.CommandResult{CorrelationId: cmd.CorrelationId, Error: ToProto(err)}
		}
		if prev != nil {
			// The whole answer, its expiry too: a copy, as the cache
			// keeps prev for later repeats.
			again := proto.CloneOf(prev)
			again.CorrelationId = cmd.CorrelationId
			s.rememberSent(cmd, again)
			return again
		}
	}
	// A command given up on (call) failed: its txn_id is forgotten, so
	// that a resend acts again rather than wait for the hung call.
	res, err := s.call(ctx, cmd, limit)
	if err != nil && (res.MessageID == "" || cmd.GetSend() == nil) {
		if key != "" {
			s.txns.end(key, nil)
		}
		return &pb.CommandResult{CorrelationId: cmd.CorrelationId, Error: ToProto(err)}
	}
	// A send that went in part (err with a message) is answered, and
	// remembered, as one that went: a resend must not send again what did.
	ts := res.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	if len(res.Meta) > MaxMetaBytes {
		// A bug of the plugin's. The command acted (a send reached the
		// network): answering an error would have the user resend it,
		// twice on the network. So, as the gateway does, the message
		// stays and its meta goes; the plugin's author reads the log.
		s.log.Error("command's result meta over the contract's limit; answered without it", "err", errMetaTooLarge(cmd, len(res.Meta)).Error(),
			"login", cmd.LoginId, "chat_id", cmd.ChatId, "txn_id", cmd.TxnId, "action", actionField(cmd), "message_id", res.MessageID)
		res.Meta = nil
	}
	out := &pb.CommandResult{CorrelationId: cmd.CorrelationId, MessageId: res.MessageID, TimestampUnixMicro: ts.UnixMicro(), Meta: res.Meta, ChatId: res.ChatID, FoundChats: res.FoundChats}
	if !res.Expires.IsZero() {
		out.ExpiresUnixMicro = res.Expires.UnixMicro()
	}
	if res.Command && cmd.GetSend() != nil {
		// No message was created: none for the gateway to map.
		out.MessageId, out.Meta, out.ExpiresUnixMicro = "", nil, 0
		out.HandledAsCommand, out.CommandReply = true, res.Reply
	}
	if err != nil {
		out.Error = ToProto(err)
	}
	if key != "" {
		s.txns.end(key, out)
	}
	s.rememberSent(cmd, out)
	return out
}

// errMetaTooLarge says what is wrong with cmd's Result.Meta, n bytes,
// over MaxMetaBytes: it names the field, the command and the contract's
// limit.
func errMetaTooLarge(cmd *pb.Command, n int) error {
	return fmt.Errorf("sdk: the plugin's Result.Meta (CommandResult.meta) for a %q command is %d bytes, over the contract's %d (LIMIT_META_BYTES) that the gateway keeps: the plugin must keep less in it", actionField(cmd), n, MaxMetaBytes)
}

// actionField is the name of cmd's action in the contract ("send",
// "edit"), for the plugin's author.
func actionField(cmd *pb.Command) string {
	m := cmd.ProtoReflect()
	if fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("action")); fd != nil {
		return string(fd.Name())
	}
	return "unknown"
}

// rememberSent keeps the txn_id of a send the network gave a message ID,
// for the echo of that message (sentTxns).
func (s *server) rememberSent(cmd *pb.Command, r *pb.CommandResult) {
	if cmd.TxnId == "" || cmd.GetSend() == nil || r.MessageId == "" {
		return
	}
	chat := r.ChatId
	if chat == "" {
		chat = cmd.ChatId
	}
	s.sent.add(sentKey{cmd.LoginId, chat, r.MessageId}, cmd.TxnId)
}

// commandGrace is how long a command's method may still take to return
// after its context ended, before it is given up on: time to return the
// error the context's end caused, its own.
const commandGrace = 2 * time.Second

// call runs the plugin's HandleCommand for cmd. A method that ignores ctx
// (a network call without a deadline) and has not returned commandGrace
// after ctx ended is given up on, with UNAVAILABLE: it must not hold its
// chat, every later command of it, for good. What it returns later is
// logged and dropped; it never reaches the stream.
func (s *server) call(ctx context.Context, cmd *pb.Command, limit time.Duration) (Result, error) {
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome) // unbuffered: taken only while call waits
	gaveUp := make(chan struct{})
	go func() {
		res, err := s.t.HandleCommand(ctx, cmd)
		select {
		case done <- outcome{res, err}:
		case <-gaveUp:
			s.log.Warn("a command given up on returned at last; its result is dropped",
				"login", cmd.LoginId, "chat_id", cmd.ChatId, "txn_id", cmd.TxnId, "action", actionName(cmd),
				"message_id", res.MessageID, "err", err)
		}
	}()
	select {
	case o := <-done:
		return o.res, o.err
	case <-ctx.Done():
	}
	grace := time.NewTimer(commandGrace)
	defer grace.Stop()
	select {
	case o := <-done:
		return o.res, o.err
	case <-grace.C:
		close(gaveUp)
		s.log.Error("a command did not return in time (its method ignores its context); answered UNAVAILABLE",
			"login", cmd.LoginId, "chat_id", cmd.ChatId, "txn_id", cmd.TxnId, "action", actionName(cmd), "limit", limit)
		if cmd.GetSend() != nil {
			return Result{}, Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the network did not answer within %v: the message may or may not have been sent", limit)
		}
		return Result{}, Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the network did not answer within %v: this may or may not have been done", limit)
	}
}

// CarriesFile reports whether cmd carries a file, which may take long to
// send: a message with attachments, a chat's or the profile's picture.
// Such a command has the longer of WithCommandTimeouts' limits, and the
// gateway waits longer for its result.
func CarriesFile(cmd *pb.Command) bool {
	return len(cmd.GetSend().GetAttachments()) > 0 || cmd.GetSetAvatar() != nil || cmd.GetSetProfileAvatar() != nil
}

// txnCache remembers recent successful answers by txn_id, oldest evicted.
// A txn_id whose command is still running (sent again on another stream,
// or for another chat) waits for that first run instead of acting twice.
type txnCache struct {
	mu    sync.Mutex
	m     map[string]*txnEntry
	order []string // completed keys, oldest first

	sink txnSink // nil: memory only
}

type txnEntry struct {
	done chan struct{}     // closed when the first run ends
	res  *pb.CommandResult // set before done is closed; nil: it failed
}

// begin returns the remembered answer for k, or nil after claiming k for
// the caller, who must then run the command and call end. When k is
// running elsewhere it waits for that run; if that run failed, the caller
// claims k and tries again.
func (c *txnCache) begin(ctx context.Context, k string) (*pb.CommandResult, error) {
	for {
		c.mu.Lock()
		e, ok := c.m[k]
		if !ok {
			c.m[k] = &txnEntry{done: make(chan struct{})}
			c.mu.Unlock()
			return nil, nil
		}
		c.mu.Unlock()
		select {
		case <-e.done:
			if e.res != nil {
				return e.res, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// end records the outcome of the run begin allowed: r is remembered, a nil
// r (failure) is forgotten so that a retry acts again.
func (c *txnCache) end(k string, r *pb.CommandResult) {
	c.mu.Lock()
	e := c.m[k]
	if e == nil {
		c.mu.Unlock()
		return
	}
	if r == nil {
		delete(c.m, k)
		close(e.done)
		c.mu.Unlock()
		return
	}
	e.res = r
	close(e.done)
	c.keepLocked(k)
	sink := c.sink
	c.mu.Unlock()
	// Outside c.mu: the journal's rewrite takes the queue's lock, then
	// asks for the answers (c.mu).
	if sink != nil {
		sink.appendTxn(txnAnswer{k, r})
	}
}
