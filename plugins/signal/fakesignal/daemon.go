// Package fakesignal is a fake signal-cli daemon for tests: it speaks
// signal-cli's JSON-RPC protocol in multi-account mode with
// --receive-mode manual (signal-cli-jsonrpc(5)) on a Unix socket, keeps
// its accounts, contacts and groups in memory, records what clients ask of
// it, and delivers the envelopes a test gives it in signal-cli's shapes.
// It can crash (every connection and the socket gone) and come back with
// its state, as a daemon restarted by its supervisor.
package fakesignal

import (
	"bufio"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// Version is what the fake answers to "version".
const Version = "0.13.19-fake"

// Contact is an entry of an account's contact list.
type Contact struct {
	Number string
	UUID   string
	Name   string
	Given  string // profile given name
	About  string
	// Avatar is the profile picture (nil: none), changed at AvatarTS.
	Avatar   []byte
	AvatarTS int64
	// Blocked: the user blocked the contact (a block list synced from
	// the phone sets it).
	Blocked bool
	// Timer is the chat's disappearing messages timer in seconds, 0 off
	// (messageExpirationTime): sends to the contact carry it, and a
	// message delivered in the chat sets it, as in signal-cli, and so
	// does updateContact's expiration.
	Timer int
	// Stranger: someone signal-cli knows (a group's member, one who
	// wrote) who is none of the account's contacts: listContacts lists
	// them only with allRecipients, as signal-cli does.
	Stranger bool
	// Request: one who wrote and whose message request the user has
	// not accepted (on the phone), nor written to, nor has in the
	// address book (Name): listContacts says profileSharing false, as
	// signal-cli does; a send to them turns it on, as signal-cli's does.
	Request bool
}

// Member is a group member.
type Member struct {
	Number string
	UUID   string
	Admin  bool
}

// Group is a Signal group (v2). ID is its base64 group ID.
type Group struct {
	ID          string
	Name        string
	Description string
	Members     []Member
	// Pending are the members invited, not yet in (pendingMembers).
	Pending []Member
	// Requesting asked to join by the group's link, where admins
	// approve newcomers (requestingMembers): updateGroup's member
	// approves them, its removeMember refuses them, as signal-cli's
	// GroupHelper does.
	Requesting []Member
	// Banned are kept out by the admins (banned): updateGroup's ban puts
	// them there, unban takes them off, adding them again lifts it too,
	// as signal-cli's addMembers does.
	Banned   []Member
	Revision int
	// OnlyAdminsSend, OnlyAdminsEdit and OnlyAdminsAdd restrict
	// sending, editing the details and adding members to admins
	// (permissionSendMessage, ...EditDetails, permissionAddMember).
	OnlyAdminsSend, OnlyAdminsEdit, OnlyAdminsAdd bool
	// Avatar is the group's picture (getAvatar with groupId); nil: none.
	Avatar []byte
	// Link is the group's invite link (groupInviteLink), "" when it has
	// none on (AddGroupLink).
	Link string
	// Timer is the group's disappearing messages timer in seconds, 0 off
	// (messageExpirationTime): updateGroup's expiration sets it, refused
	// as Signal's group server does (a 403) to a member who is no admin
	// where OnlyAdminsEdit.
	Timer int
	// Blocked: the user blocked the group (a block list synced from the
	// phone); listGroups says isBlocked.
	Blocked bool
}

// Request is one request a client made, as the daemon read it.
type Request struct {
	Method string
	Params map[string]any
	// Timestamp is what the daemon answered for a send (0 otherwise).
	Timestamp int64
	// ExpiresInSeconds is the disappearing messages timer a send
	// carried: the contact's or the group's, as signal-cli adds it.
	ExpiresInSeconds int
	// Files are the contents of the attachments a send named, by path.
	Files map[string][]byte
}

// Account is a local account of the daemon.
type Account struct {
	Number string
	UUID   string
	// DeviceName is the name finishLink gave it.
	DeviceName string

	contacts    []Contact
	groups      []*Group
	queue       []any // envelopes not yet delivered to a subscriber
	requests    []Request
	attachments map[string][]byte
	stickers    map[string][]byte // by pack ID and sticker ID
	// latePacks are sticker packs not downloaded yet (StickerPackLate).
	latePacks  map[string]bool
	registered bool
	avatar     []byte  // the account's own profile picture (updateProfile)
	avatarTS   int64   // when avatar last changed, as a profile's lastUpdateTimestamp
	given      string  // the account's own profile name (SetProfile, updateProfile's givenName)
	polls      []int64 // the timestamps of the polls the phone started (sync messages delivered)
	// held are the messages not decrypted for a sender's untrusted
	// identity (DeliverUntrusted), which signal-cli keeps in its cache
	// and decrypts once it is trusted.
	held []Envelope
	// alsoSubs are the subscriptions of other accounts there were when
	// the account was added (linked, registered): signal-cli gives an
	// account added later to every subscription of every connection
	// (SignalJsonRpcDispatcherHandler's addOnManagerAddedHandler), so
	// its envelopes go there too, its "account" naming it.
	alsoSubs []subRef
}

// subRef is a subscription of a connection.
type subRef struct {
	c  *conn
	id int
}

type pendingLink struct {
	done    chan *Account
	scanned bool
}

// Daemon is the fake signal-cli daemon.
type Daemon struct {
	path string

	mu       sync.Mutex
	ln       net.Listener
	conns    map[*conn]bool
	accounts map[string]*Account // by number and by UUID
	links    map[string]*pendingLink
	lastTS   int64
	subID    int
	closed   bool
	// LinkTimeout is how long finishLink waits for a scan.
	linkTimeout time.Duration
	// calls counts requests by method, all accounts.
	calls map[string]int
	// failing maps recipients to the result type sends to them get.
	failing map[string]string
	// noProfileKey are the users a group can only invite (NoProfileKey).
	noProfileKey map[string]bool
	// noIdentity are the users whose identity key signal-cli has not
	// learnt yet (NoIdentity).
	noIdentity map[string]bool
	// newKeys counts, by user as Fail named them, the identity keys
	// they took (Fail with IDENTITY_FAILURE): listIdentities' fingerprint
	// of a new one is another.
	newKeys map[string]int
	// metKeys are the users (as Fail named them) whose new key signal-cli
	// saved, untrusted, and listIdentities lists from then on: a send
	// met it (IdentityKeyStore.isTrustedIdentity, SENDING), or a message
	// of theirs it could not read (DeliverUntrusted) had it fetch their
	// profile, which carries the key (IncomingMessageHandler's
	// RetrieveProfileAction, ProfileHelper's saveIdentity). Until then
	// it has the key before only, which trust trusts again.
	metKeys map[string]bool
	// noFetch are the users whose profile signal-cli cannot fetch
	// (ProfileFetchFails): a message of theirs it could not read
	// teaches it no new key.
	noFetch map[string]bool
	// groupLinks are the groups joinGroup knows, by their link's
	// fragment (AddGroupLink).
	groupLinks map[string]*groupLink
	// unknown are the methods answered as a signal-cli without them
	// (Forget).
	unknown map[string]bool
	// stalled are the methods never answered (Stall); stalledReqs the
	// requests of them read.
	stalled map[string]bool
	// held is the next request of a method, with a param, whose answer
	// waits (HoldNext).
	held        *hold
	stalledReqs map[string][]map[string]any
	// failNext are errors the next requests of a method get (FailNext).
	failNext map[string][]*rpcError
	// failFor are errors the next requests of a method naming a
	// recipient get (FailNextFor), by method and recipient.
	failFor map[[2]string][]*rpcError
	// usernames are Signal's usernames (and username links) and the
	// ACIs they name (SetUsername).
	usernames map[string]string
	// dataDir: accounts.json is kept there (SetDataDir); numbersOnly:
	// a signal-cli before 0.14.6 (NumbersOnly). accountsfile.go.
	dataDir     string
	numbersOnly bool
}

type conn struct {
	c    net.Conn
	wmu  sync.Mutex
	subs map[int]*Account // subscription ID -> account
}

// Start runs a fake daemon on a Unix socket at path.
func Start(path string) (*Daemon, error) {
	d := &Daemon{path: path, conns: map[*conn]bool{}, accounts: map[string]*Account{},
		links: map[string]*pendingLink{}, linkTimeout: 2 * time.Minute, calls: map[string]int{}, failing: map[string]string{},
		noProfileKey: map[string]bool{}, noIdentity: map[string]bool{}, newKeys: map[string]int{}, metKeys: map[string]bool{}, noFetch: map[string]bool{}, groupLinks: map[string]*groupLink{}, unknown: map[string]bool{}, stalled: map[string]bool{},
		stalledReqs: map[string][]map[string]any{}, failNext: map[string][]*rpcError{}, failFor: map[[2]string][]*rpcError{}, usernames: map[string]string{}}
	if err := d.listen(); err != nil {
		return nil, err
	}
	return d, nil
}

// Path is the socket's path.
func (d *Daemon) Path() string { return d.path }

// SetLinkTimeout sets how long finishLink waits for a scan.
func (d *Daemon) SetLinkTimeout(t time.Duration) {
	d.mu.Lock()
	d.linkTimeout = t
	d.mu.Unlock()
}

func (d *Daemon) listen() error {
	os.Remove(d.path)
	ln, err := net.Listen("unix", d.path)
	if err != nil {
		return fmt.Errorf("fakesignal: %w", err)
	}
	d.mu.Lock()
	d.ln = ln
	d.mu.Unlock()
	go d.accept(ln)
	return nil
}

func (d *Daemon) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		cn := &conn{c: c, subs: map[int]*Account{}}
		d.mu.Lock()
		d.conns[cn] = true
		d.mu.Unlock()
		go d.serve(cn)
	}
}

