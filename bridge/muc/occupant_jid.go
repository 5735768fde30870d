package muc

import (
	"context"
	"log/slog"
	"sync/atomic"
	"unicode/utf8"

	"mellium.im/xmpp/jid"
)

// A stanza from an occupant JID with no nick (room@host/) makes Prosody
// close the component's stream (invalid-from: it cannot split the
// address), cutting off every user of the transport, and the gateway,
// writing again what the lost connection left unconfirmed, would do it
// again on the next one. One whose nick resourceprep refuses is bounced.
// The nicks of Nicks are always good; OccupantJID guards the rest (a
// stored nick, a bug) where occupant JIDs are made, rather than a parse
// of every stanza at the link.

// OccupantJID is the JID of the occupant nick of room: room/nick. A nick
// that cannot be a resourcepart ("", or one the server refuses) is
// replaced by a fallback made of it (fallbackNick): the same bad nick
// gives the same occupant, so its presences and messages still match.
// The first replacement is logged as a warning (SetLog), the rest at
// debug level; BadNicks counts them.
func OccupantJID(room, nick string) string {
	if !nickFits(nick) {
		nick = fallbackNick(nick)
	}
	return room + "/" + nick
}

// fallbackNick is what OccupantJID puts in place of the bad nick: the
// nick cleaned as Nicks does a network name, or, when nothing of it is
// left, "user " and a code of it. It is logged and counted.
func fallbackNick(nick string) string {
	n := badNicks.Add(1)
	log := logger.Load()
	if log == nil {
		log = slog.Default()
	}
	level := slog.LevelDebug
	if n == 1 {
		level = slog.LevelWarn
	}
	fallback := CleanNick(nick, nick)
	log.Log(context.Background(), level, "an occupant's nick cannot be a JID resource (the XMPP server would close the stream or bounce the stanza); a fallback nick is used (warned once)",
		"nick", nick, "fallback", fallback)
	return fallback
}

var (
	badNicks atomic.Uint64
	logger   atomic.Pointer[slog.Logger]
)

// SetLog sets the logger that hears of the nicks OccupantJID replaces
// (slog.Default until set): the gateway's, once at its start.
func SetLog(l *slog.Logger) { logger.Store(l) }

// BadNicks is how many nicks OccupantJID replaced since the start.
func BadNicks() uint64 { return badNicks.Load() }

// nickFits reports whether nick can follow room/ in a stanza's from:
// not empty, and taken as a resourcepart both by PRECIS and by Prosody's
// resourceprep (stringprep.go), with something left after its mapping.
// Printable ASCII, nearly every nick, is checked without either.
func nickFits(nick string) bool {
	if nick == "" || len(nick) > 1023 {
		return false
	}
	ascii := true
	for i := 0; i < len(nick); i++ {
		if c := nick[i]; c < 0x20 || c > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		return true
	}
	if !utf8.ValidString(nick) {
		return false
	}
	if _, err := jid.New("room", "muc.invalid", nick); err != nil {
		return false
	}
	m := stringprepMap(nick)
	return m != "" && stringprepOK(m)
}
