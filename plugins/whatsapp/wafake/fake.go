// Package wafake is a fake WhatsApp for the plugin's tests: it satisfies
// whatsapp.Client at the narrowest seam, the calls the plugin makes,
// since WhatsApp's servers cannot be reached from a test. Events reach the
// plugin through a real, never-connected *whatsmeow.Client's own dispatch
// (Real), so what the plugin handles is what whatsmeow would hand it;
// tests may also feed Real's HandleDecryptedMessage. Nothing dials out.
package wafake

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"slices"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	waLog "go.mau.fi/whatsmeow/util/log"
	"google.golang.org/protobuf/proto"
)

// Sent is a message the plugin sent.
type Sent struct {
	To  types.JID
	ID  types.MessageID
	Msg *waE2E.Message
	// Meta is the send's message meta (SendRequestExtra.Meta), nil when
	// none.
	Meta *types.MsgMetaInfo
	// Handle is the media handle a channel's post names
	// (SendRequestExtra.MediaHandle): its file's upload
	// (UploadNewsletterReader).
	Handle string
}

// Read is a MarkRead call.
type Read struct {
	IDs          []types.MessageID
	Chat, Sender types.JID
}

// Typing is a SendChatPresence call.
type Typing struct {
	Chat  types.JID
	State types.ChatPresence
}

// Client is the fake. Its zero value is not usable: make one with New.
type Client struct {
	// Real is a whatsmeow client on the same device that never connects:
	// its dispatch delivers events to the plugin's handlers.
	Real *whatsmeow.Client
	dev  *store.Device

	mu        sync.Mutex
	changed   chan struct{}
	connected bool
	handlers  int
	qr        chan whatsmeow.QRChannelItem
	qrCodes   []string
	pairPhone string
	sent      []Sent
	reads     []Read
	readFails int   // the next MarkRead calls that fail (FailReads)
	readErr   error // their error
	typing    []Typing
	presence  []types.Presence
	subscribe []types.JID
	media     map[string][]byte
	// mediaKinds is the media type each file was uploaded as: its
	// encryption keys derive from it, so the receiving apps decrypt a
	// file only as the kind its message says.
	mediaKinds map[string]whatsmeow.MediaType
	groups     map[types.JID]*types.GroupInfo
	users      map[string]types.JID // phone digits -> JID, for IsOnWhatsApp
	// notOn are the numbers with no WhatsApp account (NotOnWhatsApp).
	notOn    map[string]bool
	lookedUp int // the numbers IsOnWhatsApp was asked about
	pictures map[types.JID]*types.ProfilePictureInfo
	// profilePhoto is the account's own picture the plugin set
	// (SetGroupPhoto without a group).
	profilePhoto []byte
	// groupPhotos are the pictures the plugin set (SetGroupPhoto).
	groupPhotos map[types.JID][]byte
	nextID      int
	unlinked    bool     // WhatsApp heard the logout
	phone       phone    // the phone's side of history on demand (phone.go)
	creating    creating // group creations (create.go)
	joining     joining  // invitation links (join.go)
	inviting    inviting // private invitations (invite.go)
	// requests are the pending requests to join groups, and
	// requestActions the admin's answers to them (requests.go).
	requests       requests
	requestActions []RequestAction
	// loseRequestNotices: requests to join and the user's rejections
	// of them are not told (LoseRequestNotices).
	loseRequestNotices bool
	// outside is the groups the user is not in that an invitation
	// lets them into (AddInvitation).
	outside map[types.JID]*types.GroupInfo
	// timerSets is the chats' timers set (timer.go).
	timerSets []TimerSet
	// timerAsks counts SetDisappearingTimer calls, refused ones too.
	timerAsks int
	// reuploads is what the phone has of files WhatsApp's servers
	// dropped (mediaretry.go).
	reuploads reuploads
	// channels are the channels the user follows, channelReactions
	// the user's reactions to their posts, channelViews the posts they
	// saw (newsletter.go).
	channels         map[types.JID]Channel
	channelReactions []ChannelReaction
	channelViews     []ChannelViewed
	channelsAsked    int // GetNewsletterInfo's calls
	channelHistories int // GetNewsletterMessages's calls
	// channelUploads are the files uploaded for channels' posts, by
	// their handles: their direct paths.
	channelUploads map[string]string
	channelPosts   int  // the admin's posts sent to channels: their server IDs
	channelsSilent bool // the channel queries get no answer (SetChannelsSilent)
	// silent: the group queries get no answer (SetSilent).
	silent bool
	// groupFails: the groups whose queries fail, with what
	// (FailGroupInfo).
	groupFails map[types.JID]error
	// histHold, when set, holds history sync downloads until closed
	// (HoldHistory).
	histHold chan struct{}
	// histStatus, when set, is the HTTP status the history sync
	// downloads fail with (FailHistory).
	histStatus int
	// ConnectErr, when set, is what Connect returns.
	ConnectErr error
	// refuseWith, when set, is the code WhatsApp refuses each
	// connection with (RefuseConnections).
	refuseWith int
	// SendErr, when set, is what SendMessage returns.
	SendErr error
	// AckWithoutTime: SendMessage answers with no time, as whatsmeow
	// reads WhatsApp's acknowledgement of a send without its t.
	AckWithoutTime bool
	// UploadErr, when set, is what UploadReader returns.
	UploadErr error
	// InviteLinkErr, when set, is what GetGroupInviteLink returns.
	InviteLinkErr error
	// OnSent and OnUpload, when set, are told of each message sent and
	// file uploaded (the remote fake reports them to the test).
	OnSent   func(Sent)
	OnUpload func(path string, data []byte)
	// OnChannelReaction, when set, is told of each reaction to a
	// channel's post (NewsletterSendReaction).
	OnChannelReaction func(ChannelReaction)
	// OnChannelViewed, when set, is told of each channel's posts marked
	// viewed (NewsletterMarkViewed).
	OnChannelViewed func(ChannelViewed)
	// OnTimerSet, when set, is told of each timer WhatsApp took
	// (SetDisappearingTimer) before the call returns: a test emits
	// WhatsApp's notification of it there, as it may be handled before
	// WhatsApp's answer to the plugin's request.
	OnTimerSet func(TimerSet)
	// OnLinkLookup, when set, is told of each invitation code looked up
	// (GetGroupInfoFromLink), once answered: the test changes the server
	// there, as it may change between the plugin's look-up and its join.
	OnLinkLookup func(code string)
}

