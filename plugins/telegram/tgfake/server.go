// Package tgfake is a Telegram server for tests, in process, on gotd's
// MTProto test server (tgtest, set up as tgtest/cluster does: dc.go):
// real MTProto on loopback, with handlers for the requests the Telegram
// transport makes. It keeps
// accounts, a message box per account (Telegram numbers private and
// basic group messages per account), basic groups, update state (pts)
// and a log of updates for getDifference, so tests can drop the client
// and see it recover the gap. Tests drive the other side: a contact
// writes, reacts, reads, types; a phone scans the QR code.
package tgfake

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/proto"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// DC is the data centre the server runs as.
const DC = 2

// User is an account or a person on the fake Telegram.
type User struct {
	ID        int64
	FirstName string
	LastName  string
	Username  string
	Phone     string // digits, no +
	// Code is the login code Telegram "sends"; Password the 2FA
	// password ("" = none).
	Code     string
	Password string
	Hint     string
	// RecoveryEmail is the masked recovery e-mail of the 2FA password
	// ("" = none), RecoveryCode the code auth.requestPasswordRecovery
	// "mails" there; auth.recoverPassword with it logs in and removes
	// the password, as Telegram does.
	RecoveryEmail string
	RecoveryCode  string
	// CodeVia is how sendCode says the code went (nil: the Telegram
	// app). With auth.sentCodeTypeEmailCode, signIn takes the code as
	// email_verification only, as Telegram does.
	CodeVia tg.AuthSentCodeTypeClass
	// ResendSMS: sendCode names SMS as the next way (next_type), and
	// auth.resendCode sends the same code by SMS, once; again, it is
	// SEND_CODE_UNAVAILABLE.
	ResendSMS bool
	Banned    bool
	// NoCode: sendCode answers auth.sentCodeSuccess, as Telegram does
	// for a device it trusts (a future auth token): the phone number
	// alone logs in.
	NoCode bool
	// Photo is the profile photo, a JPEG ("" = none).
	Photo []byte
	// PrivateInvites: their privacy settings let only their contacts
	// add them to groups (Settings, Privacy, Invites: My Contacts).
	PrivateInvites bool
	// SpamRestricted: Telegram limits the account (reported for spam):
	// it may not create groups (USER_RESTRICTED).
	SpamRestricted bool
	// Premium: the account has Telegram Premium (more reactions on a
	// message: SetReactionLimits).
	Premium bool

	ver     *verifier
	photoID int64
}

func (u *User) tg(self bool) *tg.User {
	out := &tg.User{ID: u.ID, AccessHash: u.ID * 7, FirstName: u.FirstName, LastName: u.LastName,
		Username: u.Username, Phone: u.Phone, Self: self, Contact: !self, Status: &tg.UserStatusRecently{}, Premium: u.Premium}
	if u.photoID != 0 {
		out.Photo = &tg.UserProfilePhoto{PhotoID: u.photoID, DCID: DC}
	}
	out.SetFlags()
	return out
}

