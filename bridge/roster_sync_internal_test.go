package bridge

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/store"
)

// TestSyncContactsReadFails: with the roster permission, a roster read
// that fails (the server does not answer in time) ends "sync contacts"
// with an error and changes nothing; before, the gateway took it for
// "may not read" and set every contact again, undoing the user's own
// names and groups, and said it had.
func TestSyncContactsReadFails(t *testing.T) {
	tr := newTestTransport(t)
	tr.domain = "echo.localhost"
	// A link never connected: every IQ waits until its context ends.
	tr.link = xmpplink.New(xmpplink.Config{Addr: "127.0.0.1:1", Domain: tr.domain, Log: slog.New(slog.DiscardHandler)})
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)})
	tr.perms = perms{roster: "both"}
	const user = "alice@localhost"
	tr.sessions[user] = &session{user: user, loginID: "l", login: store.Login{Transport: tr.name, LoginID: "l"}}
	if err := tr.db.PutPuppets(context.Background(), []store.Puppet{
		{Transport: tr.name, LoginID: "l", UserID: "bob", Name: "Bob"},
		{Transport: tr.name, LoginID: "l", UserID: "carol", Name: "Carol"},
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	text, err := tr.resyncRoster(ctx, user)
	if err == nil {
		t.Fatalf("a roster read that failed answered %q: the contacts were set again over the user's names", text)
	}
	if !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("the error does not say nothing changed: %v", err)
	}
}
