// Package echo is the smallest complete passerelle transport: a pretend
// network where every contact repeats what you send it. It is the tutorial
// for plugin authors, the test double of the gateway's core, and the demo
// network.
//
// Read it top to bottom: Init declares what the network can do, the login
// methods run a one-step form, Connect starts a login's session, and
// HandleCommand acts on what the XMPP user sends; replies travel back to
// the gateway as events through sdk.Host.
package echo

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Version is the echo plugin's own version.
const Version = "0.1.0"

// NoSuchContact is the one contact the echo network does not have:
// messages to it fail with item-not-found, so the error path is testable.
const NoSuchContact = "nobody"

// Transport is the echo network. The zero value is not ready; use New.
type Transport struct {
	sdk.Base // "unsupported" for every optional method we leave out

	host sdk.Host
	// prefix makes message IDs unique across plugin restarts.
	prefix string
	seq    atomic.Uint64

	mu        sync.Mutex
	processes map[string]string // login process ID -> user JID
	logins    map[string]bool   // connected login IDs
}

// New returns an echo transport.
func New() *Transport {
	return &Transport{processes: map[string]string{}, logins: map[string]bool{}}
}

// Init declares the network. The echo network has no config of its own.
func (t *Transport) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	t.host = host
	t.prefix = fmt.Sprintf("%x", time.Now().UnixNano())
	return &pb.Capabilities{
		ApiVersion:       sdk.APIVersion,
		Network:          "echo",
		DisplayName:      "Echo",
		Version:          Version,
		Features:         &pb.Features{},
		IdentifierPrompt: "Any name",
	}, nil
}

// LoginFlows offers one way in: pick a username.
func (t *Transport) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return []*pb.LoginFlow{{Id: "username", Name: "Username", Description: "Any username will do"}}, nil
}

// StartLogin opens a login process and asks for its one form.
func (t *Transport) StartLogin(_ context.Context, userJID, _ string) (*pb.LoginStep, error) {
	id := rand.Text()
	t.mu.Lock()
	t.processes[id] = userJID
	t.mu.Unlock()
	return usernameForm(id, ""), nil
}

func usernameForm(processID, errText string) *pb.LoginStep {
	return &pb.LoginStep{
		ProcessId:    processID,
		Instructions: "Choose a username on the echo network.",
		Error:        errText,
		Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
			{Id: "username", Label: "Username", Type: pb.FieldType_FIELD_TYPE_USERNAME, Required: true},
		}}},
	}
}

// savedState is what the gateway keeps for us and hands back on Connect.
type savedState struct {
	Username string `json:"username"`
}

// SubmitLoginInput completes the login, or asks again when the input is
// wrong (the gateway shows our error text).
func (t *Transport) SubmitLoginInput(_ context.Context, processID string, fields map[string]string) (*pb.LoginStep, error) {
	t.mu.Lock()
	_, ok := t.processes[processID]
	t.mu.Unlock()
	if !ok {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no login in progress with this ID")
	}
	username := strings.TrimSpace(fields["username"])
	if username == "" {
		return usernameForm(processID, "The username must not be empty."), nil
	}
	t.mu.Lock()
	delete(t.processes, processID)
	t.mu.Unlock()
	state, _ := json.Marshal(savedState{Username: username})
	// The login ID is the account itself: logging in again as the same
	// username yields the same login.
	return &pb.LoginStep{ProcessId: processID, Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{
		LoginId: username, DisplayName: username, SavedState: state,
	}}}, nil
}

// CancelLogin forgets a login process.
func (t *Transport) CancelLogin(_ context.Context, processID string) error {
	t.mu.Lock()
	delete(t.processes, processID)
	t.mu.Unlock()
	return nil
}

// Connect starts a login's session. A real network would dial out here and
// report progress; ours is connected at once.
func (t *Transport) Connect(_ context.Context, req *pb.ConnectRequest) error {
	t.mu.Lock()
	t.logins[req.LoginId] = true
	t.mu.Unlock()
	t.host.Emit(&pb.Event{LoginId: req.LoginId, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED}}})
	return nil
}

// Disconnect ends a login's session.
func (t *Transport) Disconnect(_ context.Context, loginID string) error {
	t.mu.Lock()
	delete(t.logins, loginID)
	t.mu.Unlock()
	return nil
}

// Logout ends the session; the echo network keeps nothing else.
func (t *Transport) Logout(ctx context.Context, loginID string) error {
	return t.Disconnect(ctx, loginID)
}

// HandleCommand acts on what the user sends. The SDK runs commands of one
// chat in order and never passes the same txn_id twice.
func (t *Transport) HandleCommand(_ context.Context, cmd *pb.Command) (sdk.Result, error) {
	t.mu.Lock()
	connected := t.logins[cmd.LoginId]
	t.mu.Unlock()
	if !connected {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "login %q is not connected", cmd.LoginId)
	}
	send, ok := cmd.Action.(*pb.Command_Send)
	if !ok {
		return sdk.Result{}, sdk.ErrUnsupported
	}
	if cmd.ChatId == NoSuchContact {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "there is no contact %q on the echo network", cmd.ChatId)
	}
	now := time.Now()
	sent := t.newID()
	// The contact answers with the same text. Emit hands the event to the
	// SDK, which delivers it until the gateway has stored it.
	t.host.Emit(&pb.Event{
		LoginId:            cmd.LoginId,
		ChatId:             cmd.ChatId,
		Sender:             &pb.Sender{UserId: cmd.ChatId},
		TimestampUnixMicro: now.UnixMicro(),
		EventId:            t.newID(),
		Payload:            &pb.Event_Message{Message: &pb.MessageEvent{Text: send.Send.Text}},
	})
	return sdk.Result{MessageID: sent, Time: now}, nil
}

func (t *Transport) newID() string {
	return fmt.Sprintf("%s-%d", t.prefix, t.seq.Add(1))
}
