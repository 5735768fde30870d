package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

func ok(id string) *pb.CommandResult { return &pb.CommandResult{MessageId: id} }

func TestTxnCacheEviction(t *testing.T) {
	c := txnCache{m: map[string]*txnEntry{}}
	ctx := context.Background()
	key := func(i int) string { return fmt.Sprint("k", i) }
	for i := range txnCacheSize {
		if prev, err := c.begin(ctx, key(i)); prev != nil || err != nil {
			t.Fatalf("new key %d: %v %v", i, prev, err)
		}
		c.end(key(i), ok(key(i)))
	}
	// Full: everything is still remembered.
	for _, i := range []int{0, 1, txnCacheSize - 1} {
		if prev, _ := c.begin(ctx, key(i)); prev == nil || prev.MessageId != key(i) {
			t.Fatalf("key %d forgotten before the cache was over its size: %v", i, prev)
		}
	}
	// One more evicts the oldest, and only it.
	if prev, _ := c.begin(ctx, "new"); prev != nil {
		t.Fatal("unexpected answer for a new key")
	}
	c.end("new", ok("new"))
	if len(c.m) != txnCacheSize || len(c.order) != txnCacheSize {
		t.Fatalf("cache holds %d answers (%d in order), want %d", len(c.m), len(c.order), txnCacheSize)
	}
	if prev, _ := c.begin(ctx, key(0)); prev != nil {
		t.Fatalf("oldest key not evicted: %v", prev)
	}
	c.end(key(0), nil) // it failed this time: forgotten again
	if _, present := c.m[key(0)]; present {
		t.Fatal("failed run was remembered")
	}
	for _, k := range []string{key(1), key(txnCacheSize - 1), "new"} {
		if prev, _ := c.begin(ctx, k); prev == nil || prev.MessageId != k {
			t.Fatalf("key %s evicted too early: %v", k, prev)
		}
	}
}

func TestTxnCacheWaitsForRunningTxn(t *testing.T) {
	c := txnCache{m: map[string]*txnEntry{}}
	ctx := context.Background()
	if prev, _ := c.begin(ctx, "k"); prev != nil {
		t.Fatal("answer for a new key")
	}
	got := make(chan *pb.CommandResult, 1)
	go func() {
		prev, _ := c.begin(ctx, "k")
		got <- prev
	}()
	c.end("k", ok("first"))
	select {
	case prev := <-got:
		if prev == nil || prev.MessageId != "first" {
			t.Fatalf("second run got %v, want the first answer", prev)
		}
	case <-time.After(waitLimit):
		t.Fatal("second run never answered")
	}

	// A waiter whose context ends gives up.
	c.begin(ctx, "slow")
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := c.begin(cctx, "slow")
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("waiter ended with %v, want context.Canceled", err)
	}
}

// commander drives one Commands stream from the host side.
type commander struct {
	t      *testing.T
	stream pb.Transport_CommandsClient
	mu     sync.Mutex
	next   uint64
	res    map[uint64]chan *pb.CommandResult
}

func openCommands(t *testing.T, c pb.TransportClient) *commander {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := c.Commands(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cm := &commander{t: t, stream: stream, res: map[uint64]chan *pb.CommandResult{}}
	go func() {
		for {
			r, err := stream.Recv()
			if err != nil {
				return
			}
			cm.mu.Lock()
			ch := cm.res[r.CorrelationId]
			delete(cm.res, r.CorrelationId)
			cm.mu.Unlock()
			if ch != nil {
				ch <- r
			}
		}
	}()
	return cm
}

func (cm *commander) start(cmd *pb.Command) <-chan *pb.CommandResult {
	cm.mu.Lock()
	cm.next++
	cmd.CorrelationId = cm.next
	ch := make(chan *pb.CommandResult, 1)
	cm.res[cmd.CorrelationId] = ch
	err := cm.stream.Send(cmd)
	cm.mu.Unlock()
	if err != nil {
		cm.t.Errorf("send command: %v", err)
	}
	return ch
}

func (cm *commander) wait(ch <-chan *pb.CommandResult) *pb.CommandResult {
	cm.t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(waitLimit):
		cm.t.Fatal("no command result")
	}
	return nil
}

