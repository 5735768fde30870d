package sdk

import (
	"context"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Connector is the network: what a plugin implements once. S is the
// plugin's own session type, a concrete type (usually a pointer to a
// struct): the SDK learns from its method set which optional interfaces
// the plugin implements, before any login exists.
type Connector[S Session] interface {
	// Init is called once, before anything else. The Capabilities say
	// what the network is; of their Features the SDK keeps only what the
	// session type implements (see Features).
	Init(ctx context.Context, req InitRequest, host Host) (*pb.Capabilities, error)
	// LoginFlows are the ways to log in (QR code, phone number, ...).
	LoginFlows(ctx context.Context) ([]*pb.LoginFlow, error)
	// StartLogin opens a login process; the SDK then calls its Start for
	// the first step and keeps it until it completes or is cancelled.
	StartLogin(ctx context.Context, req LoginRequest) (LoginProcess, error)
	// LoadLogin makes the session of a completed login, on Connect; the
	// SDK keeps it until Disconnect or Logout. It must not dial out: that
	// is Session.Connect. A Logout of a login that is not connected loads
	// it as Connect would (the host sends the same login, saved state and
	// folder), to call Session.Logout: the network hears of it even after
	// a restart of the plugin.
	LoadLogin(ctx context.Context, login LoginInfo) (S, error)
}

// Stopper is a Connector with work to end when the gateway stops the
// plugin (a daemon of its own to stop, what its network handed over to
// take in first): Serve calls Stop once the host asked the process to
// exit and the commands under way ended, before the journal is closed,
// so events emitted meanwhile are kept for the next start. go-plugin
// kills a process that has not exited 2 s after asking: ctx ends at
// StopTimeout from the stop. Not called when the process is killed or
// loses its gateway.
type Stopper interface {
	Stop(ctx context.Context) error
}

// StopTimeout bounds a Stopper's Stop, within go-plugin's 2 s.
const StopTimeout = 1500 * time.Millisecond

// LoginRequest starts a login process.
type LoginRequest struct {
	// ProcessID is the ID the SDK gave the process: the one to put in a
	// LoginStep event, for a step that changes by itself (a QR code that
	// rotates).
	ProcessID string
	// UserJID is the bare JID of the XMPP user logging in.
	UserJID string
	// FlowID is one of LoginFlows' IDs ("" = the first).
	FlowID string
	// Dir is the folder of the login this process creates, made by the
	// host: the network library's own database goes here from the first
	// step on; it comes back in LoginInfo.Dir.
	Dir string
}

// LoginProcess is one login in progress. Each answer is the next step: a
// form (then Submit is called, so the process implements LoginSubmitter),
// something to display and wait on (then Wait: LoginWaiter), or the
// completed login. The SDK sets the steps' process ID.
type LoginProcess interface {
	// Start returns the first step.
	Start(ctx context.Context) (*pb.LoginStep, error)
	// Cancel ends the process: the user gave up. Release what the
	// process holds (a pairing under way on the network). The SDK ends
	// the context of a Submit or Wait under way, and answers the host
	// NOT_FOUND for it, whatever it returns.
	Cancel()
}

// LoginSubmitter is a LoginProcess that takes form input. Wrong input is
// a step with an Error text, asked again.
type LoginSubmitter interface {
	Submit(ctx context.Context, fields map[string]string) (*pb.LoginStep, error)
}

// LoginWaiter is a LoginProcess with display steps: Wait blocks until the
// step moves on (QR code scanned, code typed on the phone).
type LoginWaiter interface {
	Wait(ctx context.Context) (*pb.LoginStep, error)
}

// LoginInfo is a completed login, as the host stored it.
type LoginInfo struct {
	// LoginID is CompleteStep.login_id.
	LoginID string
	// UserJID is the XMPP user the login belongs to.
	UserJID string
	// SavedState is the last CompleteStep.saved_state or SavedStateEvent.
	SavedState []byte
	// Dir is the login's own folder (see LoginRequest.Dir).
	Dir string
}

// Call is what every command names besides its action.
type Call struct {
	// ChatID is the chat the command acts in.
	ChatID string
	// TxnID is the command's idempotency key ("" = none): an echo of the
	// message on the network should carry it in Event.txn_id.
	TxnID string
}

// Session is one login's connection to the network. The SDK calls the
// methods of one chat one at a time, in order; different chats and
// logins concurrently. A command's context ends at its time limit
// (WithCommandTimeouts): honour it, or the SDK gives up on the call,
// which then runs on beside the chat's next command.
type Session interface {
	// Connect starts the session. It returns once the session is under
	// way; progress is reported with LoginStateEvent. It may be called
	// again on a connected session (the host reconnects every login after
	// a restart) and must then do no harm. The SDK stamps the login's
	// states emitted from this Connect on with its number (the host's
	// ConnectRequest.connection; a Connect numbered below one already
	// run keeps the greater), so that the host ignores one of the
	// connection before still on its way; a goroutine of that earlier
	// connection that goes on emitting states after it is stamped the
	// new one's: end it in Disconnect. A number the event carries is
	// kept (one read off a state the SDK stamped before).
	Connect(ctx context.Context) error
	// Disconnect ends the session; the SDK forgets it.
	Disconnect(ctx context.Context) error
	// Logout ends the login on the network and forgets its state; the
	// SDK forgets the session.
	Logout(ctx context.Context) error
	// SendMessage sends text (and, where the network has the features,
	// a reply, attachments, spans and a poll: before they reach a session
	// whose Capabilities lack them, the SDK refuses attachments and polls
	// as UNSUPPORTED, and takes out a reply's reference and the spans, so
	// that a reply goes as a plain message). A send that went only in
	// part (the first file went, the next did not) returns the Result of
	// what went with the error of what did not: the gateway maps the
	// message, so the user can retract what went, and tells the error;
	// the SDK answers a resend of its txn_id the same, after a restart
	// too, without calling SendMessage again.
	SendMessage(ctx context.Context, c Call, msg *pb.SendMessage) (Result, error)
}
