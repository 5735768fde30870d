package tgfake

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// Searching by name (contacts.search): the searcher's own groups and
// channels whose title or username holds the query, in my_results;
// public channels (those with a username) and users with a username
// that holds it, in results. A private group the searcher is not in is
// never found, as on Telegram.

// SearchMinLen is the shortest query contacts.search takes, in
// characters: shorter is QUERY_TOO_SHORT (TDLib's clients do not ask
// Telegram for public chats under 4 characters either).
const SearchMinLen = 4

// SetSearchError makes every contacts.search answer this error from now
// on ("" = none), such as "FLOOD_WAIT_30" or "QUERY_TOO_SHORT".
func (s *Server) SetSearchError(rpcError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.searchErr = rpcError
}

func (s *Server) registerSearch(d *tgtest.Dispatcher) {
	handle(s, d, tg.ContactsSearchRequestTypeID, "contacts.search", func(k *key, r *tg.ContactsSearchRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		if s.searchErr != "" {
			code := 400
			if strings.HasPrefix(s.searchErr, "FLOOD_WAIT") {
				code = 420
			}
			return nil, tgerr.New(code, s.searchErr)
		}
		q := strings.ToLower(strings.TrimSpace(r.Q))
		switch {
		case q == "":
			return nil, tgerr.New(400, "SEARCH_QUERY_EMPTY")
		case utf8.RuneCountInString(q) < SearchMinLen:
			return nil, tgerr.New(400, "QUERY_TOO_SHORT")
		}
		match := func(names ...string) bool {
			for _, n := range names {
				if n != "" && strings.Contains(strings.ToLower(n), q) {
					return true
				}
			}
			return false
		}
		type hit struct {
			peer    tg.PeerClass
			chat    tg.ChatClass
			members int
			mine    bool
		}
		var hits []hit
		for _, g := range s.groups {
			if slices.Contains(g.Members, k.user) && match(g.Title) {
				hits = append(hits, hit{&tg.PeerChat{ChatID: g.ID}, g.tg(k.user), len(g.Members), true})
			}
		}
		for _, c := range s.channels {
			mine := slices.Contains(c.Members, k.user)
			if (mine || c.Username != "") && match(c.Title, c.Username) {
				ch := c.tg(k.user)
				ch.ParticipantsCount = len(c.Members)
				ch.SetFlags()
				hits = append(hits, hit{&tg.PeerChannel{ChannelID: c.ID}, ch, len(c.Members), mine})
			}
		}
		slices.SortFunc(hits, func(a, b hit) int {
			return cmp.Or(cmp.Compare(b.members, a.members), strings.Compare(a.peer.String(), b.peer.String()))
		})
		out := &tg.ContactsFound{}
		for _, h := range hits {
			if len(out.MyResults)+len(out.Results) == r.Limit {
				break
			}
			if h.mine {
				out.MyResults = append(out.MyResults, h.peer)
			} else {
				out.Results = append(out.Results, h.peer)
			}
			out.Chats = append(out.Chats, h.chat)
		}
		for _, id := range slices.Sorted(maps.Keys(s.users)) {
			u := s.users[id]
			if id != k.user && u.Username != "" && match(u.Username) && len(out.MyResults)+len(out.Results) < r.Limit {
				out.Results = append(out.Results, &tg.PeerUser{UserID: id})
				out.Users = append(out.Users, u.tg(false))
			}
		}
		return out, nil
	})
}
