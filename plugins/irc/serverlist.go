package irc

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A LIST the user typed in the server's chat (server.go) is answered
// there: its channels (322) are gathered, and shown in one message at
// the list's end (323), the most populated first, at most
// rawListShown of them; a search (search.go) is what finds among a big
// network's hundred thousand. While it runs, a search is refused at
// once as during a late list: the replies of one are not the other's.

// rawListShown is how many channels a typed LIST shows.
const rawListShown = 200

// rawList is a typed LIST's channels, gathered until its end.
type rawList struct {
	// chans are the most populated so far: at most twice
	// rawListShown, cut down to it when full (a big network lists
	// a hundred thousand); listed counts them all.
	chans  []rawChannel
	listed int
	said   []string // the server's 416 or 263 on the way
}

// keepBest sorts the channels, the most populated first, and keeps
// rawListShown of them.
func (l *rawList) keepBest() {
	slices.SortFunc(l.chans, func(a, b rawChannel) int {
		return cmp.Or(cmp.Compare(b.users, a.users), strings.Compare(a.name, b.name))
	})
	l.chans = l.chans[:min(len(l.chans), rawListShown)]
}

type rawChannel struct {
	name, topic string
	users       uint64
}

// startRawListLocked makes a typed LIST the one running, refusing it
// while another (a search's, a late one) runs.
func (s *Session) startRawListLocked() error {
	// One whose end did not come within list_wait is lost (no longer
	// busy): this one takes its place.
	if s.listWait != nil || s.listBusyLocked() {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the server is still sending another channel list; send the LIST again shortly")
	}
	s.rawList = &rawList{}
	// Searches wait for its end as for a late list's, up to list_wait.
	s.giveUpListLocked()
	return nil
}

// rawListedLocked takes in one 322 of a typed LIST; false if none runs.
func (s *Session) rawListedLocked(m ircmsg.Message) bool {
	if s.rawList == nil || s.listWait != nil {
		return false
	}
	users, _ := strconv.ParseUint(m.Params[2], 10, 32)
	l := s.rawList
	l.chans = append(l.chans, rawChannel{name: plainText(m.Params[1]), topic: listTopic(lastParam(m)), users: users})
	l.listed++
	if len(l.chans) >= 2*rawListShown {
		l.keepBest()
	}
	return true
}

// rawListNote keeps what the server said of a typed LIST before its end
// (416: too many; 263: busy); false if none runs.
func (s *Session) rawListNote(m ircmsg.Message) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rawList == nil || s.listWait != nil {
		return false
	}
	s.rawList.said = append(s.rawList.said, plainText(lastParam(m)))
	return true
}

// rawListEnded shows a typed LIST at its end (323); false if none runs.
func (s *Session) rawListEnded(m ircmsg.Message) bool {
	s.mu.Lock()
	l := s.rawList
	if l == nil || s.listWait != nil {
		s.mu.Unlock()
		return false
	}
	s.rawList, s.listStale = nil, time.Time{}
	s.mu.Unlock()
	l.keepBest()
	var b strings.Builder
	switch l.listed {
	case 0:
		b.WriteString("No channel listed.")
	case 1:
		b.WriteString("1 channel:")
	default:
		fmt.Fprintf(&b, "%d channels, the most populated first:", l.listed)
	}
	for _, c := range l.chans {
		fmt.Fprintf(&b, "\n%s (%d)", c.name, c.users)
		if c.topic != "" {
			b.WriteString(": " + c.topic)
		}
	}
	if n := l.listed - len(l.chans); n > 0 {
		fmt.Fprintf(&b, "\n... and %d more: the find command searches them by name.", n)
	}
	for _, said := range l.said {
		b.WriteString("\n(the server says: " + said + ")")
	}
	s.serverSays(m, b.String(), nil)
	return true
}

// isList reports whether m is a LIST.
func isList(m ircmsg.Message) bool { return strings.EqualFold(m.Command, "LIST") }
