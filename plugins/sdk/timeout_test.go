package sdk

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
	send(2, "t-after", "after") // same chat: same shard, behind the hung one
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
