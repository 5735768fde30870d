package irc

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// legacyChanID is the chat ID chanID gave name before a control
// character in it was written ",xx" (mIRC's codes, a C1 of a Latin-1
// name): the name folded, the bytes of a name not in UTF-8 read as
// Windows-1252 but for a comma and those it leaves undefined.
func (cm casemap) legacyChanID(name string) string {
	if utf8.ValidString(name) {
		return cm.fold(name)
	}
	var b strings.Builder
	for _, c := range []byte(cm.fold(name)) {
		r := charmap.Windows1252.DecodeByte(c)
		if c == ',' || r == utf8.RuneError {
			fmt.Fprintf(&b, ",%02x", c)
		} else {
			b.WriteRune(r)
		}
	}
	b.WriteString(latin1Suffix)
	return b.String()
}

// migrateIDs moves the login's channel keys and refusals saved under a
// channel's legacy ID (legacyChanID) to its ID of now: a login saved
// before control characters were escaped would else join such a channel
// without its key. Moved in the session's account; saved with its next
// change (moving them again at a load before then does no harm).
func (s *Session) migrateIDs() {
	cm := s.caseMap()
	for _, ch := range s.acc.Channels {
		was, now := cm.legacyChanID(ch), cm.chanID(ch)
		if was == now {
			continue
		}
		if k, ok := s.acc.Keys[was]; ok {
			if _, set := s.acc.Keys[now]; !set {
				s.acc.Keys[now] = k
			}
			delete(s.acc.Keys, was)
		}
		for i, id := range s.acc.Refused {
			if id == was {
				s.acc.Refused[i] = now
			}
		}
	}
}
