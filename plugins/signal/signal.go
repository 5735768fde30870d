// Package signal is passerelle's Signal transport. It has no Signal
// library: it speaks signal-cli's JSON-RPC (newline-delimited JSON-RPC 2.0)
// to `signal-cli daemon --socket PATH --receive-mode manual`, one daemon
// for all logins (multi-account mode), which the plugin starts and
// supervises or which the admin runs.
//
// IDs: a contact is its phone number ("+33612345678") when known, else its
// ACI (a UUID); when the number of an ACI-only contact becomes known, an
// IdentityEvent moves it. A group (v2) is a chat whose ID is its group ID
// in lowercase hex. A message is the timestamp its sender gave it, in
// milliseconds, and its author ("<timestamp>:<ACI>", msgids.go: two
// people may send in one millisecond); Signal needs the author to reply,
// react, delete or mark it read, which also travels in the message's
// metadata (see msgMeta).
package signal

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Version is the Signal plugin's own version.
const Version = "0.1.0"

// maxTextBytes is the longest text Signal takes (a long text
// attachment, 64 KiB); SendMessage and EditMessage refuse a longer one as
// TOO_LARGE.
const maxTextBytes = 64 << 10

// maxAttachmentBytes is the largest file Signal takes (its apps' 100
// MiB); UploadMedia and SendMessage refuse a larger one as TOO_LARGE.
const maxAttachmentBytes = 100 << 20

// editWindow is how long after a message Signal takes its edits (the
// apps' 24 hours); EditMessage refuses a later one as EXPIRED.
const editWindow = 24 * time.Hour

// deleteWindow is how long after a message Signal's apps let its author
// delete it for everyone (the same 24 hours; a recipient's app applies
// a delete up to 48 hours after the message, then drops it, while the
// user's own devices take any): Retract refuses a later one as EXPIRED.
// A note to self has no window, for edits either.
const deleteWindow = 24 * time.Hour

// takeWindow is how long after a message Signal's apps apply another's
// delete or edit of it (a day past the window to send one): a later one
// is dropped, so that XMPP keeps what the phone keeps. The user's own,
// from the phone, has none.
const takeWindow = deleteWindow + 24*time.Hour

// Config is the transport's [transport.config] table.
type Config struct {
	// SignalCLI is the signal-cli command the plugin runs ("signal-cli":
	// looked up in PATH).
	SignalCLI string `json:"signal_cli"`
	// JavaHome, when set, is the JAVA_HOME signal-cli runs with (its bin/
	// goes first in PATH): signal-cli needs Java 21 or newer.
	JavaHome string `json:"java_home"`
	// Socket, when set, is the socket of a signal-cli daemon the admin
	// runs (multi-account, --receive-mode manual): the plugin then starts
	// none.
	Socket string `json:"socket"`
	// DataDir is signal-cli's own data folder (its --config); default
	// signal-cli/ in the plugin's data folder. With Socket, where the
	// admin's daemon keeps its data, when the plugin may read it: files
	// received are then read there rather than through getAttachment.
	DataDir string `json:"data_dir"`
	// DeviceName is the name a new linked device gets on the phone when
	// the user gives none ("passerelle").
	DeviceName string `json:"device_name"`
	// Accounts are the accounts the admin registered or linked in
	// signal-cli, by number, each with the bare JID of the one XMPP user
	// who may log in to it (the "existing" flow, offered only with them).
	Accounts map[string]string `json:"accounts"`
	// LivenessSeconds is how often a connected login asks signal-cli
	// whether it still answers and still has the account (60 when
	// unset; liveness.go).
	LivenessSeconds int `json:"liveness_check_seconds"`
}

// Network is the Signal network, the plugin's sdk.Connector.
type Network struct {
	host    sdk.Host
	cfg     Config
	daemon  *daemon
	dataDir string

	mu sync.Mutex
	// sessions are the sessions connected, for Stop.
	sessions map[*Session]bool
	// strays are envelopes of accounts no session has, read on another
	// session's subscription, by account; straysCut those of which some
	// were dropped (strays.go).
	strays    map[string][]strayNote
	straysCut map[string]bool
	// attSwept is when signal-cli's old downloads were last removed
	// (media.go).
	attSwept time.Time
}

// New returns the Signal network.
func New() *Network { return &Network{} }

var _ sdk.Connector[*Session] = (*Network)(nil)

