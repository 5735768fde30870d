package sdk

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestCommandIgnoringContextIsGivenUp: a method that never returns (it
// ignores its context) is answered UNAVAILABLE after its limit, the
// chat's next command runs, its txn_id is free for a resend, and what it
// returns at last reaches neither the stream nor the txn cache.
func TestCommandIgnoringContextIsGivenUp(t *testing.T) {
	const limit = 200 * time.Millisecond
	f := newFakeTransport()
	release := make(chan struct{})
	returned := make(chan struct{})
	var hung atomic.Bool // only the first run hangs
	f.handle = func(_ context.Context, cmd *pb.Command) (Result, error) {
		if cmd.GetSend().GetText() == "hang" && hung.CompareAndSwap(false, true) {
			<-release // ignores ctx, as a call without a deadline does
			defer close(returned)
			return Result{MessageID: "late"}, nil
		}
		return Result{MessageID: "m-" + cmd.TxnId}, nil
	}
	c := startServer(t, f, t.TempDir(), WithCommandTimeouts(limit, time.Hour))
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	stream, err := c.Commands(ctx)
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan *pb.CommandResult, 16)
	go func() {
		for {
			r, err := stream.Recv()
			if err != nil {
				return
			}
			results <- r
		}
	}()
	next := func() *pb.CommandResult {
		t.Helper()
		select {
		case r := <-results:
			return r
		case <-time.After(waitLimit):
			t.Fatal("no command result")
		}
		return nil
	}
	send := func(id uint64, txn, text string) {
		t.Helper()
		cmd := sendCmd("c", txn, text)
		cmd.CorrelationId = id
		if err := stream.Send(cmd); err != nil {
			t.Fatal(err)
		}
	}

	start := time.Now()
	send(1, "t-hang", "hang")
	send(2, "t-after", "after") // same chat: behind the hung one
	r := next()
	if r.CorrelationId != 1 || r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE ||
		!strings.Contains(r.Error.GetText(), "did not answer") || !strings.Contains(r.Error.GetText(), "may or may not have been sent") {
		t.Fatalf("first result %v, want the hung send's UNAVAILABLE", r)
	}
	if took := time.Since(start); took < limit {
		t.Fatalf("given up on after %v, before its limit %v", took, limit)
	}
	if r := next(); r.CorrelationId != 2 || r.Error != nil || r.MessageId != "m-t-after" {
		t.Fatalf("the next command of the chat: %v", r)
	}

	// The txn_id was settled as a failure: a resend acts again at once.
	send(3, "t-hang", "hang")
	if r := next(); r.CorrelationId != 3 || r.Error != nil || r.MessageId != "m-t-hang" {
		t.Fatalf("resend of the hung txn: %v", r)
	}

	// The hung call returns at last: dropped, not answered, not
	// remembered in place of the resend's answer.
	close(release)
	select {
	case <-returned:
	case <-time.After(waitLimit):
		t.Fatal("the hung call did not return")
	}
	send(4, "t-hang", "hang")
	if r := next(); r.CorrelationId != 4 || r.MessageId != "m-t-hang" {
		t.Fatalf("txn after the late return: %v, want the resend's answer", r)
	}
	if n := f.timesHandled("t-hang"); n != 2 {
		t.Fatalf("txn t-hang handled %d times, want 2 (the hung run and the resend)", n)
	}
	select {
	case r := <-results:
		t.Fatalf("an extra result on the stream: %v", r)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestCommandHonouringContextKeepsItsError: a method that returns when its
// context ends answers with its own error, not the SDK's.
func TestCommandHonouringContextKeepsItsError(t *testing.T) {
	const limit = 100 * time.Millisecond
	f := newFakeTransport()
	f.handle = func(ctx context.Context, cmd *pb.Command) (Result, error) {
		<-ctx.Done()
		return Result{}, Errorf(pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "the network is slow today: %v", ctx.Err())
	}
	c := startServer(t, f, "", WithCommandTimeouts(limit, time.Hour))
	cm := openCommands(t, c)
	start := time.Now()
	r := cm.do(sendCmd("c", "t1", "hi"))
	took := time.Since(start)
	if r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_RATE_LIMITED || !strings.Contains(r.Error.GetText(), "the network is slow today: context deadline exceeded") {
		t.Fatalf("result %v, want the method's own error", r)
	}
	if took < limit || took >= limit+commandGrace {
		t.Fatalf("answered after %v, want after the limit %v and before the grace ends", took, limit)
	}
}

// TestCommandLimitPerKind: a command carrying a file gets the longer
// limit.
func TestCommandLimitPerKind(t *testing.T) {
	f := newFakeTransport()
	f.handle = func(ctx context.Context, cmd *pb.Command) (Result, error) {
		select {
		case <-ctx.Done():
			return Result{}, ctx.Err()
		case <-time.After(300 * time.Millisecond):
			return Result{MessageID: "m-" + cmd.TxnId}, nil
		}
	}
	c := startServer(t, f, "", WithCommandTimeouts(50*time.Millisecond, waitLimit))
	cm := openCommands(t, c)
	if r := cm.do(sendCmd("c", "plain", "hi")); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Fatalf("plain send past its limit: %v", r)
	}
	withFile := sendCmd("c", "file", "")
	withFile.GetSend().Attachments = []*pb.Attachment{{Name: "a.bin", Source: &pb.Attachment_Url{Url: "https://example.org/a.bin"}}}
	if r := cm.do(withFile); r.Error != nil || r.MessageId != "m-file" {
		t.Fatalf("send with a file within the files limit: %v", r)
	}
	avatar := &pb.Command{LoginId: "l", ChatId: "c", Action: &pb.Command_SetAvatar{SetAvatar: &pb.SetChatAvatar{Data: []byte{1}}}}
	if r := cm.do(avatar); r.Error != nil {
		t.Fatalf("a chat's picture within the files limit: %v", r)
	}
}

// commandsStream is the plugin's end of a Commands stream, for a test
// that calls server.Commands itself: it fails the test on a Send after
// ended is set.
type commandsStream struct {
	pb.Transport_CommandsServer
	t     *testing.T
	ctx   context.Context
	in    chan *pb.Command
	ended atomic.Bool
	sent  atomic.Int32
}

func (s *commandsStream) Context() context.Context { return s.ctx }

func (s *commandsStream) Recv() (*pb.Command, error) {
	cmd, ok := <-s.in
	if !ok {
		return nil, status.Error(codes.Canceled, "the host went away")
	}
	return cmd, nil
}

func (s *commandsStream) Send(r *pb.CommandResult) error {
	if s.ended.Load() {
		s.t.Errorf("a result sent on a stream that ended: %v", r)
	}
	s.sent.Add(1)
	return nil
}

// TestCommandsStreamEndsDespiteHungCommand: when the host's stream ends
// while a method hangs, the stream's handler still returns (once the
// method is given up on), the txn_id is settled, and the method's late
// return sends nothing.
func TestCommandsStreamEndsDespiteHungCommand(t *testing.T) {
	f := newFakeTransport()
	release := make(chan struct{})
	returned := make(chan struct{})
	f.handle = func(context.Context, *pb.Command) (Result, error) {
		<-release
		defer close(returned)
		return Result{MessageID: "late"}, nil
	}
	s := newServer(f, WithCommandTimeouts(time.Hour, time.Hour))
	s.log = discardLogger()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream := &commandsStream{t: t, ctx: ctx, in: make(chan *pb.Command)}
	ended := make(chan error, 1)
	go func() { ended <- s.Commands(stream) }()
	stream.in <- sendCmd("c", "t1", "hang")
	for f.timesHandled("t1") == 0 {
		time.Sleep(time.Millisecond)
	}
	// The host goes away: its context ends, and so does the command's.
	cancel()
	close(stream.in)
	select {
	case <-ended:
	case <-time.After(waitLimit):
		t.Fatal("the Commands handler never returned: the hung command holds it")
	}
	stream.ended.Store(true)
	s.txns.mu.Lock()
	_, claimed := s.txns.m["l\x00t1"]
	s.txns.mu.Unlock()
	if claimed {
		t.Fatal("the hung command's txn_id is still claimed")
	}
	close(release)
	<-returned
	time.Sleep(50 * time.Millisecond) // time for a wrong send to happen
	if n := stream.sent.Load(); n > 1 {
		t.Fatalf("%d results sent for one command", n)
	}
}