func (cm *commander) do(cmd *pb.Command) *pb.CommandResult { return cm.wait(cm.start(cmd)) }

func sendCmd(chat, txn, text string) *pb.Command {
	return &pb.Command{LoginId: "l", ChatId: chat, TxnId: txn,
		Action: &pb.Command_Send{Send: &pb.SendMessage{Text: text}}}
}

func TestCommandsCorrelationAndDedup(t *testing.T) {
	f := newFakeTransport()
	c := startServer(t, f, "")
	cm := openCommands(t, c)

	first := cm.do(sendCmd("c", "t1", "hi"))
	if first.Error != nil || first.MessageId != "m-t1" || first.TimestampUnixMicro == 0 {
		t.Fatalf("first send: %v", first)
	}
	again := cm.do(sendCmd("c", "t1", "hi"))
	if again.CorrelationId == first.CorrelationId {
		t.Fatal("correlation IDs not echoed")
	}
	if again.MessageId != first.MessageId || again.TimestampUnixMicro != first.TimestampUnixMicro || again.Error != nil {
		t.Fatalf("repeat gave %v, want the first answer %v", again, first)
	}
	// Also on a new stream (the host reconnected it).
	cm2 := openCommands(t, c)
	if r := cm2.do(sendCmd("c", "t1", "hi")); r.MessageId != first.MessageId {
		t.Fatalf("repeat on a new stream gave %v", r)
	}
	if n := f.timesHandled("t1"); n != 1 {
		t.Fatalf("txn t1 handled %d times, want 1", n)
	}
	// The txn_id is scoped to its login.
	other := sendCmd("c", "t1", "hi")
	other.LoginId = "other"
	cm.do(other)
	if n := f.timesHandled("t1"); n != 2 {
		t.Fatalf("same txn on another login handled %d times in all, want 2", n)
	}
	// Without txn_id, nothing is deduplicated.
	cm.do(sendCmd("c", "", "a"))
	cm.do(sendCmd("c", "", "a"))
	if n := f.timesHandled(""); n != 2 {
		t.Fatalf("commands without txn handled %d times, want 2", n)
	}
}

func TestCommandsFailureNotRemembered(t *testing.T) {
	f := newFakeTransport()
	var fail sync.Mutex
	failing := true
	f.handle = func(_ context.Context, cmd *pb.Command) (Result, error) {
		fail.Lock()
		defer fail.Unlock()
		if failing {
			return Result{}, Errorf(pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "slow down")
		}
		return Result{MessageID: "sent"}, nil
	}
	c := startServer(t, f, "")
	cm := openCommands(t, c)
	r := cm.do(sendCmd("c", "t", "x"))
	if r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_RATE_LIMITED || r.Error.GetText() != "slow down" || r.MessageId != "" {
		t.Fatalf("failing send: %v", r)
	}
	fail.Lock()
	failing = false
	fail.Unlock()
	if r := cm.do(sendCmd("c", "t", "x")); r.Error != nil || r.MessageId != "sent" {
		t.Fatalf("retry after failure: %v", r)
	}
	if n := f.timesHandled("t"); n != 2 {
		t.Fatalf("handled %d times, want 2 (the failure is retried)", n)
	}
}

