package config

import (
	"log/slog"
	"strconv"
	"strings"
	"testing"
)

func TestMetricsOffByDefault(t *testing.T) {
	isolate(t)
	c, err := parse(t, minimal)
	if err != nil {
		t.Fatal(err)
	}
	if c.Metrics.Listen != "" {
		t.Errorf("metrics.listen = %q, want off", c.Metrics.Listen)
	}
	if !strings.Contains(c.Summary(), "metrics:   off\n") {
		t.Errorf("summary does not say metrics are off:\n%s", c.Summary())
	}
}

func TestMetricsListen(t *testing.T) {
	isolate(t)
	c, err := parse(t, minimal+"[metrics]\nlisten = \"127.0.0.1:9464\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Metrics.Listen != "127.0.0.1:9464" {
		t.Errorf("metrics.listen = %q", c.Metrics.Listen)
	}
	if !strings.Contains(c.Summary(), "metrics:   http://127.0.0.1:9464/metrics and /healthz\n") {
		t.Errorf("summary does not name the metrics address:\n%s", c.Summary())
	}
}

func TestMetricsErrors(t *testing.T) {
	isolate(t)
	for _, tc := range []struct{ name, metrics, want string }{
		{"not host:port", `listen = "9464"`, `metrics.listen: "9464" is not host:port`},
		{"port zero", `listen = "127.0.0.1:0"`, `metrics.listen: "127.0.0.1:0": port must be a number from 1 to 65535`},
		{"port name", `listen = "127.0.0.1:http"`, `metrics.listen: "127.0.0.1:http": port must be a number`},
		{"not a string", `listen = 9464`, `metrics.listen: want a string, got an integer`},
		{"unknown key", `path = "/metrics"`, `metrics.path: unknown key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, minimal+"[metrics]\n"+tc.metrics+"\n")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestMetricsAndMediaSamePort: the metrics and the built-in file server
// on one port would fail the start ("address already in use", naming
// neither key): the configuration says so.
func TestMetricsAndMediaSamePort(t *testing.T) {
	isolate(t)
	media := "[media]\npublic_url = \"https://x.example\"\nlisten = "
	for _, tc := range []struct {
		media, metrics string
		clash          bool
	}{
		{"127.0.0.1:8093", "127.0.0.1:8093", true},
		{":8093", "127.0.0.1:8093", true},
		{"127.0.0.1:8093", "[::]:8093", true},
		{"127.0.0.1:8093", "127.0.0.1:9464", false},
		{"127.0.0.1:8093", "127.0.0.2:8093", false},
		// The same address written otherwise: they passed.
		{"localhost:9464", "127.0.0.1:9464", true},
		{"[::1]:9464", "[0::1]:9464", true},
		{"127.0.0.1:9464", "[::ffff:127.0.0.1]:9464", true},
		{"[::]:9464", "192.0.2.1:9464", true},
		{"0.0.0.0:9464", "[::1]:9464", true},
		{"[0:0::0]:9464", "localhost:9464", true},
		// Go listens on localhost's first IPv4 address alone.
		{"[::1]:9464", "localhost:9464", false},
		{"LOCALHOST:9464", "localhost:9464", true},
		{"gw.example.org:9464", "GW.example.org:9464", true},
		{"localhost:8093", "127.0.0.2:8093", false},
		{"[::1]:8093", "127.0.0.1:8093", false},
		{"gw.example.org:9464", "127.0.0.1:9464", false},
	} {
		_, err := parse(t, media+strconv.Quote(tc.media)+"\n[metrics]\nlisten = "+strconv.Quote(tc.metrics)+"\n"+minimal)
		if clash := err != nil && strings.Contains(err.Error(), "metrics.listen: ") && strings.Contains(err.Error(), "take the same port"); clash != tc.clash || !clash && err != nil {
			t.Errorf("media %s, metrics %s: %v, want a clash: %v", tc.media, tc.metrics, err, tc.clash)
		}
	}
}

// TestMetricsEveryInterfaceSaid: listen = ":9464" serves the metrics to
// other machines; check-config says so, with a URL that works, where it
// showed "http://:9464/metrics".
func TestMetricsEveryInterfaceSaid(t *testing.T) {
	isolate(t)
	for _, listen := range []string{":9464", "0.0.0.0:9464", "[::]:9464"} {
		c, err := parse(t, "[metrics]\nlisten = \""+listen+"\"\n"+minimal)
		if err != nil {
			t.Fatal(err)
		}
		want := "metrics:   http://127.0.0.1:9464/metrics and /healthz, on every interface: other machines reach them too"
		if s := c.Summary(); !strings.Contains(s, want) {
			t.Errorf("listen %q: summary lacks %q:\n%s", listen, want, s)
		}
	}
}

// TestMetricsEveryInterfaceLogged: run's start warns of a metrics
// endpoint on every interface, as check-config does (run said only
// "metrics listening"); a loopback or given address is not warned of.
func TestMetricsEveryInterfaceLogged(t *testing.T) {
	isolate(t)
	for listen, warned := range map[string]bool{
		":9464":          true,
		"0.0.0.0:9464":   true,
		"[::]:9464":      true,
		"127.0.0.1:9464": false,
		"[::1]:9464":     false,
		"10.1.2.3:9464":  false,
	} {
		c, err := parse(t, minimal+"[metrics]\nlisten = \""+listen+"\"\n")
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		c.WarnMetricsExposed(slog.New(slog.NewTextHandler(&b, nil)))
		if got := strings.Contains(b.String(), "level=WARN") && strings.Contains(b.String(), "every interface"); got != warned {
			t.Errorf("listen %q: warned %v, want %v; log: %q", listen, got, warned, b.String())
		}
		if warned && !strings.Contains(b.String(), `listen = \"127.0.0.1:9464\"`) {
			t.Errorf("listen %q: the warning does not give the loopback line: %q", listen, b.String())
		}
	}
}
