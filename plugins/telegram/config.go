package telegram

import (
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/gotd/td/crypto"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/dcs"
	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/sdk"
)

// Config is the transport's [transport.config] table.
type Config struct {
	// APIID and APIHash identify the application registered with
	// Telegram (https://my.telegram.org/apps). A user may bring their
	// own in the login form; without either, logins need them.
	APIID   int    `json:"api_id"`
	APIHash string `json:"api_hash"`
	// Server, when set, replaces Telegram's data centres: a test
	// server, or the in-process one of the tests. Without it the client
	// dials Telegram's production data centres.
	Server *ServerConfig `json:"server,omitempty"`
	// DeviceModel is what other sessions of the account see this one as
	// ("passerelle" by default).
	DeviceModel string `json:"device_model,omitempty"`
	// HistoryLimit bounds a chat's backfill, in messages (default 200).
	HistoryLimit int `json:"history_limit,omitempty"`
	// BotAPIURL is the Bot API server of bot logins ("" = Telegram's).
	BotAPIURL string `json:"bot_api_url,omitempty"`
}

// ServerConfig names the data centres to dial and their keys.
type ServerConfig struct {
	// DC is the data centre to start with (default 2).
	DC int `json:"dc,omitempty"`
	// DCs maps a data centre's number to its "host:port".
	DCs map[string]string `json:"dcs"`
	// PublicKeys are the servers' RSA keys, PEM.
	PublicKeys []string `json:"public_keys"`
}

// parseConfig reads the transport's configuration; empty is valid (the
// users then bring api_id and api_hash).
func parseConfig(b []byte) (Config, error) {
	var c Config
	// Strict: a misspelt key (api_hsh) fails the start, naming it.
	if err := sdk.DecodeConfig(b, &c); err != nil {
		return c, fmt.Errorf("telegram: %w", err)
	}
	if (c.APIID == 0) != (c.APIHash == "") {
		return c, fmt.Errorf("telegram: config: api_id and api_hash go together (one is missing)")
	}
	if c.HistoryLimit < 0 {
		return c, fmt.Errorf("telegram: config: history_limit %d: a number of messages, 0 or more (0: the default, 200)", c.HistoryLimit)
	}
	if c.HistoryLimit == 0 {
		c.HistoryLimit = 200
	}
	if c.DeviceModel == "" {
		c.DeviceModel = "passerelle"
	}
	if c.Server != nil {
		if _, _, err := c.Server.options(); err != nil {
			return c, err
		}
	}
	return c, nil
}

// options turns the server block into gotd's DC list and keys.
func (s *ServerConfig) options() (dcs.List, []telegram.PublicKey, error) {
	var list dcs.List
	if len(s.DCs) == 0 {
		return list, nil, fmt.Errorf("telegram: config: server.dcs is empty")
	}
	for id, addr := range s.DCs {
		n, err := strconv.Atoi(id)
		if err != nil || n <= 0 {
			return list, nil, fmt.Errorf("telegram: config: server.dcs: %q is no data centre number", id)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return list, nil, fmt.Errorf("telegram: config: server.dcs[%s]: %w", id, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return list, nil, fmt.Errorf("telegram: config: server.dcs[%s]: port %q", id, port)
		}
		ip := net.ParseIP(host)
		if ip == nil {
			return list, nil, fmt.Errorf("telegram: config: server.dcs[%s]: %q is no IP address", id, host)
		}
		list.Options = append(list.Options, tg.DCOption{ID: n, IPAddress: host, Port: p, Ipv6: ip.To4() == nil, Static: true})
	}
	dc := s.DC
	if dc == 0 {
		dc = 2 // newClient's default
	}
	if !slices.ContainsFunc(list.Options, func(o tg.DCOption) bool { return o.ID == dc }) {
		// The client would dial nothing and wait for ever.
		return list, nil, fmt.Errorf("telegram: config: server.dc %d (the data centre to start with; 2 when not set) is not in server.dcs", dc)
	}
	var keys []telegram.PublicKey
	for _, pemKey := range s.PublicKeys {
		ks, err := crypto.ParseRSAPublicKeys([]byte(pemKey))
		if err != nil {
			return list, nil, fmt.Errorf("telegram: config: server.public_keys: %w", err)
		}
		for _, k := range ks {
			keys = append(keys, telegram.PublicKey{RSA: k})
		}
	}
	if len(keys) == 0 {
		return list, nil, fmt.Errorf("telegram: config: server.public_keys is empty")
	}
	return list, keys, nil
}
