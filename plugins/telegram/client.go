package telegram

import (
	"log/slog"
	"path/filepath"

	"github.com/gotd/td/session"
	"github.com/gotd/td/telegram"
)

// sessionFile is gotd's session (the authorization key) in a login's
// folder: with it a restart needs no new code.
const sessionFile = "session.json"

// app is the Telegram application a login uses: the transport's, or the
// user's own.
type app struct {
	ID   int    `json:"api_id"`
	Hash string `json:"api_hash"`
}

// newClient makes a gotd client for the login folder dir, with its
// session there; h gets the updates (nil: none are wanted).
func (n *Network) newClient(a app, dir string, h telegram.UpdateHandler, onState func(telegram.ConnectionState), mw ...telegram.Middleware) *telegram.Client {
	opts := telegram.Options{
		Middlewares:       mw,
		SessionStorage:    &session.FileStorage{Path: filepath.Join(dir, sessionFile)},
		UpdateHandler:     h,
		NoUpdates:         h == nil,
		OnConnectionState: onState,
		Device: telegram.DeviceConfig{
			DeviceModel:   n.cfg.DeviceModel,
			SystemVersion: "passerelle",
			AppVersion:    Version,
		},
	}
	if s := n.cfg.Server; s != nil {
		list, keys, _ := s.options() // checked by parseConfig
		opts.DCList, opts.PublicKeys = list, keys
		opts.DC = s.DC
		if opts.DC == 0 {
			opts.DC = 2
		}
	}
	return telegram.NewClient(a.ID, a.Hash, opts)
}

// log is the network's logger.
func (n *Network) log() *slog.Logger { return n.host.Logger() }

// oldMarkerFile is what earlier versions kept in a login's folder to skip
// a killed run's events (the gateway drops such copies by event ID now):
// a log-out removes it with the rest.
const oldMarkerFile = "emitted.json"
