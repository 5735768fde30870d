package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/internal/prosodytest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
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

// TestRefusalWhere: only a record of a plugin's refusal, of a transport
// in the file, gets config=FILE:LINE, in JSON lines too.
func TestRefusalWhere(t *testing.T) {
	cfg := &config.Config{Path: "/etc/passerelle/passerelle.toml", Transports: []config.Transport{{Name: "echo", Line: 7, ConfigLine: 11}, {Name: "irc", Line: 20}}}
	var buf bytes.Buffer
	log := withRefusalWhere(slog.New(slog.NewJSONHandler(&buf, nil)), cfg)
	refusal := fmt.Errorf("start: %w", &pluginhost.InitError{Err: &sdk.Error{Code: pb.ErrorCode_ERROR_CODE_BAD_REQUEST, Text: "no"}})
	for _, tc := range []struct {
		log  *slog.Logger
		err  error
		want string
	}{
		{log.With("transport", "echo"), refusal, `"config":"/etc/passerelle/passerelle.toml:11"`},
		{log, refusal, ``},
		{log.With("transport", "irc").With("x", 1), refusal, `"config":"/etc/passerelle/passerelle.toml:20"`},
		{log.With("transport", "echo"), errors.New("plugin exited"), ``},
		{log.With("transport", "ghost"), refusal, ``},
	} {
		buf.Reset()
		tc.log.Error("refused", "err", tc.err)
		if got := buf.String(); (tc.want == "") == strings.Contains(got, `"config"`) || !strings.Contains(got, tc.want) {
			t.Errorf("got %s, want %q", got, tc.want)
		}
	}
}

// TestRefusalWhereKeepsRecords: every other record goes through the
// wrapper as it is (attributes, groups, With and WithGroup, levels), and
// a refusal's only change is config=FILE:LINE before its attributes.
func TestRefusalWhereKeepsRecords(t *testing.T) {
	cfg := &config.Config{Path: "/p.toml", Transports: []config.Transport{{Name: "echo", Line: 7}}}
	refusal := &pluginhost.InitError{Err: &sdk.Error{Text: "no"}}
	var plain, wrapped bytes.Buffer
	opts := &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	p := slog.New(slog.NewTextHandler(&plain, opts))
	w := withRefusalWhere(slog.New(slog.NewTextHandler(&wrapped, opts)), cfg)
	for _, do := range []func(*slog.Logger){
		func(l *slog.Logger) { l.Info("a", "k", 1, slog.Group("g", "x", "y"), "err", errors.New("e")) },
		func(l *slog.Logger) { l.Debug("below the level", "err", refusal) },
		func(l *slog.Logger) { l.With("transport", "echo").WithGroup("h").Warn("b", "err", refusal, "z", 2) },
		func(l *slog.Logger) { l.WithGroup("h").With("transport", "echo").Error("c", "err", refusal) },
		func(l *slog.Logger) {
			l.With("a", 1).With(slog.Group("g", "transport", "echo")).Error("d", "err", refusal)
		},
		func(l *slog.Logger) { l.Error("e", "transport", "echo", slog.Group("g", "n", 3), "err", refusal) },
	} {
		plain.Reset()
		wrapped.Reset()
		do(p)
		do(w)
		want := strings.Replace(plain.String(), ` msg=e `, ` msg=e config=/p.toml:7 `, 1)
		if wrapped.String() != want {
			t.Errorf("got  %q\nwant %q", wrapped.String(), want)
		}
	}
}
