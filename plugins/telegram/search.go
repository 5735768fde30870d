package telegram

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Finding groups and channels from XMPP (sdk.ChatSearcher, feature
// chat_search) with contacts.search, as Telegram's apps search by name:
// the public supergroups and channels (those with a username) whose
// title or username holds the query, and the user's own groups that
// match. Each is found by the chat ID the rest of the plugin gives it
// (-100N, -N), its description is its public name (@name: full info per
// result would cost a request each), and its access hash is kept in the
// peer cache, so that joining that chat ID (JoinChat, joinFound) works.
// A bot cannot search: its logins answer UNSUPPORTED (the feature is the
// whole transport's, user accounts and bots alike).

var _ sdk.ChatSearcher = (*Session)(nil)

const (
	// minSearchLen is the shortest query Telegram searches public
	// chats for, in characters (TDLib's clients ask for no less).
	minSearchLen = 4
	// defaultFound is how many chats a search without a limit returns.
	defaultFound = 50
	// maxSearchAsk is the most results one contacts.search is asked
	// for: people come among them, and are left out here.
	maxSearchAsk = 100
)

// SearchChats finds the public groups and channels, and the user's own
// groups, whose name holds the query, the most populated first.
func (s *Session) SearchChats(ctx context.Context, q *pb.SearchChats) ([]*pb.FoundChat, error) {
	if s.bot != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: a bot cannot search Telegram for groups; a user account (logged in by phone number or QR code) can")
	}
	query := strings.TrimPrefix(strings.TrimSpace(q.Query), "@")
	if utf8.RuneCountInString(query) < minSearchLen {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: Telegram searches for at least %d characters of a name; %q is too short", minSearchLen, query)
	}
	api, _, err := s.client()
	if err != nil {
		return nil, err
	}
	limit := int(q.Limit)
	if limit <= 0 {
		limit = defaultFound
	}
	res, err := api.ContactsSearch(ctx, &tg.ContactsSearchRequest{Q: query, Limit: min(max(limit, defaultFound), maxSearchAsk)})
	if err != nil {
		return nil, searchErr(err)
	}
	// Kept before anything else: a join of a chat found needs its hash.
	s.peers.add(res.Users, res.Chats)
	for _, c := range res.Chats {
		if ch, ok := c.(*tg.Channel); ok {
			s.found.add(ch.ID)
		}
	}
	chats := map[string]*pb.FoundChat{}
	for _, c := range res.Chats {
		if f := foundChat(c); f != nil {
			chats[f.ChatId] = f
		}
	}
	var found []*pb.FoundChat
	for _, p := range slices.Concat(res.MyResults, res.Results) {
		id := peerChatID(p)
		if f := chats[id]; f != nil {
			found = append(found, f)
			delete(chats, id) // named in both lists: once
		}
	}
	// Telegram's order (the user's own first) among groups as big.
	slices.SortStableFunc(found, func(a, b *pb.FoundChat) int { return cmp.Compare(b.MemberCount, a.MemberCount) })
	if len(found) > limit {
		found = found[:limit]
	}
	return found, nil
}

// foundChat is a chat of a search's answer as found, or nil when it is
// no group the user may join or is in: a private channel the user is not
// in, a group the user left, one Telegram closed or upgraded.
func foundChat(cc tg.ChatClass) *pb.FoundChat {
	switch c := cc.(type) {
	case *tg.Channel:
		name := channelUsername(c)
		if name == "" && c.Left {
			return nil
		}
		f := &pb.FoundChat{ChatId: channelID(c.ID), Name: c.Title, Type: pb.ChatType_CHAT_TYPE_GROUP}
		if c.Broadcast {
			f.Type = pb.ChatType_CHAT_TYPE_CHANNEL
		}
		if n, ok := c.GetParticipantsCount(); ok && n > 0 {
			f.MemberCount = uint32(n)
		}
		if name != "" {
			f.Description = "@" + name
		}
		return f
	case *tg.Chat:
		// A basic group is never public: found, it is the user's.
		if c.Left || c.Deactivated {
			return nil
		}
		return &pb.FoundChat{ChatId: chatID(c.ID), Name: c.Title, Type: pb.ChatType_CHAT_TYPE_GROUP, MemberCount: uint32(max(c.ParticipantsCount, 0))}
	}
	return nil
}

// searchErr is a failed search's error: a query Telegram finds too short
// is the user's to lengthen; the connection failing is UNAVAILABLE.
func searchErr(err error) error {
	e, ok := tgerr.As(err)
	switch {
	case !ok:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "telegram: cannot search now: %v", err)
	case e.IsOneOf("QUERY_TOO_SHORT", "SEARCH_QUERY_EMPTY"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: Telegram finds the search too short: give more of the name (%s)", e.Type)
	}
	return cmdErr("search for groups", err) // FLOOD_WAIT: RATE_LIMITED
}

// joinFound joins a chat given by its chat ID, as a search found it: a
// supergroup or channel one of the login's searches returned within
// foundFor (its access hash kept), or a basic group the user is in,
// announced as it is. Only a search's: a leftover bookmark of a group
// the user left must not join it again.
func (s *Session) joinFound(ctx context.Context, chat string) (string, error) {
	kind, id, err := parsePeer(chat)
	if err != nil {
		return "", err
	}
	api, _, err := s.client()
	if err != nil {
		return "", err
	}
	switch kind {
	case peerChannel:
		ch, err := s.peers.inputChannel(id)
		if err != nil || !s.found.recent(id) {
			return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %s is no group this login has seen: find it first (find and part of its name), or join it by its public name (golang for t.me/golang)", chat)
		}
		what := chat
		if c, ok := s.peers.channel(id); ok && c.Title != "" {
			what = c.Title
		}
		return s.joinChannel(ctx, api, ch, what)
	case peerChat:
		if g, ok := s.peers.chat(id); ok && !g.Left && !g.Deactivated {
			return chat, s.announce(ctx, chat)
		}
	}
	return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: you are not in %s; a public group is joined by its name (golang for t.me/golang), a private one by its invite link", chat)
}

// foundSet are the channels the login's searches returned lately, by ID:
// those a room address joins (joinFound).
type foundSet struct {
	mu sync.Mutex
	at map[int64]time.Time
}

const (
	// foundFor is how long a chat a search returned may be joined by
	// its address.
	foundFor = time.Hour
	// maxFound bounds the set: the oldest go first.
	maxFound = 1000
)

func (f *foundSet) add(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.at == nil {
		f.at = map[int64]time.Time{}
	}
	now := time.Now()
	for k, t := range f.at {
		if now.Sub(t) > foundFor {
			delete(f.at, k)
		}
	}
	for len(f.at) >= maxFound {
		var oldest int64
		var at time.Time
		for k, t := range f.at {
			if at.IsZero() || t.Before(at) {
				oldest, at = k, t
			}
		}
		delete(f.at, oldest)
	}
	f.at[id] = now
}

func (f *foundSet) recent(id int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.at[id]
	return ok && time.Since(t) <= foundFor
}
