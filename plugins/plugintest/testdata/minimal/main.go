// Command minimal is the smallest plugin the v2 SDK allows: a Connector
// and a Session with only the required methods, no optional interface
// of the Session's (the Connector's Stop only notes that it ran).
// Every contact echoes the text it is sent. The conformance kit and the
// gateway's tests run it to check that a plugin that declares nothing
// optional is refused every optional action, and still sends and
// receives text.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() { sdk.Serve[*session](&network{}) }

type network struct {
	host    sdk.Host
	prefix  string
	seq     atomic.Uint64
	dataDir string
	// mute is MINIMAL_MUTE_RESTARTED's: this process started on a data
	// folder another one started on, and echoes nothing.
	mute bool
}

// resend is MINIMAL_RESEND: the last echo comes again on Connect.
var resend = os.Getenv("MINIMAL_RESEND") == "1"

// Mistakes the kit must name: MINIMAL_NO_TIME, echoes without a
// timestamp; MINIMAL_NO_CONNECTED, no CONNECTED state on Connect;
// MINIMAL_CONNECTING, a CONNECTING state on Connect and none after;
// MINIMAL_NO_ECHO, a network that does not echo; MINIMAL_QUOTE, echoes
// that quote a message though they reply to none; MINIMAL_LATE_SEND, a
// send answered before the network has it (queued in the process, which
// hands it on, and so echoes it, 50 ms later); MINIMAL_OWN_ECHO, a
// network that also reflects the user's sent message (is_from_me) under
// another ID than the send's answer, without its txn_id;
// MINIMAL_UNTYPED, a send to another chat than bob's refused with a
// plain error, which has no kind; MINIMAL_NO_ID, echoes without an
// event_id; MINIMAL_STATE_ONCE, a login's state told at its first
// Connect in the process only (the network's connection taken for still
// up after a Disconnect); MINIMAL_HANG_STOP, a Stop that never returns
// (a daemon waited on without the context), so that the process is
// killed at the gateway's stop; MINIMAL_MUTE_RESTARTED, a network that
// echoes until the process starts again on the same data folder;
// MINIMAL_COUNTER_IDS, message IDs from a counter that starts again at
// each start of the process, with no prefix to tell the starts apart;
// MINIMAL_NO_SENDER, echoes without a sender. MINIMAL_INBOX names a
// folder whose files, once connected, are messages from bob: the file's
// name is the event ID, its content the text (a network that delivers,
// for Config.Incoming). MINIMAL_NEW_LOGIN_ID, a login_id made new at
// each login. MINIMAL_OLD_CONNECTION, login states that carry a
// connection number of their own, 1, not the Connect's.
var (
	noTime      = os.Getenv("MINIMAL_NO_TIME") == "1"
	noConnected = os.Getenv("MINIMAL_NO_CONNECTED") == "1"
	connecting  = os.Getenv("MINIMAL_CONNECTING") == "1"
	noEcho      = os.Getenv("MINIMAL_NO_ECHO") == "1"
	quoteAlone  = os.Getenv("MINIMAL_QUOTE") == "1"
	lateSend    = os.Getenv("MINIMAL_LATE_SEND") == "1"
	ownEcho     = os.Getenv("MINIMAL_OWN_ECHO") == "1"
	untyped     = os.Getenv("MINIMAL_UNTYPED") == "1"
	noID        = os.Getenv("MINIMAL_NO_ID") == "1"
	stateOnce   = os.Getenv("MINIMAL_STATE_ONCE") == "1"
	oldConn     = os.Getenv("MINIMAL_OLD_CONNECTION") == "1"
	hangStop    = os.Getenv("MINIMAL_HANG_STOP") == "1"
	muteAgain   = os.Getenv("MINIMAL_MUTE_RESTARTED") == "1"
	counterIDs  = os.Getenv("MINIMAL_COUNTER_IDS") == "1"
	noSender    = os.Getenv("MINIMAL_NO_SENDER") == "1"
	inbox       = os.Getenv("MINIMAL_INBOX")
	newLoginID  = os.Getenv("MINIMAL_NEW_LOGIN_ID") == "1"
)

// told is MINIMAL_STATE_ONCE's logins whose state was told.
var told sync.Map

// outbox is MINIMAL_LATE_SEND's queue of sends not yet handed on, in
// order.
var outbox = make(chan func(), 1024)

func init() {
	go func() {
		for send := range outbox {
			time.Sleep(50 * time.Millisecond)
			send()
		}
	}()
}

// Init claims features it does not implement: the SDK must mask them.
func (n *network) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	n.host, n.dataDir = host, req.DataDir
	n.prefix = fmt.Sprintf("%x", time.Now().UnixNano())
	if counterIDs {
		n.prefix = "m"
	}
	if muteAgain {
		started := filepath.Join(n.dataDir, "started")
		_, err := os.Stat(started)
		n.mute = err == nil
		if err := os.WriteFile(started, nil, 0o600); err != nil {
			return nil, err
		}
	}
	return &pb.Capabilities{Network: "minimal", DisplayName: "Minimal", Version: "1",
		Features: &pb.Features{Edits: true, Reactions: true, Retractions: true, Typing: true, Backfill: true, Groups: true}}, nil
}

