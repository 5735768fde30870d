package signal

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var (
	_ sdk.ContactLister      = (*Session)(nil)
	_ sdk.IdentifierResolver = (*Session)(nil)
	_ sdk.UserInfoer         = (*Session)(nil)
)

// contactEntry is one entry of listContacts.
type contactEntry struct {
	Number    *string `json:"number"`
	UUID      string  `json:"uuid"`
	Username  *string `json:"username"`
	Name      string  `json:"name"`
	GivenName *string `json:"givenName"`
	IsBlocked bool    `json:"isBlocked"`
	IsHidden  bool    `json:"isHidden"`
	// ProfileSharing: the user wrote to them or accepted their message
	// request (nil: not said, by a signal-cli before it was listed;
	// messagerequest.go).
	ProfileSharing *bool `json:"profileSharing"`
	Profile        *struct {
		LastUpdateTimestamp int64   `json:"lastUpdateTimestamp"`
		GivenName           *string `json:"givenName"`
		FamilyName          *string `json:"familyName"`
		HasAvatar           bool    `json:"hasAvatar"`
	} `json:"profile"`
	// MessageExpirationTime is the direct chat's disappearing messages
	// timer, in seconds (0: off).
	MessageExpirationTime int `json:"messageExpirationTime"`
}

// avatarID names the contact's profile avatar as it is now: it changes
// with the profile ("" when there is none).
func (c contactEntry) avatarID() string {
	if c.Profile == nil || !c.Profile.HasAvatar {
		return ""
	}
	return "p" + strconv.FormatInt(c.Profile.LastUpdateTimestamp, 10)
}

func (c contactEntry) contact(id string) *pb.Contact {
	return &pb.Contact{UserId: id, Name: c.displayName(), Phone: deref(c.Number), Username: deref(c.Username), AvatarId: c.avatarID()}
}

// displayName is the contact's name as the user saved it, else as the
// contact's profile says.
func (c contactEntry) displayName() string {
	if c.Name != "" {
		return c.Name
	}
	if c.Profile != nil {
		return strings.TrimSpace(deref(c.Profile.GivenName) + " " + deref(c.Profile.FamilyName))
	}
	return deref(c.GivenName)
}

// ContactList lists the account's contacts (blocked and hidden ones
// left out). A contact whose number became known since it was last seen
// by its ACI alone moves (IdentityEvent) before the list is returned.
func (s *Session) ContactList(ctx context.Context) ([]*pb.Contact, error) {
	var cs []contactEntry
	if err := s.call(ctx, "could not list the contacts", "listContacts", nil, &cs); err != nil {
		return nil, err
	}
	var out []*pb.Contact
	blocked := map[string]bool{}
	for _, c := range cs {
		if c.IsBlocked {
			for _, id := range []string{deref(c.Number), c.UUID} {
				if id != "" {
					blocked[id] = true
				}
			}
		}
		if c.IsBlocked || c.IsHidden {
			continue
		}
		id, moved := s.ids.userID(deref(c.Number), c.UUID, c.displayName())
		if moved != nil {
			s.identityMoved(ctx, moved)
		}
		if id == "" || id == s.selfID() {
			continue
		}
		if c.accepted() {
			s.noteAccepted(id) // messagerequest.go
		}
		out = append(out, c.contact(id))
	}
	s.mu.Lock()
	s.blockedUsers = blocked
	s.mu.Unlock()
	s.profiles.told(out, time.Now())
	s.namesRead(ctx, cs)                    // the members' nicks (membernames.go)
	return append(out, s.noteToSelf()), nil // notetoself.go
}

// blockedUser reports whether the user blocked the person of a direct
// chat on the phone, as signal-cli last listed them or the phone's block
// list said.
func (s *Session) blockedUser(chatID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blockedUsers[chatID]
}

// ProfileRecheck is how often at most a contact's name and profile
// picture are read again from signal-cli as their messages come (at
// once when the name an envelope gives changed): signal-cli refreshes a
// profile as it reads the contact's messages, while the gateway asks
// for the contact list only at a connection.
var ProfileRecheck = 6 * time.Hour

