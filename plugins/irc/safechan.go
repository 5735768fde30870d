package irc

import (
	"slices"
	"strconv"
	"strings"
)

// IRCnet's safe channels (RFC 2811 §3.2, CHANTYPES with "!"): "!name"
// joins the channel whose full name is "!", its channel ID (5 upper-case
// letters or digits, or ISUPPORT's IDCHAN "!:n" or CHIDLEN) then "name";
// "!!name" creates one. The server's JOIN names the channel in full, so
// a join asked by the short name is the full name's: its JoinChat
// answers with the full name's ID (as for another spelling: the gateway
// sends the user to that room), and the login's list keeps the full
// name, which names that channel alone at the next connection.

// defaultChanIDLen is a safe channel's ID's length where the server
// does not say (RFC 2811).
const defaultChanIDLen = 5

// chanIDLen is the length of a safe channel's ID the server's ISUPPORT
// says (IDCHAN=!:5, or the older CHIDLEN=5), else RFC 2811's.
func chanIDLen(isupport map[string]string) int {
	for _, p := range strings.Split(isupport["IDCHAN"], ",") {
		if pre, n, ok := strings.Cut(p, ":"); ok && pre == "!" {
			if v, err := strconv.Atoi(n); err == nil && v > 0 {
				return v
			}
		}
	}
	if v, err := strconv.Atoi(isupport["CHIDLEN"]); err == nil && v > 0 {
		return v
	}
	return defaultChanIDLen
}

// safeShortNames are the names a safe channel's full name (as a JOIN
// names it) may have been asked by: "!name" and "!!name". None for a
// name that is no safe channel's.
func safeShortNames(name string, idLen int) []string {
	if len(name) <= 1+idLen || name[0] != '!' {
		return nil
	}
	for _, r := range name[1 : 1+idLen] {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return nil
		}
	}
	short := "!" + name[1+idLen:]
	return []string{short, "!" + short}
}

// safeJoinedLocked takes the user's JOIN of name (ID id) for the join
// that asked it by a short name: a JoinChat's wait and a login's pending
// channel move to id, JoinChat learns the ID (joinedAs), and the login's
// list names the channel in full, with its key.
func (s *Session) safeJoinedLocked(name, id string) {
	for _, asked := range safeShortNames(name, s.chanIDLen) {
		aid := s.chanID(asked)
		if aid == id {
			continue
		}
		if w := s.joins[aid]; w != nil && s.joins[id] == nil {
			delete(s.joins, aid)
			s.joins[id] = w
			s.joinedAs[aid] = id
		}
		if s.pending[aid] {
			delete(s.pending, aid)
			s.pending[id] = true
		}
		i := slices.IndexFunc(s.acc.Channels, func(ch string) bool { return s.chanID(ch) == aid })
		if i < 0 {
			continue
		}
		if s.ownsLocked(id) {
			s.acc.Channels = slices.Delete(s.acc.Channels, i, i+1)
		} else {
			s.acc.Channels[i] = name
		}
		if k, ok := s.acc.Keys[aid]; ok {
			delete(s.acc.Keys, aid)
			s.acc.Keys[id] = k
		}
		if err := s.saveLocked(); err != nil {
			s.n.host.Logger().Error("irc: the login's channels not saved", "login", s.loginID, "err", err)
		}
	}
}
