// Package sdk is what a Go transport plugin imports: implement a Connector
// for the network and a Session for one logged-in account, call Serve from
// main, and report network events through Host.
//
// The SDK keeps one Session per login and routes every per-login call and
// command to it, so a plugin keeps no registry keyed by login ID. What a
// session can do beyond sending messages is the optional interfaces it
// implements (Editor, Reactor, Retractor, ...): the SDK advertises exactly
// those features to the gateway and answers UNSUPPORTED for the rest, so
// a feature cannot be declared and not handled.
//
// The SDK hides go-plugin and gRPC, numbers and journals events so that
// none is lost when either process dies, keeps commands of one chat in
// order, and answers a repeated txn_id without acting twice.
package sdk

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// APIVersion is the version of the plugin contract this SDK speaks. The
// go-plugin handshake carries it: a gateway refuses a plugin built with
// another version of the SDK, naming both versions.
const APIVersion = 2

// InitRequest is what the host hands a plugin at start.
type InitRequest struct {
	// ConfigJSON is the transport's [transport.config] table as JSON.
	ConfigJSON []byte
	// DataDir is the plugin's own state folder; it exists.
	DataDir string
	// Domain is the transport's component JID, for display.
	Domain string
}

// Result is the outcome of a command that succeeded, or of a send that
// went only in part, returned with its error (Session.SendMessage).
type Result struct {
	// MessageID is the remote ID of the message a send created.
	MessageID string
	// Time is when the network accepted it (zero: now).
	Time time.Time
	// Meta is small metadata of the message created (at most 1 KiB): the
	// gateway stores it beside MessageID and hands it back in the
	// target_meta of later commands naming the message.
	Meta []byte
	// ChatID is, for JoinChat, the chat joined when the network knows it
	// by another ID than the command's ("" = the command's); for
	// CreateChat, the new group's.
	ChatID string
	// FoundChats is, for SearchChats, the chats found.
	FoundChats []*pb.FoundChat
	// Expires is, for a send into a chat with a disappearing-messages
	// timer, when the network deletes the message (zero: never); the
	// gateway retracts it from the user's clients then.
	Expires time.Time
	// Command says a send's text was a command the plugin ran (IRC's
	// "/mode +o bob" in a room), not a message: nothing reached the
	// chat as one. The gateway does not reflect it in a room, nor map
	// or archive it as the user's message; MessageID, Meta and Expires
	// are not sent. A resend under the same txn_id gets this answer
	// again, without running the command twice.
	Command bool
	// Reply is, with Command, what the command answered (plain text):
	// the gateway shows it to the user alone, as a message from the
	// chat (the room, or the contact). "": nothing to show.
	Reply string
}

// Host is the plugin's view of the gateway.
type Host interface {
	// Emit queues an event for the host. The SDK sets its Seq, journals it
	// in the data folder and delivers it until the host acknowledges it,
	// across restarts of either side. An event no stream can carry (over
	// MaxMessageBytes encoded: a file put inline) is dropped, with an
	// error in the log; EmitWait and EmitDurable return that error. So is
	// one the gateway could not deliver or would refuse: one CheckEvent
	// refuses (no login_id, an ID too long, ...). So is
	// an event emitted once the plugin has stopped (after a Stopper's Stop
	// returned: end the network's goroutines in Stop), which neither the
	// journal nor a stream takes any more. The queue has no cap: Emit
	// never blocks and never drops an event for want of room; events the
	// host has not acknowledged wait in memory and in the journal, and
	// the log warns when 10000 wait (again at each doubling). Pace a
	// bulk import with EmitWait, or send history with SendHistory.
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
	// SendHistory queues a batch of a chat's history (a Backfiller's
	// answer) for the History stream, apart from live events: the SDK
	// sets its Seq and the events' login, chat and is_backfill. It waits
	// while HistoryWindow batches await the host's acknowledgement, so a
	// backfill goes at the host's pace. Batches are not journalled: after
	// a crash the host asks again from the cursor of the last batch it
	// stored; history a network pushes only once goes with
	// SendHistoryWait. A batch over MaxMessageBytes encoded is refused:
	// send fewer events a batch. So is, whole, one the gateway would
	// refuse: one CheckHistoryBatch refuses (no cursor unless done, an
	// event Emit refuses or of another chat, ...).
	SendHistory(ctx context.Context, b *pb.HistoryBatch) error
	// Logger logs to the gateway's log, tagged with the transport.
	Logger() *slog.Logger
}

