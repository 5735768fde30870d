package bridge

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/store"
)

// TestLogoutAtStopBounded: a logout the stop's wait gave up on has its
// context ended (a send of it into a full queue of a link gone down would
// otherwise block for good, and the stop with it), and the wait names
// its user; one asked after the stop's wait is refused.
func TestLogoutAtStopBounded(t *testing.T) {
	var l logoutsInFlight
	ctx, done, err := l.begin(context.Background(), "alice@localhost")
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if cut := l.wait(10 * time.Millisecond); !slices.Equal(cut, []string{"alice@localhost"}) {
		t.Fatalf("wait gave up on %v, want alice's logout", cut)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the logout's context outlived the stop's wait")
	}

	var l2 logoutsInFlight
	if cut := l2.wait(time.Millisecond); cut != nil {
		t.Fatalf("wait with no logout under way cut %v", cut)
	}
	if _, _, err := l2.begin(context.Background(), "bob@localhost"); err != errStopping {
		t.Fatalf("a logout begun after the stop's wait: %v, want errStopping", err)
	}
}

// TestLogoutAfterStopWaitRefused: a logout asked once the stop's wait is
// over (the plugin gone, the link about to close) is refused with a
// clear answer and loses nothing: the login stays, in the store too, for
// a logout once the gateway is back. Before, it went on: the login was
// deleted while its roster clean-up could not be done any more, and the
// user's roster kept the gateway's contacts.
func TestLogoutAfterStopWaitRefused(t *testing.T) {
	tr, _ := aliceOnEcho(t)
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	if err := tr.db.PutLogin(ctx, store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "l", DisplayName: "Alice"}); err != nil {
		t.Fatal(err)
	}
	tr.logouts.wait(time.Millisecond) // the stop's
	text, ok := tr.logout(ctx, "alice@localhost")
	if ok || !strings.Contains(text, "stopping") || !strings.Contains(text, "still logged in") {
		t.Fatalf("logout after the stop's wait: %q ok=%v, want a refusal saying the gateway stops", text, ok)
	}
	if tr.session("alice@localhost") == nil {
		t.Fatal("the session went")
	}
	ls, err := tr.db.ListLogins("echo")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ls, func(l store.Login) bool { return l.UserJID == "alice@localhost" }) {
		t.Fatalf("logins %v: alice's was deleted by a logout refused", ls)
	}
}