// Device is the fake's device store.
func (c *Client) Device() *store.Device { return c.dev }

// New makes a fake on dev (a real sqlstore device).
func New(dev *store.Device, log waLog.Logger) *Client {
	real := whatsmeow.NewClient(dev, log)
	// As the plugin's client has it (whatsapp.NewWhatsmeowClient): the
	// plugin downloads history syncs (and whatsmeow then never dials
	// WhatsApp's media servers for them).
	real.ManualHistorySyncDownload = true
	return &Client{
		Real: real, dev: dev, changed: make(chan struct{}),
		media: map[string][]byte{}, groups: map[types.JID]*types.GroupInfo{}, users: map[string]types.JID{},
		qrCodes: []string{"2@fake-qr-1"},
	}
}

// Made collects the fakes a plugin makes (its NewClientFunc calls
// Made.New), for the test to drive.
type Made struct {
	mu    sync.Mutex
	all   []*Client
	added chan struct{}
	// Setup, when set, runs on each new fake before the plugin uses it.
	Setup func(*Client)
}

// NewMade is an empty collection of fakes.
func NewMade() *Made { return &Made{added: make(chan struct{})} }

// New makes a fake and remembers it.
func (m *Made) New(dev *store.Device, log waLog.Logger) *Client {
	c := New(dev, log)
	if m.Setup != nil {
		m.Setup(c)
	}
	m.mu.Lock()
	m.all = append(m.all, c)
	close(m.added)
	m.added = make(chan struct{})
	m.mu.Unlock()
	return c
}

// Wait returns the n-th fake made (from 0), waiting up to d for it.
func (m *Made) Wait(n int, d time.Duration) (*Client, error) {
	deadline := time.After(d)
	for {
		m.mu.Lock()
		if len(m.all) > n {
			c := m.all[n]
			m.mu.Unlock()
			return c, nil
		}
		ch := m.added
		m.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return nil, fmt.Errorf("wafake: no client #%d after %s", n, d)
		}
	}
}

func (c *Client) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Emit hands evt to the plugin through whatsmeow's own dispatch.
func (c *Client) Emit(evt any) { c.Real.DangerousInternals().DispatchEvent(evt) }

// History hands a history sync blob to the plugin as whatsmeow does once
// it has downloaded one: the message secrets it holds stored (whatsmeow's
// own storage, which whatsmeow runs from a goroutine of its own; here it
// is done first), then the event dispatched.
func (c *Client) History(ctx context.Context, data *waHistorySync.HistorySync) {
	c.Real.DangerousInternals().StoreHistoricalMessageSecrets(ctx, data.GetConversations())
	c.Emit(&events.HistorySync{Data: data})
}

// Receive hands a decrypted message to whatsmeow as if it came from the
// server: whatsmeow unwraps it and dispatches the events.Message.
func (c *Client) Receive(ctx context.Context, info *types.MessageInfo, msg *waE2E.Message) {
	c.Real.DangerousInternals().HandleDecryptedMessage(ctx, info, msg, 0)
}

