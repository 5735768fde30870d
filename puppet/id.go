// Package puppet maps the remote identities of a network (user IDs, chat IDs)
// to XMPP addresses on a transport's domain, and back.
//
// # Localpart encoding
//
// A remote ID is opaque: the host never parses it, and the same string must
// always give the same JID, across restarts, upgrades and servers. XMPP
// servers normalise localparts (RFC 7622 PRECIS UsernameCaseMapped in
// mellium and ejabberd, stringprep nodeprep in Prosody: lowercase, width
// mapping, NFC) and refuse some characters, so LocalPart produces only
// printable ASCII that every one of these leaves unchanged, and UserID
// reverses it exactly:
//
//   - a-z, 0-9 and the ASCII punctuation !#$%()*+,-.;=?[]^_`{|}~ stand
//     for themselves, so phone numbers (+33612345678), numeric IDs, UUIDs
//     and lowercase usernames map to themselves;
//   - the ten characters of XEP-0106, space " & ' / : < > @ \, become their
//     XEP-0106 escape: \20 \22 \26 \27 \2f \3a \3c \3e \40 \5c (a backslash
//     is always escaped, so every backslash in a localpart starts an escape);
//   - an uppercase ASCII letter becomes a backslash and the lowercase letter:
//     Alice -> \alice (XEP-0106 escapes start with a digit, never a letter);
//   - any other code point (everything outside ASCII) becomes \{hex}, its
//     code point in lowercase hexadecimal without leading zeros:
//     José -> \jos\{e9}.
//
// A remote ID holding a control character (C0, DEL, C1: NUL above all, which
// the store refuses) is no ID at all: ValidID, LocalPart and UserID refuse
// it, so that a hostile address such as \{0}@transport never reaches a
// plugin, and a plugin's bad ID never becomes an address.
//
// Only the XEP-0106 escapes are understood by XMPP clients; the other two
// forms are ours, and a client shows them as written. Non-ASCII is escaped
// rather than kept because which code points PRECIS and nodeprep accept and
// how they normalise them depends on the Unicode version of each server, and
// a JID that changes under an upgrade would orphan rosters and chats.
// Every ID has exactly one encoding, and UserID refuses any other spelling.
package puppet

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/plugins/limits"
)

// MaxLocalpartBytes is the longest localpart XMPP allows (RFC 7622 §3.3).
const MaxLocalpartBytes = 1023

// MaxIDBytes is the longest remote ID accepted, the plugin contract's
// limit on an ID the store keys by.
const MaxIDBytes = limits.IDBytes

// Errors returned (wrapped) by LocalPart, UserID and ValidID.
var (
	// ErrEmpty is returned for an empty remote ID or localpart.
	ErrEmpty = errors.New("empty")
	// ErrTooLong is returned when the encoded localpart exceeds
	// MaxLocalpartBytes.
	ErrTooLong = errors.New("localpart too long")
	// ErrInvalid is returned for a remote ID that is not valid UTF-8 or
	// holds a control character, or a localpart that LocalPart cannot have
	// produced.
	ErrInvalid = errors.New("invalid")
)

// xep0106 lists the characters XEP-0106 escapes, indexed by byte.
var xep0106 = [128]bool{' ': true, '"': true, '&': true, '\'': true, '/': true,
	':': true, '<': true, '>': true, '@': true, '\\': true}

// literal reports whether the ASCII byte c stands for itself in a localpart.
func literal(c byte) bool {
	return c > ' ' && c < 0x7f && !xep0106[c] && (c < 'A' || c > 'Z')
}

// ValidID checks that id can be a remote ID: not empty, valid UTF-8, no
// control character, at most MaxIDBytes.
func ValidID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("puppet: remote ID: %w", ErrEmpty)
	case len(id) > MaxIDBytes:
		return fmt.Errorf("puppet: remote ID %.40q...: %w (more than %d bytes)", id, ErrTooLong, MaxIDBytes)
	case !utf8.ValidString(id):
		return fmt.Errorf("puppet: remote ID %.40q: %w UTF-8", id, ErrInvalid)
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return fmt.Errorf("puppet: remote ID %.40q: %w: control character %U", id, ErrInvalid, r)
		}
	}
	return nil
}

