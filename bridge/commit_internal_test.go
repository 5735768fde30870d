package bridge

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/xmpplink"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestLookupWhileCommitting: a message is delivered while its commit
// runs, and the user's client may answer it (a receipt, a displayed
// marker, a reaction) before that commit ends. Looking it up by the XMPP
// ID it was delivered with must find it then too, and after the commit.
func TestLookupWhileCommitting(t *testing.T) {
	tr := newTestTransport(t)
	db := tr.db
	ctx := context.Background()
	ev := &pb.Event{LoginId: "l", ChatId: "bob", EventId: "net-1", ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "hi"}}}
	delivered := captureDeliveries(tr)
	res := tr.storeEvents(ctx, []*pb.Event{ev})
	d := <-delivered
	if d.xid == "" {
		t.Fatal("delivery without an XMPP ID")
	}
	// The commit has not run (nothing drains tr.commits yet).
	if _, err := db.LookupXMPP("echo", "l", "bob", d.xid); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the store knows the message before its commit: %v", err)
	}
	r, err := tr.lookupXMPP(ctx, "l", "bob", d.xid)
	if err != nil || r.RemoteID != "net-1" {
		t.Fatalf("lookup during the commit = %+v, %v; want net-1", r, err)
	}
	if _, err := tr.lookupXMPP(ctx, "l", "alice", d.xid); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("found in another chat: %v", err)
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go tr.commitLoop(cctx)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if n := len(tr.newXIDs) + len(tr.newRefs); n != 0 {
		t.Errorf("%d in-flight entries left after the commit", n)
	}
	r, err = tr.lookupXMPP(ctx, "l", "bob", d.xid)
	if err != nil || r.RemoteID != "net-1" {
		t.Fatalf("lookup after the commit = %+v, %v; want net-1", r, err)
	}
}

// newTestTransport is a transport of the "echo" network on a fresh store,
// with no link and no plugin: enough for its commit and lookup paths.
func newTestTransport(t *testing.T) *transport {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tr := &transport{
		downloads: make(chan struct{}, slowWorkers), uploads: make(chan struct{}, slowWorkers),
		sessions: map[string]*session{}, byLogin: map[string]*session{},
		name: "echo", db: db, log: slog.New(slog.DiscardHandler), idPrefix: "x",
		commits:  make(chan *commitJob, 8),
		inflight: map[string]int{}, newRefs: map[string]store.MessageRef{}, newXIDs: map[string]string{},
	}
	// No link to deliver to: a delivery a test does not capture
	// (captureDeliveries) is dropped, where a worker called a nil handle
	// (a held echo released late panicked the package's run).
	tr.out.handle = func(context.Context, delivery) {}
	// The logins the internal tests' events name: the gateway drops an
	// event of a login no user has before storing it (outbox.go).
	for _, id := range []string{"l", "alice-echo"} {
		s := &session{t: tr, user: id + "@localhost", loginID: id, login: store.Login{Transport: "echo", UserJID: id + "@localhost", LoginID: id}}
		tr.sessions[s.user], tr.byLogin[id] = s, s
	}
	return tr
}

// aliceOnEcho is a test transport of echo.localhost with alice@localhost
// logged in as "l", and her session.
func aliceOnEcho(t *testing.T) (*transport, *session) {
	t.Helper()
	tr := newTestTransport(t)
	tr.domain = "echo.localhost"
	// Never run (down): what the transport asks of it is its server's
	// domain, for the user's own messages.
	tr.link = xmpplink.New(xmpplink.Config{Addr: "127.0.0.1:1", Domain: tr.domain})
	return tr, tr.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "l"})
}

// captureDeliveries hands tr's deliveries, from their chats' workers, to
// the channel it returns instead of delivering them.
func captureDeliveries(tr *transport) <-chan delivery {
	ch := make(chan delivery, 64)
	tr.out.handle = func(_ context.Context, d delivery) { ch <- d }
	return ch
}

// deliveredSoFar returns what the chat was handed for delivery so far:
// what came from ch before a marker queued in the chat now.
func deliveredSoFar(t *testing.T, tr *transport, ch <-chan delivery, chat chatAddr) []delivery {
	t.Helper()
	tr.out.push(chat, delivery{xid: "marker"})
	var got []delivery
	for {
		select {
		case d := <-ch:
			if d.xid == "marker" {
				return got
			}
			got = append(got, d)
		case <-time.After(10 * time.Second):
			t.Fatal("the chat's worker did not reach the marker")
		}
	}
}