// PushName is what whatsmeow does with the sender's name a message
// carries (its notify attribute), beside handing the message over: the
// name stored in the device's contacts under the sender's JIDs and, when
// it changed, dispatched as an events.PushName naming the message.
func (c *Client) PushName(ctx context.Context, info *types.MessageInfo) {
	c.Real.DangerousInternals().UpdatePushName(ctx, info.Sender, info.SenderAlt, info, info.PushName)
}

// Connect marks the fake connected; a paired device gets Connected, an
// unpaired one with a QR channel gets its first code.
func (c *Client) Connect() error {
	c.mu.Lock()
	if c.ConnectErr != nil {
		c.mu.Unlock()
		return c.ConnectErr
	}
	if reason := c.refuseWith; reason != 0 && c.dev.ID != nil {
		// The socket opens (Connect returns), then WhatsApp's <failure>
		// comes where its <success> would, and the connection closes.
		c.connected = false
		c.notifyLocked()
		c.mu.Unlock()
		go c.Refuse(context.Background(), reason, "")
		return nil
	}
	c.connected = true
	codes := slices.Clone(c.qrCodes)
	c.notifyLocked()
	c.mu.Unlock()
	if c.dev.ID != nil {
		go c.Emit(&events.Connected{})
	} else if len(codes) > 0 {
		c.qrItem(whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: codes[0], Timeout: time.Minute}, false)
	}
	return nil
}

// Disconnect marks the fake disconnected.
func (c *Client) Disconnect() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.connected = false
	c.notifyLocked()
}

// Unreachable drops the connection as WhatsApp out of reach does: the
// fake is disconnected (its queries fail, ErrNotConnected) and
// whatsmeow's events.Disconnected goes to the plugin. whatsmeow's own
// reconnection is not faked: the fake stays so until Connect.
func (c *Client) Unreachable() {
	c.Disconnect()
	c.Emit(&events.Disconnected{})
}

// IsConnected says whether Connect was called last.
func (c *Client) IsConnected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected
}

// IsLoggedIn is "paired and connected".
func (c *Client) IsLoggedIn() bool { return c.IsConnected() && c.dev.ID != nil }

// Logout tells WhatsApp to unlink the device and forgets it, as whatsmeow
// does: that needs a connection (whatsmeow sends an IQ).
func (c *Client) Logout(ctx context.Context) error {
	if c.dev.ID == nil {
		return whatsmeow.ErrNotLoggedIn
	}
	c.mu.Lock()
	if !c.connected {
		c.mu.Unlock()
		return fmt.Errorf("error sending logout request: %w", whatsmeow.ErrNotConnected)
	}
	c.unlinked = true
	c.mu.Unlock()
	c.Disconnect()
	return c.dev.Delete(ctx)
}

// Unlinked says whether WhatsApp heard a logout of this device.
func (c *Client) Unlinked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unlinked
}

// AddEventHandler registers on Real.
func (c *Client) AddEventHandler(h whatsmeow.EventHandler) uint32 {
	c.mu.Lock()
	c.handlers++
	c.mu.Unlock()
	return c.Real.AddEventHandler(h)
}

// RemoveEventHandler unregisters from Real.
func (c *Client) RemoveEventHandler(id uint32) bool {
	ok := c.Real.RemoveEventHandler(id)
	if ok {
		c.mu.Lock()
		c.handlers--
		c.mu.Unlock()
	}
	return ok
}

// hooked says whether a handler listens (a session, once the login
// process let go of the client).
func (c *Client) hooked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.handlers > 0
}

// GetQRChannel opens the QR channel; codes come once Connect is called.
// As whatsmeow's, the channel closes when ctx ends (a login cancelled),
// and the client disconnects.
func (c *Client) GetQRChannel(ctx context.Context) (<-chan whatsmeow.QRChannelItem, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dev.ID != nil {
		return nil, whatsmeow.ErrQRStoreContainsID
	}
	if c.connected {
		return nil, whatsmeow.ErrQRAlreadyConnected
	}
	qr := make(chan whatsmeow.QRChannelItem, 8)
	c.qr = qr
	// As whatsmeow's channel, an event handler of the client's (after
	// those added before): a refusal of the connection ends it.
	c.Real.AddEventHandler(func(evt any) {
		switch evt.(type) {
		case *events.ClientOutdated:
			c.qrEnd(qr, whatsmeow.QRChannelClientOutdated)
		case *events.ConnectFailure, *events.LoggedOut, *events.TemporaryBan:
			c.qrEnd(qr, whatsmeow.QRChannelErrUnexpectedEvent)
		}
	})
	go func() {
		<-ctx.Done()
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.qr == qr {
			close(qr)
			c.qr, c.connected = nil, false
			c.notifyLocked()
		}
	}()
	return qr, nil
}

// qrItem hands an item to the QR channel, if one is open, and with end
// closes it. Under c.mu: the channel cannot close in between.
func (c *Client) qrItem(item whatsmeow.QRChannelItem, end bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.qr == nil {
		return
	}
	select {
	case c.qr <- item:
	default: // nobody reads: the plugin gave up on it
	}
	if end {
		close(c.qr)
		c.qr = nil
	}
}

