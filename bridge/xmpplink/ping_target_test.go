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
	"passerelle.im/passerelle/internal/ejabberdtest"
	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/syncbuf"
)

// holdRemote is a Prosody module that takes every stanza bound for a
// domain the server does not host and never answers it: s2s to a server
// that does not answer (mod_s2s queues while it resolves and connects,
// which can take longer than the link's ping timeout).
const holdRemote = `module:set_global();
local function hold(event)
	module:log("info", "held for a remote domain: %s", event.stanza:top_tag());
	return true;
end
local function add(host)
	if prosody.hosts[host] then prosody.hosts[host].events.add_handler("route/remote", hold, 1000); end
end
for host in pairs(prosody.hosts) do add(host); end
module:hook_global("host-activated", add);
`

// TestPingStaysOnItsServer: a component whose domain is not a direct
// subdomain of the server's (wa.im.localhost on a server hosting only
// localhost) pings an address its own server answers, not the domain
// less its first label (im.localhost), which the server would send
// server-to-server: a slow s2s failure would hold the watchdog's ping
// and the confirmation of every stanza, and drop the link again and again.
func TestPingStaysOnItsServer(t *testing.T) {
	plugins := t.TempDir()
	if err := os.WriteFile(filepath.Join(plugins, "mod_hold_remote.lua"), []byte(holdRemote), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := prosodytest.Start(t, prosodytest.Options{
		Components:  []prosodytest.Component{{Domain: "wa.im.localhost", Secret: "s"}},
		Modules:     []string{"hold_remote"},
		ExtraConfig: fmt.Sprintf("plugin_paths = { %q }", plugins),
	})
	logs := &syncbuf.Buffer{}
	handled := make(chan *wire.Stanza, 16)
	l := New(Config{Addr: srv.ComponentAddr(), Domain: "wa.im.localhost", Secret: "s",
		PingInterval: 100 * time.Millisecond, PingTimeout: time.Second, ReconnectMax: time.Second,
		Log: slog.New(slog.NewTextHandler(logs, nil)), Handle: func(st *wire.Stanza) { handled <- st }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitUp(t, l)

	var conf confirmations
	var w wire.Writer
	w.Start("message", "").Attr("from", "a@wa.im.localhost").Attr("to", "b@wa.im.localhost").Leaf("body", "", "m")
	if err := l.SendConfirmed(context.Background(), l.Generation(), w.Bytes(), conf.cb("m")); err != nil {
		t.Fatal(err)
	}
	if err := conf.wait(t, "m")["m"]; err != nil {
		t.Fatalf("the stanza was not confirmed: %v; log:\n%s\nprosody:\n%s", err, logs, srv.LogTail())
	}
	// Several watchdog pings later the link is the one it was.
	gen := l.Generation()
	for range 5 {
		id := l.NewID()
		var p wire.Writer
		p.Start("iq", "").Attr("from", "wa.im.localhost").Attr("to", "localhost").Attr("id", id).Attr("type", "get").Leaf("ping", wire.NSPing, "")
		pctx, pcancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := l.IQ(pctx, id, p.Bytes())
		pcancel()
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if g := l.Generation(); g != gen {
		t.Fatalf("the link was dropped (generation %d, then %d); log:\n%s", gen, g, logs)
	}
	for {
		select {
		case st := <-handled:
			if st.Kind() == "iq" {
				t.Errorf("the handler got the link's own iq: %s %s from %s", st.Type(), st.ID(), st.From())
			}
			continue
		default:
		}
		break
	}
}

// TestPingEjabberd: ejabberd, too, routes the component's ping to its own
// domain back to it, so stanzas are confirmed and the link stays up.
func TestPingEjabberd(t *testing.T) {
	if err := ejabberdtest.Installed(); err != nil {
		t.Skip(err)
	}
	srv := ejabberdtest.Start(t, ejabberdtest.Options{Components: []ejabberdtest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	logs := &syncbuf.Buffer{}
	l := New(Config{Addr: srv.ComponentAddr(), Domain: "gw.localhost", Secret: "s",
		PingInterval: 100 * time.Millisecond, PingTimeout: 2 * time.Second, ReconnectMax: time.Second,
		Log: slog.New(slog.NewTextHandler(logs, nil)), Handle: func(*wire.Stanza) {}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitUp(t, l)
	gen := l.Generation()
	var conf confirmations
	for _, name := range []string{"m1", "m2"} {
		var w wire.Writer
		w.Start("message", "").Attr("from", "a@gw.localhost").Attr("to", "b@gw.localhost").Leaf("body", "", name)
		if err := l.SendConfirmed(context.Background(), gen, w.Bytes(), conf.cb(name)); err != nil {
			t.Fatal(err)
		}
		if err := conf.wait(t, name)[name]; err != nil {
			t.Fatalf("%s not confirmed: %v; log:\n%s", name, err, logs)
		}
		time.Sleep(500 * time.Millisecond) // a few watchdog pings
	}
	if g := l.Generation(); g != gen {
		t.Fatalf("the link was dropped (generation %d, then %d); log:\n%s", gen, g, logs)
	}
}
