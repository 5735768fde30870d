package muc

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/bidi"
	"golang.org/x/text/unicode/norm"
)

// Prosody checks the JIDs a component sends with stringprep's
// resourceprep (RFC 3920, RFC 3454), not with RFC 7622's PRECIS
// OpaqueString that mellium applies, and answers a stanza from an
// occupant JID it refuses with an error: the member's presence and
// every message of theirs would bounce. The two differ: stringprep
// prohibits a few characters PRECIS takes (U+FFFD, the ideographic
// description characters, bidi controls, ZWJ) and has a bidi rule PRECIS
// leaves to the application: a string with a right-to-left letter may
// hold no left-to-right one, and must begin and end with a right-to-left
// letter ("שלום abc" is refused, a real network name). So a nick also
// passes these checks (stringprepOK).

// stringprepMap is what resourceprep makes of s before its checks, and
// Prosody writes in the stanza it routes: B.1's characters (soft hyphen,
// zero-width space, variation selectors...) dropped, then NFKC ("Ｄａｎ"
// is "Dan", "❤️" is "❤"). A nick in another form would reach clients
// changed, unknown to the room's map, and maybe another member's.
func stringprepMap(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == 0x00AD, r == 0x034F, r == 0x1806, r >= 0x180B && r <= 0x180D, r >= 0x200B && r <= 0x200D,
			r == 0x2060, r >= 0xFE00 && r <= 0xFE0F, r == 0xFEFF:
			return -1
		}
		return r
	}, s)
	return norm.NFKC.String(s)
}

// stringprepOK reports whether resourceprep takes s: no prohibited
// character, and the bidi rule (RFC 3454 §6) holds.
func stringprepOK(s string) bool {
	for _, r := range s {
		if prohibited(r) {
			return false
		}
	}
	return bidiOK(s)
}

// prohibited reports whether r is in one of stringprep's prohibition
// tables (C.2.2 to C.9) that PRECIS OpaqueString may let through.
func prohibited(r rune) bool {
	switch {
	case r == 0x06DD, r == 0x070F, r == 0x180E, r == 0x200C, r == 0x200D, r == 0x2028, r == 0x2029,
		r >= 0x2060 && r <= 0x2063, r >= 0x206A && r <= 0x206F, r == 0xFEFF, r >= 0xFFF9 && r <= 0xFFFD,
		r >= 0x1D173 && r <= 0x1D17A: // C.2.2, C.6
		return true
	case r >= 0xE000 && r <= 0xF8FF, r >= 0xF0000: // C.3 private use (and planes 15, 16)
		return true
	case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE: // C.4
		return true
	case r >= 0x2FF0 && r <= 0x2FFB: // C.7
		return true
	case r == 0x0340, r == 0x0341, r == 0x200E, r == 0x200F, r >= 0x202A && r <= 0x202E: // C.8
		return true
	case r == 0xE0001, r >= 0xE0020 && r <= 0xE007F: // C.9
		return true
	}
	return false
}

func rtl(r rune) bool {
	p, _ := bidi.LookupRune(r)
	return p.Class() == bidi.R || p.Class() == bidi.AL
}

func ltr(r rune) bool {
	p, _ := bidi.LookupRune(r)
	return p.Class() == bidi.L
}

// bidiOK is RFC 3454 §6: with a right-to-left letter, no left-to-right
// one, and a right-to-left letter first and last.
func bidiOK(s string) bool {
	if !strings.ContainsFunc(s, rtl) {
		return true
	}
	if strings.ContainsFunc(s, ltr) {
		return false
	}
	rs := []rune(s)
	return rtl(rs[0]) && rtl(rs[len(rs)-1])
}

// fixBidi makes a name with right-to-left letters keep the bidi rule:
// its left-to-right letters dropped ("שלום abc" is "שלום"), then what
// stands before its first and after its last right-to-left letter.
// "" when nothing is left.
func fixBidi(s string) string {
	if bidiOK(s) {
		return s
	}
	s = strings.Map(func(r rune) rune {
		if ltr(r) {
			return -1
		}
		return r
	}, s)
	i := strings.IndexFunc(s, rtl)
	j := strings.LastIndexFunc(s, rtl)
	if i < 0 {
		return ""
	}
	_, size := utf8.DecodeRuneInString(s[j:])
	return strings.Join(strings.Fields(s[i:j+size]), " ")
}

// rtlDigits spell a nick's suffix code after a right-to-left name, so
// the nick keeps the bidi rule: Arabic letters, one for each character
// a code may hold (base32's a-z and 2-7, and the digits of a count).
var rtlDigits = func() map[rune]rune {
	const from = "abcdefghijklmnopqrstuvwxyz0123456789"
	var letters []rune
	for r := rune(0x0621); r <= 0x063A; r++ {
		letters = append(letters, r)
	}
	for r := rune(0x0641); r <= 0x064A; r++ {
		letters = append(letters, r)
	}
	m := make(map[rune]rune, len(from))
	for i, c := range from {
		m[c] = letters[i]
	}
	return m
}()

// rtlCode is code spelt in rtlDigits.
func rtlCode(code string) string {
	return strings.Map(func(r rune) rune {
		if l, ok := rtlDigits[unicode.ToLower(r)]; ok {
			return l
		}
		return r
	}, code)
}