// LocalPart returns the localpart that stands for the remote ID userID (see
// the package documentation for the encoding). It refuses what ValidID
// refuses.
func LocalPart(userID string) (string, error) {
	if userID == "" {
		return "", fmt.Errorf("puppet: remote ID: %w", ErrEmpty)
	}
	if !utf8.ValidString(userID) {
		return "", fmt.Errorf("puppet: remote ID %.40q: %w UTF-8", userID, ErrInvalid)
	}
	var b strings.Builder
	b.Grow(len(userID))
	for _, r := range userID {
		switch {
		case r < utf8.RuneSelf && literal(byte(r)):
			b.WriteByte(byte(r))
		case r < utf8.RuneSelf && xep0106[r]:
			b.WriteByte('\\')
			b.WriteString(strconv.FormatInt(int64(r), 16))
		case 'A' <= r && r <= 'Z':
			b.WriteByte('\\')
			b.WriteByte(byte(r) + 'a' - 'A')
		case unicode.IsControl(r):
			return "", fmt.Errorf("puppet: remote ID %.40q: %w: control character %U", userID, ErrInvalid, r)
		default:
			b.WriteString(`\{`)
			b.WriteString(strconv.FormatInt(int64(r), 16))
			b.WriteByte('}')
		}
		if b.Len() > MaxLocalpartBytes {
			return "", fmt.Errorf("puppet: remote ID %.40q...: %w (more than %d bytes)", userID, ErrTooLong, MaxLocalpartBytes)
		}
	}
	return b.String(), nil
}

// UserID returns the remote ID that localpart stands for. It is the inverse
// of LocalPart, and fails on any localpart LocalPart cannot produce, among
// them any escape of a control character (\{0} would be a NUL).
func UserID(localpart string) (string, error) {
	if localpart == "" {
		return "", fmt.Errorf("puppet: localpart: %w", ErrEmpty)
	}
	bad := func(why string) error {
		return fmt.Errorf("puppet: localpart %q: %w: %s", localpart, ErrInvalid, why)
	}
	var b strings.Builder
	b.Grow(len(localpart))
	for i := 0; i < len(localpart); {
		c := localpart[i]
		if c != '\\' {
			// Whether c may stand for itself is checked by the round trip below.
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 == len(localpart) {
			return "", bad("backslash at the end")
		}
		switch d := localpart[i+1]; {
		case 'a' <= d && d <= 'z':
			b.WriteByte(d - 'a' + 'A')
			i += 2
		case d == '{':
			end := strings.IndexByte(localpart[i+2:], '}')
			if end < 1 || end > 6 {
				return "", bad(`unterminated or malformed \{...} escape`)
			}
			v, err := strconv.ParseUint(localpart[i+2:i+2+end], 16, 32)
			if err != nil || !utf8.ValidRune(rune(v)) {
				return "", bad(`\{...} escape is not a code point`)
			}
			if unicode.IsControl(rune(v)) {
				return "", bad("escape of a control character")
			}
			b.WriteRune(rune(v))
			i += 2 + end + 1
		case '0' <= d && d <= '9' && i+2 < len(localpart):
			v, err := strconv.ParseUint(localpart[i+1:i+3], 16, 8)
			if err != nil || v >= 128 || !xep0106[v] {
				return "", bad(`\` + localpart[i+1:i+3] + ` is not an XEP-0106 escape`)
			}
			b.WriteByte(byte(v))
			i += 3
		default:
			return "", bad("unknown escape")
		}
	}
	id := b.String()
	// The decoder accepts some spellings the encoder never writes (literal
	// uppercase, \{41}, \5C, raw non-ASCII): re-encoding and comparing makes
	// the mapping one-to-one in both directions.
	if lp, err := LocalPart(id); err != nil || lp != localpart {
		return "", bad("not in canonical form")
	}
	return id, nil
}

// JID returns the address of the remote ID userID on the transport domain.
func JID(userID, domain string) (jid.JID, error) {
	lp, err := LocalPart(userID)
	if err != nil {
		return jid.JID{}, err
	}
	j, err := jid.New(lp, domain, "")
	if err != nil {
		return jid.JID{}, fmt.Errorf("puppet: JID for %q on %q: %w", userID, domain, err)
	}
	// Unreachable by construction (the encoding is normalisation-stable);
	// checked because a silently altered JID would break the reverse mapping.
	if j.Localpart() != lp {
		return jid.JID{}, fmt.Errorf("puppet: JID for %q: localpart %q normalised to %q", userID, lp, j.Localpart())
	}
	return j, nil
}

// FromJID returns the remote ID that the puppet (or room) address j stands
// for. It ignores the domainpart and resourcepart; checking that j belongs
// to the transport is the caller's job.
func FromJID(j jid.JID) (string, error) {
	return UserID(j.Localpart())
}
