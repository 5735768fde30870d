// Package sdk is what a Go transport plugin imports: implement Transport,
// call Serve from main, and report network events through Host.
//
// The SDK hides go-plugin and gRPC, numbers and journals events so that
// none is lost when either process dies, keeps commands of one chat in
// order, and answers a repeated txn_id without acting twice.
package sdk

import (
	"context"
	"log/slog"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// APIVersion is the version of the plugin contract this SDK speaks.
const APIVersion = 1

// InitRequest is what the host hands a plugin at start.
type InitRequest struct {
	// ConfigJSON is the transport's [transport.config] table as JSON.
	ConfigJSON []byte
	// DataDir is the plugin's own state folder; it exists.
	DataDir string
	// Domain is the transport's component JID, for display.
	Domain string
}

// Result is the outcome of a successful command.
type Result struct {
	// MessageID is the remote ID of the message a send created.
	MessageID string
	// Time is when the network accepted it (zero: now).
	Time time.Time
}

// Transport is implemented by every plugin. Embed Base to get an
// "unsupported" answer for every optional method.
type Transport interface {
	// Init is called once, before anything else.
	Init(ctx context.Context, req InitRequest, host Host) (*pb.Capabilities, error)

	LoginFlows(ctx context.Context) ([]*pb.LoginFlow, error)
	StartLogin(ctx context.Context, userJID, flowID string) (*pb.LoginStep, error)
	SubmitLoginInput(ctx context.Context, processID string, fields map[string]string) (*pb.LoginStep, error)
	WaitLogin(ctx context.Context, processID string) (*pb.LoginStep, error)
	CancelLogin(ctx context.Context, processID string) error

	// Connect starts a login's network session. It returns once the
	// session is under way; progress is reported with LoginStateEvent.
	Connect(ctx context.Context, req *pb.ConnectRequest) error
	Disconnect(ctx context.Context, loginID string) error
	// Logout ends the login on the network and forgets its state.
	Logout(ctx context.Context, loginID string) error

	ResolveIdentifier(ctx context.Context, req *pb.ResolveIdentifierRequest) (*pb.Contact, error)
	ContactList(ctx context.Context, loginID string) ([]*pb.Contact, error)
	ChatInfo(ctx context.Context, loginID, chatID string) (*pb.Chat, error)
	UserInfo(ctx context.Context, loginID, userID string) (*pb.Contact, error)

	// HandleCommand performs one outgoing action. Commands of one chat
	// arrive one at a time, in order; a txn_id already answered is not
	// passed again.
	HandleCommand(ctx context.Context, cmd *pb.Command) (Result, error)
}

// Host is the plugin's view of the gateway.
type Host interface {
	// Emit queues an event for the host. The SDK sets its Seq, journals it
	// in the data folder and delivers it until the host acknowledges it,
	// across restarts of either side.
	Emit(ev *pb.Event)
	// EmitWait is Emit, then waits until the host has durably stored the
	// event: confirm it to the network only after that, where the network
	// lets you, and the network redelivers whatever a crash interrupted.
	EmitWait(ctx context.Context, ev *pb.Event) error
	// EmitDurable is Emit, then waits until the event is on disk in the
	// data folder's journal (fsync), or the host has stored it: for a
	// network that must be told at once that an event arrived and will
	// not deliver it again, confirm it only after this returns nil. A
	// plugin without a data folder waits for the host, as EmitWait.
	EmitDurable(ctx context.Context, ev *pb.Event) error
	// Logger logs to the gateway's log, tagged with the transport.
	Logger() *slog.Logger
}

// Base answers every optional Transport method with ErrUnsupported.
type Base struct{}

// WaitLogin implements Transport.
func (Base) WaitLogin(context.Context, string) (*pb.LoginStep, error) { return nil, ErrUnsupported }

// CancelLogin implements Transport.
func (Base) CancelLogin(context.Context, string) error { return nil }

// Disconnect implements Transport.
func (Base) Disconnect(context.Context, string) error { return nil }

// Logout implements Transport.
func (Base) Logout(context.Context, string) error { return nil }

// ResolveIdentifier implements Transport.
func (Base) ResolveIdentifier(context.Context, *pb.ResolveIdentifierRequest) (*pb.Contact, error) {
	return nil, ErrUnsupported
}

// ContactList implements Transport.
func (Base) ContactList(context.Context, string) ([]*pb.Contact, error) { return nil, nil }

// ChatInfo implements Transport.
func (Base) ChatInfo(context.Context, string, string) (*pb.Chat, error) { return nil, ErrUnsupported }

// UserInfo implements Transport.
func (Base) UserInfo(context.Context, string, string) (*pb.Contact, error) {
	return nil, ErrUnsupported
}