// Server is the fake Telegram.
type Server struct {
	c      *dc
	srv    *tgtest.Server
	cancel context.CancelFunc
	done   chan error

	mu       sync.Mutex
	users    map[int64]*User
	contacts map[int64][]int64
	groups   map[int64]*Group
	channels map[int64]*Channel
	keys     map[[8]byte]*key
	boxes    map[int64]*box
	gid      int
	links    map[int]map[int64]int        // message gid -> owner -> ID in their box
	reacts   map[int]map[int64][]string   // gid -> user -> emojis
	reactMax [2]int                       // reactions per user and message, without and with Premium (reactions.go)
	emojiAlt map[int64]string             // custom emoji document ID -> its alt emoji (SetCustomEmoji, reactions.go)
	votes    map[int64]map[int64][][]byte // poll ID -> user -> options (polls.go)
	pollSeq  int64                        // the last poll ID a sent poll got (polls.go)
	quizzes  map[int64]quizKey            // poll ID -> a quiz's answer (SetQuiz, polls.go)
	files    map[int64]map[int][]byte     // upload file ID -> parts
	media    map[int64][]byte             // photo/document ID -> bytes
	// fileRefs are the file references of AddMedia's photos and
	// documents, which ExpireFileReferences renews (handlers.go).
	fileRefs map[int64]*[]byte
	tokens   map[string]*key // QR token -> key showing it
	requests map[string]int  // request name -> count
	counted  chan struct{}   // closed at the next request counted (AwaitRequests)
	askedAt  map[askKey]int  // when each pending request to join was made (joinrequests.go)
	typing   []Typing
	online   map[int64]bool // as account.updateStatus said
	// groupReads are how far each member read a group (reads.go).
	groupReads map[string]map[int64]readMark
	// outboxRead is, for each author and group, the newest of their
	// messages they were told is read (reads.go).
	outboxRead map[int64]map[string]int
	outq       chan func() // pushes, in order
	// creates are the messages.createChat requests, in order (create.go).
	creates []CreateRequest
	// FloodWait, when set, answers every sendCode and every new QR
	// login token (auth.exportLoginToken) with FLOOD_WAIT of
	// that many seconds.
	FloodWait int
	// QRTokenTTL is how long a QR login token lives, in seconds (0 = 30).
	QRTokenTTL int
	// diffMessageIDs: getDifference names, with updateMessageID, the
	// messages the user sent with a random_id (SetDifferenceMessageIDs).
	diffMessageIDs bool
	// diffTooLong: a getDifference more than this many updates behind
	// answers updates.differenceTooLong (SetDifferenceTooLong); 0: never.
	diffTooLong int
	// shortSent: messages.sendMessage to a user or a basic group answers
	// updateShortSentMessage (SetShortSentAnswers).
	shortSent bool
	// refuse, when set, is the error (such as "UPDATE_APP_TO_LOGIN")
	// every request of a logged-in device gets: Telegram refusing the
	// client (SetRefuse; under mu, as connections read it).
	refuse string
	// dropNext is the request (such as "messages.createChat") whose
	// next answer is lost, dropDone closed once it is; dropped are the
	// messages whose answers were lost (DropAnswer).
	dropNext string
	dropDone chan struct{}
	dropped  map[[2]int64]bool
	// failName, failAfter, failCode, failErr: the request named
	// failName fails with failErr (of failCode) once, after failAfter
	// more succeed (FailRequest, FailRequestCode).
	failName  string
	failAfter int
	failCode  int
	failErr   string
	// early are the requests (such as "messages.sendMessage") whose
	// next answers come after their updates do, in the order asked
	// (UpdateBeforeAnswer).
	early []earlyAnswer
	// heldReqs are the requests whose answers UpdateBeforeAnswer or
	// HoldAnswers holds.
	heldReqs map[[2]int64]bool
	// holdAll are the request names whose answers wait for their
	// channel to close (HoldAnswers).
	holdAll map[string]chan struct{}
	// batch are the updates pushed to each user while Batch runs.
	batch map[int64][]tg.UpdateClass
	// byRandom is the answer to each message sent with a random_id, by
	// sender, peer and random_id: a send that repeats one gets that
	// answer and sends nothing (deliver).
	byRandom map[randomKey]bin.Encoder
	// ttls are the chats' auto-delete timers, seconds, by ttlKey (SetTTL).
	ttls map[string]int
	// blocked are each user's blocked users, in the order blocked
	// (Block, contacts.go).
	blocked map[int64][]int64
	// searchErr is the error every contacts.search answers, if set
	// (SetSearchError, search.go).
	searchErr string
	// voteErr is the error the next messages.sendVote answers, if set
	// (SetVoteError, polls.go).
	voteErr string
	// pollResultsErr is the error every messages.getPollResults answers,
	// if set (SetPollResultsError, polls.go).
	pollResultsErr string
	// pins are the pinned messages, by pinKey (pins.go).
	pins map[string]bool
}

// SetRefuse makes every request of a logged-in device fail with this
// error from now on ("" = none), as Telegram refusing the client does.
func (s *Server) SetRefuse(rpcError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = rpcError
}

// FailRequest makes the request named name (such as
// "messages.sendMedia") fail once with rpcError (a 400), after the next
// after such requests succeed.
func (s *Server) FailRequest(name string, after int, rpcError string) {
	s.FailRequestCode(name, after, 400, rpcError)
}