// Commands of one chat are handled one at a time in the order sent, even
// with many in flight on the stream and other chats interleaved.
func TestCommandsPerChatOrder(t *testing.T) {
	f := newFakeTransport()
	var mu sync.Mutex
	running := map[string]bool{}
	var overlap []string
	f.handle = func(_ context.Context, cmd *pb.Command) (Result, error) {
		mu.Lock()
		if running[cmd.ChatId] {
			overlap = append(overlap, cmd.ChatId)
		}
		running[cmd.ChatId] = true
		mu.Unlock()
		time.Sleep(10 * time.Microsecond) // widen any overlap
		mu.Lock()
		running[cmd.ChatId] = false
		mu.Unlock()
		return Result{MessageID: cmd.TxnId}, nil
	}
	c := startServer(t, f, "")
	cm := openCommands(t, c)
	const chats, per = 8, 100
	var chs []<-chan *pb.CommandResult
	for i := range per {
		for ch := range chats {
			chs = append(chs, cm.start(sendCmd(fmt.Sprint("chat", ch), fmt.Sprint(ch, "-", i), "x")))
		}
	}
	for _, ch := range chs {
		if r := cm.wait(ch); r.Error != nil {
			t.Fatalf("command failed: %v", r.Error)
		}
	}
	next := map[string]int{}
	for _, cmd := range f.handledCommands() {
		want := fmt.Sprint(cmd.ChatId[len("chat"):], "-", next[cmd.ChatId])
		if cmd.TxnId != want {
			t.Fatalf("chat %s: handled %s, want %s next", cmd.ChatId, cmd.TxnId, want)
		}
		next[cmd.ChatId]++
	}
	if len(overlap) > 0 {
		t.Fatalf("commands of one chat ran at the same time: %v", overlap)
	}
}

// A txn_id sent again while its first run is still going (the host
// reconnected its stream and retried) waits for that run: one action.
func TestCommandsRepeatWhileRunningActsOnce(t *testing.T) {
	f := newFakeTransport()
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	f.handle = func(_ context.Context, cmd *pb.Command) (Result, error) {
		started <- struct{}{}
		<-release
		return Result{MessageID: "only"}, nil
	}
	c := startServer(t, f, "")
	cm1, cm2 := openCommands(t, c), openCommands(t, c)
	r1 := cm1.start(sendCmd("c", "t", "x"))
	<-started
	r2 := cm2.start(sendCmd("c", "t", "x"))
	// And on the same stream for another chat, run beside it.
	r3 := cm1.start(sendCmd("elsewhere", "t", "x"))
	close(release)
	for _, ch := range []<-chan *pb.CommandResult{r1, r2, r3} {
		if r := cm1.wait(ch); r.MessageId != "only" || r.Error != nil {
			t.Fatalf("got %v, want the one answer", r)
		}
	}
	if n := f.timesHandled("t"); n != 1 {
		t.Fatalf("handled %d times, want 1", n)
	}
}

