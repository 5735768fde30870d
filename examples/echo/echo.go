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
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
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
	processes map[string]*process            // login processes in progress
	logins    map[string]bool                // connected login IDs
	contacts  map[string]map[string]*contact // login ID -> contact ID -> contact
	dataDir   string
}

// process is one login in progress. Usernames ending in "+code" ask for a
// code (only 0000 is right); "+qr" shows a QR code that is "scanned" by
// itself after about 2 s, and rotates once before that.
type process struct {
	user, username string
	stage          string // "username", "code" or "qr"
	scanned        chan struct{}
}

// contact is someone on the echo network.
type contact struct {
	id, name string
	presence *pb.Presence
}

// New returns an echo transport.
func New() *Transport {
	return &Transport{processes: map[string]*process{}, logins: map[string]bool{}, contacts: map[string]map[string]*contact{}}
}

// Init declares the network. The echo network has no config of its own.
func (t *Transport) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	t.host = host
	t.dataDir = req.DataDir
	t.prefix = fmt.Sprintf("%x", time.Now().UnixNano())
	return &pb.Capabilities{
		ApiVersion:  sdk.APIVersion,
		Network:     "echo",
		DisplayName: "Echo",
		Version:     Version,
		Features: &pb.Features{Presence: true, SetPresence: true, Avatars: true, AddContacts: true,
			Edits: true, Reactions: true, Retractions: true, DeliveryReceipts: true, ReadReceipts: true,
			Typing: true, Replies: true, Attachments: true, Backfill: true},
		IdentifierPrompt:      "Any name",
		IdentifierDescription: "Every name is someone on the echo network.",
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
	t.processes[id] = &process{user: userJID, stage: "username"}
	t.mu.Unlock()
	return usernameForm(id, ""), nil
}

func codeForm(processID, errText string) *pb.LoginStep {
	return &pb.LoginStep{
		ProcessId:    processID,
		Instructions: "Enter the code the echo network sent you (it is always 0000).",
		Error:        errText,
		Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
			{Id: "code", Label: "Code", Type: pb.FieldType_FIELD_TYPE_CODE, Required: true},
		}}},
	}
}

func qrStep(processID, username string, n int) *pb.LoginStep {
	return &pb.LoginStep{
		ProcessId:    processID,
		Instructions: "Scan this QR code with the echo app.",
		Step: &pb.LoginStep_Display{Display: &pb.DisplayStep{
			Type: pb.DisplayType_DISPLAY_TYPE_QR, Data: fmt.Sprintf("echo://login/%s/%d", username, n),
		}},
	}
}

func complete(processID, username string) *pb.LoginStep {
	state, _ := json.Marshal(savedState{Username: username})
	// The login ID is the account itself: logging in again as the same
	// username yields the same login.
	return &pb.LoginStep{ProcessId: processID, Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{
		LoginId: username, DisplayName: username, SavedState: state,
	}}}
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
// Contacts, when set, gives the account that many numbered contacts
// instead of the three friends (NumberedContact), the first Online of
// them available and the others of unknown presence: how the load tool
// makes logins with large contact lists.
type savedState struct {
	Username string `json:"username"`
	Contacts int    `json:"contacts,omitempty"`
	Online   int    `json:"online,omitempty"`
}

// NumberedContact is contact i of an account whose saved state asks for
// numbered contacts: its user ID and name.
func NumberedContact(i int) (userID, name string) {
	return fmt.Sprintf("c%d", i), fmt.Sprintf("Contact %d", i)
}

// SubmitLoginInput moves the login on, or asks again when the input is
// wrong (the gateway shows our error text).
func (t *Transport) SubmitLoginInput(_ context.Context, processID string, fields map[string]string) (*pb.LoginStep, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.processes[processID]
	if !ok {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no login in progress with this ID")
	}
	switch p.stage {
	case "username":
		username := strings.TrimSpace(fields["username"])
		if username == "" {
			return usernameForm(processID, "The username must not be empty."), nil
		}
		p.username = username
		switch {
		case strings.HasSuffix(username, "+code"):
			p.stage = "code"
			return codeForm(processID, ""), nil
		case strings.HasSuffix(username, "+qr"):
			p.stage = "qr"
			p.scanned = make(chan struct{})
			go t.showQR(processID, p)
			return qrStep(processID, username, 1), nil
		}
	case "code":
		if strings.TrimSpace(fields["code"]) != "0000" {
			return codeForm(processID, "Wrong code. The echo network's code is 0000."), nil
		}
	default:
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "this step takes no input")
	}
	delete(t.processes, processID)
	return complete(processID, p.username), nil
}