// qrEnd ends the QR channel qr with item, if it is still the open one.
func (c *Client) qrEnd(qr chan whatsmeow.QRChannelItem, item whatsmeow.QRChannelItem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.qr != qr {
		return
	}
	select {
	case qr <- item:
	default: // nobody reads: the plugin gave up on it
	}
	close(qr)
	c.qr = nil
}

// RotateQR sends a new code, as WhatsApp does every 20 s or so.
func (c *Client) RotateQR(code string) {
	c.qrItem(whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: code, Timeout: time.Minute}, false)
}

// ExpireQR ends the QR codes unscanned, as whatsmeow does.
func (c *Client) ExpireQR() {
	c.qrItem(whatsmeow.QRChannelTimeout, true)
	c.mu.Lock()
	c.connected = false
	c.mu.Unlock()
}

// Scan pairs the device with jid (the phone "scanned the code" or
// "typed the pairing code"): the device is saved, the QR channel (if
// any) says success and PairSuccess and Connected are dispatched.
func (c *Client) Scan(ctx context.Context, jid types.JID, pushName string) error {
	c.dev.ID = &jid
	c.dev.LID = types.NewJID("9"+jid.User, types.HiddenUserServer)
	c.dev.PushName = pushName
	if c.dev.Account == nil {
		// What pairing signs; the fake has no real keys to sign with.
		c.dev.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
	}
	if err := c.dev.Save(ctx); err != nil {
		return err
	}
	c.Emit(&events.PairSuccess{ID: jid, LID: c.dev.LID, Platform: "fake"})
	c.qrItem(whatsmeow.QRChannelSuccess, true)
	c.Emit(&events.Connected{})
	return nil
}

// PairPhone returns a fixed pairing code once connected.
func (c *Client) PairPhone(_ context.Context, phone string, _ bool, _ whatsmeow.PairClientType, _ string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.connected {
		return "", whatsmeow.ErrNotConnected
	}
	c.pairPhone = phone
	return "FAKE-CODE", nil
}

// PairedPhone is the phone number PairPhone was given.
func (c *Client) PairedPhone() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pairPhone
}

// SendMessage records msg and answers with its ID (extra's, or a new one);
// a pin where the user may not pin is refused (pin.go).
func (c *Client) SendMessage(ctx context.Context, to types.JID, msg *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.SendErr != nil {
		return whatsmeow.SendResponse{}, c.SendErr
	}
	if !c.connected {
		return whatsmeow.SendResponse{}, whatsmeow.ErrNotConnected
	}
	if err := c.refusePinLocked(to, msg); err != nil {
		return whatsmeow.SendResponse{}, err
	}
	if to.Server == types.DefaultUserServer && c.notOn[to.User] {
		// As whatsmeow fails for an account migrated to LIDs (all of
		// them by now): it asks WhatsApp for the number's LID and gets
		// none (send.go, SendMessage).
		return whatsmeow.SendResponse{}, fmt.Errorf("no LID found for %s from server", to)
	}
	if len(extra) > 0 && extra[0].Peer {
		// To the user's own devices: the phone answers (phone.go).
		return c.peerLocked(to, msg)
	}
	id := types.MessageID("")
	var meta *types.MsgMetaInfo
	handle := ""
	if len(extra) > 0 {
		id, meta, handle = extra[0].ID, extra[0].Meta, extra[0].MediaHandle
	}
	if id == "" {
		c.nextID++
		id = fmt.Sprintf("3EB0FAKE%08d", c.nextID)
	}
	// As whatsmeow does before it sends: a message's secret (a poll's)
	// is kept for the replies encrypted with it (votes), the first kept
	// for an ID staying.
	if secret := msg.GetMessageContextInfo().GetMessageSecret(); secret != nil && c.dev.ID != nil {
		if err := c.dev.MsgSecrets.PutMessageSecret(ctx, to, c.dev.ID.ToNonAD(), id, secret); err != nil {
			return whatsmeow.SendResponse{}, fmt.Errorf("wafake: keep the message secret: %w", err)
		}
	}
	if to.Server == types.NewsletterServer {
		// As WhatsApp acks a post: refused unless the user administers
		// the channel, else with the post's number in it.
		if ch, ok := c.channels[to]; !ok || ch.Role != types.NewsletterRoleOwner && ch.Role != types.NewsletterRoleAdmin {
			return whatsmeow.SendResponse{}, fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 403)
		}
		if err := c.channelFileLocked(msg, handle); err != nil {
			return whatsmeow.SendResponse{}, err
		}
		if key, ok := channelChangeKey(msg); ok {
			return c.changePostLocked(to, key, msg, meta)
		}
	}
	if slices.ContainsFunc(c.sent, func(s Sent) bool { return s.ID == id && s.To == to }) {
		// As WhatsApp does: a message whose ID the sender used before in
		// the chat is acknowledged and not delivered again.
		return whatsmeow.SendResponse{ID: id, Timestamp: time.Now()}, nil
	}
	sent := Sent{To: to, ID: id, Msg: proto.Clone(msg).(*waE2E.Message), Meta: meta, Handle: handle}
	c.sent = append(c.sent, sent)
	c.notifyLocked()
	if c.OnSent != nil {
		c.OnSent(sent)
	}
	resp := whatsmeow.SendResponse{ID: id, Timestamp: time.Now()}
	if to.Server == types.NewsletterServer {
		c.channelPosts++
		resp.ServerID = types.MessageServerID(1000 + c.channelPosts)
		if body, err := proto.Marshal(msg); err == nil {
			c.keepPostLocked(to, Post{ServerID: resp.ServerID, ID: id, Time: resp.Timestamp, Msg: body})
		}
	}
	if c.AckWithoutTime {
		resp.Timestamp = time.Time{}
	}
	return resp, nil
}

