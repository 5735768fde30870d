// Package whatsapp is passerelle's WhatsApp transport, on whatsmeow (an
// unofficial client of WhatsApp's multi-device protocol: the gateway is a
// linked device of the user's phone, like WhatsApp Web). One login is one
// linked device, its keys in an SQLite database in the login's folder.
//
// Contacts are "+<phone>" (or "lid-<LID>" while only WhatsApp's hidden ID
// is known: see identity.go); groups are rooms, by their group JID.
package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/store"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Version is the plugin's own version.
const Version = "0.1.0"

// Config is the transport's [transport.config] table.
type Config struct {
	// HistoryDays bounds the history sync: messages older than this many
	// days are not brought over. 0 = DefaultHistoryDays; -1 = no history.
	HistoryDays int `json:"history_days"`
	// DeviceName is how the gateway appears in the phone's list of linked
	// devices. "" = "Passerelle".
	DeviceName string `json:"device_name"`
	// WebVersion pins the WhatsApp Web version announced ("2.3000.N");
	// "" = whatsmeow's, and WhatsApp Web's current one after a
	// ClientOutdated (see version.go).
	WebVersion string `json:"web_version"`
	// FFmpeg is the ffmpeg that converts voice notes not in Ogg Opus
	// (voiceconv.go): a path, or a name looked up on PATH. "" = "ffmpeg".
	FFmpeg string `json:"ffmpeg"`
}

// DefaultHistoryDays is the history sync's reach when the config says
// nothing.
const DefaultHistoryDays = 30

// pairClientName is the client named when pairing by code, in the
// "Browser (OS)" form WhatsApp expects.
const pairClientName = "Chrome (Linux)"

// Network is WhatsApp, the plugin's sdk.Connector.
type Network struct {
	newClient NewClientFunc
	fetch     FetchFunc
	latest    VersionFunc
	version   versionUpdate
	host      sdk.Host
	log       *slog.Logger
	cfg       Config
	dataDir   string
	domain    string        // the transport's JID, for the user's instructions
	histQuiet time.Duration // tests: the quiet period ending a history sync (historyprogress.go)

	mu sync.Mutex
	// paired holds the device a login process just paired until the
	// session of that login takes it (LoadLogin): the connection goes on
	// across the handover, so nothing WhatsApp sends after pairing (the
	// history sync first) is missed.
	paired map[string]*device
}

// New is the network on the real WhatsApp.
func New() *Network { return NewWithClient(NewWhatsmeowClient) }

// NewWithClient is the network with its clients made by f: tests give a
// fake.
func NewWithClient(f NewClientFunc) *Network {
	return &Network{newClient: f, fetch: httpFetch, latest: latestWebVersion, paired: map[string]*device{}}
}

// SetVersionLookup replaces the look-up of WhatsApp Web's version (tests:
// no dialling out); nil turns it off.
func (n *Network) SetVersionLookup(f VersionFunc) { n.latest = f }

// SetFetch replaces the avatar download (tests: no dialling out).
func (n *Network) SetFetch(f FetchFunc) { n.fetch = f }

// Init reads the config and declares what WhatsApp can do.
func (n *Network) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	n.host, n.log, n.dataDir, n.domain = host, host.Logger(), req.DataDir, req.Domain
	if err := parseConfig(req.ConfigJSON, &n.cfg); err != nil {
		return nil, err
	}
	if req.DataDir != "" {
		// Files spooled for a send or a download by an earlier process:
		// nothing names them any more.
		if err := os.RemoveAll(filepath.Join(req.DataDir, mediaDirName)); err != nil {
			n.log.Warn("old media spool not removed", "err", err)
		}
	}
	name := n.cfg.DeviceName
	if name == "" {
		name = "Passerelle"
	}
	// whatsmeow keeps these as package state: one plugin process, one
	// network, so setting them once here is safe.
	store.DeviceProps.Os = proto.String(name)
	if n.cfg.WebVersion != "" {
		v, _ := parseWebVersion(n.cfg.WebVersion)
		store.SetWAVersion(v)
	}
	if _, err := n.ffmpegPath(); err != nil {
		n.log.Info("voice notes not in Ogg Opus go as audio files", "err", err)
	}
	if d := n.historyDays(); d > 0 {
		store.DeviceProps.HistorySyncConfig.RecentSyncDaysLimit = proto.Uint32(uint32(d))
	}
	return &pb.Capabilities{
		Network:     "whatsapp",
		DisplayName: "WhatsApp",
		Version:     Version,
		Features: &pb.Features{
			SingleReaction: true, DeliveryReceipts: true, Replies: true, Attachments: true,
			Groups: true, Presence: true, Formatting: true, Avatars: true,
			// The one room joined by name (joingroup.go): any other
			// unknown address is a person's, nothing asked of WhatsApp.
			JoinChatPrefixes: []string{inviteRoom},
			// A group's ID, joined by its private invitation
			// (invited.go), answers disco as a room.
			JoinChatPattern: groupChatIDPattern,
		},
		MaxTextBytes:          maxTextBytes,
		MaxAttachmentBytes:    100 << 20,
		EditWindowSeconds:     int64(editWindow / time.Second),
		IdentifierPrompt:      "Phone number",
		IdentifierDescription: "The contact's phone number with its country code, such as +33612345678.",
	}, nil
}

