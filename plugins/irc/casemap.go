package irc

import (
	"strings"
	"unicode/utf8"
)

// casemap is how a server folds the case of nicks and channel names, as
// its ISUPPORT CASEMAPPING says: two names of one folded form are one
// nick or channel there, and a chat ID is that form. The zero value is
// rfc1459, the default of servers that announce nothing (and most
// others), so the IDs of a login on such a server never change.
type casemap int32

const (
	// cmRFC1459: A-Z and []\~ fold to a-z and {}|^.
	cmRFC1459 casemap = iota
	// cmStrict (rfc1459-strict): A-Z and []\ fold to a-z and {}|; ~ and
	// ^ are two.
	cmStrict
	// cmASCII (ascii: ngircd, ergo's ascii, UnrealIRCd): A-Z only.
	cmASCII
	// cmUnicode (rfc8265, rfc7613, utf8: ergo's default): A-Z, and the
	// other letters of a UTF-8 name to lower case (the simple part of
	// PRECIS' case mapping); []\~ are themselves.
	cmUnicode
)

// parseCasemap reads an ISUPPORT CASEMAPPING value; one this plugin does
// not know is rfc1459, as is none.
func parseCasemap(v string) casemap {
	switch strings.ToLower(v) {
	case "ascii":
		return cmASCII
	case "rfc1459-strict", "strict-rfc1459":
		return cmStrict
	case "rfc8265", "rfc7613", "utf8", "utf-8", "precis":
		return cmUnicode
	}
	return cmRFC1459
}

// String is the CASEMAPPING value that gives c (what the login keeps).
func (c casemap) String() string {
	switch c {
	case cmASCII:
		return "ascii"
	case cmStrict:
		return "rfc1459-strict"
	case cmUnicode:
		return "rfc8265"
	}
	return "rfc1459"
}

// fold is s casefolded as c says. It folds bytes, as servers do: a name
// that is not UTF-8 keeps its other bytes, so two such names stay two
// (strings.Map made U+FFFD of them all).
func (c casemap) fold(s string) string {
	if c == cmUnicode && utf8.ValidString(s) {
		return strings.ToLower(s)
	}
	var b []byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'A' && ch <= 'Z':
			ch += 'a' - 'A'
		case c == cmASCII || c == cmUnicode:
			continue
		case ch == '[':
			ch = '{'
		case ch == ']':
			ch = '}'
		case ch == '\\':
			ch = '|'
		case ch == '~' && c == cmRFC1459:
			ch = '^'
		default:
			continue
		}
		if b == nil {
			b = []byte(s)
		}
		b[i] = ch
	}
	if b == nil {
		return s
	}
	return string(b)
}

// caseMap is the casemap of the login's server: the one its last
// connection announced, kept in the login's state (rfc1459 until one
// says otherwise).
func (s *Session) caseMap() casemap { return casemap(s.cm.Load()) }

// fold is a nick or channel name folded as the server folds it.
func (s *Session) fold(name string) string { return s.caseMap().fold(name) }

// chanID is the chat ID of the channel name on the login's server.
func (s *Session) chanID(name string) string { return s.caseMap().chanID(name) }

// chanName is the name of the channel of chat ID id on the login's
// server (casemap.chanName).
func (s *Session) chanName(id string) (string, bool) { return s.caseMap().chanName(id) }

// noteCasemapLocked takes the casemap a connection announced. Where it
// is not the one the login had (the first connection of a login saved
// before the plugin read CASEMAPPING, a server whose config changed),
// the login's saved channel keys, refusals and encodings, by ID, move to the IDs
// of now, and the login keeps it: a restart folds as the server does
// from the start, so a chat's ID stays the same. The IDs of a server
// that announces rfc1459, or nothing, never change.
func (s *Session) noteCasemapLocked(cm casemap) {
	was := s.caseMap()
	if cm == was {
		return
	}
	rekey := map[string]string{}
	for _, ch := range s.acc.Channels {
		rekey[was.chanID(ch)] = cm.chanID(ch)
	}
	if len(s.acc.Keys) > 0 {
		s.acc.Keys = rekeyed(s.acc.Keys, rekey)
	}
	for i, id := range s.acc.Refused {
		if now, ok := rekey[id]; ok {
			s.acc.Refused[i] = now
		}
	}
	if len(s.acc.ChannelEncodings) > 0 {
		// A channel's own encoding (chanenc.go) follows its ID: left
		// under the old one, the channel was read in the login's
		// encoding again.
		s.acc.ChannelEncodings = rekeyed(s.acc.ChannelEncodings, rekey)
		s.storeChanCodecsLocked()
	}
	s.cm.Store(int32(cm))
	s.acc.Casemapping = cm.String()
	if cm == cmRFC1459 {
		s.acc.Casemapping = ""
	}
	if err := s.saveLocked(); err != nil {
		s.n.host.Logger().Error("irc: the login's state not saved", "login", s.loginID, "err", err)
	}
	s.n.host.Logger().Info("irc: the server folds names another way", "login", s.loginID, "casemapping", cm.String(), "was", was.String())
}

// rekeyed is m with each key rekey names moved to its new ID.
func rekeyed(m, rekey map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for id, v := range m {
		if now, ok := rekey[id]; ok {
			id = now
		}
		out[id] = v
	}
	return out
}
