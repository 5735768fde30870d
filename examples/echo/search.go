package echo

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Finding public groups (sdk.ChatSearcher, feature chat_search): the
// echo network's directory is its public channels (Directory), the
// account's echo room, unless the user left it, and the channels the
// account joined or created. A query matches, in any case, a part of a
// group's name or ID; the most populated come first. The query
// SearchDown finds nothing: the directory is down (UNAVAILABLE), as a
// network's search can be.

// SearchDown is the query the echo directory answers UNAVAILABLE.
const SearchDown = "directory down"

// SearchHold is a file in the plugin's data folder: while it is there a
// search waits, as a slow directory's (an IRC server listing its
// channels) would, the plugin answering all else.
const SearchHold = "hold-search"

// searchHeld waits while the SearchHold file is there, or ctx ends.
func (s *Session) searchHeld(ctx context.Context) error {
	for {
		if _, err := os.Stat(filepath.Join(s.n.dataDir, SearchHold)); err != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Directory is the echo network's public channels, found by a search
// whether joined or not; each joins as any channel does (channels.go).
var Directory = []*pb.FoundChat{
	{ChatId: "#echo-lounge", Name: "Echo lounge", Description: "Where every word comes back", MemberCount: 42, Type: pb.ChatType_CHAT_TYPE_GROUP},
	{ChatId: "#echo-news", Name: "Echo news", Description: "Announcements of the echo network", MemberCount: 120, Type: pb.ChatType_CHAT_TYPE_CHANNEL},
	{ChatId: "#tea", Name: "Tea", Description: "Green, black and oolong", MemberCount: 5, Type: pb.ChatType_CHAT_TYPE_GROUP},
}

var _ sdk.ChatSearcher = (*Session)(nil)

// SearchChats finds the groups whose name or ID holds the query.
func (s *Session) SearchChats(ctx context.Context, q *pb.SearchChats) ([]*pb.FoundChat, error) {
	if err := s.online(); err != nil {
		return nil, err
	}
	if err := s.searchHeld(ctx); err != nil {
		return nil, err
	}
	if strings.EqualFold(strings.TrimSpace(q.Query), SearchDown) {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the echo directory is down")
	}
	byID := map[string]*pb.FoundChat{}
	for _, d := range Directory {
		byID[d.ChatId] = proto.Clone(d).(*pb.FoundChat)
	}
	found := func(c *pb.Chat) *pb.FoundChat {
		return &pb.FoundChat{ChatId: c.ChatId, Name: c.Name, Description: c.Topic, MemberCount: uint32(len(c.Members)), Type: c.Type}
	}
	s.n.mu.Lock()
	if g := s.n.groupLocked(s.loginID); !g.left {
		byID[RoomID] = found(s.roomChatLocked(g))
	}
	for id, ch := range s.channelsLocked() {
		if _, listed := byID[id]; !listed {
			byID[id] = found(s.channelChatLocked(id, ch))
		}
	}
	s.n.mu.Unlock()
	query := strings.ToLower(strings.TrimSpace(q.Query))
	var out []*pb.FoundChat
	for _, f := range byID {
		if strings.Contains(strings.ToLower(f.Name), query) || strings.Contains(strings.ToLower(f.ChatId), query) {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *pb.FoundChat) int {
		return cmp.Or(cmp.Compare(b.MemberCount, a.MemberCount), strings.Compare(a.ChatId, b.ChatId))
	})
	if q.Limit > 0 && len(out) > int(q.Limit) {
		out = out[:q.Limit]
	}
	return out, nil
}