func TestCommandsStreamEndsCleanly(t *testing.T) {
	c := startServer(t, newFakeTransport(), "")
	stream, err := c.Commands(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(sendCmd("c", "t", "x")); err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	// The command sent before the close is still answered, then the
	// stream ends without error.
	r, err := stream.Recv()
	if err != nil || r.MessageId != "m-t" {
		t.Fatalf("Recv = %v, %v", r, err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("stream ended with %v, want io.EOF", err)
	}
}

// cmdServerStream is the plugin's end of a Commands stream, for a
// direct call of server.Commands: Recv hands out cmds, then waits for ctx.
type cmdServerStream struct {
	pb.Transport_CommandsServer
	ctx   context.Context
	cmds  chan *pb.Command
	sent  chan *pb.CommandResult
	calls chan struct{} // a tick per Recv
}

func (s *cmdServerStream) Context() context.Context { return s.ctx }

func (s *cmdServerStream) Recv() (*pb.Command, error) {
	s.calls <- struct{}{}
	select {
	case c := <-s.cmds:
		return c, nil
	case <-s.ctx.Done():
		return nil, status.FromContextError(s.ctx.Err()).Err()
	}
}

func (s *cmdServerStream) Send(r *pb.CommandResult) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	s.sent <- r
	return nil
}

// TestCommandsQueuedNotRunAfterStreamEnd: a chat's commands still queued
// when the stream ended (the host gave up on the process or stopped) are
// not run: nobody would hear their answer, and the host sends them again
// to the next process. Before, each ran with the ended context, and a
// method that ignores it acted.
func TestCommandsQueuedNotRunAfterStreamEnd(t *testing.T) {
	f := newFakeTransport()
	started, release := make(chan struct{}), make(chan struct{})
	f.handle = func(_ context.Context, cmd *pb.Command) (Result, error) {
		if cmd.TxnId == "first" {
			close(started)
			<-release // a method that ignores its context
		}
		return Result{MessageID: "m-" + cmd.TxnId}, nil
	}
	s := newServer(f)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream := &cmdServerStream{ctx: ctx, cmds: make(chan *pb.Command), sent: make(chan *pb.CommandResult, 2), calls: make(chan struct{}, 4)}
	done := make(chan error, 1)
	go func() { done <- s.Commands(stream) }()
	stream.cmds <- &pb.Command{CorrelationId: 1, LoginId: "l", ChatId: "c", TxnId: "first"}
	<-started
	stream.cmds <- &pb.Command{CorrelationId: 2, LoginId: "l", ChatId: "c", TxnId: "second"}
	// Recv's third call comes once the second is queued behind the first.
	for range 3 {
		<-stream.calls
	}
	cancel()
	close(release)
	select {
	case <-done: // its error is the stream's end
	case <-time.After(waitLimit):
		t.Fatal("Commands did not return")
	}
	if n := f.timesHandled("second"); n != 0 {
		t.Fatalf("the command queued when the stream ended was handled %d times, want 0", n)
	}
}

// eventReader reads one Events stream from the host side.
type eventReader struct {
	stream pb.Transport_EventsClient
	cancel context.CancelFunc
	evs    chan *pb.Event
	end    chan error
}

func openEvents(t *testing.T, c pb.TransportClient) *eventReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := c.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := &eventReader{stream: stream, cancel: cancel, evs: make(chan *pb.Event, 1024), end: make(chan error, 1)}
	go func() {
		for {
			ev, err := stream.Recv()
			if err != nil {
				r.end <- err
				return
			}
			r.evs <- ev
		}
	}()
	return r
}

func (r *eventReader) next(t *testing.T) *pb.Event {
	t.Helper()
	select {
	case ev := <-r.evs:
		return ev
	case err := <-r.end:
		t.Fatalf("event stream ended: %v", err)
	case <-time.After(waitLimit):
		t.Fatal("no event")
	}
	return nil
}

func (r *eventReader) texts(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		out = append(out, r.next(t).GetMessage().GetText())
	}
	return out
}

// Over a real gRPC connection: events reach the host in order, unacked
// ones are replayed on a new stream and survive a restart of the plugin
// on the same data folder; acked ones do not come back.
func TestEventsReplayAndAck(t *testing.T) {
	dir := t.TempDir()
	f := newFakeTransport()
	c, crash := startServerCrash(t, f, dir)
	r := openEvents(t, c)
	for _, s := range []string{"a", "b", "c"} {
		f.Host().Emit(msgEvent(s))
	}
	if got := r.texts(t, 3); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("got %v", got)
	}
	if err := r.stream.Send(&pb.EventAck{UpToSeq: 1}); err != nil {
		t.Fatal(err)
	}
	// EmitWait on a fresh event returns once the host acks it; that ack
	// arrives after the one above on the same stream, so both are done.
	done := make(chan error, 1)
	go func() { done <- f.Host().EmitWait(context.Background(), msgEvent("d")) }()
	ev := r.next(t)
	if ev.GetMessage().GetText() != "d" || ev.Seq != 4 {
		t.Fatalf("got %v, want d with seq 4", ev)
	}
	r.stream.Send(&pb.EventAck{UpToSeq: 2})
	r.stream.Send(&pb.EventAck{UpToSeq: 4})
	if err := <-done; err != nil {
		t.Fatalf("EmitWait: %v", err)
	}
	// A new stream (the acks above are all processed: EmitWait saw 4)
	// has nothing to replay: the next event is a new one.
	r2 := openEvents(t, c)
	f.Host().Emit(msgEvent("e"))
	if ev := r2.next(t); ev.GetMessage().GetText() != "e" || ev.Seq != 5 {
		t.Fatalf("new stream got %v first, want e with seq 5", ev)
	}
	select {
	case err := <-r.end:
		if status.Code(err) == codes.OK {
			t.Fatalf("replaced stream ended with %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("the older stream did not end")
	}

	// "A plugin restart": a new server on the same data folder.
	crash()
	f2 := newFakeTransport()
	c2 := startServer(t, f2, dir)
	r3 := openEvents(t, c2)
	ev = r3.next(t)
	if ev.GetMessage().GetText() != "e" || ev.Seq != 5 || ev.EventId != "e-e" {
		t.Fatalf("after restart got %v, want the unacked e (seq 5)", ev)
	}
	f2.Host().Emit(msgEvent("f"))
	if ev := r3.next(t); ev.Seq != 6 {
		t.Fatalf("after restart new event has seq %d, want 6", ev.Seq)
	}
}

func TestEventsBeforeInit(t *testing.T) {
	s := newServer(newFakeTransport())
	if err := s.Events(nil); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("Events before Init: %v, want FailedPrecondition", err)
	}
}