// Crash closes the socket and every connection, as a daemon that died;
// the state stays for Restart. Pending links fail.
func (d *Daemon) Crash() {
	d.mu.Lock()
	ln := d.ln
	d.ln = nil
	conns := d.conns
	d.conns = map[*conn]bool{}
	d.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	for c := range conns {
		c.c.Close()
	}
}

// Restart listens again after a Crash.
func (d *Daemon) Restart() error { return d.listen() }

// Close stops the daemon for good.
func (d *Daemon) Close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.Crash()
}

// AddAccount adds a registered account (as `signal-cli register` or a
// link done before would have).
func (d *Daemon) AddAccount(number, uuid string) *Account {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.addAccount(number, uuid)
}

func (d *Daemon) addAccount(number, uuid string) *Account {
	a := &Account{Number: number, UUID: uuid, attachments: map[string][]byte{}, stickers: map[string][]byte{}, registered: true}
	for c := range d.conns {
		for id := range c.subs {
			a.alsoSubs = append(a.alsoSubs, subRef{c, id})
		}
	}
	if number != "" {
		d.accounts[number] = a
	}
	d.accounts[uuid] = a
	d.writeAccountsLocked()
	return a
}

// HasAccount reports whether the daemon has the account.
func (d *Daemon) HasAccount(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.accounts[id] != nil
}

// SetContacts sets an account's contact list.
func (d *Daemon) SetContacts(account string, cs ...Contact) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.accounts[account].contacts = slices.Clone(cs) // Deliver changes their timers
}

// SetGroup adds or replaces a group of an account.
func (d *Daemon) SetGroup(account string, g Group) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.accounts[account]
	for i, old := range a.groups {
		if old.ID == g.ID {
			a.groups[i] = &g
			return
		}
	}
	a.groups = append(a.groups, &g)
}

// RemoveGroup takes a group from an account (the account was removed
// from it).
func (d *Daemon) RemoveGroup(account, id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.accounts[account]
	a.groups = slices.DeleteFunc(a.groups, func(g *Group) bool { return g.ID == id })
}

// GetGroup returns a copy of an account's group.
func (d *Daemon) GetGroup(account, id string) (Group, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, g := range d.accounts[account].groups {
		if g.ID == id {
			c := *g
			c.Members, c.Pending, c.Banned = slices.Clone(g.Members), slices.Clone(g.Pending), slices.Clone(g.Banned)
			return c, true
		}
	}
	return Group{}, false
}

// SetProfile sets the account's own profile name and picture (nil:
// none), as the phone would: listContacts with allRecipients lists the
// account itself with them, and getAvatar of its profile gives the
// picture, as in signal-cli, whose recipient store holds the account
// too (no contact of its own).
func (d *Daemon) SetProfile(account, given string, avatar []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.accounts[account]
	a.given, a.avatar, a.avatarTS = given, avatar, time.Now().UnixMilli()
}

// ProfileAvatar is the account's own profile picture updateProfile set,
// nil for none.
func (d *Daemon) ProfileAvatar(account string) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.accounts[account].avatar
}

// AddAttachment stores a received file under id, for getAttachment.
func (d *Daemon) AddAttachment(account, id string, data []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.accounts[account].attachments[id] = data
}

// AddSticker stores a sticker's image, for getSticker.
func (d *Daemon) AddSticker(account, packID string, stickerID int, data []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.accounts[account].stickers[fmt.Sprint(packID, "/", stickerID)] = data
}

// StickerPackLate makes the stickers of a pack (added with AddSticker)
// not downloaded yet, as signal-cli has them when a sticker of a new
// pack just came: it downloads the pack in a job of its own, after it
// wrote the envelope. The first getSticker of the pack answers it is
// not found, and downloads it meanwhile, as signal-cli's does
// (ManagerImpl.retrieveSticker: it fetches the pack it lacks, then
// answers from what it had before); the next finds it.
func (d *Daemon) StickerPackLate(account, packID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.accounts[account]
	if a.latePacks == nil {
		a.latePacks = map[string]bool{}
	}
	a.latePacks[packID] = true
}

// Requests returns what clients asked for an account, in order.
func (d *Daemon) Requests(account string) []Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a := d.accounts[account]; a != nil {
		return slices.Clone(a.requests)
	}
	return nil
}

// Calls is how many requests of a method the daemon answered.
func (d *Daemon) Calls(method string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[method]
}

