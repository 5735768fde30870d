package muc

import (
	"context"
	"log/slog"
	"strings"
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
// that cannot be a resourcepart ("", or one the server refuses), or that
// the server would rewrite (resourceprep's NFKC: "Ｄａｎ" is routed as
// "Dan", another member's), is replaced by a fallback (fallbackOf): the
// same bad nick gives the same occupant, so its presences and messages
// still match, and no nick Nicks gives is ever one. The first
// replacement is logged as a warning (SetLog), the rest at debug level;
// BadNicks counts them.
func OccupantJID(room, nick string) string {
	if !nickFits(nick) {
		nick = fallbackNick(nick)
	}
	return room + "/" + nick
}

// fallbackNick is fallbackOf(nick), logged and counted.
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
	fallback := fallbackOf(nick)
	log.Log(context.Background(), level, "an occupant's nick cannot be a JID resource (the XMPP server would close the stream, bounce the stanza or rewrite the nick); a fallback nick is used (warned once)",
		"nick", nick, "fallback", fallback)
	return fallback
}

// fallbackOf is the nick in place of the bad nick: the nick cleaned as
// Nicks does a network name ("user" when nothing is left), two spaces,
// and a code of its bytes in brackets: "ab  (k3x9p2ma)". Nicks collapses
// spaces, so none of its nicks holds two in a row: a fallback is never a
// member's nick, and two bad nicks that clean alike ("a\uFFFDb",
// "a\uFFFEb") differ by their codes.
func fallbackOf(nick string) string {
	base := cleanName(nick)
	if base == "" {
		base = "user"
	}
	code := idCode(nick)[:8]
	tail := "  (" + code + ")"
	if strings.ContainsFunc(base, rtl) {
		tail = "  " + rtlCode(code) // the bidi rule, as withSuffix
	}
	return truncate(base, MaxNick-utf8.RuneCountInString(tail)) + tail
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

// nickFits reports whether nick can follow room/ in a stanza's from as
// it is: not empty, taken as a resourcepart both by PRECIS and by
// Prosody's resourceprep (stringprep.go), and left unchanged by both
// (NFC, NFKC): the server routes the stanza from the mapped form, which
// two spellings would share ("e\u0301" and "é"; "Ｄａｎ" and "Dan").
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
	j, err := jid.New("room", "muc.invalid", nick)
	if err != nil || j.Resourcepart() != nick {
		return false
	}
	return stringprepMap(nick) == nick && stringprepOK(nick)
}
