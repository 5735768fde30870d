// Command slowload is a plugin whose reload of the stored logins after a
// start is slow on purpose, and whose login flow, like IRC's, gives a
// name it has not loaded a new login ID: the gateway's tests run it to
// check that a login made while the plugin restarts waits for the reload
// and finds the stored login, instead of becoming a new account.
//
// Its [transport.config] load_wait (a Go duration) is how long a login
// loaded before any login form was submitted in this process (the reload
// after a start) waits; a submit ends the wait at once, so that a login
// that reaches the plugin during the reload always finds it unloaded.
// The plugin logs "slowload: loading login ID" (to the gateway's log) as
// a load begins.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"passerelle.im/passerelle/bridge/testdata/namelogin"
	"passerelle.im/passerelle/bridge/testdata/testplugin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() { sdk.Serve[*testplugin.Session](&network{submitted: make(chan struct{})}) }

type network struct {
	testplugin.Network
	loadWait time.Duration

	mu        sync.Mutex
	loaded    map[string]string // name → login ID, of the logins loaded
	submitted chan struct{}     // closed at the first submit
}

// Init reads load_wait.
func (n *network) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	var cfg struct {
		LoadWait string `json:"load_wait"`
	}
	if err := json.Unmarshal(req.ConfigJSON, &cfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if cfg.LoadWait != "" {
		d, err := time.ParseDuration(cfg.LoadWait)
		if err != nil {
			return nil, fmt.Errorf("load_wait: %w", err)
		}
		n.loadWait = d
	}
	n.Host, n.loaded = host, map[string]string{}
	return testplugin.Caps("slowload", "Slow load", nil), nil
}

func (n *network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	return &login{n: n}, nil
}

// LoadLogin waits, during the reload, then knows the login by its name.
func (n *network) LoadLogin(ctx context.Context, l sdk.LoginInfo) (*testplugin.Session, error) {
	n.Host.Logger().Info("slowload: loading login " + l.LoginID)
	select {
	case <-n.submitted:
	case <-time.After(n.loadWait):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	name, _, _ := strings.Cut(l.LoginID, "@")
	n.mu.Lock()
	n.loaded[name] = l.LoginID
	n.mu.Unlock()
	return n.Network.LoadLogin(ctx, l)
}

// login is namelogin's form; the ID of a name not loaded is new (the
// name and this process's ID), as an IRC plugin's of a nick it does not
// know.
type login struct {
	namelogin.Login
	n *network
}

func (l *login) Submit(ctx context.Context, f map[string]string) (*pb.LoginStep, error) {
	step, err := l.Login.Submit(ctx, f)
	done := step.GetComplete()
	if err != nil || done == nil {
		return step, err
	}
	l.n.mu.Lock()
	select {
	case <-l.n.submitted:
	default:
		close(l.n.submitted)
	}
	id, ok := l.n.loaded[done.LoginId]
	l.n.mu.Unlock()
	if !ok {
		id = fmt.Sprintf("%s@%d", done.LoginId, os.Getpid())
	}
	done.LoginId = id
	return step, nil
}