// Sent is what the plugin sent so far.
func (c *Client) Sent() []Sent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sent)
}

// WaitSent waits up to d until n messages were sent and returns them.
func (c *Client) WaitSent(n int, d time.Duration) ([]Sent, error) {
	deadline := time.After(d)
	for {
		c.mu.Lock()
		if len(c.sent) >= n {
			s := slices.Clone(c.sent)
			c.mu.Unlock()
			return s, nil
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return c.Sent(), fmt.Errorf("wafake: %d messages sent after %s, want %d", len(c.Sent()), d, n)
		}
	}
}

// FailReads has the next n read receipts fail with err (nothing sent).
func (c *Client) FailReads(n int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readFails, c.readErr = n, err
}

// MarkRead records a read receipt, or fails as FailReads said.
func (c *Client) MarkRead(_ context.Context, ids []types.MessageID, _ time.Time, chat, sender types.JID, _ ...types.ReceiptType) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.readFails > 0 {
		c.readFails--
		return c.readErr
	}
	c.reads = append(c.reads, Read{IDs: slices.Clone(ids), Chat: chat, Sender: sender})
	return nil
}

// Reads is the read receipts sent.
func (c *Client) Reads() []Read {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.reads)
}

// BuildHistorySyncRequest is whatsmeow's own (it needs no connection).
func (c *Client) BuildHistorySyncRequest(last *types.MessageInfo, count int) *waE2E.Message {
	return c.Real.BuildHistorySyncRequest(last, count)
}

// ParseWebMessage is whatsmeow's own (it needs no connection).
func (c *Client) ParseWebMessage(chat types.JID, m *waWeb.WebMessageInfo) (*events.Message, error) {
	return c.Real.ParseWebMessage(chat, m)
}

// DecryptPollVote is whatsmeow's own: the poll's secret is in the
// device's store, put there when Receive handed whatsmeow the poll.
func (c *Client) DecryptPollVote(ctx context.Context, vote *events.Message) (*waE2E.PollVoteMessage, error) {
	return c.Real.DecryptPollVote(ctx, vote)
}

// DecryptReaction is whatsmeow's own: the message's secret is in the
// device's store, put there when Receive handed whatsmeow the message.
func (c *Client) DecryptReaction(ctx context.Context, reaction *events.Message) (*waE2E.ReactionMessage, error) {
	return c.Real.DecryptReaction(ctx, reaction)
}

// DecryptComment is whatsmeow's own, as DecryptReaction.
func (c *Client) DecryptComment(ctx context.Context, comment *events.Message) (*waE2E.Message, error) {
	return c.Real.DecryptComment(ctx, comment)
}

// EncryptReaction is whatsmeow's own: it encrypts the reaction with the
// message's secret from the device's store, as the user's (its LID).
func (c *Client) EncryptReaction(ctx context.Context, root *types.MessageInfo, reaction *waE2E.ReactionMessage) (*waE2E.EncReactionMessage, error) {
	return c.Real.EncryptReaction(ctx, root, reaction)
}

// BuildPollVote is whatsmeow's own: it encrypts the vote with the poll's
// secret from the device's store, as the user's (the device's JID).
func (c *Client) BuildPollVote(ctx context.Context, poll *types.MessageInfo, optionNames []string) (*waE2E.Message, error) {
	return c.Real.BuildPollVote(ctx, poll, optionNames)
}

// BuildPollCreation is whatsmeow's own (it needs no connection).
func (c *Client) BuildPollCreation(name string, optionNames []string, selectableOptionCount int) *waE2E.Message {
	return c.Real.BuildPollCreation(name, optionNames, selectableOptionCount)
}