// showQR plays the phone: after a second the QR code rotates (a new one
// is shown), after two it is scanned.
func (t *Transport) showQR(processID string, p *process) {
	time.Sleep(time.Second)
	t.mu.Lock()
	_, alive := t.processes[processID]
	t.mu.Unlock()
	if !alive {
		return
	}
	t.host.Emit(&pb.Event{TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_LoginStep{LoginStep: qrStep(processID, p.username, 2)}})
	time.Sleep(time.Second)
	close(p.scanned)
}

// WaitLogin waits for the QR code to be scanned.
func (t *Transport) WaitLogin(ctx context.Context, processID string) (*pb.LoginStep, error) {
	t.mu.Lock()
	p, ok := t.processes[processID]
	t.mu.Unlock()
	if !ok || p.stage != "qr" {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no QR login in progress with this ID")
	}
	select {
	case <-p.scanned:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	t.mu.Lock()
	_, alive := t.processes[processID]
	delete(t.processes, processID)
	t.mu.Unlock()
	if !alive {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "the login was cancelled")
	}
	return complete(processID, p.username), nil
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
	var state savedState
	if len(req.SavedState) > 0 {
		// A state we cannot read is an account with the usual friends.
		_ = json.Unmarshal(req.SavedState, &state)
	}
	t.mu.Lock()
	t.logins[req.LoginId] = true
	if t.contacts[req.LoginId] == nil && state.Contacts > 0 {
		cs := make(map[string]*contact, state.Contacts)
		for i := range state.Contacts {
			id, name := NumberedContact(i)
			cs[id] = &contact{id: id, name: name}
			if i < state.Online {
				cs[id].presence = &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}
			}
		}
		t.contacts[req.LoginId] = cs
	}
	if t.contacts[req.LoginId] == nil {
		// Every echo account starts with three friends.
		online := &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}
		t.contacts[req.LoginId] = map[string]*contact{
			"echo-1": {id: "echo-1", name: "Echo One", presence: online},
			"echo-2": {id: "echo-2", name: "Echo Two", presence: &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AWAY,
				Status: "Back soon", LastSeenUnix: time.Now().Add(-10 * time.Minute).Unix()}},
			"echo-3": {id: "echo-3", name: "Echo Three", presence: online},
		}
	}
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

// Logout ends the session and forgets the account's contacts.
func (t *Transport) Logout(ctx context.Context, loginID string) error {
	t.mu.Lock()
	delete(t.contacts, loginID)
	t.mu.Unlock()
	return t.Disconnect(ctx, loginID)
}

func (c *contact) proto() *pb.Contact {
	p := &pb.Contact{UserId: c.id, Name: c.name, Presence: c.presence}
	if c.id == "echo-1" {
		p.AvatarId = "echo-1-v1"
	}
	return p
}

// ContactList returns the account's contacts.
func (t *Transport) ContactList(_ context.Context, loginID string) ([]*pb.Contact, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var cs []*pb.Contact
	for _, c := range t.contacts[loginID] {
		cs = append(cs, c.proto())
	}
	return cs, nil
}

// ResolveIdentifier: every name is someone on the echo network.
func (t *Transport) ResolveIdentifier(_ context.Context, req *pb.ResolveIdentifierRequest) (*pb.Contact, error) {
	id := strings.TrimSpace(req.Identifier)
	if id == "" || id == NoSuchContact {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "there is no contact %q on the echo network", id)
	}
	c := &contact{id: id, name: id, presence: &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}}
	if req.Create {
		t.mu.Lock()
		if cs := t.contacts[req.LoginId]; cs != nil {
			if old, ok := cs[id]; ok {
				c = old
			} else {
				cs[id] = c
			}
		}
		t.mu.Unlock()
	}
	return c.proto(), nil
}