// FailRequestCode is FailRequest with the error's code: 500 for
// Telegram's own failures (RPC_CALL_FAIL, INTERNAL), -503 for its
// Timeout.
func (s *Server) FailRequestCode(name string, after, code int, rpcError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failName, s.failAfter, s.failCode, s.failErr = name, after, code, rpcError
}

// SetDifferenceMessageIDs makes updates.getDifference name, in its
// other updates, the message of each random_id the user sent in the
// range (updateMessageID), as Telegram does for the sending device
// (TDLib reads them there); the fake does it for every device of the
// user, and for basic groups and private chats only. Off by default.
func (s *Server) SetDifferenceMessageIDs(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.diffMessageIDs = on
}

// SetDifferenceTooLong makes updates.getDifference answer
// updates.differenceTooLong, with the user's current pts and none of the
// gap's updates, when the client is more than n updates behind, as
// Telegram does after a long absence (its bound is its own); 0, the
// default, never.
func (s *Server) SetDifferenceTooLong(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.diffTooLong = n
}

// SetShortSentAnswers makes messages.sendMessage to a user or a basic
// group answer as Telegram does there, with updateShortSentMessage: the
// new message's ID, pts and date, without the message (the sender knows
// its chat and text). Off by default: the full updates.
func (s *Server) SetShortSentAnswers(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shortSent = on
}

// shortSentAnswer is answer as updateShortSentMessage, when it is the
// answer to a send to a user or a basic group (SetShortSentAnswers).
func (s *Server) shortSentAnswer(answer bin.Encoder) bin.Encoder {
	u, ok := answer.(*tg.Updates)
	if !ok || !s.shortSent {
		return answer
	}
	for _, x := range u.Updates {
		if nm, ok := x.(*tg.UpdateNewMessage); ok {
			if m, ok := nm.Message.(*tg.Message); ok && m.Out {
				out := &tg.UpdateShortSentMessage{Out: true, ID: m.ID, Pts: nm.Pts, PtsCount: nm.PtsCount, Date: m.Date}
				if m.TTLPeriod != 0 {
					out.SetTTLPeriod(m.TTLPeriod)
				}
				out.SetFlags()
				return out
			}
		}
	}
	return answer
}

// DropAnswer makes the server act on the next request named name (such
// as "messages.createChat") and never answer it, as when the client
// dies before the answer reaches it; the channel is closed once it has
// acted. The client's resends of that request (gotd sends a request
// again when no answer comes) are not acted on again, as Telegram acts
// once on a message.
func (s *Server) DropAnswer(name string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropNext, s.dropDone = name, make(chan struct{})
	return s.dropDone
}

// UpdateBeforeAnswer makes the server act on the next request named name
// (messages.sendMessage, messages.sendMedia, messages.editMessage), push
// to the asking device the updates its answer holds, but updateMessageID
// (which says a random_id's message to the sender alone), and hold the
// answer until release is called: as when the update comes through
// another path (the update stream; a getDifference after a gap or a
// reconnection) before Telegram's answer. pushed is closed once the
// updates are on their way. Called again for the same name, it holds
// the request after the one the earlier call holds: two answers held at
// once, each released by its own call.
func (s *Server) UpdateBeforeAnswer(name string) (pushed <-chan struct{}, release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, r := make(chan struct{}), make(chan struct{})
	s.early = append(s.early, earlyAnswer{name: name, pushed: p, release: r})
	var once sync.Once
	return p, func() { once.Do(func() { close(r) }) }
}

// HoldAnswers makes the server act on each request named name (such as
// "updates.getChannelDifference") as it comes, and hold its answer
// until release is called: as a slow answer, which another request's
// (updates.getDifference's) overtakes.
func (s *Server) HoldAnswers(name string) (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holdAll == nil {
		s.holdAll = map[string]chan struct{}{}
	}
	r := make(chan struct{})
	s.holdAll[name] = r
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.holdAll[name] == r {
				delete(s.holdAll, name)
			}
			close(r)
		})
	}
}

