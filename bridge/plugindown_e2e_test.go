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

// TestPluginDownShown: the plugin dies and cannot start again (a
// broken upgrade, a crash at every start). Every login is then
// disconnected from its network, and the user must be told: the
// gateway's presence says so, as it does for a network's disconnect.
// It stayed available (its last login state, connected), while every
// message waited and failed. Once the plugin is back and the login
// connected, the presence says so again.
func TestPluginDownShown(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "passerelle-echo")
	copyFile(t, echoBin, bin)
	s := newStack(t, stackOptions{plugin: bin})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	// The next starts fail.
	if err := os.Rename(bin, bin+".good"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	s.killPlugin()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	p, err := alice.Next(ctx, func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && st.From == domain && st.Type == "" && strings.Contains(st.XML, "<show>xa</show>")
	})
	if err != nil {
		t.Fatalf("the plugin is down and the gateway's presence never said so: %v", err)
	}
	t.Logf("presence while the plugin is down: %s", p.XML)
	// Back: the presence is the login's again.
	if err := os.Rename(bin+".good", bin); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel2()
	if _, err := alice.Next(ctx2, func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && st.From == domain && st.Type == "" && !strings.Contains(st.XML, "<show>")
	}); err != nil {
		t.Fatalf("the plugin is back and the presence never said the login is connected: %v", err)
	}
	echoOK(t, alice, "after", timeout)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o700); err != nil {
		t.Fatal(err)
	}
}