// PendingLinks are the URIs startLink gave that no scan completed.
func (d *Daemon) PendingLinks() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for u, l := range d.links {
		if !l.scanned {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
}

// Scan completes a link, as the phone of number/uuid scanning the QR code
// of uri: the finishLink waiting on it answers.
func (d *Daemon) Scan(uri, number, uuid string) error {
	d.mu.Lock()
	l := d.links[uri]
	if l == nil || l.scanned {
		d.mu.Unlock()
		return fmt.Errorf("fakesignal: no link pending for %s", uri)
	}
	l.scanned = true
	a := d.accounts[uuid]
	if a == nil {
		a = d.addAccount(number, uuid)
	}
	a.registered = true
	d.mu.Unlock()
	l.done <- a
	return nil
}

// Deliver queues an envelope for an account; it goes to the account's
// subscribers now, or when one subscribes.
func (d *Daemon) Deliver(account string, env Envelope) {
	d.mu.Lock()
	a := d.accounts[account]
	if env.Timestamp == 0 {
		env.Timestamp = d.now()
	}
	learnTimer(a, env)
	learnBlocked(a, env)
	if sm := sentOf(env); sm != nil && sm.DataMessage.PollCreate != nil {
		ts := sm.DataMessage.Timestamp
		if ts == 0 {
			ts = env.Timestamp
		}
		a.polls = append(a.polls, ts)
	}
	a.queue = append(a.queue, env)
	d.mu.Unlock()
	d.flush(a)
}

// untrusted is an envelope signal-cli could not decrypt because its
// sender's safety number changed and is not trusted.
type untrusted struct{ env Envelope }

// DeliverUntrusted queues what signal-cli writes for a message it could
// not decrypt because the sender's safety number changed and is not
// trusted (its default, trust on first use): the envelope's sender and
// timestamp without content, and an UntrustedIdentityException beside
// it. signal-cli keeps the message in its cache, to decrypt once the
// identity is trusted.
// The envelope's content (its data message) is held, and comes once the
// sender is trusted (the trust method), as signal-cli decrypts its
// cached messages again then.
// A sender whose new key Fail gave (IDENTITY_FAILURE) has it saved,
// untrusted, once the envelope is written, as signal-cli does when the
// fetch of their profile it then makes comes back (not before the
// envelope: the plugin may ask listIdentities before or after), unless
// ProfileFetchFails names them.
func (d *Daemon) DeliverUntrusted(account string, env Envelope) {
	d.mu.Lock()
	a := d.accounts[account]
	if env.Timestamp == 0 {
		env.Timestamp = d.now()
	}
	if env.DataMessage != nil {
		a.held = append(a.held, env)
	}
	bare := Envelope{Source: env.Source, SourceNumber: env.SourceNumber, SourceUUID: env.SourceUUID, SourceName: env.SourceName,
		SourceDevice: env.SourceDevice, Timestamp: env.Timestamp}
	a.queue = append(a.queue, untrusted{bare})
	d.mu.Unlock()
	d.flush(a)
	d.mu.Lock()
	m := d.memberOf(a, cmp.Or(env.SourceUUID, env.SourceNumber))
	m.Number = cmp.Or(m.Number, env.SourceNumber)
	if !d.noFetch[m.Number] && !d.noFetch[m.UUID] {
		d.meetKey(m, "IDENTITY_FAILURE")
	}
	d.mu.Unlock()
}

// ProfileFetchFails makes signal-cli's fetch of user's profile (a
// number or an ACI, as Fail names them) fail, as with Signal's servers
// unreachable, or go through again (fails false): while it fails, a
// message of theirs it could not read (DeliverUntrusted) teaches it no
// new key, and trust trusts the one before.
func (d *Daemon) ProfileFetchFails(user string, fails bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if fails {
		d.noFetch[user] = true
	} else {
		delete(d.noFetch, user)
	}
}

// SafetyNumber is the safety number (60 digits, in groups of five as
// signal-cli's listIdentities gives it) of the account and recipient,
// which the trust method checks verifiedSafetyNumber against.
func SafetyNumber(account, recipient string) string {
	h := sha256.Sum256([]byte(account + "|" + recipient))
	var b strings.Builder
	for i := range 60 {
		if i > 0 && i%5 == 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('0' + h[i%len(h)]%10)
	}
	return b.String()
}

// trust is signal-cli's trust method (TrustCommand): trustAllKnownKeys
// or verifiedSafetyNumber (spaces ignored) for one recipient, a string.
// A recipient whose sends failed for their identity (Fail with
// IDENTITY_FAILURE) gets them again, and their messages held come, as
// signal-cli retries its failed messages once a key is trusted.
func (d *Daemon) trust(a *Account, p map[string]any) (any, error) {
	r, ok := p["recipient"].(string)
	if !ok || r == "" {
		return nil, &rpcError{Code: -32602, Message: "recipient: a single recipient is expected"}
	}
	all, _ := p["trustAllKnownKeys"].(bool)
	number, _ := p["verifiedSafetyNumber"].(string)
	d.mu.Lock()
	m := d.memberOf(a, r)
	switch {
	case d.noIdentity[r] || d.noIdentity[m.Number] || d.noIdentity[m.UUID]:
		// IdentityHelper.trustIdentity finds no identity: false, which
		// TrustCommand words by the way it was asked.
		d.mu.Unlock()
		if all {
			return nil, userError("Failed to set the trust for this number, make sure the number is correct.")
		}
		return nil, userError("Failed to set the trust for this number, make sure the number and the fingerprint/safety number are correct.")
	case all:
	case number == "":
		d.mu.Unlock()
		return nil, userError("You need to specify the fingerprint/safety number you have verified with -v SAFETY_NUMBER")
	case len(strings.ReplaceAll(number, " ", "")) != 60:
		d.mu.Unlock()
		return nil, userError("Safety number has invalid format, either specify the old hex fingerprint or the new safety number")
	case strings.ReplaceAll(number, " ", "") != strings.ReplaceAll(SafetyNumber(accountID(a), r), " ", ""):
		d.mu.Unlock()
		return nil, userError("Failed to set the trust for this number, make sure the number and the fingerprint/safety number are correct.")
	}
	changed, met := false, false
	for _, id := range []string{r, m.Number, m.UUID} {
		changed = changed || d.failing[id] == "IDENTITY_FAILURE"
		met = met || d.metKeys[id]
	}
	if changed && !met {
		// signal-cli has their key before only (IdentityHelper's
		// trustIdentity takes the stored one): it trusts it again and
		// answers so, while their new key still fails sends and their
		// messages kept still cannot be read.
		d.mu.Unlock()
		return map[string]any{}, nil
	}
	for _, id := range []string{r, m.Number, m.UUID} {
		if d.failing[id] == "IDENTITY_FAILURE" {
			delete(d.failing, id)
			delete(d.metKeys, id)
		}
	}
	var kept []Envelope
	for _, env := range a.held {
		if (env.SourceNumber != "" && (env.SourceNumber == r || env.SourceNumber == m.Number)) || (env.SourceUUID != "" && (env.SourceUUID == r || env.SourceUUID == m.UUID)) {
			a.queue = append(a.queue, env)
		} else {
			kept = append(kept, env)
		}
	}
	a.held = kept
	d.mu.Unlock()
	d.flush(a)
	return map[string]any{}, nil
}

// listIdentities is signal-cli's listIdentities (ListIdentitiesCommand)
// of one recipient ("number": a number or an ACI): their identity key,
// with its safety number, or none when NoIdentity names them.
func (d *Daemon) listIdentities(a *Account, p map[string]any) (any, error) {
	r, _ := p["number"].(string)
	if r == "" {
		return nil, &rpcError{Code: -32602, Message: "number: only one recipient's identities are listed by the fake"}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.memberOf(a, r)
	if d.noIdentity[r] || d.noIdentity[m.Number] || d.noIdentity[m.UUID] {
		return []any{}, nil
	}
	trust, keys := "TRUSTED_UNVERIFIED", 0
	ids := []string{r, m.Number, m.UUID} // r is one of the others, or neither
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		keys += d.newKeys[id]
	}
	if d.failing[r] == "IDENTITY_FAILURE" || d.failing[m.Number] == "IDENTITY_FAILURE" || d.failing[m.UUID] == "IDENTITY_FAILURE" {
		if d.metKeys[r] || d.metKeys[m.Number] || d.metKeys[m.UUID] {
			trust = "UNTRUSTED"
		} else {
			keys-- // no send met the new key yet: the one before is kept
		}
	}
	// The key's serialized public key in hex, as signal-cli gives it:
	// the user's (by number: an unknown one's ACI is made up anew), and
	// another for each new key.
	key := sha256.Sum256(fmt.Appendf(nil, "%s|%d", cmp.Or(m.Number, m.UUID), keys))
	return []any{map[string]any{"number": m.Number, "uuid": m.UUID, "fingerprint": "05" + hex.EncodeToString(key[:]),
		"safetyNumber": SafetyNumber(accountID(a), r), "trustLevel": trust, "addedTimestamp": d.lastTS}}, nil
}

// NoIdentity makes user (a number or an ACI) one whose identity key
// signal-cli has not learnt yet (no message from or to them): trust is
// refused for them as signal-cli refuses it, and listIdentities lists
// none. A message from them does not teach it here.
func (d *Daemon) NoIdentity(user string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.noIdentity[user] = true
}

// DeliverRaw queues an envelope given as raw JSON, for tests of what the
// client makes of malformed ones.
func (d *Daemon) DeliverRaw(account string, env json.RawMessage) {
	d.mu.Lock()
	a := d.accounts[account]
	a.queue = append(a.queue, env)
	d.mu.Unlock()
	d.flush(a)
}

// Notify sends a notification of any method and params to every client.
func (d *Daemon) Notify(method string, params any) {
	d.mu.Lock()
	var conns []*conn
	for c := range d.conns {
		conns = append(conns, c)
	}
	d.mu.Unlock()
	for _, c := range conns {
		c.write(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
	}
}

// Now is a new timestamp, in milliseconds, later than any given before.
func (d *Daemon) Now() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.now()
}

func (d *Daemon) now() int64 {
	ts := time.Now().UnixMilli()
	if ts <= d.lastTS {
		ts = d.lastTS + 1
	}
	d.lastTS = ts
	return ts
}

// flush sends an account's queue to one of its subscribers. What cannot
// be written stays queued.
func (d *Daemon) flush(a *Account) {
	d.mu.Lock()
	var sub *conn
	var id int
	for c := range d.conns {
		for sid, acc := range c.subs {
			if acc == a {
				sub, id = c, sid
			}
		}
	}
	var also []subRef
	for _, r := range a.alsoSubs {
		if d.conns[r.c] && r.c.subs[r.id] != nil {
			also = append(also, r)
		}
	}
	if (sub == nil && len(also) == 0) || len(a.queue) == 0 {
		d.mu.Unlock()
		return
	}
	queue := a.queue
	a.queue = nil
	d.mu.Unlock()
	for i, env := range queue {
		result := map[string]any{"envelope": env, "account": accountID(a)}
		if u, ok := env.(untrusted); ok {
			who := cmp.Or(u.env.SourceNumber, u.env.SourceUUID)
			result["envelope"] = u.env
			result["exception"] = map[string]string{"message": "Untrusted identity: " + who, "type": "UntrustedIdentityException"}
		}
		for _, r := range also {
			// Signal's server confirmed it: signal-cli writes it to
			// these whether or not the account's own subscriber gets it.
			r.c.write(map[string]any{"jsonrpc": "2.0", "method": "receive",
				"params": map[string]any{"subscription": r.id, "result": result}})
		}
		if sub == nil {
			continue
		}
		err := sub.write(map[string]any{"jsonrpc": "2.0", "method": "receive",
			"params": map[string]any{"subscription": id, "result": result}})
		if err != nil {
			d.mu.Lock()
			a.queue = append(slices.Clone(queue[i:]), a.queue...)
			d.mu.Unlock()
			return
		}
	}
}

func accountID(a *Account) string {
	if a.Number != "" {
		return a.Number
	}
	return a.UUID
}

func (c *conn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err = c.c.Write(append(b, '\n'))
	return err
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func (e *rpcError) Error() string { return e.Message }

// readAvatar reads updateGroup's avatar as signal-cli does
// (Utils.createStreamDetails): a data URI (RFC 2397, signal-cli 0.11.5
// and later), else a file's path; a file that cannot be read fails the
// update as signal-cli's IOException does.
func readAvatar(v string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(v, "data:"); ok {
		if head, data, ok := strings.Cut(rest, ","); ok {
			if !strings.HasSuffix(head, ";base64") {
				return []byte(data), nil // URL-escaped text: not what a picture comes as
			}
			if b, err := base64.StdEncoding.DecodeString(data); err == nil {
				return b, nil
			}
		}
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return nil, &rpcError{Code: -32603, Message: fmt.Sprintf("Failed to send message: %s (FileNotFoundException)", v)}
	}
	return b, nil
}

// isInt reports whether a JSON value is a whole number.
func isInt(v any) bool {
	f, ok := v.(float64)
	return ok && f == math.Trunc(f)
}

func userError(format string, args ...any) error {
	return &rpcError{Code: -1, Message: fmt.Sprintf(format, args...)}
}

func (d *Daemon) serve(c *conn) {
	defer func() {
		c.c.Close()
		d.mu.Lock()
		delete(d.conns, c)
		d.mu.Unlock()
	}()
	sc := bufio.NewScanner(c.c)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var req struct {
			JSONRPC string          `json:"jsonrpc"`
			Method  string          `json:"method"`
			Params  map[string]any  `json:"params"`
			ID      json.RawMessage `json:"id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			c.write(map[string]any{"jsonrpc": "2.0", "id": nil, "error": rpcError{Code: -32700, Message: "parse error"}})
			continue
		}
		if req.Method == "" {
			c.write(map[string]any{"jsonrpc": "2.0", "id": nil, "error": rpcError{Code: -32600, Message: "method field must be set"}})
			continue
		}
		// Calls that wait (finishLink) must not hold up the others.
		go func() {
			d.mu.Lock()
			stalled := d.stalled[req.Method]
			if stalled {
				d.stalledReqs[req.Method] = append(d.stalledReqs[req.Method], req.Params)
			}
			d.mu.Unlock()
			if stalled {
				return // read, never answered
			}
			d.mu.Lock()
			h := d.held
			if h != nil && h.method == req.Method && (h.param == "" || req.Params[h.param] != nil) {
				d.held = nil
			} else {
				h = nil
			}
			d.mu.Unlock()
			result, err := d.handle(c, req.Method, req.Params)
			if h != nil {
				close(h.read)
				<-h.release
			}
			out := map[string]any{"jsonrpc": "2.0", "id": req.ID}
			var re *rpcError
			switch {
			case errors.As(err, &re):
				out["error"] = re
			case err != nil:
				out["error"] = rpcError{Code: -32603, Message: err.Error()}
			default:
				out["result"] = result
			}
			c.write(out)
		}()
	}
}

// handle carries out one request.
func (d *Daemon) handle(c *conn, method string, p map[string]any) (any, error) {
	d.mu.Lock()
	d.calls[method]++
	unknown := d.unknown[method]
	var fail *rpcError
	if q := d.failNext[method]; len(q) > 0 {
		fail, d.failNext[method] = q[0], q[1:]
	}
	for _, r := range list(p, "recipient") {
		if q := d.failFor[[2]string{method, r}]; fail == nil && len(q) > 0 {
			fail, d.failFor[[2]string{method, r}] = q[0], q[1:]
		}
	}
	d.mu.Unlock()
	if unknown {
		return nil, &rpcError{Code: -32601, Message: "Method not implemented"}
	}
	if fail != nil {
		return nil, fail
	}
	switch method {
	case "version":
		return map[string]any{"version": Version}, nil
	case "listAccounts":
		d.mu.Lock()
		defer d.mu.Unlock()
		out := []map[string]any{}
		seen := map[*Account]bool{}
		for _, a := range d.accounts {
			if !seen[a] {
				seen[a] = true
				if d.numbersOnly {
					out = append(out, map[string]any{"number": a.Number})
				} else {
					out = append(out, map[string]any{"number": a.Number, "aci": a.UUID})
				}
			}
		}
		return out, nil
	case "startLink":
		uri := "sgnl://linkdevice?uuid=" + randHex(8) + "&pub_key=" + base64.StdEncoding.EncodeToString([]byte(randHex(16)))
		d.mu.Lock()
		d.links[uri] = &pendingLink{done: make(chan *Account, 1)}
		d.mu.Unlock()
		return map[string]any{"deviceLinkUri": uri}, nil
	case "finishLink":
		uri, _ := p["deviceLinkUri"].(string)
		name, _ := p["deviceName"].(string)
		d.mu.Lock()
		l := d.links[uri]
		timeout := d.linkTimeout
		d.mu.Unlock()
		if l == nil {
			return nil, userError("Invalid device link uri")
		}
		select {
		case a := <-l.done:
			d.mu.Lock()
			delete(d.links, uri)
			a.DeviceName = name
			d.mu.Unlock()
			var number any
			if a.Number != "" {
				number = a.Number
			}
			return map[string]any{"number": number, "aci": a.UUID}, nil
		case <-time.After(timeout):
			d.mu.Lock()
			delete(d.links, uri)
			d.mu.Unlock()
			return nil, userError("Link request timed out, please try again.")
		}
	}
	// Every other method is an account's.
	id, _ := p["account"].(string)
	if id == "" {
		return nil, &rpcError{Code: -32602, Message: "Method requires valid account parameter"}
	}
	d.mu.Lock()
	a := d.accounts[id]
	if a != nil && d.numbersOnly && a.Number != "" && id != a.Number {
		a = nil // named by its ACI, which signal-cli before 0.14.6 does not take
	}
	d.mu.Unlock()
	if a == nil {
		return nil, &rpcError{Code: -32602, Message: "Specified account does not exist"}
	}
	delete(p, "account")
	req := Request{Method: method, Params: p}
	result, err := d.accountCall(c, a, &req)
	if err == nil {
		d.mu.Lock()
		a.requests = append(a.requests, req)
		d.mu.Unlock()
	}
	return result, err
}

func (d *Daemon) accountCall(c *conn, a *Account, req *Request) (any, error) {
	p := req.Params
	d.mu.Lock()
	registered := a.registered
	d.mu.Unlock()
	if !registered && req.Method != "deleteLocalAccountData" {
		return nil, userError("Account is not registered.")
	}
	switch req.Method {
	case "subscribeReceive":
		d.mu.Lock()
		d.subID++
		id := d.subID
		c.subs[id] = a
		d.mu.Unlock()
		go func() {
			time.Sleep(10 * time.Millisecond) // the answer goes first
			d.flush(a)
		}()
		return id, nil
	case "unsubscribeReceive":
		d.mu.Lock()
		for id, acc := range c.subs {
			if acc == a {
				delete(c.subs, id)
			}
		}
		d.mu.Unlock()
		return nil, nil
	case "send":
		if err := d.checkTarget(a, p); err != nil {
			return nil, err
		}
		msg, _ := p["message"].(string)
		files := list(p, "attachment")
		if msg == "" && len(files) == 0 && p["quoteTimestamp"] == nil {
			return nil, userError("Sending empty message is not allowed, either a message, attachment or sticker must be given.")
		}
		d.mu.Lock()
		namedContacts(a, p, func(ct *Contact) { ct.Request = false }) // signal-cli's SendHelper turns profile sharing on
		d.mu.Unlock()
		req.Files = map[string][]byte{}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, &rpcError{Code: -32603, Message: fmt.Sprintf("Failed to send message: %s (AttachmentInvalidException)", f)}
			}
			req.Files[f] = b
		}
		return d.sent(a, req)
	case "sendPollVote":
		// signal-cli 0.13.23 and later (SendPollVoteCommand): the poll's
		// message by its author (default: the account) and timestamp,
		// the options voted for by index (none: the vote taken back),
		// and the vote's count, both required. Like signal-cli it knows
		// nothing of the poll: the options are not checked against it.
		if err := d.checkTarget(a, p); err != nil {
			return nil, err
		}
		if !isInt(p["pollTimestamp"]) || !isInt(p["voteCount"]) {
			return nil, &rpcError{Code: -32602, Message: "pollTimestamp and voteCount are required integers"}
		}
		raw, ok := p["options"]
		if !ok {
			raw = p["option"]
		}
		opts, ok := raw.([]any)
		if !ok {
			// signal-cli hands a missing list on as null, which its
			// PollVote does not take (not checked on the real one):
			// the fake wants a list, empty for a vote taken back.
			return nil, &rpcError{Code: -32602, Message: "options: a list of option indexes is required"}
		}
		for _, o := range opts {
			if !isInt(o) {
				return nil, &rpcError{Code: -32602, Message: fmt.Sprintf("option %v is no integer", o)}
			}
		}
		return d.sent(a, req)
	case "sendPollCreate":
		// signal-cli 0.13.23 and later (SendPollCreateCommand): the
		// question, the options (option or options: JsonRpcNamespace
		// takes the plural for a list) and noMulti, for a poll of one
		// answer (several are allowed by default). Checked as signal-cli
		// 0.14.2 and later do: 2 to 10 options, none empty or past 100
		// UTF-16 code units.
		if err := d.checkTarget(a, p); err != nil {
			return nil, err
		}
		if q, ok := p["question"].(string); !ok || q == "" {
			// Required by its argparse, not checked in JSON-RPC, where
			// a missing one fails later (not checked on the real one).
			return nil, &rpcError{Code: -32602, Message: "question is required"}
		}
		if v, ok := p["noMulti"]; ok {
			if _, ok := v.(bool); !ok {
				return nil, &rpcError{Code: -32602, Message: "noMulti is a boolean"}
			}
		}
		raw, ok := p["option"]
		if !ok {
			raw = p["options"]
		}
		opts, _ := raw.([]any)
		if len(opts) < 2 {
			return nil, userError("Poll needs at least two options")
		}
		if len(opts) > 10 {
			return nil, userError("Poll cannot have more than 10 options")
		}
		for _, o := range opts {
			s, ok := o.(string)
			if !ok || s == "" {
				return nil, userError("Poll options must not be empty")
			}
			if len(utf16.Encode([]rune(s))) > 100 {
				return nil, userError("Poll option %q exceeds the maximum length of 100 characters", s)
			}
		}
		return d.sent(a, req)
	case "sendPollTerminate":
		// signal-cli 0.13.23 and later (SendPollTerminateCommand): the
		// poll's message by its timestamp alone, required; the poll is
		// the account's own, for Signal's apps take an end from the
		// poll's author only. signal-cli checks nothing of the poll and
		// sends it anyway (their apps drop it): the fake refuses a
		// timestamp that is no poll of the account's (one it sent with
		// sendPollCreate, or the phone's, delivered as a sync message),
		// so that a test sees a plugin that sends one.
		if err := d.checkTarget(a, p); err != nil {
			return nil, err
		}
		if !isInt(p["pollTimestamp"]) {
			return nil, &rpcError{Code: -32602, Message: "pollTimestamp is a required integer"}
		}
		if ts := int64(p["pollTimestamp"].(float64)); !d.pollOf(a, ts) {
			return nil, userError("%d is no poll of the account's: only its author ends a poll (not checked by the real signal-cli)", ts)
		}
		return d.sent(a, req)
	case "block":
		// BlockCommand: the contacts blocked, as a block list synced
		// from the phone marks them (on a linked device too, as newer
		// signal-cli do; older ones refuse it there: FailNext).
		if err := d.checkTarget(a, p); err != nil {
			return nil, err
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		namedContacts(a, p, func(ct *Contact) { ct.Blocked = true })
		return map[string]any{}, nil
	case "sendMessageRequestResponse":
		// SendMessageRequestResponseCommand: type accept or delete
		// (required), recipients by number or ACI. Accept turns the
		// contact's profile sharing on, as signal-cli's does.
		typ, _ := p["type"].(string)
		if typ != "accept" && typ != "delete" {
			return nil, &rpcError{Code: -32602, Message: "type: accept or delete is required"}
		}
		if err := d.checkTarget(a, p); err != nil {
			return nil, err
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		if typ == "accept" {
			namedContacts(a, p, func(ct *Contact) { ct.Request = false })
		}
		return map[string]any{}, nil
	case "sendPinMessage", "sendUnpinMessage":
		// signal-cli 0.14.0 and later (SendPinMessageCommand,
		// SendUnpinMessageCommand): the message by its author and
		// timestamp, required by its argparse (a missing one fails
		// later in JSON-RPC: not checked on the real one). A pin's
		// duration in seconds (-1 forever) is an argparse default,
		// which JSON-RPC does not apply: the real one fails unboxing a
		// missing one (Manager.sendPinMessage takes an int), an
		// internal error naming the NullPointerException.
		if err := d.checkTarget(a, p); err != nil {
			return nil, err
		}
		if s, _ := p["targetAuthor"].(string); s == "" || !isInt(p["targetTimestamp"]) {
			return nil, &rpcError{Code: -32602, Message: "targetAuthor and targetTimestamp are required"}
		}
		if req.Method == "sendPinMessage" && !isInt(p["pinDuration"]) {
			return nil, &rpcError{Code: -32603, Message: "pinDuration: null (NullPointerException)"}
		}
		return d.sent(a, req)
	case "sendAdminDelete":
		// signal-cli 0.14.0 and later (SendAdminDeleteCommand): a
		// group's message by its author and timestamp; groups only.
		// Whether the account is an admin is not checked there: the
		// members' apps drop one from someone who is not.
		if len(list(p, "groupId")) == 0 {
			return nil, userError("Admin delete requires group IDs")
		}
		if err := d.checkTarget(a, p); err != nil {
			return nil, err
		}
		if s, _ := p["targetAuthor"].(string); s == "" || !isInt(p["targetTimestamp"]) {
			return nil, &rpcError{Code: -32602, Message: "targetAuthor and targetTimestamp are required"}
		}
		return d.sent(a, req)
	case "sendReaction", "remoteDelete", "sendTyping":
		if err := d.checkTarget(a, p); err != nil {
			return nil, err
		}
		return d.sent(a, req)
	case "sendReceipt":
		if len(list(p, "recipient")) == 0 {
			return nil, userError("recipient missing")
		}
		return d.sent(a, req)
	case "listContacts":
		d.mu.Lock()
		defer d.mu.Unlock()
		out := []map[string]any{}
		only := list(p, "recipient")
		all, _ := p["allRecipients"].(bool)
		for _, ct := range a.contacts {
			if len(only) > 0 && !slices.Contains(only, ct.Number) && !slices.Contains(only, ct.UUID) {
				continue
			}
			if ct.Stranger && !all {
				continue
			}
			out = append(out, map[string]any{"number": nullable(ct.Number), "uuid": ct.UUID, "name": ct.Name,
				"isBlocked": ct.Blocked, "profileSharing": !ct.Request, "messageExpirationTime": ct.Timer, "profile": map[string]any{"lastUpdateTimestamp": ct.AvatarTS, "givenName": nullable(ct.Given),
					"about": nullable(ct.About), "hasAvatar": ct.Avatar != nil}})
		}
		if all && (len(only) == 0 || slices.Contains(only, a.Number) || slices.Contains(only, a.UUID)) {
			// The account itself: a recipient, no contact.
			out = append(out, map[string]any{"number": nullable(a.Number), "uuid": a.UUID, "name": "", "isBlocked": false, "profileSharing": true,
				"messageExpirationTime": 0, "profile": map[string]any{"lastUpdateTimestamp": a.avatarTS, "givenName": nullable(a.given), "hasAvatar": a.avatar != nil}})
		}
		return out, nil
	case "getAvatar":
		id, _ := p["profile"].(string)
		if id == "" {
			id, _ = p["contact"].(string)
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		if gid, _ := p["groupId"].(string); gid != "" {
			for _, g := range a.groups {
				if g.ID == gid && g.Avatar != nil {
					return map[string]any{"data": base64.StdEncoding.EncodeToString(g.Avatar)}, nil
				}
			}
			return nil, userError("Could not find avatar for group %s", gid)
		}
		if (id == a.Number || id == a.UUID) && a.avatar != nil {
			return map[string]any{"data": base64.StdEncoding.EncodeToString(a.avatar)}, nil // the account's own
		}
		for _, ct := range a.contacts {
			if (ct.Number == id || ct.UUID == id) && ct.Avatar != nil {
				return map[string]any{"data": base64.StdEncoding.EncodeToString(ct.Avatar)}, nil
			}
		}
		return nil, userError("Could not find avatar for %s", id)
	case "listGroups":
		d.mu.Lock()
		defer d.mu.Unlock()
		out := []map[string]any{}
		for _, g := range a.groups {
			if ids := list(p, "groupId"); len(ids) > 0 && !slices.Contains(ids, g.ID) {
				continue
			}
			var members, admins []map[string]any
			for _, m := range g.Members {
				members = append(members, map[string]any{"number": nullable(m.Number), "uuid": m.UUID, "isAdmin": m.Admin})
				if m.Admin {
					admins = append(admins, map[string]any{"number": nullable(m.Number), "uuid": m.UUID})
				}
			}
			pending, banned, requesting := []any{}, []any{}, []any{}
			for _, m := range g.Pending {
				pending = append(pending, map[string]any{"number": nullable(m.Number), "uuid": m.UUID})
			}
			for _, m := range g.Requesting {
				requesting = append(requesting, map[string]any{"number": nullable(m.Number), "uuid": m.UUID})
			}
			for _, m := range g.Banned {
				banned = append(banned, map[string]any{"number": nullable(m.Number), "uuid": m.UUID})
			}
			// signal-cli keeps a group the account left or was removed
			// from, no member of it any more.
			member := slices.ContainsFunc(g.Members, func(m Member) bool {
				return (m.Number != "" && m.Number == a.Number) || m.UUID == a.UUID
			})
			out = append(out, map[string]any{"id": g.ID, "name": g.Name, "description": g.Description,
				"isMember": member, "isBlocked": g.Blocked, "members": members, "admins": admins,
				"pendingMembers": pending, "requestingMembers": requesting, "banned": banned,
				"permissionAddMember": permission(g.OnlyAdminsAdd), "permissionEditDetails": permission(g.OnlyAdminsEdit), "permissionSendMessage": permission(g.OnlyAdminsSend),
				"groupInviteLink": nullable(g.Link), "messageExpirationTime": g.Timer})
		}
		return out, nil
	case "updateGroup":
		id, _ := p["groupId"].(string)
		d.mu.Lock()
		defer d.mu.Unlock()
		if id == "" {
			return d.createGroup(a, p)
		}
		g := findGroup(a, id)
		if g == nil {
			return nil, userError("Group not found: %s", id)
		}
		if i := slices.IndexFunc(g.Pending, a.self); i >= 0 {
			// signal-cli accepts the invitation of an account invited.
			g.Members = append(g.Members, g.Pending[i])
			g.Pending = slices.Delete(slices.Clone(g.Pending), i, i+1)
		}
		secs, timer, err := expiration(p)
		if err != nil {
			return nil, err
		}
		if timer && g.OnlyAdminsEdit && !isAdmin(g, a) {
			// Signal's group server refuses the change (403); signal-cli
			// reports the IOException as an unexpected error.
			return nil, &rpcError{Code: -32603, Message: "Failed to send message: [403] Authorization failed! (AuthorizationFailedException) (UnexpectedErrorException)"}
		}
		if timer {
			g.Timer = secs
		}
		if v, ok := p["name"].(string); ok {
			g.Name = v
		}
		if v, ok := p["description"].(string); ok {
			g.Description = v
		}
		is := func(id string) func(Member) bool {
			return func(x Member) bool { return x.Number == id || x.UUID == id }
		}
		for _, m := range list(p, "member") {
			if i := slices.IndexFunc(g.Requesting, is(m)); i >= 0 {
				g.Members = append(g.Members, g.Requesting[i]) // approved
				g.Requesting = slices.Delete(slices.Clone(g.Requesting), i, i+1)
				continue
			}
			if mm := d.memberOf(a, m); d.noProfileKey[mm.Number] || d.noProfileKey[mm.UUID] {
				g.Pending = append(g.Pending, mm) // only invited, as signal-cli does
			} else {
				g.Members = append(g.Members, mm)
			}
			g.Banned = slices.DeleteFunc(g.Banned, is(m))
		}
		for _, m := range list(p, "admin") {
			setAdmin(g, m, true)
		}
		for _, m := range list(p, "removeAdmin") {
			setAdmin(g, m, false)
		}
		for _, m := range list(p, "removeMember") {
			g.Members = slices.DeleteFunc(g.Members, is(m))
			g.Requesting = slices.DeleteFunc(g.Requesting, is(m)) // refused
		}
		for _, m := range list(p, "ban") {
			if !slices.ContainsFunc(g.Banned, is(m)) {
				g.Banned = append(g.Banned, d.memberOf(a, m))
			}
		}
		for _, m := range list(p, "unban") {
			g.Banned = slices.DeleteFunc(g.Banned, is(m))
		}
		if v, ok := p["avatar"].(string); ok {
			b, err := readAvatar(v)
			if err != nil {
				return nil, err
			}
			g.Avatar = b
		}
		g.Revision++
		return map[string]any{"timestamp": d.now()}, nil
	case "updateContact":
		// One recipient, a string (RECIPIENT); expiration sets the
		// contact's timer and sends them the change (ManagerImpl's
		// setExpirationTimer), adding them to the contacts when they
		// were not. signal-cli answers nothing of it.
		r, ok := p["recipient"].(string)
		if !ok || r == "" {
			return nil, &rpcError{Code: -32602, Message: "recipient: a single recipient is expected"}
		}
		secs, timer, err := expiration(p)
		if err != nil {
			return nil, err
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		i := slices.IndexFunc(a.contacts, func(c Contact) bool { return c.Number == r || c.UUID == r })
		if i < 0 {
			m := d.memberOf(a, r)
			a.contacts = append(a.contacts, Contact{Number: m.Number, UUID: m.UUID})
			i = len(a.contacts) - 1
		}
		if v, ok := p["name"].(string); ok {
			a.contacts[i].Name = v
		}
		if timer {
			a.contacts[i].Timer = secs
		}
		return map[string]any{}, nil
	case "updateProfile":
		// avatar as updateGroup's; removeAvatar (--remove-avatar) wins.
		var b []byte
		if rm, _ := p["removeAvatar"].(bool); !rm {
			v, ok := p["avatar"].(string)
			if !ok {
				return map[string]any{}, nil // nothing of the picture asked
			}
			var err error
			if b, err = readAvatar(v); err != nil {
				return nil, err
			}
		}
		d.mu.Lock()
		a.avatar, a.avatarTS = b, time.Now().UnixMilli()
		d.mu.Unlock()
		return map[string]any{}, nil
	case "joinGroup":
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.joinGroup(a, p)
	case "trust":
		return d.trust(a, p)
	case "listIdentities":
		return d.listIdentities(a, p)
	case "getUserStatus":
		return d.userStatus(p)
	case "quitGroup":
		id, _ := p["groupId"].(string)
		d.mu.Lock()
		defer d.mu.Unlock()
		g := findGroup(a, id)
		if g == nil {
			return nil, userError("Group not found: %s", id)
		}
		if slices.ContainsFunc(g.Pending, a.self) {
			// signal-cli declines the invitation, and keeps the group.
			g.Pending = slices.DeleteFunc(slices.Clone(g.Pending), a.self)
			g.Revision++
			return map[string]any{"timestamp": d.now(), "results": []any{}}, nil
		}
		if !slices.ContainsFunc(g.Members, a.self) {
			// signal-cli's getGroupForUpdating: left or removed already.
			return nil, userError("User is not a member in group: %s (%s)", g.Name, g.ID)
		}
		a.groups = slices.DeleteFunc(a.groups, func(g *Group) bool { return g.ID == id })
		return map[string]any{"timestamp": d.now(), "results": []any{}}, nil
	case "getAttachment":
		id, _ := p["id"].(string)
		d.mu.Lock()
		b, ok := a.attachments[id]
		d.mu.Unlock()
		if !ok {
			return nil, userError("Could not find attachment with ID: %s", id)
		}
		return map[string]any{"data": base64.StdEncoding.EncodeToString(b)}, nil
	case "getSticker":
		pack, _ := p["packId"].(string)
		id, _ := p["stickerId"].(float64)
		d.mu.Lock()
		b, ok := a.stickers[fmt.Sprint(pack, "/", int(id))]
		late := a.latePacks[pack]
		delete(a.latePacks, pack)
		d.mu.Unlock()
		if !ok || late {
			return nil, userError("Could not find sticker with ID: %d in pack %s", int(id), pack)
		}
		return map[string]any{"data": base64.StdEncoding.EncodeToString(b)}, nil
	case "unregister":
		d.mu.Lock()
		a.registered = false
		d.mu.Unlock()
		return nil, nil
	case "deleteLocalAccountData":
		d.mu.Lock()
		defer d.mu.Unlock()
		if a.registered && p["ignoreRegistered"] != true {
			return nil, userError("Not deleting account, it is still registered. Use --ignore-registered to delete it anyway.")
		}
		for k, v := range d.accounts {
			if v == a {
				delete(d.accounts, k)
			}
		}
		d.writeAccountsLocked()
		return nil, nil
	}
	return nil, &rpcError{Code: -32601, Message: "Method not implemented"}
}

// checkTarget refuses a request naming neither a recipient nor a group,
// or a group the account is not in.
func (d *Daemon) checkTarget(a *Account, p map[string]any) error {
	groups := list(p, "groupId")
	if len(groups) == 0 && len(list(p, "recipient")) == 0 {
		return userError("No recipients given")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, g := range groups {
		grp := findGroup(a, g)
		if grp == nil {
			return userError("Group not found: %s", g)
		}
		// signal-cli keeps a group the account left or was removed
		// from (NotAGroupMemberException).
		if !slices.ContainsFunc(grp.Members, func(m Member) bool {
			return (m.Number != "" && m.Number == a.Number) || m.UUID == a.UUID
		}) {
			return userError("User is not a member in group: %s (%s)", grp.Name, grp.ID)
		}
	}
	// A number signal-cli cannot resolve to an account on Signal (none
	// of the contacts, failing UNREGISTERED_FAILURE) is refused before
	// anything goes (UnregisteredRecipientException); a contact's
	// account gone since answers UNREGISTERED_FAILURE among the results.
	for _, r := range list(p, "recipient") {
		if strings.HasPrefix(r, "+") && d.failing[r] == "UNREGISTERED_FAILURE" &&
			!slices.ContainsFunc(a.contacts, func(c Contact) bool { return c.Number == r }) {
			return userError("The user %s is not registered.", r)
		}
	}
	return nil
}

// Fail makes sends to recipient (a number or an ACI, alone or as a
// group member) get a result of type kind (UNREGISTERED_FAILURE,
// IDENTITY_FAILURE, NETWORK_FAILURE, RATE_LIMIT_FAILURE...); "" = SUCCESS
// again. A number of UNREGISTERED_FAILURE is not on Signal: a group
// created with it is refused, and so is a send to it when it is none of
// the contacts. IDENTITY_FAILURE is a new identity key of theirs, not
// trusted: listIdentities gives it, another fingerprint, once a send
// met it, the key before until then (trusted), as signal-cli does.
// PROOF_REQUIRED
// is Signal's spam check asking for a captcha: signal-cli answers it as
// RATE_LIMIT_FAILURE with the challenge's token.
func (d *Daemon) Fail(recipient, kind string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failing[recipient] = kind
	if kind == "IDENTITY_FAILURE" {
		d.newKeys[recipient]++
		delete(d.metKeys, recipient)
	}
}

// Forget makes the daemon answer method as a signal-cli older than it
// does: -32601 "Method not implemented".
func (d *Daemon) Forget(method string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.unknown[method] = true
}

// Stall makes the daemon read requests of method and never answer them,
// as a signal-cli stuck (on a lock, a long garbage collection) while
// its socket is up does; the others are answered.
func (d *Daemon) Stall(method string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stalled[method] = true
}

// hold is a request whose answer, made when it was read, waits.
type hold struct {
	method, param string
	read, release chan struct{}
}

// HoldNext makes the daemon answer the next request of method that has
// param ("": any request of method, listAccounts has none) as it stands
// when read, but send that answer only once release
// is called; read is closed when the request is read. So a test makes an
// answer arrive late, after the state it tells changed: a slow reader.
func (d *Daemon) HoldNext(method, param string) (read <-chan struct{}, release func()) {
	h := &hold{method: method, param: param, read: make(chan struct{}), release: make(chan struct{})}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.held = h
	return h.read, sync.OnceFunc(func() { close(h.release) })
}

// Unstall answers the requests of method read from now on (not those
// stalled before).
func (d *Daemon) Unstall(method string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.stalled, method)
}

// StalledRequests are the params of the requests of method read and left
// unanswered (Stall), in order.
func (d *Daemon) StalledRequests(method string) []map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.stalledReqs[method])
}

// Unregister makes the account one Signal no longer knows (its device
// unlinked from the phone): every request but deleteLocalAccountData is
// refused with "Account is not registered.", subscribeReceive too.
func (d *Daemon) Unregister(account string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.accounts[account].registered = false
}

// Unlink drops the account as signal-cli does when Signal refuses its
// device while the daemon runs (unlinked from the phone: the websocket's
// AUTHENTICATION_FAILED): it closes the account and forgets it, its
// subscriptions end without a word, and every request naming it gets
// "Specified account does not exist".
func (d *Daemon) Unlink(account string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.accounts[account]
	for id, acc := range d.accounts {
		if acc == a { // by number and by ACI
			delete(d.accounts, id)
		}
	}
	d.writeAccountsLocked()
	for c := range d.conns {
		for id, acc := range c.subs {
			if acc == a {
				delete(c.subs, id)
			}
		}
	}
}

// ChangeNumber renames the account of number old to number to, as
// signal-cli does when the user changes the account's number on the
// phone (Settings > Account > Change phone number): the phone sends its
// linked devices a PniChangeNumber sync message, which signal-cli applies
// (AccountHelper.setPni: the account's number, its accounts.json entry)
// and writes as an envelope from the account itself with an empty
// syncMessage (JsonSyncMessage has no field for it), the notification's
// "account" naming the new number already, as every later one does.
// The subscriptions go on; a request naming the old number gets
// "Specified account does not exist", and listAccounts lists the new one.
// sync false renames it without the envelope, as signal-cli's own check
// of the account at its start (checkWhoAmI) does.
func (d *Daemon) ChangeNumber(old, to string, sync bool) {
	d.mu.Lock()
	a := d.accounts[old]
	delete(d.accounts, old)
	a.Number = to
	d.accounts[to] = a
	d.writeAccountsLocked()
	if sync {
		a.queue = append(a.queue, Envelope{Source: to, SourceNumber: to, SourceUUID: a.UUID, SourceDevice: 1,
			Timestamp: d.now(), SyncMessage: &SyncMessage{}})
	}
	d.mu.Unlock()
	d.flush(a)
}

// FailNext makes the next request of method fail with a JSON-RPC error
// of code and message, once per call of FailNext, as a signal-cli that
// hit a passing trouble (an IOException of its store, a timeout towards
// Signal's servers) answers it.
func (d *Daemon) FailNext(method string, code int, message string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failNext[method] = append(d.failNext[method], &rpcError{Code: code, Message: message})
}

// FailNextFor is FailNext for the next request of method naming
// recipient only: the plugin's requests of others (a background read)
// go on.
func (d *Daemon) FailNextFor(method, recipient string, code int, message string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := [2]string{method, recipient}
	d.failFor[k] = append(d.failFor[k], &rpcError{Code: code, Message: message})
}

// NoProfileKey makes user (a number or an ACI) one signal-cli has no
// profile key of: a group it creates only invites them (pendingMembers),
// as signal-cli does.
func (d *Daemon) NoProfileKey(user string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.noProfileKey[user] = true
}

// createGroup answers updateGroup without a groupId as signal-cli
// (UpdateGroupCommand) does: a new group of the account, its admin, with
// the members given, or only invited when the account has no profile key
// of theirs; a number not on Signal (Fail UNREGISTERED_FAILURE) refuses
// the whole group. The answer is the group's ID, and the timestamp and
// per-member results of its first update. d.mu is held.
func (d *Daemon) createGroup(a *Account, p map[string]any) (any, error) {
	g := &Group{ID: NewGroupID(), Members: []Member{{Number: a.Number, UUID: a.UUID, Admin: true}}}
	g.Name, _ = p["name"].(string)
	g.Description, _ = p["description"].(string)
	for _, id := range list(p, "member") {
		if strings.HasPrefix(id, "+") && d.failing[id] == "UNREGISTERED_FAILURE" {
			return nil, userError("The user %s is not registered.", id)
		}
		m := d.memberOf(a, id)
		switch {
		case m.Number == a.Number || m.UUID == a.UUID:
		case d.noProfileKey[m.Number] || d.noProfileKey[m.UUID]:
			g.Pending = append(g.Pending, m)
		default:
			g.Members = append(g.Members, m)
		}
	}
	a.groups = append(a.groups, g)
	results := []map[string]any{}
	for _, m := range append(slices.Clone(g.Members[1:]), g.Pending...) {
		kind := cmp.Or(d.failing[m.Number], d.failing[m.UUID], "SUCCESS")
		d.meetKey(m, kind)
		results = append(results, map[string]any{"recipientAddress": address(m), "type": kind, "groupId": g.ID})
	}
	return map[string]any{"groupId": g.ID, "timestamp": d.now(), "results": results}, nil
}

// sent answers a send as signal-cli does: a new timestamp and one result
// per recipient, each member of a group but the account itself included
// (with the group's ID). A send no recipient got is an error carrying
// that answer as data.response: -4 when every failure is an untrusted
// identity, -5 when every one is a rate limit, -1 otherwise
// (SendMessageResultUtils.outputResult, since signal-cli 0.10.1); one to
// no one at all (a group of the account alone) succeeds.
func (d *Daemon) sent(a *Account, req *Request) (any, error) {
	d.mu.Lock()
	ts := d.now()
	type to struct {
		m     Member
		group string
	}
	var tos []to
	for _, r := range list(req.Params, "recipient") {
		tos = append(tos, to{m: d.memberOf(a, r)})
	}
	for _, id := range list(req.Params, "groupId") {
		if g := findGroup(a, id); g != nil {
			for _, m := range g.Members {
				if m.Number != a.Number && m.UUID != a.UUID {
					tos = append(tos, to{m, id})
				}
			}
		}
	}
	var results []map[string]any
	kinds := map[string]bool{}
	got := false
	for _, t := range tos {
		kind := cmp.Or(d.failing[t.m.Number], d.failing[t.m.UUID], "SUCCESS")
		d.meetKey(t.m, kind)
		r := map[string]any{"recipientAddress": address(t.m), "type": kind}
		if t.group != "" {
			r["groupId"] = t.group
		}
		if kind == "PROOF_REQUIRED" {
			kind, r["type"], r["token"] = "RATE_LIMIT_FAILURE", "RATE_LIMIT_FAILURE", "fake-challenge-token"
		}
		if kind == "RATE_LIMIT_FAILURE" {
			r["retryAfterSeconds"] = 60
		}
		results = append(results, r)
		kinds[kind] = true
		got = got || kind == "SUCCESS"
	}
	d.mu.Unlock()
	req.Timestamp = ts
	if req.Method == "send" || req.Method == "sendPollCreate" {
		// signal-cli adds the chat's timer to every message it sends
		// (SendHelper), a poll too.
		req.ExpiresInSeconds = timerOf(a, req.Params)
	}
	answer := map[string]any{"timestamp": ts, "results": results}
	if got || len(results) == 0 {
		return answer, nil
	}
	e := &rpcError{Code: -1, Message: "Failed to send message", Data: map[string]any{"response": answer}}
	switch {
	case len(kinds) == 1 && kinds["IDENTITY_FAILURE"]:
		e.Code, e.Message = -4, "Failed to send message due to untrusted identities"
	case len(kinds) == 1 && kinds["RATE_LIMIT_FAILURE"]:
		e.Code, e.Message = -5, "Failed to send message due to rate limiting"
	}
	return nil, e
}

// meetKey notes m's new key met by a send whose result for them is kind
// (IDENTITY_FAILURE: signal-cli saved it, untrusted). d.mu is held.
func (d *Daemon) meetKey(m Member, kind string) {
	if kind != "IDENTITY_FAILURE" {
		return
	}
	for _, id := range []string{m.Number, m.UUID} {
		if id != "" && d.failing[id] == kind {
			d.metKeys[id] = true // as Fail named them: a new key forgets it
		}
	}
}

// pollOf reports whether the message at ts is a poll of a's: one it
// sent (sendPollCreate) or the phone's (a sync message delivered).
func (d *Daemon) pollOf(a *Account, ts int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range a.requests {
		if r.Method == "sendPollCreate" && r.Timestamp == ts {
			return true
		}
	}
	return slices.Contains(a.polls, ts)
}

// expiration reads updateContact's and updateGroup's expiration, a
// Java int of seconds (0: off); set false when the request has none.
func expiration(p map[string]any) (secs int, set bool, err error) {
	v, ok := p["expiration"]
	if !ok {
		return 0, false, nil
	}
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, false, &rpcError{Code: -32602, Message: fmt.Sprintf("expiration: %v is no int", v)}
	}
	return int(f), true, nil
}

// self reports whether m is the account itself, by number or UUID.
func (a *Account) self(m Member) bool {
	return (m.Number != "" && m.Number == a.Number) || (m.UUID != "" && m.UUID == a.UUID)
}

// isAdmin reports whether the account is an admin of g.
func isAdmin(g *Group, a *Account) bool {
	for _, m := range g.Members {
		if a.self(m) {
			return m.Admin
		}
	}
	return false
}

// timerOf is the disappearing messages timer signal-cli adds to a send
// (SendHelper): the group's, else the contact's; d.mu is held.
func timerOf(a *Account, p map[string]any) int {
	for _, id := range list(p, "groupId") {
		if g := findGroup(a, id); g != nil {
			return g.Timer
		}
	}
	for _, r := range list(p, "recipient") {
		for _, c := range a.contacts {
			if c.Number == r || c.UUID == r {
				return c.Timer
			}
		}
	}
	return 0
}

// learnTimer keeps the timer a direct message carries as its contact's,
// as signal-cli does with a message that has text or changes the timer
// (from the contact, or from the user's phone to them); d.mu is held.
func learnTimer(a *Account, env Envelope) {
	number, uuid, dm := env.SourceNumber, env.SourceUUID, env.DataMessage
	if sm := sentOf(env); sm != nil {
		number, uuid, dm = sm.DestinationNumber, sm.DestinationUUID, &sm.DataMessage
	}
	if dm == nil || dm.GroupInfo != nil || (dm.Message == nil && !dm.IsExpirationUpdate) {
		return
	}
	for i, c := range a.contacts {
		if (number != "" && c.Number == number) || (uuid != "" && c.UUID == uuid) {
			a.contacts[i].Timer = dm.ExpiresInSeconds
		}
	}
}

// learnBlocked marks the contacts blocked or not by a block list synced
// from the phone; d.mu is held.
func learnBlocked(a *Account, env Envelope) {
	if env.SyncMessage == nil || env.SyncMessage.BlockedNumbers == nil {
		return
	}
	for i, c := range a.contacts {
		a.contacts[i].Blocked = slices.Contains(env.SyncMessage.BlockedNumbers, c.Number) || slices.Contains(env.SyncMessage.BlockedNumbers, c.UUID)
	}
	for _, g := range a.groups {
		g.Blocked = slices.Contains(env.SyncMessage.BlockedGroupIDs, g.ID)
	}
}

func sentOf(env Envelope) *SentMessage {
	if env.SyncMessage == nil {
		return nil
	}
	return env.SyncMessage.SentMessage
}

// address is a member as signal-cli's JSON names a recipient.
func address(m Member) map[string]any {
	a := map[string]any{}
	if m.UUID != "" {
		a["uuid"] = m.UUID
	}
	if m.Number != "" {
		a["number"] = m.Number
	}
	return a
}

// memberOf is the member an identifier (number or ACI) names, with the
// other half from the account's contacts when known.
func (d *Daemon) memberOf(a *Account, id string) Member {
	if id != "" && (id == a.Number || id == a.UUID) {
		return Member{Number: a.Number, UUID: a.UUID} // the note to self
	}
	for _, c := range a.contacts {
		if c.Number == id || c.UUID == id {
			return Member{Number: c.Number, UUID: c.UUID}
		}
	}
	if strings.HasPrefix(id, "+") {
		return Member{Number: id, UUID: NewUUID()}
	}
	return Member{UUID: id}
}

// NewUUID returns a random UUID (version 4).
func NewUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func setAdmin(g *Group, id string, admin bool) {
	for i, m := range g.Members {
		if m.Number == id || m.UUID == id {
			g.Members[i].Admin = admin
		}
	}
}

func findGroup(a *Account, id string) *Group {
	for _, g := range a.groups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

// list reads a parameter that may be one value or a list, under its name
// or its plural, as signal-cli's JSON-RPC does.
// namedContacts calls f with each of a's contacts that p's recipients
// name, by number or ACI; with d.mu held.
func namedContacts(a *Account, p map[string]any, f func(*Contact)) {
	for _, r := range list(p, "recipient") {
		for i, ct := range a.contacts {
			if ct.Number == r || ct.UUID == r {
				f(&a.contacts[i])
			}
		}
	}
}

func list(p map[string]any, name string) []string {
	v, ok := p[name]
	if !ok {
		v = p[name+"s"]
	}
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			switch x := x.(type) {
			case string:
				out = append(out, x)
			case float64:
				out = append(out, fmt.Sprint(int64(x)))
			}
		}
		return out
	case float64:
		return []string{fmt.Sprint(int64(v))}
	}
	return nil
}

func permission(onlyAdmins bool) string {
	if onlyAdmins {
		return "ONLY_ADMINS"
	}
	return "EVERY_MEMBER"
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// NewGroupID returns a new random group ID, base64 as signal-cli writes
// them.
func NewGroupID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// LinkURIPrefix starts every link URI.
const LinkURIPrefix = "sgnl://linkdevice?"

// IsLinkURI reports whether s is a link URI as startLink gives them.
func IsLinkURI(s string) bool { return strings.HasPrefix(s, LinkURIPrefix) }
