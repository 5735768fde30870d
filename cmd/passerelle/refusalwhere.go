package main

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"strconv"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/bridge/pluginhost"
)

// configAt is where t's plugin config is in the file: FILE:LINE of its
// config table, else of its block, as check-config names it.
func configAt(cfg *config.Config, t config.Transport) string {
	where := cfg.Path
	if line := cmp.Or(t.ConfigLine, t.Line); line > 0 {
		where += ":" + strconv.Itoa(line)
	}
	return where
}

// refusalWhere adds config=FILE:LINE to a log record whose err is a
// plugin's refusal of its Init (pluginhost.InitError): the host logs it
// knowing only the transport's name, and the admin of a running gateway
// must learn where to fix it as check-config tells it. The gateway runs
// on (the other transports serve); the host tells the refusal once at
// error, its retries at debug and a reminder now and then.
type refusalWhere struct {
	slog.Handler
	at        map[string]string // transport name -> configAt
	transport string            // set by WithAttrs
	grouped   bool              // attrs go into a group: not ours to read
}

// withRefusalWhere wraps log's handler with refusalWhere for cfg's
// transports.
func withRefusalWhere(log *slog.Logger, cfg *config.Config) *slog.Logger {
	at := map[string]string{}
	for _, t := range cfg.Transports {
		at[t.Name] = configAt(cfg, t)
	}
	return slog.New(refusalWhere{Handler: log.Handler(), at: at})
}

// WithAttrs notes the transport the logger is for.
func (h refusalWhere) WithAttrs(as []slog.Attr) slog.Handler {
	for _, a := range as {
		if a.Key == "transport" && !h.grouped {
			h.transport = a.Value.String()
		}
	}
	h.Handler = h.Handler.WithAttrs(as)
	return h
}

// WithGroup passes the group on.
func (h refusalWhere) WithGroup(name string) slog.Handler {
	h.Handler = h.Handler.WithGroup(name)
	h.grouped = h.grouped || name != ""
	return h
}

// Handle adds config=FILE:LINE, before the other attributes, to a
// record of a plugin's refusal.
func (h refusalWhere) Handle(ctx context.Context, r slog.Record) error {
	if h.grouped {
		return h.Handler.Handle(ctx, r)
	}
	name, refused := h.transport, false
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "transport":
			name = a.Value.String()
		case "err":
			var ie *pluginhost.InitError
			err, ok := a.Value.Any().(error)
			refused = ok && errors.As(err, &ie)
		}
		return true
	})
	at, ok := h.at[name]
	if !refused || !ok {
		return h.Handler.Handle(ctx, r)
	}
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	nr.AddAttrs(slog.String("config", at))
	r.Attrs(func(a slog.Attr) bool { nr.AddAttrs(a); return true })
	return h.Handler.Handle(ctx, nr)
}