// Batch pushes to user's devices, in one updates container and in the
// order made, the updates that f's calls push to them (Schedule, then
// TypingTo, say): a client handles them in that order, where updates
// pushed apart may be handled in any order.
func (s *Server) Batch(user int64, f func()) {
	s.collect(user, f, func(ups []tg.UpdateClass) {
		if len(ups) > 0 {
			s.push(user, ups...)
		}
	})
}

// Unheard loses on the way the updates that f's calls push to user's
// devices, as a connection that drops them: only a catch-up
// (updates.getDifference, at the gap the next update shows) gives them.
func (s *Server) Unheard(user int64, f func()) { s.collect(user, f, func([]tg.UpdateClass) {}) }

// collect gives then, under the server's lock, what f's calls push to
// user's devices, not pushed.
func (s *Server) collect(user int64, f func(), then func([]tg.UpdateClass)) {
	s.mu.Lock()
	if s.batch == nil {
		s.batch = map[int64][]tg.UpdateClass{}
	}
	s.batch[user] = nil
	s.mu.Unlock()
	f()
	s.mu.Lock()
	defer s.mu.Unlock()
	ups := s.batch[user]
	delete(s.batch, user)
	then(ups)
}

// earlyAnswer is a request whose answer comes after its updates
// (UpdateBeforeAnswer).
type earlyAnswer struct {
	name    string
	pushed  chan struct{}
	release chan struct{}
}

// takeEarly is the first answer held for name, taken off the list. Call
// with s.mu held.
func (s *Server) takeEarly(name string) (earlyAnswer, bool) {
	for i, e := range s.early {
		if e.name == name {
			s.early = slices.Delete(s.early, i, i+1)
			return e, true
		}
	}
	return earlyAnswer{}, false
}

// pushEarly pushes the updates of answer out, but updateMessageID, to
// the session that asked (UpdateBeforeAnswer). Call with s.mu held.
func (s *Server) pushEarly(t tgtest.Session, out bin.Encoder) {
	u, ok := out.(*tg.Updates)
	if !ok {
		return
	}
	cp := &tg.Updates{Users: u.Users, Chats: u.Chats, Date: u.Date, Seq: u.Seq}
	for _, x := range u.Updates {
		if _, ok := x.(*tg.UpdateMessageID); !ok {
			cp.Updates = append(cp.Updates, x)
		}
	}
	msg, err := freeze(cp)
	if err != nil {
		panic(err)
	}
	s.outq <- func() { _ = s.sendUpdates(t, msg) }
}

// key is one client's authorization key: a device.
type key struct {
	user     int64 // 0 = not logged in
	pending  int64 // signed in with the code, 2FA password missing
	sessions map[int64]tgtest.Session
	token    []byte // the QR token shown
	scanned  int64  // the user whose phone scanned it
	srpB     *srpState
}

// Group is a basic group.
type Group struct {
	ID      int64
	Title   string
	About   string
	Members []int64
	Admins  []int64
	Creator int64
	// Date is when the group was made, Unix seconds (0: long ago).
	Date int
	// AdminsInvite: only admins may add members (the group's default
	// rights without invite_users).
	AdminsInvite bool
	// AdminsChangeInfo: only admins may change the group's picture and
	// auto-delete timer (the default rights without change_info).
	AdminsChangeInfo bool
	// AdminsPin: only admins may pin messages (the default rights
	// without pin_messages).
	AdminsPin bool
	// DefaultRights are more of the default banned rights (send_polls,
	// send_media...), with those the three above say.
	DefaultRights tg.ChatBannedRights
	// InviteHash is the group's private invite link, t.me/+InviteHash,
	// with InviteExpired, InviteRequest and Requests as a Channel's
	// (invite.go).
	InviteHash    string
	InviteExpired bool
	InviteRequest bool
	Requests      []int64

	version int   // of its participants list (updateChatParticipantAdmin)
	photoID int64 // the group's picture in Server.media; 0: none (photos.go)
}