// Init reads the config and declares the network. The daemon starts with
// the first login that needs it.
func (n *Network) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	n.host = host
	n.dataDir = req.DataDir
	if n.dataDir == "" {
		n.dataDir = os.TempDir()
	}
	if err := sdk.DecodeConfig(req.ConfigJSON, &n.cfg); err != nil {
		// DecodeConfig's error names the transport's config already.
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "signal: %v", err)
	}
	if err := checkCLI(n.cfg); err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "signal: %v", err)
	}
	if n.cfg.SignalCLI == "" {
		n.cfg.SignalCLI = "signal-cli"
	}
	if n.cfg.DeviceName == "" {
		n.cfg.DeviceName = "passerelle"
	}
	if n.cfg.Socket == "" {
		dataDir := n.cfg.DataDir
		if dataDir == "" {
			if req.DataDir == "" {
				return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "signal: no data folder for signal-cli: set data_dir or socket in the transport's config")
			}
			dataDir = filepath.Join(req.DataDir, "signal-cli")
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("signal: %w", err)
		}
		n.daemon = newDaemon(n.cfg, dataDir, socketPath(req.DataDir, dataDir), host.Logger())
	}
	return &pb.Capabilities{
		Network:     "signal",
		DisplayName: "Signal",
		Version:     Version,
		Features: &pb.Features{Groups: true, Replies: true, Attachments: true, DeliveryReceipts: true,
			SingleReaction: true, Formatting: true, Avatars: true,
			// A group is joined by its link, as the password of the room
			// joinchat (join.go), and a group the user is invited to by
			// its own room (invited.go): a group's ID has a form no
			// person's has. Any other unknown address is a person's.
			JoinChatPrefixes: []string{joinRoom}, JoinChatPattern: groupChatIDPattern},
		// signal-cli sends what is beyond Signal's 2000 bytes of body as a
		// long-text attachment, up to Signal's 64 KiB.
		MaxTextBytes:          maxTextBytes,
		MaxAttachmentBytes:    maxAttachmentBytes,
		EditWindowSeconds:     int64(editWindow / time.Second),
		IdentifierPrompt:      "Phone number or username",
		IdentifierDescription: "A phone number in international form, such as +33612345678, or a Signal username, such as alice.12 (or its link).",
	}, nil
}

// socketPath is where the supervised daemon listens: in the data folder,
// unless that path is too long for a Unix socket (108 bytes on Linux).
func socketPath(pluginDir, dataDir string) string {
	base := pluginDir
	if base == "" {
		base = dataDir
	}
	p := filepath.Join(base, "signal-cli.sock")
	if len(p) < 100 {
		return p
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("passerelle-signal-%08x.sock", hashString(p)))
}

func hashString(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// signalData is signal-cli's data folder when the plugin can read it:
// its own daemon's, or the one the admin's daemon keeps when data_dir
// says ("" when not known).
func (n *Network) signalData() string {
	if n.daemon != nil {
		return n.daemon.dataDir
	}
	return n.cfg.DataDir
}

// socket is the path of the daemon's socket, starting the supervised
// daemon if it is not running yet.
func (n *Network) socket() string {
	if n.daemon == nil {
		return n.cfg.Socket
	}
	n.daemon.start()
	return n.daemon.socket
}

// daemonProblem says why the daemon may be unreachable, for a login state
// message ("" when nothing is known).
func (n *Network) daemonProblem() string {
	if n.daemon == nil {
		return "the signal-cli daemon at " + n.cfg.Socket + " (run by the admin) does not answer"
	}
	return n.daemon.problem()
}

// LoginFlows: link this gateway as a new device of the user's phone (a QR
// code), or use an account signal-cli already has.
func (n *Network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	flows := []*pb.LoginFlow{
		{Id: "link", Name: "QR code", Description: "Link the gateway as a device of your Signal account: scan a QR code with the Signal app on your phone"},
	}
	if len(n.cfg.Accounts) > 0 {
		flows = append(flows, &pb.LoginFlow{Id: "existing", Name: "Existing signal-cli account", Description: "An account the admin registered or linked in signal-cli for you"})
	}
	return flows, nil
}

// StartLogin opens a login process of the flow.
func (n *Network) StartLogin(_ context.Context, req sdk.LoginRequest) (sdk.LoginProcess, error) {
	switch req.FlowID {
	case "", "link":
		return newLinkProcess(n, req), nil
	case "existing":
		if len(n.cfg.Accounts) == 0 {
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "signal: this gateway has no signal-cli accounts of its admin to give")
		}
		return &existingProcess{n: n, user: req.UserJID}, nil
	}
	return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "signal: no login flow %q", req.FlowID)
}

// Account is a login's saved state, as JSON.
type Account struct {
	// Number is the account's phone number; "" for a numberless account.
	Number string `json:"number,omitempty"`
	// ACI is the account's UUID, when known.
	ACI string `json:"aci,omitempty"`
	// Linked: this plugin linked the account (QR code flow), so logging
	// out unlinks it and deletes its data in signal-cli.
	Linked bool `json:"linked,omitempty"`
	// Former are the numbers the account had before the user changed
	// it on the phone, oldest first (ownnumber.go): the IDs of its
	// messages from then name them.
	Former []string `json:"former,omitempty"`
	// IDNumber is the number the user's own messages' IDs name
	// (msgids.go) when the ACI was learnt for a login that named them
	// by its number (an "existing" account's, accountsfile.go, or one
	// whose number changed before its ACI was known, ownnumber.go):
	// kept, not the number of the day, so that their IDs do not change
	// across number changes (back to an earlier number too).
	IDNumber string `json:"id_number,omitempty"`
}

// ID is what signal-cli names the account by: its number, else its ACI.
func (a Account) ID() string {
	if a.Number != "" {
		return a.Number
	}
	return a.ACI
}

// LoadLogin makes the session of a completed login. It does not connect.
func (n *Network) LoadLogin(_ context.Context, login sdk.LoginInfo) (*Session, error) {
	var acc Account
	if len(login.SavedState) > 0 {
		if err := json.Unmarshal(login.SavedState, &acc); err != nil {
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "signal: the saved login cannot be read: %v", err)
		}
	}
	if acc.ID() == "" {
		// A Logout of a login not connected: its ID names the account.
		if strings.HasPrefix(login.LoginID, "+") {
			acc.Number = login.LoginID
		} else {
			acc.ACI = login.LoginID
		}
	}
	return newSession(n, login, acc), nil
}
