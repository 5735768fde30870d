package irc

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Finding channels from XMPP (sdk.ChatSearcher, feature chat_search):
// LIST with the query as a mask, *query*, which servers match against
// channel names in any case (ngircd, ergo, solanum do); the channels
// come as 322 RPL_LIST (name, users, topic) up to 323 RPL_LISTEND. The
// names are filtered here as well, for a server that ignores the mask.
// No channel name holds a space or a comma: such a query finds nothing,
// without a LIST; one with a wildcard (* or ?) is refused, as the mask
// would take it for one. Secret channels are not listed by the server,
// as for any IRC client.
//
// A LIST's end may come after its search was answered: one given up on
// (list_wait passed), one cut short by 416 or refused by 263 (a busy
// server). Until that 323 came, or list_wait passed, no other LIST is
// sent: the server might answer it out of turn (Solanum aborts the
// running list with one 323 for both), and the late 323 would end it.

var _ sdk.ChatSearcher = (*Session)(nil)

// DefaultListWait is how long a search waits for the server's whole
// list, unless the config's list_wait says otherwise.
const DefaultListWait = 20 * time.Second

const (
	// defaultFound is how many channels a search without a limit
	// returns.
	defaultFound = 50
	// maxListed bounds a search's limit: a big network's whole list is
	// hundreds of thousands of channels.
	maxListed = 20000
)

// listWait is a LIST waiting for the server.
type listWait struct {
	// cm is the server's casemap: the channels' IDs are their names
	// folded by it, and the query matches a name folded by it, as the
	// server matches the mask.
	cm    casemap
	query string // folded by cm, and to lower case
	limit int    // how many to find
	// found holds the most populated channels matched so far: at most
	// twice the limit, cut down to the limit when full.
	found  []*pb.FoundChat
	answer chan error
}