// tg is the group as viewer sees it: Telegram flags the creator's own
// copy.
func (g *Group) tg(viewer int64) *tg.Chat {
	c := &tg.Chat{ID: g.ID, Title: g.Title, ParticipantsCount: len(g.Members), Photo: chatPhoto(g.photoID),
		Date: max(g.Date, 1), Creator: viewer == g.Creator,
		DefaultBannedRights: defaultRights(g.DefaultRights, g.AdminsInvite, g.AdminsChangeInfo, g.AdminsPin)}
	if slices.Contains(g.Admins, viewer) {
		c.AdminRights = adminRights()
	}
	c.SetFlags()
	return c
}

// box is an account's messages and update state.
type box struct {
	next    int
	msgs    map[int]*tg.Message
	gids    map[int]int
	pts     int
	date    int
	log     []entry
	readIn  map[string]int
	readOut map[string]int
}

type entry struct {
	pts int
	u   tg.UpdateClass
	rid int64 // the random_id of the owner's own message, if sent with one
	// noPts: an update of no pts (updateMessageReactions), logged at
	// the pts the box had when it came, and its date (recordNoPts).
	noPts bool
	date  int
}

// New starts a fake Telegram on loopback; Close stops it.
func New() (*Server, error) {
	ctx, cancel := context.WithCancel(context.Background())
	c, err := newDC(ctx, DC) // dc.go
	if err != nil {
		cancel()
		return nil, err
	}
	s := &Server{
		c: c, srv: c.srv, cancel: cancel, users: map[int64]*User{}, contacts: map[int64][]int64{}, groups: map[int64]*Group{}, channels: map[int64]*Channel{},
		keys: map[[8]byte]*key{}, boxes: map[int64]*box{}, links: map[int]map[int64]int{},
		reacts: map[int]map[int64][]string{}, files: map[int64]map[int][]byte{}, media: map[int64][]byte{}, fileRefs: map[int64]*[]byte{},
		tokens: map[string]*key{}, requests: map[string]int{}, dropped: map[[2]int64]bool{}, byRandom: map[randomKey]bin.Encoder{}, ttls: map[string]int{}, pins: map[string]bool{}, done: make(chan error, 1),
		outq: make(chan func(), 1024), online: map[int64]bool{},
	}
	d := c.d
	s.register(d)
	s.registerChannels(d)
	s.registerForums(d)
	s.registerMembers(d)
	s.registerRenames(d)
	s.registerPublic(d)
	s.registerInvites(d)
	s.registerJoinRequests(d)
	s.registerCreate(d)
	s.registerPhotos(d)
	s.registerSearch(d)
	s.registerContacts(d)
	s.registerTTL(d)
	s.registerPolls(d)
	s.registerMessages(d)
	s.registerPins(d)
	s.registerPinSearch(d)
	s.registerAppConfig(d)
	s.registerCustomEmoji(d)
	s.registerReads(d)
	s.registerDelete(d) // delete.go
	go func() { s.done <- c.serve(ctx) }()
	go func() {
		for {
			select {
			case f := <-s.outq:
				f()
			case <-ctx.Done():
				return
			}
		}
	}()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() {
	s.cancel()
	<-s.done
}

// ServerConfig is the transport's "server" config block for this server.
func (s *Server) ServerConfig() map[string]any {
	dcs := map[string]string{}
	a := s.c.addr()
	dcs[strconv.Itoa(DC)] = net.JoinHostPort(a.IP.String(), strconv.Itoa(a.Port))
	keys := []string{string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(s.srv.Key().RSA)}))}
	return map[string]any{"dc": DC, "dcs": dcs, "public_keys": keys}
}

