package metrics_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/metrics"
	"passerelle.im/passerelle/bridge/wire"
)

// get fetches a path from the registry's server and returns the status and body.
func get(t *testing.T, base, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func serve(t *testing.T, r *metrics.Registry) string {
	t.Helper()
	ln, err := metrics.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func TestCountersAndHealth(t *testing.T) {
	var link, plugin atomic.Bool
	r := metrics.New()
	m := r.Transport("echo", metrics.Probe{
		LinkUp:   link.Load,
		PluginUp: plugin.Load,
		Logins:   func() map[string]int { return map[string]int{"connected": 2, "bad_credentials": 1} },
		Rejected: func() uint64 { return 3 },
	})
	r.CountBadNicks(func() uint64 { return 4 })
	base := serve(t, r)

	code, body := get(t, base, "/healthz")
	if code != http.StatusServiceUnavailable {
		t.Errorf("/healthz with link and plugin down: %d, want 503: %s", code, body)
	}
	var rep struct {
		Status     string
		Transports map[string]metrics.Health
	}
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatalf("/healthz is not JSON: %v: %s", err, body)
	}
	if rep.Status != "degraded" || rep.Transports["echo"] != (metrics.Health{}) {
		t.Errorf("/healthz down: %+v", rep)
	}
	link.Store(true)
	if code, body := get(t, base, "/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("/healthz with the plugin down: %d, want 503: %s", code, body)
	}
	plugin.Store(true)
	if code, body := get(t, base, "/healthz"); code != http.StatusOK || !strings.Contains(body, `"echo":{"link":true,"plugin":true}`) {
		t.Errorf("/healthz all up: %d, want 200: %s", code, body)
	}

	m.PluginRestart()
	m.MessageToNetwork()
	m.MessageToNetwork()
	m.Queued(3)
	m.Delivered(true, true, time.Now().Add(-time.Second).UnixMicro())
	m.Delivered(false, false, 0)
	m.CommitDone(time.Now().Add(-3*time.Millisecond), 2)
	m.CommitDone(time.Now(), 0) // nothing stored: not a commit
	m.HistoryStored(5)
	st, err := wire.Parse(`<message from='alice@localhost/x' to='bob@echo.localhost' id='m1' type='chat'><body>hi</body></message>`)
	if err != nil {
		t.Fatal(err)
	}
	m.ErrorSent(wire.ErrorReply(st, wire.ItemNotFound, "no such contact"))
	m.ErrorSent([]byte(`<message to='alice@localhost' type='chat'><body>type="error"</body></message>`))

	_, text := get(t, base, "/metrics")
	for _, want := range []string{
		`passerelle_link_up{transport="echo"} 1`,
		`passerelle_plugin_up{transport="echo"} 1`,
		`passerelle_plugin_restarts_total{transport="echo"} 1`,
		`passerelle_logins{state="connected",transport="echo"} 2`,
		`passerelle_logins{state="bad_credentials",transport="echo"} 1`,
		`passerelle_events_rejected_total{transport="echo"} 3`,
		`passerelle_messages_total{direction="to_network",transport="echo"} 2`,
		`passerelle_messages_total{direction="to_xmpp",transport="echo"} 1`,
		`passerelle_errors_total{condition="item-not-found",transport="echo"} 1`,
		`passerelle_store_commit_seconds_count{transport="echo"} 1`,
		`passerelle_delivery_lag_seconds_count{transport="echo"} 1`,
		`passerelle_delivery_lag_seconds_bucket{transport="echo",le="0.256"} 0`,
		`passerelle_delivery_lag_seconds_bucket{transport="echo",le="1.024"} 1`,
		`passerelle_outbox_depth{transport="echo"} 1`,
		`passerelle_history_messages_total{transport="echo"} 5`,
		"\npasserelle_bad_nicks_total 4\n",
		`go_goroutines `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Count(text, "passerelle_errors_total{") != 1 {
		t.Errorf("a chat message whose body says type=\"error\" counted as an error:\n%s", grep(text, "passerelle_errors_total"))
	}
}

// TestNil: a gateway without metrics holds a nil *Transport.
func TestNil(t *testing.T) {
	var m *metrics.Transport
	m.PluginRestart()
	m.MessageToNetwork()
	m.ErrorSent([]byte(`<iq type="error"/>`))
	m.CommitDone(time.Now(), 1)
	m.Queued(1)
	m.Delivered(true, true, 1)
	m.HistoryStored(1)
	var r *metrics.Registry
	r.CountBadNicks(func() uint64 { return 1 })
}

// TestIsolated: two registries do not share series (no global default).
func TestIsolated(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.Transport("echo", metrics.Probe{}).MessageToNetwork()
	b.Transport("echo", metrics.Probe{})
	_, text := get(t, serve(t, b), "/metrics")
	if !strings.Contains(text, `passerelle_messages_total{direction="to_network",transport="echo"} 0`) {
		t.Errorf("b's counter moved with a's:\n%s", grep(text, "passerelle_messages_total"))
	}
}

func TestCondition(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`<message from="a" type="chat"><body>x</body></message>`, ""},
		{`<presence/>`, ""},
		{`<iq type="result" id="1"/>`, ""},
		{`<iq type="error" id="1"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`, "service-unavailable"},
		{`<message type='error'><origin-id xmlns='urn:xmpp:sid:0' id='x'/><error type='modify'><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>t</text><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`, "bad-request"},
		{`<message type="error"><error type="cancel"/></message>`, "undefined-condition"},
		{`<message type="error"><error`, "undefined-condition"},
	} {
		if got := metrics.Condition([]byte(c.in)); got != c.want {
			t.Errorf("Condition(%s) = %q, want %q", c.in, got, c.want)
		}
	}
}

func grep(text, prefix string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