// handleList collects a LIST's replies for the search waiting.
func (s *Session) handleList(c *ircevent.Connection) {
	s.on(c, ircevent.RPL_LIST, func(m ircmsg.Message) {
		// <me> <channel> <users> :<topic>
		if len(m.Params) < 3 {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if w := s.listWait; w != nil {
			w.add(m.Params[1], m.Params[2], lastParam(m))
		} else {
			s.rawListedLocked(m)
		}
	})
	s.on(c, ircevent.RPL_LISTEND, func(m ircmsg.Message) {
		if s.rawListEnded(m) {
			return
		}
		s.mu.Lock()
		if !s.listStale.IsZero() {
			// The end of a LIST given up on (no other was sent since).
			s.listStale = time.Time{}
			s.mu.Unlock()
			return
		}
		w := s.listWait
		s.listWait = nil
		s.mu.Unlock()
		if w != nil {
			w.answer <- nil
		}
	})
	// RPL_LOAD2HI <me> LIST: a busy server refused the LIST (Solanum
	// paces them server-wide) and ends it with a 323, which is then the
	// end of a list given up on.
	s.on(c, "263", func(m ircmsg.Message) {
		if len(m.Params) < 2 || !strings.EqualFold(m.Params[1], "LIST") || s.rawListNote(m) {
			return
		}
		s.answerListEarly(sdk.Errorf(pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "the server is busy; search again in a few seconds"))
	})
	// Solanum, sent a LIST while one runs (one taken as lost), aborts
	// that one with this notice and a 323, and drops the new one.
	s.on(c, "NOTICE", func(m ircmsg.Message) {
		if len(m.Params) < 2 || strings.Contains(m.Source, "!") || strings.TrimSpace(m.Params[1]) != "/LIST aborted" {
			return
		}
		s.answerListEarly(sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the server dropped the search, ending its previous channel list; search again"))
	})
	// ERR_TOOMANYMATCHES: the server stopped listing; what came is the
	// answer. Its 323 may follow: until it came (or list_wait passed),
	// no other LIST is sent, so it cannot end the next search.
	s.on(c, "416", func(m ircmsg.Message) {
		if !s.rawListNote(m) {
			s.answerListEarly(nil)
		}
	})
}

// answerListEarly answers the search waiting before the server's 323,
// which may still come: the list is given up on until it does.
func (s *Session) answerListEarly(err error) {
	s.mu.Lock()
	w := s.listWait
	if w == nil {
		s.mu.Unlock()
		return
	}
	s.listWait = nil
	s.giveUpListLocked()
	s.mu.Unlock()
	w.answer <- err
}

// giveUpListLocked marks the LIST sent as given up on: its replies are
// no search's until its 323. One that has not ended within list_wait
// is taken as lost (listBusyLocked).
func (s *Session) giveUpListLocked() {
	s.listStale = time.Now().Add(time.Duration(s.n.cfg.ListWait))
}

// listBusyLocked tells whether a LIST given up on has not ended yet.
// Another LIST is not sent meanwhile: a server may answer it out of
// turn (Solanum aborts the running list, one 323 for both).
func (s *Session) listBusyLocked() bool {
	if s.listStale.IsZero() {
		return false
	}
	if time.Now().After(s.listStale) {
		s.listStale = time.Time{}
		return false
	}
	return true
}

// add takes in one channel of the list when its name holds the query.
func (w *listWait) add(name, users, topic string) {
	if !isChannel(name) || !strings.Contains(strings.ToLower(decodeText(w.cm.fold(name))), w.query) {
		return
	}
	n, _ := strconv.ParseUint(users, 10, 32)
	w.found = append(w.found, &pb.FoundChat{ChatId: w.cm.chanID(name), Name: plainText(name), Description: listTopic(topic),
		MemberCount: uint32(n), Type: pb.ChatType_CHAT_TYPE_GROUP})
	if len(w.found) >= 2*w.limit {
		w.keepBest()
	}
}

// keepBest sorts the channels found, the most populated first, and
// keeps the limit's number.
func (w *listWait) keepBest() {
	slices.SortFunc(w.found, func(a, b *pb.FoundChat) int {
		return cmp.Or(cmp.Compare(b.MemberCount, a.MemberCount), strings.Compare(a.ChatId, b.ChatId))
	})
	if len(w.found) > w.limit {
		clear(w.found[w.limit:])
		w.found = w.found[:w.limit]
	}
}

// listTopic is a 322's topic as text: without the channel modes some
// servers put before it ("[+nt] ").
func listTopic(topic string) string {
	if rest, ok := strings.CutPrefix(topic, "[+"); ok {
		if i := strings.Index(rest, "] "); i >= 0 && !strings.Contains(rest[:i], " ") {
			topic = rest[i+2:]
		}
	}
	return plainText(topic)
}

// failListWaitLocked answers the search waiting: the connection dropped,
// and the LISTs given up on with it.
func (s *Session) failListWaitLocked() {
	if s.listWait != nil {
		s.listWait.answer <- sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the connection to %s dropped before it listed the channels", s.acc.addr())
		s.listWait = nil
	}
	s.listStale, s.rawList = time.Time{}, nil
}

// SearchChats lists the channels whose name holds the query, the most
// populated first. One LIST at a time on a connection, and none while
// a late one runs: the replies of one are not taken for another's.
func (s *Session) SearchChats(ctx context.Context, q *pb.SearchChats) ([]*pb.FoundChat, error) {
	query := strings.TrimSpace(q.Query)
	if strings.ContainsAny(query, "\r\n\x00") {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a search cannot hold a line break")
	}
	if strings.ContainsAny(query, "*?") {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "wildcards are not supported")
	}
	if strings.ContainsAny(query, " ,") {
		return nil, nil // no channel name holds a space or a comma
	}
	select {
	case s.listTurn <- struct{}{}:
	default:
		s.n.host.Logger().Debug("irc: search waits for another's list", "login", s.loginID)
		select {
		case s.listTurn <- struct{}{}:
		case <-ctx.Done():
			s.n.host.Logger().Debug("irc: search given up waiting for another's list", "login", s.loginID)
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "given up waiting for another search of %s: %v", s.acc.addr(), ctx.Err())
		}
	}
	defer func() { <-s.listTurn }()
	conn, err := s.online()
	if err != nil {
		return nil, err
	}
	limit := int(q.Limit)
	if limit <= 0 {
		limit = defaultFound
	}
	cm := s.caseMap()
	w := &listWait{cm: cm, query: strings.ToLower(cm.fold(query)), limit: min(limit, maxListed), answer: make(chan error, 1)}
	s.mu.Lock()
	if s.listBusyLocked() {
		s.mu.Unlock()
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the server is still sending its previous channel list; try again shortly")
	}
	s.listWait = w
	s.rawList = nil // a typed LIST's end not come within list_wait: lost
	s.mu.Unlock()
	// drop ends the wait; sent, the LIST still runs on the server,
	// whose replies are then not the next search's.
	drop := func(sent bool) {
		s.mu.Lock()
		if s.listWait == w {
			s.listWait = nil
			if sent {
				s.giveUpListLocked()
			}
		}
		s.mu.Unlock()
	}
	if err := conn.Send("LIST", "*"+query+"*"); err != nil {
		drop(false)
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "cannot list the channels of %s: %v", s.acc.addr(), err)
	}
	wait := time.Duration(s.n.cfg.ListWait)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-w.answer:
		if err != nil {
			return nil, err
		}
	case <-t.C:
		drop(true)
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s did not list its channels within %v", s.acc.addr(), wait)
	case <-ctx.Done():
		drop(true)
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "given up listing the channels of %s: %v", s.acc.addr(), ctx.Err())
	}
	w.keepBest()
	return w.found, nil
}
