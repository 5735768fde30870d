package bridge

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"time"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/store"
)

// A room joined by name (room_join.go) must look like a room before the
// join: Gajim (nbxmpp's DiscoInfo.is_muc: a conference identity and the
// muc feature), Conversations, Dino and Converse.js send disco#info to
// the room's address first, and open a one-to-one chat, or say "not a
// group chat", when the answer is a contact's. So where the network joins
// chats by name (join_chat), disco#info on a bare address of the
// transport that is no known room and no one the session knows (no
// contact, no presence, no member of one of its rooms) answers as a room
// the user may join: XEP-0045 §6.4's conference identity, named after
// the address, and the muc feature. Whether the name leads anywhere is
// the join's to say (a redirect with gone, or an error). Where the
// network says what every chat name starts with (join_chat_prefixes), a
// name without one is a person's and nothing is asked of the network.
// Where any name may be a chat's (Telegram: @gophers is a group, @alice
// a person), the network is asked once (ResolveIdentifier, without
// create) and its answer kept a while (personNames): a person stays a
// contact, else Gajim would join Alice's username as a room. The room is not
// said to need a password (muc_passwordprotected): a join without one
// that the network refuses gets not-authorized, after which clients ask
// for one. Without join_chat, such an address stays a contact's, as
// before.

// aliasFeatures are the features of a room joined by name: what is known
// of it before the join.
var aliasFeatures = []string{wire.NSDiscoInfo, muc.NS, "muc_public", "muc_unsecured"}

// aliasDiscoInfo answers disco#info (p, with no node) on chatID's bare
// address as a room to join by name, when the network joins chats by
// name and the address is no one the session knows; false when it is not
// for it (the contact's answer then, inbound.go).
func (s *session) aliasDiscoInfo(ctx context.Context, st *wire.Stanza, chatID string, p *wire.Element) bool {
	t := s.t
	f := s.features()
	if p.Attr("node") != "" || !t.access.Allowed(s.user) || !f.GetJoinChat() || !chatName(f.GetJoinChatPrefixes(), joinChatPattern(t, f), chatID) || s.knowsUser(chatID) {
		return false
	}
	if len(f.GetJoinChatPrefixes()) == 0 && f.GetJoinChatPattern() == "" && s.personName(ctx, chatID) {
		return false
	}
	w := wire.Result(st)
	w.Start("query", wire.NSDiscoInfo)
	w.Start("identity", "").Attr("category", "conference").Attr("type", "text").Attr("name", wire.XMLSafe(chatID)).End()
	for _, f := range aliasFeatures {
		w.Start("feature", "").Attr("var", f).End()
	}
	w.End()
	t.send(ctx, w.Bytes())
	return true
}

// chatName reports whether id may name a chat by what the network says
// every chat name starts with (join_chat_prefixes) or the form its group
// IDs have (join_chat_pattern, nil when none); neither: any. An IRC nick
// is a person's: Gajim would join it as a room. A Signal group's ID has
// no prefix but a form no person's has: a group the user is invited to
// answers as a room before they join it.
func chatName(prefixes []string, pattern *regexp.Regexp, id string) bool {
	if len(prefixes) == 0 && pattern == nil {
		return true
	}
	for _, p := range prefixes {
		if p != "" && strings.HasPrefix(id, p) {
			return true
		}
	}
	return pattern != nil && pattern.MatchString(id)
}

// joinChatPattern is f's join_chat_pattern compiled to match a whole ID;
// nil when there is none. One the plugin got wrong is logged and matches
// nothing, so that a name is still a room only by its prefixes.
func joinChatPattern(t *transport, f *pb.Features) *regexp.Regexp {
	expr := f.GetJoinChatPattern()
	if expr == "" {
		return nil
	}
	re, err := regexp.Compile(`^(?:` + expr + `)$`)
	if err != nil {
		t.log.Warn("the plugin's join_chat_pattern is no regular expression: group IDs are taken for persons' before a join", "pattern", expr, "err", err)
		return regexp.MustCompile(`$.^`)
	}
	return re
}

// knowsUser reports whether userID is someone the session knows, by what
// the gateway holds (no network call): a contact, someone whose presence
// it has, or a member of one of the user's rooms. A store that cannot be
// read counts as knowing: the contact's answer is the one given before
// join_chat.
func (s *session) knowsUser(userID string) bool {
	t := s.t
	if _, err := t.db.GetPuppet(t.name, s.LoginID(), userID); !errors.Is(err, store.ErrNotFound) {
		return true
	}
	if s.presence(userID) != nil {
		return true
	}
	for _, r := range s.rooms.all() {
		r.mu.Lock()
		_, member := r.members[userID]
		r.mu.Unlock()
		if member {
			return true
		}
	}
	return false
}

// personNameTTL is how long the network's answer on a name is kept: a
// username rarely changes hands, and looking one up is rate-limited
// (Telegram's contacts.resolveUsername).
const personNameTTL = time.Hour

// personNamesMax bounds the answers kept per session; past it the
// expired ones go, then any until half are left.
const personNamesMax = 256

// resolveWait bounds the disco answer's wait for the network: the chat's
// worker waits with it.
const resolveWait = 10 * time.Second

// personNames are the network's answers on names a client asked about:
// whether each is a person's, and until when that is trusted.
type personNames struct {
	mu      sync.Mutex
	answers map[string]personAnswer
}

type personAnswer struct {
	person bool
	until  time.Time
}

func (n *personNames) get(name string, now time.Time) (person, ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	a, ok := n.answers[name]
	if !ok || now.After(a.until) {
		return false, false
	}
	return a.person, true
}

func (n *personNames) put(name string, person bool, now time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.answers == nil {
		n.answers = map[string]personAnswer{}
	}
	if len(n.answers) >= personNamesMax {
		for k, a := range n.answers {
			if now.After(a.until) {
				delete(n.answers, k)
			}
		}
		for k := range n.answers {
			if len(n.answers) < personNamesMax/2 {
				break
			}
			delete(n.answers, k)
		}
	}
	n.answers[name] = personAnswer{person: person, until: now.Add(personNameTTL)}
}

// personName reports whether the network knows name as a person's (its
// ResolveIdentifier finds a contact). Only a contact or the network's
// "not found" is an answer, kept for personNameTTL; any other error (no
// plugin, unsupported, a timeout) counts as not a person and is not
// kept: the room's answer is the one given before the network was asked.
func (s *session) personName(ctx context.Context, name string) bool {
	now := time.Now()
	if person, ok := s.names.get(name, now); ok {
		return person
	}
	t := s.t
	client, err := t.client(ctx)
	if err != nil {
		return false
	}
	cctx, cancel := context.WithTimeout(ctx, resolveWait)
	defer cancel()
	c, err := client.ResolveIdentifier(cctx, &pb.ResolveIdentifierRequest{LoginId: s.LoginID(), Identifier: name})
	switch e := sdk.FromGRPC(err); {
	case err == nil && c.GetUserId() != "":
		s.names.put(name, true, now)
		return true
	case e != nil && e.Code == pb.ErrorCode_ERROR_CODE_NOT_FOUND:
		s.names.put(name, false, now)
	default:
		t.log.Debug("name not looked up on the network", "user", s.user, "name", name, "err", err)
	}
	return false
}