// Stop notes, in the data folder, that the SDK called it when the host
// stopped the process (sdk.Stopper).
func (n *network) Stop(context.Context) error {
	if hangStop {
		select {}
	}
	return os.WriteFile(filepath.Join(n.dataDir, "stopped"), nil, 0o600)
}

func (n *network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return []*pb.LoginFlow{{Id: "name", Name: "Name"}}, nil
}

func (n *network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	return &login{}, nil
}

func (n *network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*session, error) {
	return &session{n: n, id: l.LoginID}, nil
}

// login asks for a name; the name is the login ID.
type login struct{}

func (*login) Start(context.Context) (*pb.LoginStep, error) { return form(""), nil }
func (*login) Cancel()                                      {}
func (*login) Submit(_ context.Context, f map[string]string) (*pb.LoginStep, error) {
	name := strings.TrimSpace(f["username"])
	if name == "" {
		return form("The name must not be empty."), nil
	}
	id := name
	if newLoginID {
		id = fmt.Sprintf("%s-%d", name, time.Now().UnixNano())
	}
	return &pb.LoginStep{Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{LoginId: id, DisplayName: name}}}, nil
}

func form(errText string) *pb.LoginStep {
	return &pb.LoginStep{Instructions: "Pick a name.", Error: errText, Step: &pb.LoginStep_Form{Form: &pb.FormStep{
		Fields: []*pb.FormField{{Id: "username", Label: "Name", Type: pb.FieldType_FIELD_TYPE_USERNAME, Required: true}}}}}
}

type session struct {
	n  *network
	id string
}

func (s *session) Connect(context.Context) error {
	if _, again := told.LoadOrStore(s.id, true); noConnected || (stateOnce && again) {
		return nil
	}
	if connecting {
		s.n.host.Emit(&pb.Event{LoginId: s.id, TimestampUnixMicro: time.Now().UnixMicro(),
			Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTING, Message: "dialling"}}})
		return nil
	}
	connected := &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED}
	if oldConn {
		connected.Connection = 1
	}
	s.n.host.Emit(&pb.Event{LoginId: s.id, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_LoginState{LoginState: connected}})
	if _, polling := inboxRead.LoadOrStore(s.id, true); inbox != "" && !polling {
		go s.readInbox()
	}
	if resend {
		if last, err := os.ReadFile(s.lastPath()); err == nil {
			if chat, rest, ok := strings.Cut(string(last), "\n"); ok {
				if id, text, ok := strings.Cut(rest, "\n"); ok {
					s.emitEcho(chat, id, text)
				}
			}
		}
	}
	return nil
}

// inboxRead is MINIMAL_INBOX's logins whose inbox is read.
var inboxRead sync.Map

// readInbox emits MINIMAL_INBOX's files as messages from bob, once each.
func (s *session) readInbox() {
	for {
		files, _ := os.ReadDir(inbox)
		for _, f := range files {
			if strings.HasSuffix(f.Name(), ".tmp") {
				continue // still being written
			}
			path := filepath.Join(inbox, f.Name())
			text, err := os.ReadFile(path)
			if err != nil {
				continue
			}
			s.emitEcho("bob", f.Name(), string(text))
			_ = os.Remove(path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lastPath keeps the last echo for MINIMAL_RESEND: chat, event ID, text.
func (s *session) lastPath() string { return filepath.Join(s.n.dataDir, "last-echo") }

func (s *session) emitEcho(chat, eventID, text string) {
	at := time.Now().UnixMicro()
	if noTime {
		at = 0
	}
	if noID {
		eventID = ""
	}
	m := &pb.MessageEvent{Text: text}
	if quoteAlone {
		m.QuoteText, m.QuoteAuthorId = "what was said", chat
	}
	sender := &pb.Sender{UserId: chat}
	if noSender {
		sender = nil
	}
	s.n.host.Emit(&pb.Event{LoginId: s.id, ChatId: chat, Sender: sender,
		TimestampUnixMicro: at, EventId: eventID,
		Payload: &pb.Event_Message{Message: m}})
}

func (s *session) Disconnect(context.Context) error { return nil }
func (s *session) Logout(context.Context) error     { return nil }

// SendMessage echoes the text back from the contact.
func (s *session) SendMessage(_ context.Context, c sdk.Call, m *pb.SendMessage) (sdk.Result, error) {
	if untyped && c.ChatID != "bob" {
		return sdk.Result{}, fmt.Errorf("no chat %q", c.ChatID)
	}
	id := fmt.Sprintf("%s-%d", s.n.prefix, s.n.seq.Add(1))
	if resend {
		if err := os.WriteFile(s.lastPath(), []byte(c.ChatID+"\n"+id+".echo\n"+m.Text), 0o600); err != nil {
			return sdk.Result{}, err
		}
	}
	if ownEcho {
		s.n.host.Emit(&pb.Event{LoginId: s.id, ChatId: c.ChatID, Sender: &pb.Sender{UserId: s.id, IsFromMe: true},
			TimestampUnixMicro: time.Now().UnixMicro(), EventId: id + ".mine",
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: m.Text}}})
	}
	switch {
	case noEcho, s.n.mute:
	case lateSend:
		outbox <- func() { s.emitEcho(c.ChatID, id+".echo", m.Text) }
	default:
		s.emitEcho(c.ChatID, id+".echo", m.Text)
	}
	return sdk.Result{MessageID: id}, nil
}