// HistoryWaiter is what the Host the SDK hands to Init also does (a
// method apart, so that hosts of a plugin's own, its tests' fakes, need
// not have it). Use it through SendHistoryWait.
type HistoryWaiter interface {
	// SendHistoryWait is SendHistory, then waits until the host has
	// durably stored the batch, and with it every batch sent before it
	// (the host stores them in order), or dropped it for good (the
	// history of a login it no longer has). A network that sends its
	// history once, unasked, forgets it only after this returns nil:
	// until then a crash of either process loses the batch, since the
	// SDK keeps history in memory only. When ctx ends first the batch
	// stays queued: it is still sent, the plugin only does not know when.
	SendHistoryWait(ctx context.Context, b *pb.HistoryBatch) error
}

// errNoHistoryWait: SendHistoryWait with a Host that cannot say when the
// host stored a batch.
var errNoHistoryWait = errors.New("sdk: this Host cannot say when history is stored (it has no SendHistoryWait)")

// SendHistoryWait sends b with h.SendHistory and waits until the host
// stored it (HistoryWaiter). A Host without SendHistoryWait (a plugin's
// own wrapper or test fake) is an error: the batch is not sent, rather
// than taken as stored.
func SendHistoryWait(ctx context.Context, h Host, b *pb.HistoryBatch) error {
	w, ok := h.(HistoryWaiter)
	if !ok {
		return errNoHistoryWait
	}
	return w.SendHistoryWait(ctx, b)
}

// transport is what the gRPC server calls: the contract one RPC per
// method. Serve builds one from a Connector (see connectorTransport).
type transport interface {
	Init(ctx context.Context, req InitRequest, host Host) (*pb.Capabilities, error)

	LoginFlows(ctx context.Context) ([]*pb.LoginFlow, error)
	StartLogin(ctx context.Context, req *pb.StartLoginRequest) (*pb.LoginStep, error)
	SubmitLoginInput(ctx context.Context, processID string, fields map[string]string) (*pb.LoginStep, error)
	WaitLogin(ctx context.Context, processID string) (*pb.LoginStep, error)
	CancelLogin(ctx context.Context, processID string) error

	// Connect calls begin once the login's calls before it are over:
	// from then on its states are the new connection's.
	Connect(ctx context.Context, req *pb.ConnectRequest, begin func()) error
	Disconnect(ctx context.Context, loginID string) error
	Logout(ctx context.Context, req *pb.LogoutRequest) error

	ResolveIdentifier(ctx context.Context, req *pb.ResolveIdentifierRequest) (*pb.Contact, error)
	ContactList(ctx context.Context, loginID string) ([]*pb.Contact, error)
	ChatInfo(ctx context.Context, req *pb.ChatRef) (*pb.Chat, error)
	UserInfo(ctx context.Context, loginID, userID string) (*pb.Contact, error)
	ChatList(ctx context.Context, loginID string) ([]*pb.Chat, error)
	Backfill(ctx context.Context, req *pb.BackfillRequest) error
	DownloadMedia(ctx context.Context, ref *pb.MediaRef) (*pb.MediaInfo, io.ReadCloser, error)
	UploadMedia(ctx context.Context, loginID string, info *pb.MediaInfo, r io.Reader) (string, error)

	// HandleCommand performs one outgoing action. Commands of one chat
	// arrive one at a time, in order; a txn_id already answered is not
	// passed again. A send that went only in part returns both a Result
	// naming what went and an error (Connector's SendMessage).
	HandleCommand(ctx context.Context, cmd *pb.Command) (Result, error)
}