// parseConfig reads the config strictly: a misspelt key is an error that
// names it, not a silently ignored setting.
func parseConfig(b []byte, cfg *Config) error {
	if err := sdk.DecodeConfig(b, cfg); err != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: %v", err)
	}
	if cfg.WebVersion != "" {
		if _, err := parseWebVersion(cfg.WebVersion); err != nil {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: web_version %q: %v (the form is 2.3000.1012345678)", cfg.WebVersion, err)
		}
	}
	if cfg.HistoryDays < -1 {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: history_days is %d: a number of days, 0 for the default (%d) or -1 for none", cfg.HistoryDays, DefaultHistoryDays)
	}
	return nil
}

// historyDays is the history sync's reach in days; 0 = none.
func (n *Network) historyDays() int {
	switch d := n.cfg.HistoryDays; {
	case d < 0:
		return 0
	case d == 0:
		return DefaultHistoryDays
	default:
		return d
	}
}

// historyCutoff is the oldest time a history message may have.
func (n *Network) historyCutoff(now time.Time) time.Time {
	return now.AddDate(0, 0, -n.historyDays())
}

// The login flows.
const (
	flowQR    = "qr"
	flowPhone = "phone"
)

// LoginFlows offers the QR code and the pairing code.
func (n *Network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return []*pb.LoginFlow{
		{Id: flowQR, Name: "QR code", Description: "Scan a QR code with WhatsApp on your phone (Settings, Linked devices, Link a device)."},
		{Id: flowPhone, Name: "Phone number", Description: "Type a pairing code into WhatsApp on your phone instead of scanning a QR code."},
	}, nil
}

// StartLogin opens a login process of the chosen flow.
func (n *Network) StartLogin(_ context.Context, req sdk.LoginRequest) (sdk.LoginProcess, error) {
	if req.Dir == "" {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: the login has no folder for its database (the gateway is too old for this plugin)")
	}
	switch req.FlowID {
	case "", flowQR:
		return &loginProcess{n: n, req: req, flow: flowQR}, nil
	case flowPhone:
		return &loginProcess{n: n, req: req, flow: flowPhone}, nil
	}
	return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: no login flow %q (there are %q and %q)", req.FlowID, flowQR, flowPhone)
}

// savedState is what a login keeps besides its folder's database.
type savedState struct {
	JID string `json:"jid"`
}

// LoadLogin makes the session of a completed login: the device a login
// process just paired, or the one in the login's folder.
func (n *Network) LoadLogin(ctx context.Context, login sdk.LoginInfo) (*Session, error) {
	n.mu.Lock()
	d := n.paired[login.LoginID]
	delete(n.paired, login.LoginID)
	n.mu.Unlock()
	if d != nil {
		return newSession(n, login, d), nil
	}
	if login.Dir == "" {
		// A Logout of a login not connected, or a host that lost the
		// folder: a session with no device, which can only say so.
		return newSession(n, login, nil), nil
	}
	var st savedState
	if len(login.SavedState) > 0 {
		if err := json.Unmarshal(login.SavedState, &st); err != nil {
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: the saved login cannot be read: %v", err)
		}
	}
	d, err := openDevice(ctx, n, login.Dir, st.JID)
	if err != nil {
		return nil, err
	}
	return newSession(n, login, d), nil
}

// handOver keeps a just-paired device for its login's session.
func (n *Network) handOver(loginID string, d *device) {
	n.mu.Lock()
	old := n.paired[loginID]
	n.paired[loginID] = d
	n.mu.Unlock()
	if old != nil && old != d {
		old.close()
	}
}

func loginIDOf(phoneUser string) string { return "+" + phoneUser }

func errf(format string, args ...any) error { return fmt.Errorf("whatsapp: "+format, args...) }

// parseWebVersion reads "2.3000.1012345678".
func parseWebVersion(s string) (store.WAVersionContainer, error) {
	var v store.WAVersionContainer
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, errors.New("three numbers separated by dots")
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return v, fmt.Errorf("%q is not a number", p)
		}
		v[i] = uint32(n)
	}
	return v, nil
}