// AddUser adds a user (an account when it has a code).
func (s *Server) AddUser(u User) {
	cp := u
	if u.Password != "" {
		ver, err := newVerifier(u.Password)
		if err != nil {
			panic(err)
		}
		cp.ver = ver
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(u.Photo) > 0 {
		cp.photoID = 9000 + u.ID
		s.media[cp.photoID] = u.Photo
	}
	s.users[u.ID] = &cp
}

// AddContact makes contact one of owner's contacts.
func (s *Server) AddContact(owner, contact int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contacts[owner] = append(s.contacts[owner], contact)
}

// AddGroup adds a basic group.
func (s *Server) AddGroup(g Group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := g
	s.groups[g.ID] = &cp
}

// Requests is how many requests of a type (e.g. "messages.getHistory")
// the server answered.
func (s *Server) Requests(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[name]
}

// AwaitRequests waits until the server has had n requests of a type
// (or more), or ctx ends.
func (s *Server) AwaitRequests(ctx context.Context, name string, n int) error {
	for {
		s.mu.Lock()
		if s.requests[name] >= n {
			s.mu.Unlock()
			return nil
		}
		if s.counted == nil {
			s.counted = make(chan struct{})
		}
		counted := s.counted
		s.mu.Unlock()
		select {
		case <-counted:
		case <-ctx.Done():
			return fmt.Errorf("%s asked %d times, awaiting %d: %w", name, s.Requests(name), n, ctx.Err())
		}
	}
}

func (s *Server) boxOf(user int64) *box {
	b := s.boxes[user]
	if b == nil {
		b = &box{next: 1, msgs: map[int]*tg.Message{}, gids: map[int]int{}, date: int(time.Now().Unix()), readIn: map[string]int{}, readOut: map[string]int{}}
		s.boxes[user] = b
	}
	return b
}

// connected reports whether a user has a device online.
func (s *Server) connected(user int64) bool {
	for _, k := range s.keys {
		if k.user == user && len(k.sessions) > 0 {
			return true
		}
	}
	return false
}

// push sends updates to a user's devices (as Telegram would); a user
// without one gets them from getDifference when they come back.
func (s *Server) push(user int64, ups ...tg.UpdateClass) {
	if b, ok := s.batch[user]; ok {
		s.batch[user] = append(b, ups...)
		return
	}
	var targets []tgtest.Session
	for _, k := range s.keys {
		if k.user != user {
			continue
		}
		for _, ss := range k.sessions {
			targets = append(targets, ss)
		}
	}
	if len(targets) == 0 {
		return
	}
	msg, err := freeze(&tg.Updates{Updates: ups, Users: s.usersFor(user), Chats: s.chatsFor(user), Date: int(time.Now().Unix())})
	if err != nil {
		panic(err)
	}
	for _, t := range targets {
		s.outq <- func() { _ = s.sendUpdates(t, msg) }
	}
}

// frozen is a message encoded once.
type frozen []byte

func (f frozen) Encode(b *bin.Buffer) error {
	b.Put(f)
	return nil
}

func freeze(e bin.Encoder) (frozen, error) {
	var b bin.Buffer
	if err := e.Encode(&b); err != nil {
		return nil, err
	}
	return frozen(b.Copy()), nil
}

func (s *Server) sendUpdates(t tgtest.Session, msg frozen) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Send(ctx, t, proto.MessageFromServer, msg)
}

// record adds a pts update to a user's log and pushes it.
func (s *Server) record(user int64, u tg.UpdateClass) int {
	b := s.boxOf(user)
	b.pts++
	switch u := u.(type) {
	case *tg.UpdateNewMessage:
		u.Pts, u.PtsCount = b.pts, 1
	case *tg.UpdateEditMessage:
		u.Pts, u.PtsCount = b.pts, 1
	case *tg.UpdateDeleteMessages:
		u.Pts, u.PtsCount = b.pts, 1
	case *tg.UpdateReadHistoryInbox:
		u.Pts, u.PtsCount = b.pts, 1
	case *tg.UpdateReadHistoryOutbox:
		u.Pts, u.PtsCount = b.pts, 1
	case *tg.UpdatePinnedMessages:
		u.Pts, u.PtsCount = b.pts, 1
	}
	b.log = append(b.log, entry{pts: b.pts, u: u})
	return b.pts
}

// recordNoPts logs an update of no pts sequence for a user's next
// getDifference, as Telegram gives a gap's reactions in its
// other_updates: a difference from a date up to its own gives it, one
// from a later date the user had (an update pushed live, or a
// difference's state, after it) does not. Before, a difference gave
// every such update since the box's pts last moved, the old reaction
// states again, and none when the pts had not moved.
func (s *Server) recordNoPts(user int64, u tg.UpdateClass) {
	b := s.boxOf(user)
	b.log = append(b.log, entry{pts: b.pts, u: u, noPts: true, date: now()})
}