// UserInfo is a contact's profile; Echo One has an avatar.
func (t *Transport) UserInfo(_ context.Context, loginID, userID string) (*pb.Contact, error) {
	t.mu.Lock()
	c, ok := t.contacts[loginID][userID]
	t.mu.Unlock()
	if !ok {
		c = &contact{id: userID, name: userID}
	}
	p := c.proto()
	p.Nickname = c.id
	if c.id == "echo-1" {
		p.Avatar, p.AvatarMime, p.AvatarId = avatarPNG, "image/png", "echo-1-v1"
	}
	return p, nil
}

// avatarPNG is a tiny image for Echo One's profile.
var avatarPNG = func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}()

// HandleCommand acts on what the user sends. The SDK runs commands of one
// chat in order and never passes the same txn_id twice.
func (t *Transport) HandleCommand(_ context.Context, cmd *pb.Command) (sdk.Result, error) {
	t.mu.Lock()
	connected := t.logins[cmd.LoginId]
	t.mu.Unlock()
	if !connected {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "login %q is not connected", cmd.LoginId)
	}
	if p, ok := cmd.Action.(*pb.Command_SetPresence); ok {
		// Echo Three mirrors the user's own presence, so that it can be
		// seen to reach the network.
		t.mu.Lock()
		c := t.contacts[cmd.LoginId]["echo-3"]
		if c != nil {
			c.presence = p.SetPresence.Presence
		}
		t.mu.Unlock()
		if c != nil {
			t.host.Emit(&pb.Event{LoginId: cmd.LoginId, ChatId: "echo-3", Sender: &pb.Sender{UserId: "echo-3"},
				TimestampUnixMicro: time.Now().UnixMicro(), Payload: &pb.Event_Presence{Presence: &pb.PresenceEvent{Presence: p.SetPresence.Presence}}})
		}
		return sdk.Result{}, nil
	}
	if cmd.ChatId == NoSuchContact {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "there is no contact %q on the echo network", cmd.ChatId)
	}
	// Each action is answered the way a friendly contact would (messages.go).
	switch a := cmd.Action.(type) {
	case *pb.Command_Send:
		return t.onSend(cmd, a.Send)
	case *pb.Command_Edit:
		return t.onEdit(cmd, a.Edit)
	case *pb.Command_React:
		return t.onReact(cmd, a.React)
	case *pb.Command_Retract:
		return t.onRetract(cmd, a.Retract)
	case *pb.Command_MarkRead:
		return sdk.Result{}, nil
	case *pb.Command_SetTyping:
		return t.onTyping(cmd, a.SetTyping)
	}
	return sdk.Result{}, sdk.ErrUnsupported
}

// contactCommand lets the user change the network from a chat: "rename N
// NAME" renames contact echo-N, "leave N" removes it. The change reaches
// the gateway as events, as a real network's would.
func (t *Transport) contactCommand(loginID, text string) {
	f := strings.Fields(text)
	if len(f) < 2 || (f[0] != "rename" && f[0] != "leave") || (f[0] == "rename" && len(f) < 3) {
		return
	}
	id := "echo-" + f[1]
	t.mu.Lock()
	c, ok := t.contacts[loginID][id]
	if ok && f[0] == "rename" {
		c.name = strings.Join(f[2:], " ")
	} else if ok {
		delete(t.contacts[loginID], id)
	}
	t.mu.Unlock()
	if !ok {
		return
	}
	ev := &pb.Event{LoginId: loginID, TimestampUnixMicro: time.Now().UnixMicro(), EventId: t.newID()}
	if f[0] == "rename" {
		ev.Payload = &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: c.proto()}}
	} else {
		ev.Payload = &pb.Event_ContactRemoved{ContactRemoved: &pb.ContactRemovedEvent{UserId: id}}
	}
	t.host.Emit(ev)
}

func (t *Transport) newID() string {
	return fmt.Sprintf("%s-%d", t.prefix, t.seq.Add(1))
}
