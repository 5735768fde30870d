package echo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Session is one echo account online: the SDK makes it with LoadLogin
// and calls it for everything this login does.
type Session struct {
	n         *Network
	loginID   string
	dir       string // the login's own folder, from the host ("" when none)
	history   int    // messages of history in each chat (history.go)
	connected atomic.Bool
	later     later // the connection's states still to come (later.go)
}

// The optional interfaces the echo network has. Each one is a feature
// the gateway offers its users; leave one out and the SDK answers "not
// implemented" for it. The assertions make the compiler check them.
var (
	_ sdk.Editor             = (*Session)(nil)
	_ sdk.Reactor            = (*Session)(nil)
	_ sdk.Retractor          = (*Session)(nil)
	_ sdk.ReadMarker         = (*Session)(nil)
	_ sdk.Typer              = (*Session)(nil)
	_ sdk.PresenceSetter     = (*Session)(nil)
	_ sdk.IdentifierResolver = (*Session)(nil)
	_ sdk.ContactLister      = (*Session)(nil)
	_ sdk.UserInfoer         = (*Session)(nil)
	_ sdk.ChatTimerSetter    = (*Session)(nil)
	_ sdk.Voter              = (*Session)(nil)
	_ sdk.PollStarter        = (*Session)(nil)
	_ sdk.Pinner             = (*Session)(nil)
)

// Connect goes online. A real network would dial out here and report
// progress; ours is connected at once.
// A login with SlowMark in its username connects SlowConnect later, as
// a network still dialling: CONNECTING first, and until then the
// session refuses what needs the network (its chat list too).
func (s *Session) Connect(ctx context.Context) error {
	// A Connect again on a connected session (the host's after its
	// restart) is a new connection: what the one before left to come
	// would be stamped this one's.
	s.endLater()
	if err := s.heldConnect(ctx); err != nil { // relogin_hold.go
		return err
	}
	if strings.Contains(s.loginID, StallMark) {
		// A network slow to answer the dial: Connect itself takes long.
		select {
		case <-time.After(StallConnect):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if strings.Contains(s.loginID, BrokenMark) {
		return errors.New(BrokenReason)
	}
	connected := &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED}
	if strings.Contains(s.loginID, LiteMark) {
		connected.Features = liteFeatures
	}
	if strings.Contains(s.loginID, PlainMark) {
		connected.Features = plainFeatures()
	}
	up := func() {
		s.connected.Store(true)
		s.emit(&pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(),
			Payload: &pb.Event_LoginState{LoginState: connected}})
	}
	if strings.Contains(s.loginID, UnreachableMark) {
		// Tried again in the background, as a real network does; it
		// never gets through.
		s.emit(&pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(),
			Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTING, Message: "connecting to " + EchoServer}}})
		s.after(SlowConnect, func() {
			s.emit(&pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(),
				Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, Message: UnreachableReason}}})
		})
		return nil
	}
	if (strings.Contains(s.loginID, FlakyMark) || strings.Contains(s.loginID, HiccupMark)) && s.flakyConnect(up) { // flaky.go
		return nil
	}
	if strings.Contains(s.loginID, RefusedMark) {
		s.emit(&pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(),
			Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, Message: RefusedReason}}})
		return nil
	}
	if strings.Contains(s.loginID, LateStateMark) {
		// Online at once; only its CONNECTED (with the login's
		// features) is late, as an event still on its way.
		s.connected.Store(true)
		s.after(SlowConnect, up)
		return nil
	}
	delay := SlowConnect
	switch {
	case strings.Contains(s.loginID, DawdleMark):
		delay = StallConnect
	case !strings.Contains(s.loginID, SlowMark):
		up()
		return nil
	}
	s.emit(&pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTING}}})
	s.after(delay, up)
	return nil
}

// SlowMark in a username makes a login that connects SlowConnect after
// Connect (above).
const (
	SlowMark    = "+slow"
	SlowConnect = 500 * time.Millisecond
)

// StallConnect is how long a login with StallMark or DawdleMark waits
// for the network: longer than the gateway's budget for the login
// command's answer (20 s), shorter than its wait for a login's first
// state (30 s after Connect).
const StallConnect = 25 * time.Second

// StallMark in a username makes a login whose Connect takes StallConnect
// before it goes on as the rest of the username says (as a network slow
// to answer the dial).
const StallMark = "+stall"

// DawdleMark in a username makes a login that says CONNECTING at its
// Connect and CONNECTED StallConnect later.
const DawdleMark = "+dawdle"

// BrokenMark in a username makes a login whose Connect fails with
// BrokenReason (an error, not a state: the gateway says it could not
// connect the login).
const (
	BrokenMark   = "+broken"
	BrokenReason = "the echo network's session file is unreadable"
)