// profilesTold are the contacts' names and pictures as last told to the
// host, by user ID, and when each was read.
type profilesTold struct {
	mu sync.Mutex
	m  map[string]profileTold
}

type profileTold struct {
	name, avatar, seen string // seen: the name an envelope gave last
	at                 time.Time
}

// told records contacts as told at now.
func (p *profilesTold) told(cs []*pb.Contact, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]profileTold{}
	}
	for _, c := range cs {
		p.m[c.UserId] = profileTold{name: c.Name, avatar: c.AvatarId, seen: p.m[c.UserId].seen, at: now}
	}
}

// name is contact id's name as last told ("" when none was).
func (p *profilesTold) name(id string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[id].name
}

// moved follows a contact's move to a new user ID (a number change):
// their profile as told goes with them, and so do its rechecks. It
// returns their name as told, and whether they were a contact.
func (p *profilesTold) moved(old, to string) (name string, contact bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.m[old]
	if !ok {
		return "", false
	}
	delete(p.m, old)
	p.m[to] = t
	return t.name, true
}

// due reports whether contact id's profile is to be read again, an
// envelope from them naming them name ("" when it did not): a contact
// told before whose name changed, or read ProfileRecheck ago.
func (p *profilesTold) due(id, name string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.m[id]
	if !ok {
		return false // no contact (the list tells contacts)
	}
	changed := name != "" && name != t.seen && name != t.name
	if name != "" {
		t.seen = name
	}
	if !changed && now.Sub(t.at) < ProfileRecheck {
		p.m[id] = t
		return false
	}
	t.at = now // one read at a time, even if it fails
	p.m[id] = t
	return true
}

// profileSeen reads a contact's name and picture again from signal-cli
// when an envelope of theirs says their name changed, or they were read
// ProfileRecheck ago, and tells the host of a change: a contact who
// renamed themselves or changed their picture kept the old ones in the
// roster until the gateway's next connection. It returns the entry it
// read (nil: none), which names the contact in groups too.
func (s *Session) profileSeen(ctx context.Context, id, name string) *contactEntry {
	if id == "" || id == s.selfID() || !s.profiles.due(id, name, time.Now()) {
		return nil
	}
	var cs []contactEntry
	if err := s.call(ctx, "could not read the contact", "listContacts", map[string]any{"recipient": []string{id}}, &cs); err != nil {
		s.n.host.Logger().Debug("signal: a contact's profile could not be read again", "login", s.loginID, "user", id, "err", err)
		return nil
	}
	for _, c := range cs {
		if deref(c.Number) != id && c.UUID != id {
			continue
		}
		if c.IsBlocked || c.IsHidden {
			return &c
		}
		now := c.contact(id)
		s.profiles.mu.Lock()
		t := s.profiles.m[id]
		same := t.name == now.Name && t.avatar == now.AvatarId
		t.name, t.avatar = now.Name, now.AvatarId
		s.profiles.m[id] = t
		s.profiles.mu.Unlock()
		if !same {
			s.emit(ctx, &pb.Event{Payload: &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: now}}}, false)
		}
		return &c
	}
	return nil
}

// ResolveIdentifier finds a contact by phone number, Signal username or
// username link (usernames.go), or ACI. Signal adds no one to a list:
// anyone with Signal can be written to.
func (s *Session) ResolveIdentifier(ctx context.Context, identifier string, _ bool) (*pb.Contact, error) {
	if isUUID(strings.TrimSpace(identifier)) {
		id, _ := s.ids.userID("", strings.ToLower(strings.TrimSpace(identifier)), "")
		if s.isSelfChat(id) {
			return s.noteToSelf(), nil
		}
		return &pb.Contact{UserId: id}, nil
	}
	if username, ok := parseUsername(identifier); ok {
		return s.resolveUsername(ctx, username)
	}
	number := normalizeNumber(identifier)
	if number == "" {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%q is no phone number in international form, such as +33612345678, nor Signal username, such as alice.12", identifier)
	}
	if s.isSelfChat(number) {
		return s.noteToSelf(), nil // notetoself.go
	}
	return &pb.Contact{UserId: number, Phone: number}, nil
}

