// Package testplugin is what the gateway's test plugins share: a
// connector that keeps its Host and logs in by namelogin's form, and a
// session that is connected as soon as it connects and sends nothing.
// A plugin embeds them and writes only what makes it different.
package testplugin

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"passerelle.im/passerelle/bridge/testdata/namelogin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Network is a test plugin's sdk.Connector[*Session]. A plugin with a
// session type of its own (one that embeds Session) writes its LoadLogin.
type Network struct {
	// Caps is what Init declares.
	Caps *pb.Capabilities
	// Host is the host Init was given; a plugin's own Init sets it.
	Host sdk.Host
}

// Caps declares the network name, shown as display, at version 1, with
// the features f (none for nil).
func Caps(name, display string, f *pb.Features) *pb.Capabilities {
	if f == nil {
		f = &pb.Features{}
	}
	return &pb.Capabilities{Network: name, DisplayName: display, Version: "1", Features: f}
}

// Init keeps the host and declares Caps.
func (n *Network) Init(_ context.Context, _ sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	n.Host = host
	return n.Caps, nil
}

// LoginFlows is namelogin's one flow.
func (*Network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return namelogin.Flows(), nil
}

// StartLogin starts namelogin's login.
func (*Network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	return &namelogin.Login{}, nil
}

// LoadLogin makes the login's Session.
func (n *Network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*Session, error) {
	s := n.Session(l)
	return &s, nil
}

// Session is the login's Session, for a session type that embeds it.
func (n *Network) Session(l sdk.LoginInfo) Session { return Session{Host: n.Host, ID: l.LoginID} }

// Session is a test plugin's sdk.Session: its login is connected as soon
// as it connects, and it sends no messages.
type Session struct {
	Host sdk.Host
	ID   string // the login ID
}

// Connect says the login is connected.
func (s *Session) Connect(context.Context) error {
	namelogin.Connected(s.Host, s.ID)
	return nil
}

// Say sends the user the message m from the contact chatID, under the
// event ID eventID.
func (s *Session) Say(chatID, eventID string, m *pb.MessageEvent) {
	s.Host.Emit(&pb.Event{LoginId: s.ID, ChatId: chatID, Sender: &pb.Sender{UserId: chatID},
		TimestampUnixMicro: time.Now().UnixMicro(), EventId: eventID, Payload: &pb.Event_Message{Message: m}})
}

// Disconnect has nothing to end.
func (*Session) Disconnect(context.Context) error { return nil }

// Logout has nothing to end.
func (*Session) Logout(context.Context) error { return nil }

// SendMessage refuses every message.
func (*Session) SendMessage(context.Context, sdk.Call, *pb.SendMessage) (sdk.Result, error) {
	return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "no messages here")
}

// idPrefix tells the IDs of NewID apart from those of the plugin's
// processes before (its events' IDs stay in the gateway's store).
var (
	idPrefix = fmt.Sprintf("%x", time.Now().UnixNano())
	idSeq    atomic.Uint64
)

// NewID is a message ID that no other call, nor the plugin's processes
// before, made.
func NewID() string { return fmt.Sprintf("%s-%d", idPrefix, idSeq.Add(1)) }
