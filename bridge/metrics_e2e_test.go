package bridge_test

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// freePort returns a loopback address nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// scrape fetches path from the metrics endpoint.
func scrape(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// metric reads one series' value from /metrics text; -1 when absent.
func metric(text, series string) float64 {
	for line := range strings.Lines(text) {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// waitMetric polls /metrics until series satisfies ok.
func waitMetric(t *testing.T, addr, series string, ok func(float64) bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		_, text := scrape(t, addr, "/metrics")
		v := metric(text, series)
		if ok(v) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, never as wanted", series, v)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitHealth polls /healthz until it answers code.
func waitHealth(t *testing.T, addr string, code int) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, body := scrape(t, addr, "/healthz")
		if got == code {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz answers %d, want %d: %s", got, code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMetrics scrapes the metrics endpoint of a real stack: a message
// echoed through the plugin moves both message counters, an error stanza
// is counted by condition, the link and plugin are up and /healthz says
// so; a killed plugin counts a restart, a stopped server turns /healthz
// to 503 until it is back, and a login the network logs out is counted
// as logged_out.
func TestMetrics(t *testing.T) {
	addr := freePort(t)
	s := newStack(t, stackOptions{extra: "\n[metrics]\nlisten = \"" + addr + "\"\n"})
	s.logs.waitLog(t, "metrics listening", timeout)

	alice := s.user("alice")
	s.waitGateway(alice)
	sendChat(t, alice, "bob@"+domain, "too early")
	if st := nextMessage(t, alice, "bob@"+domain, timeout); st.Type != "error" {
		t.Fatalf("want an error before registering, got %s", st.XML)
	}
	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	echoOK(t, alice, "counted", timeout)

	const tr = `transport="echo"`
	atLeast1 := func(v float64) bool { return v >= 1 }
	// The echo reaches the client before its delivery is counted, and
	// its store commit may end after both: poll for them.
	waitMetric(t, addr, `passerelle_messages_total{direction="to_xmpp",`+tr+`}`, atLeast1)
	waitMetric(t, addr, `passerelle_store_commit_seconds_count{`+tr+`}`, atLeast1)
	waitMetric(t, addr, `passerelle_outbox_depth{`+tr+`}`, func(v float64) bool { return v == 0 })
	waitMetric(t, addr, `passerelle_logins{state="connected",`+tr+`}`, func(v float64) bool { return v == 1 })
	_, text := scrape(t, addr, "/metrics")
	for series, ok := range map[string]func(float64) bool{
		`passerelle_messages_total{direction="to_network",` + tr + `}`:           atLeast1,
		`passerelle_errors_total{condition="registration-required",` + tr + `}`:  atLeast1,
		`passerelle_link_up{` + tr + `}`:                                         func(v float64) bool { return v == 1 },
		`passerelle_plugin_up{` + tr + `}`:                                       func(v float64) bool { return v == 1 },
		`passerelle_plugin_restarts_total{` + tr + `}`:                           func(v float64) bool { return v == 0 },
		`passerelle_store_commit_seconds_count{` + tr + `}`:                      atLeast1,
		`passerelle_delivery_lag_seconds_count{` + tr + `}`:                      atLeast1,
		`passerelle_outbox_depth{` + tr + `}`:                                    func(v float64) bool { return v == 0 },
		`passerelle_logins{state="bad_credentials",` + tr + `}`:                  func(v float64) bool { return v == 0 },
		`passerelle_events_rejected_total{` + tr + `}`:                           func(v float64) bool { return v == 0 },
		`passerelle_delivery_lag_seconds_bucket{` + tr + `,le="+Inf"}`:           atLeast1,
		`passerelle_bad_nicks_total`:                                             func(v float64) bool { return v >= 0 }, // present
		`passerelle_errors_total{condition="internal-server-error",` + tr + `}`:  func(v float64) bool { return v == -1 },
		`passerelle_messages_total{direction="to_network",transport="whatsapp"}`: func(v float64) bool { return v == -1 },
	} {
		if v := metric(text, series); !ok(v) {
			t.Errorf("%s = %v", series, v)
		}
	}
	if body := waitHealth(t, addr, http.StatusOK); !strings.Contains(body, `"echo":{"link":true,"plugin":true}`) {
		t.Errorf("/healthz: %s", body)
	}
	// An event the store would refuse (a NUL in its ID) is refused by the
	// SDK at emit, in the plugin's log line, and never reaches the store
	// (whose count of what it refuses, from a plugin that sends it all
	// the same, is TestInvalidUTF8FromPlugin's); the message behind it
	// still comes.
	sendChat(t, alice, "bob@"+domain, `net-event {"eventId":"bad\u0000id","message":{"text":"never stored"}}`)
	s.logs.waitLog(t, "event dropped: the gateway could not deliver it", timeout)
	echoOK(t, alice, "after the bad event", timeout)
	if _, text := scrape(t, addr, "/metrics"); metric(text, `passerelle_events_rejected_total{`+tr+`}`) != 0 {
		t.Errorf("passerelle_events_rejected_total is not 0: the SDK refused the event, the store never saw it")
	}

	s.killPlugin()
	echoOK(t, alice, "after the crash", 5*time.Second)
	waitMetric(t, addr, `passerelle_plugin_restarts_total{`+tr+`}`, func(v float64) bool { return v == 1 })
	waitMetric(t, addr, `passerelle_plugin_up{`+tr+`}`, func(v float64) bool { return v == 1 })

	if err := s.srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if body := waitHealth(t, addr, http.StatusServiceUnavailable); !strings.Contains(body, `"echo":{"link":false,"plugin":true}`) {
		t.Errorf("/healthz with the server down: %s", body)
	}
	waitMetric(t, addr, `passerelle_link_up{`+tr+`}`, func(v float64) bool { return v == 0 })
	if err := s.srv.Start(); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, addr, http.StatusOK)

	// Logins by state follow what the plugin reports: kicked out by the
	// network, alice's login is logged_out.
	alice = s.login("alice")
	sendChat(t, alice, "bob@"+domain, "kick")
	waitMetric(t, addr, `passerelle_logins{state="logged_out",`+tr+`}`, func(v float64) bool { return v == 1 })
	waitMetric(t, addr, `passerelle_logins{state="connected",`+tr+`}`, func(v float64) bool { return v == 0 })
}

// TestOutboxDepthEphemeral: what is never stored (chat states, receipts)
// leaves passerelle_outbox_depth once written, as stored events do; the
// gauge counted each up and never down (found by TestChaos, whose room
// gets Echo One's receipts).
func TestOutboxDepthEphemeral(t *testing.T) {
	addr := freePort(t)
	s := newStack(t, stackOptions{extra: "\n[metrics]\nlisten = \"" + addr + "\"\n"})
	alice := registered(t, s, "alice")
	// A composing state is answered with composing and paused; a receipt
	// request with a delivery receipt.
	raw(t, alice, `<message type='chat' to='bob@`+domain+`'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	next(t, alice, "paused", has(`<paused xmlns="http://jabber.org/protocol/chatstates"/>`))
	raw(t, alice, `<message type='chat' id='r1' to='bob@`+domain+`'><body>receipt?</body><request xmlns='urn:xmpp:receipts'/></message>`)
	next(t, alice, "delivery receipt", has(`<received xmlns="urn:xmpp:receipts" id="r1"/>`))
	waitMetric(t, addr, `passerelle_outbox_depth{transport="echo"}`, func(v float64) bool { return v == 0 })
}