// UserInfo describes a contact with their profile avatar (getAvatar).
// Someone not in the contact list is described by their ID alone. The
// user's own ID is the user's own profile (ownprofile.go).
func (s *Session) UserInfo(ctx context.Context, userID string) (*pb.Contact, error) {
	if _, err := target(userID); err != nil || groupIDOf(userID) != "" {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is no Signal user", userID)
	}
	if s.isSelfChat(userID) {
		return s.ownInfo(ctx)
	}
	var cs []contactEntry
	if err := s.call(ctx, "could not read the contact", "listContacts", map[string]any{"recipient": []string{userID}}, &cs); err != nil {
		return nil, err
	}
	out := &pb.Contact{UserId: userID}
	for _, c := range cs {
		if deref(c.Number) == userID || c.UUID == userID {
			out = c.contact(userID)
			break
		}
	}
	return s.withAvatar(ctx, out, userID), nil
}

// withAvatar fills out's picture, the profile avatar of userID
// (getAvatar), when its avatar_id says there is one; one signal-cli
// cannot give leaves out without a picture (and its ID).
func (s *Session) withAvatar(ctx context.Context, out *pb.Contact, userID string) *pb.Contact {
	if out.AvatarId == "" {
		return out
	}
	var res struct {
		Data string `json:"data"`
	}
	if err := s.call(ctx, "could not fetch the avatar", "getAvatar", map[string]any{"profile": userID}, &res); err != nil {
		// No avatar is not a failure of the description.
		s.n.host.Logger().Debug("signal: no avatar", "login", s.loginID, "user", userID, "err", err)
		out.AvatarId = ""
		return out
	}
	b, err := base64.StdEncoding.DecodeString(res.Data)
	if err != nil || len(b) == 0 {
		out.AvatarId = ""
		return out
	}
	out.Avatar, out.AvatarMime = b, http.DetectContentType(b)
	return out
}

// contactsSynced announces the contact list the phone sent (right after a
// link the list is empty until it comes): each contact as a ContactEvent.
func (s *Session) contactsSynced(ctx context.Context) {
	s.timers.forget("") // the list carries each contact's timer (directtimers.go)
	cs, err := s.ContactList(ctx)
	if err != nil {
		s.n.host.Logger().Warn("signal: the synced contacts could not be read", "login", s.loginID, "err", err)
		return
	}
	for _, c := range cs {
		s.emit(ctx, &pb.Event{Payload: &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: c}}}, true)
	}
}

// blockedSynced follows the block list the phone sent after the user
// blocked or unblocked someone there (signal-cli keeps it, and drops
// what the blocked send): the contact list is announced again, which
// brings back whoever was unblocked, then each one blocked is taken out
// of the contacts, as ContactList leaves them out. Before, a contact
// blocked on the phone stayed in the roster, and one unblocked did not
// come back until the next connection.
func (s *Session) blockedSynced(ctx context.Context, blocked []string) {
	s.contactsSynced(ctx)
	now := map[string]bool{}
	var ids []string
	for _, b := range blocked {
		id := b
		if isUUID(b) {
			id = s.ids.lookup("", strings.ToLower(b), s.account())
			now[strings.ToLower(b)] = true
		}
		if id != "" {
			now[id] = true
			ids = append(ids, id)
		}
	}
	s.mu.Lock()
	s.blockedUsers = now // the phone's whole list, whether or not the contacts were read
	s.mu.Unlock()
	for _, id := range ids {
		if id == s.selfID() {
			continue
		}
		s.emit(ctx, &pb.Event{ChatId: id, Payload: &pb.Event_ContactRemoved{ContactRemoved: &pb.ContactRemovedEvent{UserId: id}}}, true)
	}
}
