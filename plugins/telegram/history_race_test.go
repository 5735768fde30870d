package telegram

import (
	"context"
	"testing"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/sdk"
)

// gatedInvoker holds messages.getHistory until gate closes, having said
// on asked that it came; other requests go to next at once.
type gatedInvoker struct {
	next  tg.Invoker
	asked chan struct{}
	gate  chan struct{}
}

func (g *gatedInvoker) Invoke(ctx context.Context, in bin.Encoder, out bin.Decoder) error {
	if _, ok := in.(*tg.MessagesGetHistoryRequest); ok {
		close(g.asked)
		<-g.gate
	}
	return g.next.Invoke(ctx, in, out)
}

// A history page that comes back while, or after, the session is
// disconnected: the backfill goroutine read the session's database
// without its lock (a data race with Disconnect) and used it once
// Disconnect had set it to nil (a crash at shutdown). The page is not
// kept then: the batch has no events and the cursor as it was, not done,
// so the gateway asks again at the next connection.
func TestBackfillDuringDisconnect(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after bool // the page answered once Disconnect returned
	}{{"answered after Disconnect", true}, {"answered while it runs", false}} {
		t.Run(tc.name, func(t *testing.T) {
			s, mock := unitSession(t)
			s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, nil)
			g := &gatedInvoker{next: mock, asked: make(chan struct{}), gate: make(chan struct{})}
			s.api = tg.NewClient(g)
			mock.ExpectCall(&tg.MessagesGetHistoryRequest{Peer: &tg.InputPeerUser{UserID: 1002, AccessHash: 2}, Limit: 5}).
				ThenResult(&tg.MessagesMessages{Messages: []tg.MessageClass{
					&tg.Message{ID: 7, PeerID: &tg.PeerUser{UserID: 1002}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000, Message: "old"},
				}})
			h := s.n.host.(*testHost)
			if err := s.Backfill(ctxT(t), sdk.BackfillRequest{ChatID: "1002", Limit: 5}); err != nil {
				t.Fatal(err)
			}
			<-g.asked
			done := make(chan error, 1)
			go func() { done <- s.Disconnect(context.Background()) }()
			if tc.after {
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				close(g.gate)
			} else {
				close(g.gate)
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}
			b := h.waitHistory(t, 0)
			if tc.after && (len(b.Events) != 0 || b.Done || b.Cursor != "0:0") {
				t.Errorf("batch after Disconnect %v: want no events, the cursor as it was (0:0), not done", b)
			}
		})
	}
}

// A history page that comes back after the session disconnected and
// connected again: Connect replaced the session's peer cache while the
// backfill goroutine read it without the lock (a data race -race
// reports). The cache is now the session's for its life, its database
// swapped under its own lock; the page, answered once a database is open
// again, is sent.
func TestBackfillAcrossReconnect(t *testing.T) {
	srv := newFake(t)
	s, mock := unitSession(t)
	n, h := newNetwork(t, srv) // Connect dials the fake: this session is not logged in there
	s.n = n
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, nil)
	g := &gatedInvoker{next: mock, asked: make(chan struct{}), gate: make(chan struct{})}
	s.api = tg.NewClient(g)
	mock.ExpectCall(&tg.MessagesGetHistoryRequest{Peer: &tg.InputPeerUser{UserID: 1002, AccessHash: 2}, Limit: 5}).
		ThenResult(&tg.MessagesMessages{Messages: []tg.MessageClass{
			&tg.Message{ID: 7, PeerID: &tg.PeerUser{UserID: 1002}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000, Message: "old"},
		}})
	ctx := ctxT(t)
	if err := s.Backfill(ctx, sdk.BackfillRequest{ChatID: "1002", Limit: 5}); err != nil {
		t.Fatal(err)
	}
	// Not waiting for the request: the goroutine's first reads are then
	// concurrent with Disconnect and Connect.
	if err := s.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Disconnect(context.Background()) })
	close(g.gate)
	b := h.waitHistory(t, 0)
	if len(b.Events) != 1 || b.Events[0].GetMessage().GetText() != "old" || b.Cursor != "7:1" {
		t.Errorf("batch after a reconnection %v: want the page's message, cursor 7:1", b)
	}
}