// SendPresence records the user's presence; as whatsmeow, it refuses
// one before the account's name is known (a device just linked, whose
// name WhatsApp syncs seconds later: Scan with no name).
func (c *Client) SendPresence(_ context.Context, p types.Presence) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dev.PushName == "" {
		return whatsmeow.ErrNoPushName
	}
	c.presence = append(c.presence, p)
	return nil
}

// Presences is the presences sent.
func (c *Client) Presences() []types.Presence {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.presence)
}

// ClearPresences forgets the presences sent so far.
func (c *Client) ClearPresences() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.presence = nil
}

// SubscribePresence records the subscription.
func (c *Client) SubscribePresence(_ context.Context, jid types.JID) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subscribe = append(c.subscribe, jid)
	return nil
}

// Subscriptions is the presence subscriptions made.
func (c *Client) Subscriptions() []types.JID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.subscribe)
}

// SendChatPresence records typing.
func (c *Client) SendChatPresence(_ context.Context, jid types.JID, state types.ChatPresence, _ types.ChatPresenceMedia) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.typing = append(c.typing, Typing{Chat: jid, State: state})
	return nil
}

// Typings is the typing states sent.
func (c *Client) Typings() []Typing {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.typing)
}

// UploadReader keeps the file under a new direct path.
func (c *Client) UploadReader(_ context.Context, r io.Reader, _ io.ReadWriteSeeker, kind whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return whatsmeow.UploadResponse{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	path, err := c.keepUploadLocked("/v/fake/", b, kind)
	if err != nil {
		return whatsmeow.UploadResponse{}, err
	}
	return whatsmeow.UploadResponse{URL: "https://mmg.invalid" + path, DirectPath: path, MediaKey: []byte("key"),
		FileEncSHA256: []byte("enc"), FileSHA256: []byte("sha"), FileLength: uint64(len(b))}, nil
}

// keepUploadLocked keeps an uploaded file of kind under a new direct
// path starting with prefix, unless UploadErr refuses it, and returns
// the path (UploadReader, UploadNewsletterReader). c.mu is held.
func (c *Client) keepUploadLocked(prefix string, b []byte, kind whatsmeow.MediaType) (string, error) {
	if c.UploadErr != nil {
		return "", c.UploadErr
	}
	c.nextID++
	path := fmt.Sprintf("%s%d-%d", prefix, time.Now().UnixNano(), c.nextID)
	c.media[path] = b
	if c.mediaKinds == nil {
		c.mediaKinds = map[string]whatsmeow.MediaType{}
	}
	c.mediaKinds[path] = kind
	if c.OnUpload != nil {
		c.OnUpload(path, b)
	}
	return path, nil
}

// AddMedia puts a file on the fake media server; a message names it by
// DirectPath.
func (c *Client) AddMedia(path string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.media[path] = data
}

// UploadedAs is the media type the file at path was uploaded as ("" for
// none uploaded there).
func (c *Client) UploadedAs(path string) whatsmeow.MediaType {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mediaKinds[path]
}

// Media is a file uploaded or added.
func (c *Client) Media(path string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.media[path]
}

// DownloadToFile writes the file of msg's direct path.
func (c *Client) DownloadToFile(_ context.Context, msg whatsmeow.DownloadableMessage, f whatsmeow.File) error {
	c.mu.Lock()
	b, ok := c.media[msg.GetDirectPath()]
	c.mu.Unlock()
	if !ok {
		return whatsmeow.ErrMediaDownloadFailedWith404
	}
	if _, err := f.Write(b); err != nil {
		return err
	}
	// As whatsmeow (its ReturnDownloadWarnings): the file decrypted and
	// written whole, a length or plaintext hash that disagrees with the
	// message's is an error all the same. The fake tells only those the
	// message states (whatsmeow also for one it leaves out).
	if sized, ok := msg.(interface{ GetFileLength() uint64 }); ok && sized.GetFileLength() > 0 && sized.GetFileLength() != uint64(len(b)) {
		return fmt.Errorf("%w: expected %d, got %d", whatsmeow.ErrFileLengthMismatch, sized.GetFileLength(), len(b))
	}
	if sum := sha256.Sum256(b); len(msg.GetFileSHA256()) > 0 && !bytes.Equal(msg.GetFileSHA256(), sum[:]) {
		return whatsmeow.ErrInvalidMediaSHA256
	}
	return nil
}

// SetGroup puts a group on the fake server.
func (c *Client) SetGroup(g *types.GroupInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.groups[g.JID] = g
}

// Group is the group as the fake server has it.
func (c *Client) Group(jid types.JID) *types.GroupInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.groups[jid]
}

// SetSilent makes the server read the group queries (GetGroupInfo) and
// answer none, as WhatsApp out of reach behind a connection not yet
// known dead does; false answers them again.
func (c *Client) SetSilent(silent bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.silent = silent
}

