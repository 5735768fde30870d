package bridge_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// A plugin's notice (the contract's NoticeEvent, here the echo plugin's
// "notice" command) reaches the login's user as a chat message from the
// gateway's own JID, once: the same event_id again (a replay) is dropped,
// and a warning says so. One over a message's text bound (an eighth of
// the stanza limit, 64 KiB) arrives cut, with the mark saying how much is
// missing, rather than not at all.
func TestPluginNotice(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	const within = 30 * time.Second
	// The next notice: a message from the gateway's JID whose body the
	// test's notices start with (the gateway tells other things there).
	notice := func() xmpptest.Stanza {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), within)
		defer cancel()
		st, err := alice.Next(ctx, func(m xmpptest.Stanza) bool {
			b := strings.TrimPrefix(m.Body, "Warning: ")
			return m.Name == "message" && m.From == domain && (strings.HasPrefix(b, "N:") || strings.HasPrefix(b, "nnnn"))
		})
		if err != nil {
			t.Fatalf("no notice from %s: %v", domain, err)
		}
		return st
	}

	sendChat(t, alice, bob, "notice one N:first notice")
	if m := notice(); m.Body != "N:first notice" || m.Type != "chat" || bareJID(m.To) != "alice@localhost" {
		t.Fatalf("want the notice as a chat message from %s, got %s", domain, m.XML)
	}
	// The same event ID again: dropped. The next notice is the warning.
	sendChat(t, alice, bob, "notice one N:replayed")
	sendChat(t, alice, bob, "notice-warn two N:second notice")
	if m := notice(); m.Body != "Warning: N:second notice" {
		t.Fatalf("want the second notice, a warning (the replay dropped), got %s", m.XML)
	}

	// 70000 bytes: over the 65536 a text may have, cut with the mark.
	sendChat(t, alice, bob, "notice-big three 70000")
	m := notice()
	if len(m.Body) > 64<<10 || !strings.HasPrefix(m.Body, strings.Repeat("n", 60000)) || !strings.Contains(m.Body, "bytes more not shown]") {
		t.Fatalf("want the long notice cut to 64 KiB with the mark, got %d bytes ending %q", len(m.Body), m.Body[max(0, len(m.Body)-60):])
	}
}

// A notice for a user with no available resource is kept by the server
// (offline storage), as the gateway's own chat messages are (they are
// the same kind: type chat, to the bare JID), and comes when the user is
// available again.
func TestPluginNoticeOffline(t *testing.T) {
	s := newStack(t, stackOptions{serverModules: []string{"offline"}})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	raw(t, alice, "<presence type='unavailable'/>")
	sendChat(t, alice, "bob@"+domain, "notice off N:while unavailable")
	offline := filepath.Join(s.srv.Dir(), "data", "localhost", "offline", "alice.list")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, _ := os.ReadFile(offline); strings.Contains(string(b), "N:while unavailable") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the notice never reached the server's offline storage")
		}
		time.Sleep(5 * time.Millisecond)
	}
	raw(t, alice, "<presence/>")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := alice.Next(ctx, func(m xmpptest.Stanza) bool {
		return m.Name == "message" && m.From == domain && m.Body == "N:while unavailable"
	})
	if err != nil {
		t.Fatalf("the stored notice never came once available: %v", err)
	}
	if m.Type != "chat" {
		t.Fatalf("the stored notice came as %s", m.XML)
	}
}
