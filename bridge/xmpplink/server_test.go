package xmpplink

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/syncbuf"
)

// answerAsHost is a Prosody module that answers, from the server's own
// domain, an iq get of urn:example:as-host to a user's account: the
// server answering for an account, as the link lets it.
const answerAsHost = `local st = require "util.stanza";
module:hook("iq-get/bare/urn:example:as-host:query", function(event)
	local reply = st.reply(event.stanza);
	reply.attr.from = module.host;
	reply:tag("query", { xmlns = "urn:example:as-host" }):up();
	event.origin.send(reply);
	return true;
end);
`

// TestServerAnswersDeepComponent: a component two labels under its
// server's domain (wa.im.localhost on a server of localhost) takes the
// server's answer to its IQs once it knows the server's domain, set in
// the configuration or learned (from the XEP-0356 advertisement). Before,
// the link guessed the server was the component's domain less its first
// label (im.localhost), and an answer from localhost was refused as from
// an address not asked: the IQ waited for its timeout.
func TestServerAnswersDeepComponent(t *testing.T) {
	plugins := t.TempDir()
	if err := os.WriteFile(filepath.Join(plugins, "mod_answer_as_host.lua"), []byte(answerAsHost), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := prosodytest.Start(t, prosodytest.Options{
		Components:  []prosodytest.Component{{Domain: "wa.im.localhost", Secret: "s"}},
		Modules:     []string{"answer_as_host"},
		ExtraConfig: fmt.Sprintf("plugin_paths = { %q }", plugins),
	})
	if err := srv.Register("alice", "pw"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		configured string // xmpp.server_domain
		learned    string // SetServerDomain, as the privilege advertisement does
	}{
		{name: "configured", configured: "localhost"},
		{name: "learned", learned: "localhost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &syncbuf.Buffer{}
			l := New(Config{Addr: srv.ComponentAddr(), Domain: "wa.im.localhost", ServerDomain: tc.configured, Secret: "s",
				PingInterval: time.Hour, PingTimeout: time.Second, ReconnectMax: time.Second,
				Log: slog.New(slog.NewTextHandler(logs, nil)), Handle: func(*wire.Stanza) {}})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { l.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			waitUp(t, l)
			if tc.learned != "" {
				l.SetServerDomain(tc.learned)
			}
			if got := l.ServerDomain(); got != "localhost" {
				t.Fatalf("ServerDomain = %q, want localhost", got)
			}
			id := l.NewID()
			var w wire.Writer
			w.Start("iq", "").Attr("from", "wa.im.localhost").Attr("to", "alice@localhost").Attr("id", id).Attr("type", "get").Leaf("query", "urn:example:as-host", "")
			ictx, icancel := context.WithTimeout(ctx, 5*time.Second)
			defer icancel()
			st, err := l.IQ(ictx, id, w.Bytes())
			if err != nil {
				t.Fatalf("the server's answer was not taken: %v; log:\n%s\nprosody:\n%s", err, logs, srv.LogTail())
			}
			if st.From() != "localhost" || st.Type() != "result" {
				t.Fatalf("answer %s %s from %s, want a result from localhost", st.Type(), st.ID(), st.From())
			}
		})
	}
}

// TestServerDomainConfiguredWins: a configured server domain is not
// replaced by another one the server seems to speak from.
func TestServerDomainConfiguredWins(t *testing.T) {
	l := New(Config{Domain: "wa.im.example.org", ServerDomain: "example.org"})
	if l.SetServerDomain("im.example.org") {
		t.Error("SetServerDomain took a domain other than the configured one")
	}
	if got := l.ServerDomain(); got != "example.org" {
		t.Errorf("ServerDomain = %q, want the configured example.org", got)
	}
	g := New(Config{Domain: "wa.im.example.org"})
	if got, known := g.ServerDomain(), g.knownServerDomain(); got != "im.example.org" || known != "" {
		t.Errorf("before anything is known: ServerDomain %q (want the guess im.example.org), knownServerDomain %q (want none)", got, known)
	}
	g.SetServerDomain("example.org")
	if got := g.ServerDomain(); got != "example.org" {
		t.Errorf("learned: ServerDomain = %q, want example.org", got)
	}
}