// FailGroupInfo makes the queries of group jid (GetGroupInfo) fail with
// err, as WhatsApp failing to answer them does (a 500); nil answers them
// again.
func (c *Client) FailGroupInfo(jid types.JID, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.groupFails == nil {
		c.groupFails = map[types.JID]error{}
	}
	if err == nil {
		delete(c.groupFails, jid)
		return
	}
	c.groupFails[jid] = err
}

// GetGroupInfo returns a group the user is in (SetGroup, or joined). A
// group the server has behind a link (AddLink) that the user is not in is
// whatsmeow's ErrNotInGroup (WhatsApp's 403), any other ErrGroupNotFound.
// Not connected (Disconnect: WhatsApp out of reach), it is whatsmeow's
// ErrNotConnected, as its IQ is; silent (SetSilent), it waits for ctx and
// fails with its error, as whatsmeow's IQ does then; failing
// (FailGroupInfo), with the error given.
func (c *Client) GetGroupInfo(ctx context.Context, jid types.JID) (*types.GroupInfo, error) {
	c.mu.Lock()
	if c.silent && c.connected {
		c.mu.Unlock()
		<-ctx.Done()
		return nil, ctx.Err()
	}
	defer c.mu.Unlock()
	if !c.connected {
		return nil, whatsmeow.ErrNotConnected
	}
	if err := c.groupFails[jid]; err != nil {
		return nil, err
	}
	g, ok := c.groups[jid]
	if !ok {
		for _, l := range c.joining.links {
			if l.group.JID == jid {
				return nil, whatsmeow.ErrNotInGroup
			}
		}
		return nil, whatsmeow.ErrGroupNotFound
	}
	cp := *g
	cp.Participants = slices.Clone(g.Participants)
	return &cp, nil
}

// GetJoinedGroups returns every group set; ErrNotConnected when not
// connected.
func (c *Client) GetJoinedGroups(ctx context.Context) ([]*types.GroupInfo, error) {
	c.mu.Lock()
	if !c.connected {
		c.mu.Unlock()
		return nil, whatsmeow.ErrNotConnected
	}
	jids := make([]types.JID, 0, len(c.groups))
	for j := range c.groups {
		jids = append(jids, j)
	}
	c.mu.Unlock()
	slices.SortFunc(jids, func(a, b types.JID) int { return cmp.Compare(a.String(), b.String()) })
	out := make([]*types.GroupInfo, 0, len(jids))
	for _, j := range jids {
		g, err := c.GetGroupInfo(ctx, j)
		if errors.Is(err, whatsmeow.ErrNotConnected) {
			return nil, err // disconnected meanwhile
		}
		out = append(out, g)
	}
	return out, nil
}

// LeaveGroup removes the group.
func (c *Client) LeaveGroup(_ context.Context, jid types.JID) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.groups[jid]; !ok {
		return whatsmeow.ErrGroupNotFound
	}
	delete(c.groups, jid)
	return nil
}

// SetGroupName renames the group.
func (c *Client) SetGroupName(_ context.Context, jid types.JID, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.groups[jid]
	if !ok {
		return whatsmeow.ErrGroupNotFound
	}
	g.Name = name
	return nil
}

// SetGroupTopic sets the group's description.
func (c *Client) SetGroupTopic(_ context.Context, jid types.JID, _, _, topic string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.groups[jid]
	if !ok {
		return whatsmeow.ErrGroupNotFound
	}
	g.Topic = topic
	return nil
}

// SetGroupPhoto sets the group's picture as WhatsApp does: a JPEG (else
// ErrInvalidImageFormat), by an admin where the group's info is locked
// (else 403); nil removes it.
func (c *Client) SetGroupPhoto(_ context.Context, jid types.JID, avatar []byte) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if jid.IsEmpty() {
		return c.setProfilePhotoLocked(avatar)
	}
	g, ok := c.groups[jid]
	if !ok {
		return "", whatsmeow.ErrGroupNotFound
	}
	if g.IsLocked && !c.selfAdminLocked(g) {
		return "", whatsmeow.ErrIQForbidden
	}
	if c.groupPhotos == nil {
		c.groupPhotos = map[types.JID][]byte{}
	}
	if avatar == nil {
		delete(c.groupPhotos, jid)
		return "remove", nil
	}
	if _, err := jpeg.DecodeConfig(bytes.NewReader(avatar)); err != nil {
		return "", fmt.Errorf("%w: %w", whatsmeow.ErrInvalidImageFormat, whatsmeow.ErrIQNotAcceptable)
	}
	c.groupPhotos[jid] = slices.Clone(avatar)
	c.nextID++
	return fmt.Sprintf("%d", 1700000000+c.nextID), nil
}

