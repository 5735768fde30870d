package echo

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// loginProcess is one login in progress: a form asks for a username.
// Usernames ending in "+code" then ask for a code (only 0000 is right;
// "+slowcode" too, and checking it takes SlowConfirm, as on a network
// that checks it remotely); "+qr" shows a QR code that is "scanned" by
// itself after about 2 s, and rotates once before that. The SDK keeps the process and calls Submit
// (sdk.LoginSubmitter) for form input and Wait (sdk.LoginWaiter) on a QR
// step, until a step completes the login.
type loginProcess struct {
	n  *Network
	id string // the SDK's process ID, for the QR step that changes by itself

	mu        sync.Mutex
	stage     string // "username", "code", "qr" or "cancelled"
	username  string
	slow      bool // checking the code takes SlowConfirm
	scanned   chan struct{}
	cancelled chan struct{}
}

var (
	_ sdk.LoginSubmitter = (*loginProcess)(nil)
	_ sdk.LoginWaiter    = (*loginProcess)(nil)
)

// savedState is what the gateway keeps for us and hands back in
// sdk.LoginInfo. Contacts, when set, gives the account that many numbered
// contacts instead of the three friends (NumberedContact), the first
// Online of them available and the others of unknown presence: how the
// load tool makes logins with large contact lists.
//
// History, when set, is how many messages of history every chat of the
// account has instead of HistoryLength: a username ending in
// "+history<N>" asks for N, how tests and the load tool get a long one.
//
// Members, when set, is how many members the account's group has (see
// groups.go): a username ending in "+members<N>" asks for N.
type savedState struct {
	Username string `json:"username"`
	Contacts int    `json:"contacts,omitempty"`
	Online   int    `json:"online,omitempty"`
	History  int    `json:"history,omitempty"`
	Members  int    `json:"members,omitempty"`
}

// MaxMembers is the most members a "+members<N>" username gives its group.
const MaxMembers = 100000

// readState reads a saved state; one we cannot read is an account with
// the usual friends.
func readState(b []byte) savedState {
	var st savedState
	if len(b) > 0 {
		_ = json.Unmarshal(b, &st)
	}
	return st
}

// Start asks for the username.
func (p *loginProcess) Start(context.Context) (*pb.LoginStep, error) {
	return usernameForm(""), nil
}

// Submit moves the login on, or asks again when the input is wrong (the
// gateway shows our error text).
func (p *loginProcess) Submit(ctx context.Context, fields map[string]string) (*pb.LoginStep, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.stage {
	case "username":
		username := strings.TrimSpace(fields["username"])
		if username == "" {
			return usernameForm("The username must not be empty."), nil
		}
		if msg := usernameProblem(username); msg != "" {
			return usernameForm(msg), nil
		}
		p.username = username
		switch {
		case strings.HasSuffix(username, "+code"), strings.HasSuffix(username, "+slowcode"):
			p.stage = "code"
			p.slow = strings.HasSuffix(username, "+slowcode")
			return codeForm(""), nil
		case strings.HasSuffix(username, "+qr"):
			p.stage = "qr"
			p.scanned, p.cancelled = make(chan struct{}), make(chan struct{})
			go p.showQR()
			return qrStep(username, 1), nil
		}
	case "code":
		if p.slow {
			p.mu.Unlock() // Cancel may come meanwhile
			select {
			case <-time.After(SlowConfirm):
			case <-ctx.Done():
			}
			p.mu.Lock()
			if p.stage != "code" {
				return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "the login was cancelled")
			}
		}
		if strings.TrimSpace(fields["code"]) != "0000" {
			return codeForm("Wrong code. The echo network's code is 0000."), nil
		}
	default:
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "this step takes no input")
	}
	return complete(p.username), nil
}

// showQR plays the phone: after a second the QR code rotates (a new one
// is shown, as a LoginStep event), after two it is scanned.
func (p *loginProcess) showQR() {
	select {
	case <-time.After(time.Second):
	case <-p.cancelled:
		return
	}
	p.n.host.Emit(&pb.Event{TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_LoginStep{LoginStep: withID(qrStep(p.username, 2), p.id)}})
	select {
	case <-time.After(time.Second):
		close(p.scanned)
	case <-p.cancelled:
	}
}

func withID(s *pb.LoginStep, id string) *pb.LoginStep {
	s.ProcessId = id
	return s
}

// Wait waits for the QR code to be scanned.
func (p *loginProcess) Wait(ctx context.Context) (*pb.LoginStep, error) {
	p.mu.Lock()
	stage, scanned, cancelled := p.stage, p.scanned, p.cancelled
	p.mu.Unlock()
	if stage != "qr" {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "this step has nothing to wait for")
	}
	select {
	case <-scanned:
		return complete(p.username), nil
	case <-cancelled:
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "the login was cancelled")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Cancel stops the pretend phone.
func (p *loginProcess) Cancel() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cancelled != nil && p.stage != "cancelled" {
		close(p.cancelled)
	}
	p.stage = "cancelled"
}

// usernameProblem says what is wrong with a username no network would
// take, or "": a line break, another control character or bytes that
// are not UTF-8. The echo network took any, and a username of two lines
// became a login ID and a contact's name of two lines.
func usernameProblem(username string) string {
	if !utf8.ValidString(username) {
		return "The username is not valid text (UTF-8)."
	}
	for _, r := range username {
		switch {
		case r == '\n' || r == '\r':
			return "The username must be one line: it holds a line break."
		case unicode.IsControl(r):
			return fmt.Sprintf("The username must not hold control characters: it holds %U.", r)
		}
	}
	return ""
}

func usernameForm(errText string) *pb.LoginStep {
	return &pb.LoginStep{
		Instructions: "Choose a username on the echo network.",
		Error:        errText,
		Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
			{Id: "username", Label: "Username", Type: pb.FieldType_FIELD_TYPE_USERNAME, Required: true},
		}}},
	}
}

func codeForm(errText string) *pb.LoginStep {
	return &pb.LoginStep{
		Instructions: "Enter the code the echo network sent you (it is always 0000).",
		Error:        errText,
		Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
			{Id: "code", Label: "Code", Type: pb.FieldType_FIELD_TYPE_CODE, Required: true},
		}}},
	}
}

func qrStep(username string, n int) *pb.LoginStep {
	return &pb.LoginStep{
		Instructions: "Scan this QR code with the echo app.",
		Step: &pb.LoginStep_Display{Display: &pb.DisplayStep{
			Type: pb.DisplayType_DISPLAY_TYPE_QR, Data: fmt.Sprintf("echo://login/%s/%d", username, n),
		}},
	}
}

// complete is the last step. The login ID is the account itself: logging
// in again as the same username yields the same login.
func complete(username string) *pb.LoginStep {
	st := savedState{Username: username}
	if n, ok := suffixNumber(username, "+history"); ok {
		st.History = n
	}
	if n, ok := suffixNumber(username, "+members"); ok && n <= MaxMembers {
		st.Members = n
	}
	state, _ := json.Marshal(st)
	step := &pb.LoginStep{Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{
		LoginId: username, DisplayName: username, SavedState: state,
	}}}
	if strings.Contains(username, "+note") {
		step.Instructions = CompleteNote // what a network says once logged in
	}
	return step
}

// CompleteNote is the instructions of the completed login of a username
// holding "+note", as WhatsApp's history on its way.
const CompleteNote = "Your chats' history is on its way."

// suffixNumber reads the N of a username ending in marker and N.
func suffixNumber(username, marker string) (int, bool) {
	i := strings.LastIndex(username, marker)
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(username[i+len(marker):])
	return n, err == nil && n >= 0
}
