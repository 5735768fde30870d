package telegram

import (
	"context"
	"sync"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// banTTL is how long a supergroup's or channel's ban list, once read, is
// used as it is: ChatInfo comes for each of a forum's topics and at each
// service message of the group, and each read is another request
// (channels.getParticipants, kicked), which Telegram answers with
// FLOOD_WAIT when there are too many. The user's own bans and unbans
// (Kick with ban, Unban) have it read again at once; someone else's show
// within banTTL.
const banTTL = 3 * time.Minute

// banList is a channel's ban list as last read.
type banList struct {
	members []*pb.Member // outcasts
	read    time.Time    // when; zero: to read again (the user changed it)
	wait    time.Time    // FLOOD_WAIT: not asked again before
	known   bool         // read once at least
	// gen counts the user's changes: a read that began before one ended
	// after it, and may not hold it.
	gen int
}

// banCache is the ban lists read, by channel ID: used while fresh, and
// when reading one again fails, so that a failure does not empty the
// room's ban list (the gateway takes the members ChatInfo lists as the
// whole list).
type banCache struct {
	mu sync.Mutex
	m  map[int64]*banList
}

func (c *banCache) entry(ch int64) *banList {
	if c.m == nil {
		c.m = map[int64]*banList{}
	}
	b := c.m[ch]
	if b == nil {
		b = &banList{}
		c.m[ch] = b
	}
	return b
}

// changed marks a channel's list to read again after the user banned
// (banned) or unbanned member, and has the list kept say so meanwhile.
func (c *banCache) changed(ch int64, member *pb.Member, banned bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.entry(ch)
	b.read = time.Time{}
	b.gen++
	kept := b.members[:0:0]
	for _, m := range b.members {
		if m.UserId != member.UserId {
			kept = append(kept, m)
		}
	}
	if banned {
		m := proto.Clone(member).(*pb.Member)
		m.Affiliation = pb.Affiliation_AFFILIATION_OUTCAST
		kept = append(kept, m)
	}
	b.members = kept
}

// cloneMembers copies a list kept, for an answer to change as it will.
func cloneMembers(ms []*pb.Member) []*pb.Member {
	out := make([]*pb.Member, len(ms))
	for i, m := range ms {
		out[i] = proto.Clone(m).(*pb.Member)
	}
	return out
}

// banned is the ban list of group, channel id: the one kept while fresh (or while
// Telegram asks to wait), else read (bans). When reading fails, the last
// one read, however old; with none, nothing (logged).
func (s *Session) banned(ctx context.Context, api *tg.Client, group *pb.Chat, id int64, ch tg.InputChannelClass) []*pb.Member {
	now := time.Now()
	s.banLists.mu.Lock()
	b := s.banLists.entry(id)
	if b.known && now.Sub(b.read) < banTTL || now.Before(b.wait) {
		var out []*pb.Member
		if b.known {
			out = cloneMembers(b.members)
		}
		s.banLists.mu.Unlock()
		return out
	}
	gen := b.gen
	s.banLists.mu.Unlock()

	list, err := s.bans(ctx, api, group, ch)
	s.banLists.mu.Lock()
	defer s.banLists.mu.Unlock()
	b = s.banLists.entry(id)
	if err == nil && b.gen != gen {
		// The user banned or unbanned meanwhile: the list read may be
		// from before; the one kept holds the change, read again next.
		if !b.known {
			return nil
		}
		return cloneMembers(b.members)
	}
	if err != nil {
		if d, ok := tgerr.AsFloodWait(err); ok {
			b.wait = now.Add(d)
		}
		s.n.log().Warn("telegram: ban list not read", "login", s.login.LoginID, "chat", group.ChatId, "known", b.known, "err", err)
		if !b.known {
			return nil // none: not a part of it as the whole
		}
		return cloneMembers(b.members)
	}
	b.members, b.read, b.known = list, now, true
	return cloneMembers(list)
}
