// Package filenet is a small transport whose network is a folder of
// files, the example of a network that does not echo: its far side is
// whoever writes the folder (the conformance test, or you with a text
// editor). It shows a login of two steps (a phone number, then the code
// the network "texts" to a file), contacts, a group, and messages both
// ways, each incoming one marked read on the network only once the SDK
// has it on disk (EmitDurable).
//
// The folder holds one subfolder per account, named by its phone number:
// account.json, its contacts and groups (Account), which the network's
// admin writes; code, the login code; and a file of JSON lines (Line) per
// chat, CHATID.jsonl, where the plugin appends what the user sends and
// reads what others wrote.
package filenet

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Config is the transport's [transport.config] table.
type Config struct {
	// Dir is the network's folder.
	Dir string `json:"dir"`
}

// Account is an account's account.json on the network.
type Account struct {
	Contacts map[string]string `json:"contacts"` // user ID -> name
	Groups   map[string]Group  `json:"groups"`   // chat ID -> group
}

// Group is a group chat and its members besides the account.
type Group struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// Line is one message in a chat's file.
type Line struct {
	ID   string `json:"id"`
	From string `json:"from"`
	Text string `json:"text"`
	Time int64  `json:"time"` // unix micro
}

// Network is the plugin's sdk.Connector.
type Network struct {
	host   sdk.Host
	dir    string
	prefix string // makes message IDs unique across restarts
	seq    atomic.Uint64

	mu       sync.Mutex
	sessions map[*Session]bool // connected, for Stop
}

// New returns the network.
func New() *Network { return &Network{} }

// Init reads the config.
func (n *Network) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	var cfg Config
	if err := sdk.DecodeConfig(req.ConfigJSON, &cfg); err != nil {
		return nil, fmt.Errorf("filenet: %w", err)
	}
	if !filepath.IsAbs(cfg.Dir) {
		return nil, fmt.Errorf("filenet: the config needs dir, the network's folder, as an absolute path (got %q)", cfg.Dir)
	}
	n.host, n.dir = host, cfg.Dir
	n.prefix = fmt.Sprintf("%x", time.Now().UnixNano())
	n.sessions = map[*Session]bool{}
	return &pb.Capabilities{Network: "filenet", DisplayName: "FileNet", Version: "0.1.0",
		Features: &pb.Features{Groups: true}}, nil
}

var _ sdk.Stopper = (*Network)(nil)

// Stop ends the sessions' readers when the gateway stops the plugin
// (sdk.Stopper): an event emitted after Stop is dropped, and its line
// is read again at the next start.
func (n *Network) Stop(ctx context.Context) error {
	n.mu.Lock()
	var ss []*Session
	for s := range n.sessions {
		ss = append(ss, s)
	}
	n.mu.Unlock()
	for _, s := range ss {
		if err := s.Disconnect(ctx); err != nil {
			return err
		}
	}
	return nil
}

// LoginFlows offers one way in: a phone number, then a code.
func (n *Network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return []*pb.LoginFlow{{Id: "phone", Name: "Phone number and code"}}, nil
}

// StartLogin opens a login process.
func (n *Network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	return &login{n: n}, nil
}

// LoadLogin makes the session of a completed login.
func (n *Network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*Session, error) {
	return &Session{n: n, id: l.LoginID, dir: l.Dir}, nil
}

// AccountDir is the folder of account id on the network.
func AccountDir(dir, id string) string { return filepath.Join(dir, id) }

// CodeFile is where the network "texts" the login code.
func CodeFile(dir, id string) string { return filepath.Join(dir, id, "code") }

// ChatFile is the file of a chat's messages.
func ChatFile(dir, id, chatID string) string { return filepath.Join(dir, id, chatID+".jsonl") }

// login asks for a phone number, then for the code the network sent.
type login struct {
	n     *Network
	phone string
	code  string
}

var _ sdk.LoginSubmitter = (*login)(nil)

func (*login) Start(context.Context) (*pb.LoginStep, error) { return phoneForm(""), nil }
func (*login) Cancel()                                      {}

func (l *login) Submit(_ context.Context, f map[string]string) (*pb.LoginStep, error) {
	if l.phone == "" {
		phone := strings.TrimSpace(f["phone"])
		if !strings.HasPrefix(phone, "+") || strings.ContainsAny(phone, "/\\.") {
			return phoneForm("The number starts with + and the country code."), nil
		}
		if _, err := os.Stat(filepath.Join(AccountDir(l.n.dir, phone), "account.json")); err != nil {
			return phoneForm("FileNet has no account " + phone + "."), nil
		}
		c, err := rand.Int(rand.Reader, big.NewInt(900000))
		if err != nil {
			return nil, err
		}
		l.code = fmt.Sprint(100000 + c.Int64())
		if err := os.WriteFile(CodeFile(l.n.dir, phone), []byte(l.code), 0o600); err != nil {
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "cannot send the code: %w", err)
		}
		l.phone = phone
		return codeForm(""), nil
	}
	if strings.TrimSpace(f["code"]) != l.code {
		return codeForm("Wrong code."), nil
	}
	return &pb.LoginStep{Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{LoginId: l.phone, DisplayName: l.phone}}}, nil
}

func phoneForm(errText string) *pb.LoginStep {
	return &pb.LoginStep{Error: errText, Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
		{Id: "phone", Label: "Phone number", Type: pb.FieldType_FIELD_TYPE_PHONE, Required: true}}}}}
}

func codeForm(errText string) *pb.LoginStep {
	return &pb.LoginStep{Error: errText, Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
		{Id: "code", Label: "The code FileNet sent", Type: pb.FieldType_FIELD_TYPE_CODE, Required: true}}}}}
}

// ReadAccount reads account id's account.json.
func ReadAccount(dir, id string) (*Account, error) {
	b, err := os.ReadFile(filepath.Join(AccountDir(dir, id), "account.json"))
	if err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "FileNet: %w", err)
	}
	var a Account
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "FileNet: account.json: %w", err)
	}
	return &a, nil
}