// setProfilePhotoLocked is SetGroupPhoto without a group: the account's
// own profile picture.
func (c *Client) setProfilePhotoLocked(avatar []byte) (string, error) {
	if avatar != nil {
		if _, err := jpeg.DecodeConfig(bytes.NewReader(avatar)); err != nil {
			return "", fmt.Errorf("%w: %w", whatsmeow.ErrInvalidImageFormat, whatsmeow.ErrIQNotAcceptable)
		}
	}
	c.profilePhoto = slices.Clone(avatar)
	if c.OnUpload != nil {
		c.OnUpload(ProfilePhotoPath, c.profilePhoto) // the remote server keeps it (Uploaded)
	}
	if avatar == nil {
		return "remove", nil
	}
	c.nextID++
	return fmt.Sprintf("%d", 1700000000+c.nextID), nil
}

// ProfilePhotoPath is where the remote server keeps the account's own
// profile photo (Server.Uploaded): empty once removed.
const ProfilePhotoPath = "/profile-photo"

// ProfilePhoto is the account's own picture SetGroupPhoto set, nil for
// none.
func (c *Client) ProfilePhoto() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.profilePhoto
}

// GroupPhoto is the picture SetGroupPhoto gave the group, nil for none.
func (c *Client) GroupPhoto(jid types.JID) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.groupPhotos[jid]
}

// UpdateGroupParticipants adds (answering as WhatsApp does, refusals
// included: see RefuseAdd), removes, promotes or demotes.
func (c *Client) UpdateGroupParticipants(_ context.Context, jid types.JID, users []types.JID, action whatsmeow.ParticipantChange) ([]types.GroupParticipant, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.groups[jid]
	if !ok {
		return nil, whatsmeow.ErrGroupNotFound
	}
	if action == whatsmeow.ParticipantChangeAdd {
		return c.addParticipantsLocked(g, users)
	}
	var out []types.GroupParticipant
	for _, u := range users {
		i := slices.IndexFunc(g.Participants, func(p types.GroupParticipant) bool { return p.JID == u })
		switch action {
		case whatsmeow.ParticipantChangeRemove:
			if i >= 0 {
				out = append(out, g.Participants[i])
				g.Participants = slices.Delete(g.Participants, i, i+1)
			}
			continue
		case whatsmeow.ParticipantChangePromote, whatsmeow.ParticipantChangeDemote:
			if i < 0 {
				return nil, errors.New("wafake: not a participant")
			}
			g.Participants[i].IsAdmin = action == whatsmeow.ParticipantChangePromote
		}
		out = append(out, g.Participants[i])
	}
	return out, nil
}

// AddUser makes a phone number known to IsOnWhatsApp.
func (c *Client) AddUser(jid types.JID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.users[jid.User] = jid
}

// NotOnWhatsApp makes a phone number one with no WhatsApp account:
// IsOnWhatsApp says so, and a message to it fails as whatsmeow's does.
func (c *Client) NotOnWhatsApp(jid types.JID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.notOn == nil {
		c.notOn = map[string]bool{}
	}
	c.notOn[jid.User] = true
	delete(c.users, jid.User)
}

// IsOnWhatsApp says every number is on WhatsApp but NotOnWhatsApp's,
// under the JID AddUser gave it, else its own.
func (c *Client) IsOnWhatsApp(_ context.Context, phones []string) ([]types.IsOnWhatsAppResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.connected {
		return nil, whatsmeow.ErrNotConnected
	}
	out := make([]types.IsOnWhatsAppResponse, 0, len(phones))
	for _, p := range phones {
		c.lookedUp++
		q := p
		if len(q) > 0 && q[0] == '+' {
			q = q[1:]
		}
		jid, ok := c.users[q]
		if !ok && !c.notOn[q] {
			jid, ok = types.NewJID(q, types.DefaultUserServer), true
		}
		out = append(out, types.IsOnWhatsAppResponse{Query: p, JID: jid, IsIn: ok})
	}
	return out, nil
}

// LookedUp is how many numbers IsOnWhatsApp was asked about.
func (c *Client) LookedUp() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lookedUp
}

// SetPicture gives a user a profile picture at a URL (fetched by the
// test's FetchFunc, never over the network).
func (c *Client) SetPicture(jid types.JID, id, url string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pictures == nil {
		c.pictures = map[types.JID]*types.ProfilePictureInfo{}
	}
	c.pictures[jid] = &types.ProfilePictureInfo{ID: id, URL: url, Type: "image"}
}

// GetProfilePictureInfo answers from SetPicture's pictures.
func (c *Client) GetProfilePictureInfo(_ context.Context, jid types.JID, _ *whatsmeow.GetProfilePictureParams) (*types.ProfilePictureInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pictures[jid]
	if !ok {
		return nil, whatsmeow.ErrProfilePictureNotSet
	}
	cp := *p
	return &cp, nil
}

// All is every fake made so far.
func (m *Made) All() []*Client {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.all)
}