func TestInitReportsAPIVersion(t *testing.T) {
	c := startServer(t, newFakeTransport(), "")
	caps, err := c.Init(testContext(t), &pb.InitRequest{HostApiVersion: APIVersion})
	if err != nil {
		t.Fatal(err)
	}
	if caps.ApiVersion != APIVersion || caps.Network != "fake" {
		t.Fatalf("caps %v", caps)
	}
}

// TestTxnAnswersSurviveRestart: over a real gRPC connection, an answered
// txn_id is still answered, without acting again, by a new plugin process
// (a new server) on the same data folder; a failed one acts again.
func TestTxnAnswersSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	f := newFakeTransport()
	f.handle = func(_ context.Context, cmd *pb.Command) (Result, error) {
		if cmd.TxnId == "t3" {
			return Result{}, Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "down")
		}
		// t2 stands for a created chat's command: its answer names it.
		return Result{MessageID: "m-" + cmd.TxnId, Time: time.UnixMicro(42), ChatID: map[string]string{"t2": "new-chat"}[cmd.TxnId]}, nil
	}
	c, crash := startServerCrash(t, f, dir)
	cm := openCommands(t, c)
	for _, txn := range []string{"t1", "t2", "t3"} {
		cm.do(sendCmd("c", txn, "hi"))
	}
	if r := cm.do(sendCmd("c", "t2", "hi")); r.ChatId != "new-chat" || r.MessageId != "m-t2" {
		t.Fatalf("t2 sent again: %v, want the first answer with its chat", r)
	}
	crash()

	f2 := newFakeTransport()
	cm2 := openCommands(t, startServer(t, f2, dir))
	for _, txn := range []string{"t1", "t2"} {
		r := cm2.do(sendCmd("c", txn, "hi"))
		if r.Error != nil || r.MessageId != "m-"+txn || r.TimestampUnixMicro != 42 || (txn == "t2") != (r.ChatId == "new-chat") {
			t.Fatalf("%s after restart: %v, want the first answer", txn, r)
		}
	}
	if r := cm2.do(sendCmd("c", "t3", "hi")); r.Error != nil || r.MessageId != "m-t3" {
		t.Fatalf("t3 after restart: %v, want a new run's answer", r)
	}
	if n1, n2, n3 := f2.timesHandled("t1"), f2.timesHandled("t2"), f2.timesHandled("t3"); n1 != 0 || n2 != 0 || n3 != 1 {
		t.Fatalf("after restart the network saw t1 %d, t2 %d, t3 %d times; want 0, 0, 1", n1, n2, n3)
	}
}