// UnreachableMark in a username makes a login whose connection never
// gets through: CONNECTING, then, SlowConnect later,
// TRANSIENT_DISCONNECT with UnreachableReason (as IRC's with TLS on
// against a port without it).
const (
	UnreachableMark   = "+unreachable"
	EchoServer        = "echo.invalid:7"
	UnreachableReason = "could not connect to " + EchoServer + ": connection refused; trying again"
)

// RefusedMark in a username makes a login the network refuses at its
// Connect: BAD_CREDENTIALS with RefusedReason.
const (
	RefusedMark   = "+refused"
	RefusedReason = "the echo network does not know this password"
)

// LateStateMark in a username makes a login that is online at once but
// says CONNECTED, with its own features, SlowConnect later: the gateway
// learns what the login can do late (the window between a login's
// registration and its first state event, made wide).
const LateStateMark = "+latestate"

// LiteMark in a username makes a login that can do less than the echo
// network (as a Telegram bot does less than a user): no history, no
// timers, polls, group search or creation, no profile picture, no read
// markers. The session itself does not refuse them: the gateway must not
// offer them.
const LiteMark = "+lite"

// PlainMark in a username makes a login whose network takes no
// formatting (as IRC): a lite login without Formatting.
const PlainMark = "+plain"

// plainFeatures are what a plain login can do.
func plainFeatures() *pb.Features {
	f := proto.Clone(liteFeatures).(*pb.Features)
	f.Formatting = false
	return f
}

// liteFeatures are what a lite login can do.
var liteFeatures = &pb.Features{Presence: true, Avatars: true, Groups: true, DeliveryReceipts: true,
	Replies: true, Attachments: true, Formatting: true, Edits: true, Reactions: true, Retractions: true,
	Typing: true, SetPresence: true, AddContacts: true, LeaveChat: true,
	GroupTopic: true, GroupName: true, GroupInvite: true, GroupKick: true, GroupRoles: true,
	GroupUnban: true, GroupAvatar: true, JoinChat: true, SetNick: true, MediaDownload: true, MediaUpload: true}

// Disconnect goes offline. The connection's states still to come (a
// slow dial's CONNECTED) end first: one emitted after the login's next
// Connect began would be taken for the new connection's.
func (s *Session) Disconnect(context.Context) error {
	s.endLater()
	s.connected.Store(false)
	return nil
}

// Logout goes offline and has the network forget the account. A real
// network library needs the login's folder for it (its keys are there),
// also when the login was not connected since the plugin started: the
// log line says whether the folder was at hand.
func (s *Session) Logout(ctx context.Context) error {
	s.n.mu.Lock()
	delete(s.n.accounts, s.loginID)
	s.n.mu.Unlock()
	_, err := os.Stat(filepath.Join(s.dir, AccountFile))
	s.n.host.Logger().Info("echo: account logged out", "login", s.loginID, "with_folder", s.dir != "" && err == nil)
	return s.Disconnect(ctx)
}

// online refuses to act for a session the network logged out ("kick").
func (s *Session) online() error {
	if !s.connected.Load() {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "login %q is not connected", s.loginID)
	}
	return nil
}

// inChat is online, in a chat that exists.
func (s *Session) inChat(c sdk.Call) error {
	if err := s.online(); err != nil {
		return err
	}
	if c.ChatID == NoSuchContact {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "there is no contact %q on the echo network", c.ChatID)
	}
	if err := s.movedAway(c.ChatID); err != nil {
		return err
	}
	if isChannel(c.ChatID) {
		_, err := s.channelInfo(c.ChatID)
		return err
	}
	return s.inRoom(c.ChatID)
}

func (c *contact) proto() *pb.Contact {
	p := &pb.Contact{UserId: c.id, Name: c.name, Presence: c.presence}
	if c.id == "echo-1" {
		p.AvatarId = "echo-1-v1"
	}
	if c.pictureVer > 0 { // a removal is a change too
		p.AvatarId = fmt.Sprintf("%s-profile-%d", c.id, c.pictureVer)
	}
	return p
}

// ContactList is the account's contacts (sdk.ContactLister).
func (s *Session) ContactList(context.Context) ([]*pb.Contact, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	var cs []*pb.Contact
	for _, c := range s.n.accounts[s.loginID] {
		cs = append(cs, c.proto())
	}
	return cs, nil
}

// ResolveIdentifier: every name is someone on the echo network
// (sdk.IdentifierResolver, which is what lets users add contacts).
func (s *Session) ResolveIdentifier(_ context.Context, identifier string, create bool) (*pb.Contact, error) {
	id := strings.TrimSpace(identifier)
	if id == "" || id == NoSuchContact {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "there is no contact %q on the echo network", id)
	}
	c := &contact{id: id, name: id, presence: &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}}
	if create {
		s.n.mu.Lock()
		if cs := s.n.accounts[s.loginID]; cs != nil {
			if old, ok := cs[id]; ok {
				c = old
			} else {
				cs[id] = c
			}
		}
		s.n.mu.Unlock()
	}
	return c.proto(), nil
}

