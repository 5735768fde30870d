package main

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/prosodytest"
)

// TestRunPluginRefusesConfig: a plugin refusing its [transport.config]
// does not stop the gateway (the other transports serve on), but its
// ERROR line names the config file and the line of that transport's
// config table, as check-config does, and what the plugin refused; the
// line is said once at error. It named no file or line.
func TestRunPluginRefusesConfig(t *testing.T) {
	s := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{
		{Domain: "echo.localhost", Secret: "hunter2"}, {Domain: "other.localhost", Secret: "x"}}})
	path := setup(t, serverConfig(s.ComponentAddr())+`[transport.config]
contactz = 3
[[transport]]
name = "other"
domain = "other.localhost"
secret = "x"
plugin = "passerelle-echo"
`)
	g := startGateway(t, path)
	// The other transport serves.
	g.waitLog(t, 1, `msg="transport plugin running" transport=other`, `msg="component link up" transport=other`)
	want := `level=ERROR msg="transport plugin refused to start; fix what it says" transport=echo config=` + path + `:11 err="the plugin refused to start: echo: the transport's config: unknown key \"contactz\"`
	g.waitLog(t, 1, want)
	g.stop(t)
	if n := strings.Count(g.log.String(), "level=ERROR"); n != 1 {
		t.Errorf("%d ERROR lines, want the refusal once:\n%s", n, g.log.String())
	}
}