// TestTxnAnswerKeepsExpiry: a repeated txn_id is answered with the
// whole first answer, its message's expiry too (a disappearing message's
// deadline), from memory and from the journal after a restart. The
// expiry was left out of the repeat before.
func TestTxnAnswerKeepsExpiry(t *testing.T) {
	dir := t.TempDir()
	expires := time.UnixMicro(42 + 86400e6)
	f := newFakeTransport()
	f.handle = func(_ context.Context, cmd *pb.Command) (Result, error) {
		return Result{MessageID: "m-" + cmd.TxnId, Time: time.UnixMicro(42), Meta: []byte("meta"), Expires: expires}, nil
	}
	c, crash := startServerCrash(t, f, dir)
	cm := openCommands(t, c)
	want := cm.do(sendCmd("c", "t1", "hi"))
	if want.ExpiresUnixMicro != expires.UnixMicro() {
		t.Fatalf("first answer %v, want its expiry", want)
	}
	same := sameAnswer(t, want)
	same("again", cm.do(sendCmd("c", "t1", "hi")))
	crash()
	cm2 := openCommands(t, startServer(t, newFakeTransport(), dir))
	same("after a restart", cm2.do(sendCmd("c", "t1", "hi")))
}

// sameAnswer checks that a repeat of t1 got want, the first answer,
// whole: only its correlation ID may differ.
func sameAnswer(t *testing.T, want *pb.CommandResult) func(when string, r *pb.CommandResult) {
	return func(when string, r *pb.CommandResult) {
		t.Helper()
		r.CorrelationId = want.CorrelationId
		if !proto.Equal(r, want) {
			t.Errorf("t1 %s: %v, want the first answer %v", when, r, want)
		}
	}
}

// TestDataDirLockedInProcess: Init on a data folder another server holds
// fails with FailedPrecondition and says the folder is in use.
func TestDataDirLockedInProcess(t *testing.T) {
	dir := t.TempDir()
	startServer(t, newFakeTransport(), dir)
	s := newServer(newFakeTransport())
	_, err := s.Init(testContext(t), &pb.InitRequest{HostApiVersion: APIVersion, DataDir: dir})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "in use by another plugin process") {
		t.Fatalf("Init on a folder in use: %v, want FailedPrecondition naming the folder in use", err)
	}
}

// TestPartlySentAnswered: a send that went in part (the plugin returns
// the Result of what went with an error) is answered with both, the
// message's ID and the error; a repeat of its txn_id gets that answer,
// from memory and from the journal after a restart, without sending
// again. Another command's Result beside an error is not a message: its
// answer is the error alone. Before, a send's Result was dropped with
// its error, and the parts that went could not be retracted.
func TestPartlySentAnswered(t *testing.T) {
	dir := t.TempDir()
	f := newFakeTransport()
	f.handle = func(_ context.Context, cmd *pb.Command) (Result, error) {
		return Result{MessageID: "m-" + cmd.TxnId, Time: time.UnixMicro(42), Meta: []byte("parts")},
			Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE, "the second file did not go")
	}
	c, crash := startServerCrash(t, f, dir)
	cm := openCommands(t, c)
	want := cm.do(sendCmd("c", "t1", "hi"))
	if want.MessageId != "m-t1" || string(want.Meta) != "parts" || want.GetError().GetCode() != pb.ErrorCode_ERROR_CODE_TOO_LARGE ||
		want.GetError().GetText() != "the second file did not go" {
		t.Fatalf("partly sent: %v, want the message and the error", want)
	}
	same := sameAnswer(t, want)
	same("again", cm.do(sendCmd("c", "t1", "hi")))
	retract := &pb.Command{LoginId: "l", ChatId: "c", TxnId: "t2", Action: &pb.Command_Retract{Retract: &pb.Retract{TargetId: "m0"}}}
	if r := cm.do(retract); r.MessageId != "" || r.Error == nil {
		t.Errorf("a retraction's Result with an error: %v, want the error alone", r)
	}
	crash()
	f2 := newFakeTransport()
	cm2 := openCommands(t, startServer(t, f2, dir))
	same("after a restart", cm2.do(sendCmd("c", "t1", "hi")))
	if n := f2.timesHandled("t1"); n != 0 {
		t.Errorf("after a restart the network saw t1 %d times, want 0", n)
	}
}