// UserInfo is a contact's profile; Echo One has an avatar
// (sdk.UserInfoer, which with Capabilities' avatars serves avatars). The
// user's own (their login's ID) has the profile picture they set.
func (s *Session) UserInfo(_ context.Context, userID string) (*pb.Contact, error) {
	s.n.mu.Lock()
	c, ok := s.n.accounts[s.loginID][userID]
	var own []byte
	if m := s.n.accounts[s.loginID][ProfileMirror]; userID == s.loginID && m != nil {
		own = m.picture // the user's own profile picture (SetProfileAvatar)
	}
	s.n.mu.Unlock()
	if !ok {
		c = &contact{id: userID, name: userID}
	}
	p := c.proto()
	if own != nil {
		p.Avatar, p.AvatarMime = own, http.DetectContentType(own)
	}
	p.Nickname = c.id
	if c.id == "echo-1" {
		p.Avatar, p.AvatarMime, p.AvatarId = avatarPNG, "image/png", "echo-1-v1"
	}
	if c.picture != nil {
		p.Avatar, p.AvatarMime = c.picture, http.DetectContentType(c.picture)
	}
	hugeAvatar(p) // hostile.go
	return p, nil
}

// avatarPNG is a tiny image for Echo One's profile.
var avatarPNG = solidPNG(0x80)

// solidPNG is an 8x8 image of one shade.
func solidPNG(shade byte) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// SetPresence: Echo Three mirrors the user's own presence, so that it can
// be seen to reach the network (sdk.PresenceSetter).
func (s *Session) SetPresence(_ context.Context, p *pb.Presence) error {
	if err := s.online(); err != nil {
		return err
	}
	s.n.mu.Lock()
	c := s.n.accounts[s.loginID]["echo-3"]
	if c != nil {
		c.presence = p
	}
	s.n.mu.Unlock()
	if c != nil {
		s.emit(&pb.Event{LoginId: s.loginID, ChatId: "echo-3", Sender: &pb.Sender{UserId: "echo-3"},
			TimestampUnixMicro: time.Now().UnixMicro(), Payload: &pb.Event_Presence{Presence: &pb.PresenceEvent{Presence: p}}})
	}
	return nil
}

// ProfileMirror is the contact whose avatar mirrors the user's own
// profile picture, so that it can be seen to reach the network.
const ProfileMirror = "echo-2"

// SetProfileAvatar sets the user's profile picture, or removes it
// (sdk.ProfileAvatarSetter): Echo Two's avatar becomes it.
func (s *Session) SetProfileAvatar(_ context.Context, a *pb.SetProfileAvatar) error {
	if err := s.online(); err != nil {
		return err
	}
	s.n.mu.Lock()
	c := s.n.accounts[s.loginID][ProfileMirror]
	var changed *pb.Contact
	if c != nil {
		c.picture, c.pictureVer = slices.Clone(a.Data), c.pictureVer+1
		changed = c.proto()
	}
	s.n.mu.Unlock()
	if changed != nil {
		s.emit(&pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(), EventId: s.n.newID(),
			Payload: &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: changed}}})
	}
	return nil
}

// contactCommand lets the user change the network from a chat: "rename N
// NAME" renames contact echo-N, "leave N" removes it. The change reaches
// the gateway as events, as a real network's would.
func (s *Session) contactCommand(text string) {
	f := strings.Fields(text)
	if len(f) < 2 || (f[0] != "rename" && f[0] != "leave") || (f[0] == "rename" && len(f) < 3) {
		return
	}
	id := "echo-" + f[1]
	s.n.mu.Lock()
	c, ok := s.n.accounts[s.loginID][id]
	var changed *pb.Contact
	if ok && f[0] == "rename" {
		c.name = strings.Join(f[2:], " ")
		changed = c.proto()
	} else if ok {
		delete(s.n.accounts[s.loginID], id)
	}
	s.n.mu.Unlock()
	if !ok {
		return
	}
	ev := &pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(), EventId: s.n.newID()}
	if changed != nil {
		ev.Payload = &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: changed}}
	} else {
		ev.Payload = &pb.Event_ContactRemoved{ContactRemoved: &pb.ContactRemovedEvent{UserId: id}}
	}
	s.emit(ev)
}

// ChannelPrefix starts the IDs of the echo network's channels: chats
// where only the network posts. The user may read them, and mark them
// read, but not write.
const ChannelPrefix = "channel-"

var _ sdk.ChatLimiter = (*Session)(nil)

// ChatLimits says what a chat allows where it differs from the network
// (sdk.ChatLimiter): channels are read-only, and of the network's
// features only read markers apply there. The SDK refuses the rest with
// not-allowed before it reaches us.
func (s *Session) ChatLimits(_ context.Context, chatID string) (sdk.ChatLimits, error) {
	if !strings.HasPrefix(chatID, ChannelPrefix) {
		return sdk.ChatLimits{}, nil
	}
	return sdk.ChatLimits{ReadOnly: true, Features: &pb.Features{ReadReceipts: true}}, nil
}
