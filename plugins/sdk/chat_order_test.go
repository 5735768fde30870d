package sdk

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestLongCommandHoldsNoOtherChat: the commands of different chats
// run at once, as Session's contract says, however many chats are busy.
// Commands were spread over 32 fixed shards by a hash of login and chat:
// a long command (an IRC paste at the login's pace, a large file's
// upload, a hung call until its limit) held every chat of every login
// that hashed to its shard for as long (minutes; up to 30 for a file).
// Here 33 chats each wait for all 33 to have started: with 32 shards,
// two of them share one, and neither finishes.
func TestLongCommandHoldsNoOtherChat(t *testing.T) {
	const chats = 33
	var (
		mu      sync.Mutex
		started int
		all     = make(chan struct{})
	)
	f := newFakeTransport()
	f.handle = func(ctx context.Context, cmd *pb.Command) (Result, error) {
		mu.Lock()
		if started++; started == chats {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
			return Result{MessageID: "m-" + cmd.TxnId}, nil
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
	}
	c := startServer(t, f, "", WithCommandTimeouts(time.Hour, time.Hour))
	cm := openCommands(t, c)
	var waits []<-chan *pb.CommandResult
	for i := range chats {
		waits = append(waits, cm.start(sendCmd(fmt.Sprintf("chat-%d", i), fmt.Sprintf("t%d", i), "long")))
	}
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		mu.Lock()
		n := started
		mu.Unlock()
		t.Fatalf("only %d of %d chats' commands started while the others ran: a chat waited behind another chat's command", n, chats)
	}
	for _, w := range waits {
		if r := cm.wait(w); r.Error != nil {
			t.Fatalf("result %v", r)
		}
	}
}