func (s *Server) usersFor(user int64) []tg.UserClass {
	var out []tg.UserClass
	ids := make([]int64, 0, len(s.users))
	for id := range s.users {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		out = append(out, s.users[id].tg(id == user))
	}
	return out
}

func (s *Server) chatsFor(user int64) []tg.ChatClass {
	var out []tg.ChatClass
	for _, g := range s.groups {
		if slices.Contains(g.Members, user) {
			out = append(out, g.tg(user))
		}
	}
	for _, c := range s.channels {
		if slices.Contains(c.Members, user) {
			out = append(out, c.tg(user))
		}
	}
	return out
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// errUnauthorized is Telegram's answer to a device not logged in.
var errUnauthorized = tgerr.New(401, "AUTH_KEY_UNREGISTERED")

// handler is a request handler: the request decoded, the device, the
// answer or a Telegram error.
type handler[R any, PR interface {
	*R
	bin.Decoder
}] func(k *key, req PR) (bin.Encoder, error)

func handle[R any, PR interface {
	*R
	bin.Decoder
}](s *Server, d *tgtest.Dispatcher, id uint32, name string, h func(k *key, req PR) (bin.Encoder, error)) {
	d.HandleFunc(id, func(srv *tgtest.Server, req *tgtest.Request) error {
		var r R
		pr := PR(&r)
		if err := pr.Decode(req.Buf); err != nil {
			return err
		}
		s.mu.Lock()
		msg := [2]int64{req.Session.ID, req.MsgID}
		if s.dropped[msg] || s.heldReqs[msg] {
			s.mu.Unlock()
			return nil // a resend of a request acted on, its answer lost or held
		}
		s.requests[name]++
		if s.counted != nil {
			close(s.counted)
			s.counted = nil
		}
		k := s.keys[req.Session.AuthKey.ID]
		if k == nil {
			k = &key{sessions: map[int64]tgtest.Session{}}
			s.keys[req.Session.AuthKey.ID] = k
		}
		k.sessions[req.Session.ID] = req.Session
		var out bin.Encoder
		var err error
		fail := s.failName == name && s.failAfter == 0
		if s.failName == name && !fail {
			s.failAfter--
		}
		switch {
		case s.refuse != "" && k.user != 0:
			err = tgerr.New(406, s.refuse)
		case fail:
			err = tgerr.New(s.failCode, s.failErr)
			s.failName = ""
		default:
			out, err = h(k, pr)
		}
		var release chan struct{}
		if err == nil {
			if r, ok := s.holdAll[name]; ok {
				release = r
			} else if e, ok := s.takeEarly(name); ok {
				s.pushEarly(req.Session, out)
				release = e.release
				close(e.pushed)
			}
		}
		if err == nil {
			// Encoding sets flags in the objects, which the server
			// shares: it happens under the lock.
			out, err = freeze(out)
		}
		if release != nil && err == nil {
			// The client resends a request unanswered for long: it is
			// acted on once, answered once, at release.
			if s.heldReqs == nil {
				s.heldReqs = map[[2]int64]bool{}
			}
			s.heldReqs[msg] = true
			s.mu.Unlock()
			go func() {
				<-release
				_ = srv.SendResult(req, out)
				s.mu.Lock()
				delete(s.heldReqs, msg)
				s.mu.Unlock()
			}()
			return nil
		}
		if s.dropNext == name {
			s.dropped[msg] = true
			close(s.dropDone)
			s.dropNext, s.dropDone = "", nil
			s.mu.Unlock()
			return nil
		}
		s.mu.Unlock()
		var te *tgerr.Error
		if errors.As(err, &te) {
			return srv.SendErr(req, te)
		}
		if err != nil {
			return err
		}
		return srv.SendResult(req, out)
	})
}

// Disconnect drops every connection of a user's devices (the server
// keeps their keys): their clients reconnect.
func (s *Server) Disconnect(user int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if k.user != user {
			continue
		}
		for id, ss := range k.sessions {
			s.srv.ForceDisconnect(ss)
			delete(k.sessions, id)
		}
	}
}

// Online reports whether user's client said it is online.
func (s *Server) Online(user int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.online[user]
}
