package bridge

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/store"
)

// stopLogs gives tr a text logger down to DEBUG and returns what it writes.
func stopLogs(tr *transport) *syncbuf.Buffer {
	var logs syncbuf.Buffer
	tr.log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return &logs
}

// TestContactStoreAtStopNotAnError: a stop cancels a contact sync while it
// stores or deletes puppets. Nothing is lost (the next sync does it again),
// so the log says so at DEBUG, not with an ERROR an admin takes for a fault
// (3 of 4 demo runs logged `"storing puppets failed" err="context
// canceled"` at their normal stop).
func TestContactStoreAtStopNotAnError(t *testing.T) {
	tr, s := aliceOnEcho(t)
	logs := stopLogs(tr)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if s.storePuppets(ctx, []store.Puppet{{Transport: "echo", LoginID: "l", UserID: "bob", Name: "Bob"}}) {
		t.Fatal("puppets stored with a cancelled context")
	}
	s.deletePuppets(ctx, []string{"carol"})
	s.saveAvatar(ctx, "bob", "a1", "h1") // seen in a demo's stop too
	out := logs.String()
	for _, level := range []string{"level=ERROR", "level=WARN"} {
		if strings.Contains(out, level) {
			t.Errorf("a stop's cancellation logged at %s:\n%s", level, out)
		}
	}
	for _, want := range []string{
		`level=DEBUG msg="storing puppets left for the next sync: stopping"`,
		`level=DEBUG msg="deleting puppets left for the next sync: stopping"`,
		`level=DEBUG msg="a contact's avatar left for the next start: stopping"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

// TestContactStoreFailureStillAnError: a store failure that is not the
// stop's cancellation is still an ERROR, even when it comes while stopping.
func TestContactStoreFailureStillAnError(t *testing.T) {
	tr, s := aliceOnEcho(t)
	logs := stopLogs(tr)
	bad := []store.Puppet{{Transport: "echo", LoginID: "l", UserID: "", Name: "nobody"}} // refused by the store
	if s.storePuppets(context.Background(), bad) {
		t.Fatal("a puppet without a user ID stored")
	}
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	if s.storePuppets(stopped, bad) {
		t.Fatal("a puppet without a user ID stored while stopping")
	}
	s.deletePuppets(context.Background(), []string{""})
	out := logs.String()
	if n := strings.Count(out, `level=ERROR msg="storing puppets failed"`); n != 2 {
		t.Errorf("%d ERRORs for the 2 refused stores, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, `level=ERROR msg="deleting puppets failed"`) {
		t.Errorf("refused delete not logged as an ERROR:\n%s", out)
	}
	if strings.Contains(out, "stopping") {
		t.Errorf("a real failure taken for a stop:\n%s", out)
	}
}

// TestStoppingOnlyOwnCancellation: a plugin call (the chat and contact
// lists) cancelled by the stop fails with the gRPC code Canceled; that is
// the run's own cancellation only while its context is done, and no other
// failure is.
func TestStoppingOnlyOwnCancellation(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(live)
	cancel()
	grpcCanceled := status.Error(codes.Canceled, "context canceled")
	for _, c := range []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"store call at stop", done, context.Canceled, true},
		{"wrapped at stop", done, errors.Join(errors.New("store: put"), context.Canceled), true},
		{"plugin call at stop", done, grpcCanceled, true},
		{"no error at stop", done, nil, false},
		{"plugin away at stop", done, status.Error(codes.Unavailable, "connection refused"), false},
		{"refused at stop", done, store.ErrInvalid, false},
		{"cancelled elsewhere, run not stopping", live, context.Canceled, false},
		{"plugin call cancelled, run not stopping", live, grpcCanceled, false},
	} {
		if got := stopping(c.ctx, c.err); got != c.want {
			t.Errorf("%s: stopping = %v, want %v", c.name, got, c.want)
		}
	}
}
