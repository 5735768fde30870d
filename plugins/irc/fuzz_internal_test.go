package irc

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/puppet"
)

// FuzzFormatted: any line from an IRC server (any bytes, any codes)
// becomes UTF-8 text with no control character but tab, and spans that
// lie in it on character boundaries, in order, never crossing; the text
// is the line without its codes and their colour arguments.
func FuzzFormatted(f *testing.F) {
	for _, s := range []string{
		"plain text", "a \x02bold\x02 word", "\x02a\x1db\x02c\x1d", "\x0304,12on blue\x03 \x031,2x \x03,5",
		"\x04FF00AAhex\x04 \x04ff0000,00ff00two", "caf\xe9 \x02cr\xe8me\x02", "\x02\x1d\x1e\x11x\x0fy\x11\x1e\x1d\x02",
		"\x01ACTION waves\x01", "\x1f\x16\x07\x00\r\n\t", "\xff\xfe\x80\x02\x81\x8d\x8f\x90\x9d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		dec := decodeText(line)
		if !utf8.ValidString(dec) {
			t.Fatalf("decodeText(%q) = %q, not UTF-8", line, dec)
		}
		if utf8.ValidString(line) && dec != line {
			t.Fatalf("decodeText(%q) = %q: UTF-8 must stay as it is", line, dec)
		}
		text, spans := formatted(dec)
		if !utf8.ValidString(text) {
			t.Fatalf("formatted(%q): text %q not UTF-8", dec, text)
		}
		if i := strings.IndexFunc(text, func(r rune) bool { return r < 0x20 && r != '\t' }); i >= 0 {
			t.Fatalf("formatted(%q): text %q keeps a control character at %d", dec, text, i)
		}
		// Codes go, and so may the digits, hex digits and commas of a
		// colour's argument: the rest is kept, in order.
		keep := func(s string) string {
			return strings.Map(func(r rune) rune {
				if (r < 0x20 && r != '\t') || r == ',' || isHex(byte(r)) && r < utf8.RuneSelf {
					return -1
				}
				return r
			}, s)
		}
		if keep(text) != keep(dec) {
			t.Fatalf("formatted(%q): text %q, want the line without its codes", dec, text)
		}
		if !strings.ContainsFunc(dec, func(r rune) bool { return r < 0x20 && r != '\t' }) && (text != dec || spans != nil) {
			t.Fatalf("formatted(%q) = %q %v: a line without codes stays as it is", dec, text, spans)
		}
		for i, s := range spans {
			if s.Start >= s.End || int(s.End) > len(text) || !utf8.ValidString(text[s.Start:s.End]) ||
				!utf8.RuneStart(text[s.Start]) || (int(s.End) < len(text) && !utf8.RuneStart(text[s.End])) {
				t.Fatalf("formatted(%q) = %q: span %v out of place", dec, text, s)
			}
			switch s.Style {
			case pb.Span_STYLE_BOLD, pb.Span_STYLE_ITALIC, pb.Span_STYLE_STRIKE, pb.Span_STYLE_CODE:
			default:
				t.Fatalf("formatted(%q): span of style %v", dec, s.Style)
			}
			for _, o := range spans[i+1:] {
				if o.Start < s.Start || (o.Start == s.Start && o.End > s.End) {
					t.Fatalf("formatted(%q): spans out of order: %v before %v", dec, s, o)
				}
				if o.Start < s.End && s.End < o.End {
					t.Fatalf("formatted(%q): spans cross: %v %v", dec, s, o)
				}
			}
		}
	})
}

// FuzzPeople: whatever nicks a server sends, and in whatever order they
// join, change nick and quit, the members there are have IDs of their
// own, each found again by its nick and giving back its nick.
func FuzzPeople(f *testing.F) {
	f.Add("+alice\n+Bob\n>alice bob2\n+ALICE\n-Bob\n+bob\n>ALICE alice")
	f.Add("+a\n>a b\n+a\n+a!2\n>b a\n+b")
	f.Add("+[x]\n+{X}\n>{x} ~y\n+^Y\n-^y\n+\xe9\n+\xc9")
	f.Fuzz(func(t *testing.T, script string) {
		p := newPeople(foldName)
		present := map[string]string{} // folded nick -> ID
		for _, line := range strings.Split(script, "\n") {
			if line == "" {
				continue
			}
			arg := line[1:]
			switch line[0] {
			case '+':
				id := p.id(arg)
				if !utf8.ValidString(id) {
					t.Fatalf("%q: %s got ID %q, not UTF-8", script, arg, id)
				}
				if was, ok := present[foldName(arg)]; ok && was != id {
					t.Fatalf("%q: %s got ID %q, had %q", script, arg, id, was)
				}
				present[foldName(arg)] = id
			case '>':
				old, now, ok := strings.Cut(arg, " ")
				if !ok {
					continue
				}
				want, known := present[foldName(old)]
				id := p.rename(old, now)
				if known && id != want {
					t.Fatalf("%q: %s renamed to %s got ID %q, had %q", script, old, now, id, want)
				}
				delete(present, foldName(old))
				present[foldName(now)] = id
			case '-':
				p.forget(arg)
				delete(present, foldName(arg))
			}
			owner := map[string]string{}
			for f, id := range present {
				if o, ok := owner[id]; ok {
					t.Fatalf("%q: %s and %s share ID %q", script, o, f, id)
				}
				owner[id] = f
				if n, ok := p.nick(id); !ok || foldName(n) != f {
					t.Fatalf("%q: ID %q gives nick %q, %v; want %s", script, id, n, ok, f)
				}
				if got := p.byNick[f]; got != id {
					t.Fatalf("%q: %s found as %q, want %q", script, f, got, id)
				}
			}
		}
	})
}

// FuzzChanID: a channel's name of any bytes has a UTF-8 ID, which is its
// own ID: the gateway's commands name the chat by it. A UTF-8 name's ID
// is the name folded, as it always was; the ID of any name but a UTF-8
// one with a comma (which no channel has) gives back the name, folded:
// two names share an ID only when they fold alike (a Latin-1 #caf\xe9
// and a UTF-8 #café do not). No ID holds a control character, which
// the gateway refuses.
func FuzzChanID(f *testing.F) {
	for _, s := range []string{"#go-nuts", "#Caf\xe9[1]", "&\xff\xfe", "#caf\u00e9", "#\x81", "#\x8d", "#a,\xe9",
		"#caf\u00e9,latin1", "#\xe9,latin1", "#,2c\xe9", "#caf\xc3\xa9\xe9", "#\x02bold\x02", "#x\u0085\x7f", "#\xe9\x03"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		id := chanID(name)
		if !utf8.ValidString(id) || chanID(id) != id {
			t.Fatalf("chanID(%q) = %q, whose ID is %q", name, id, chanID(id))
		}
		if name != "" && len(name) <= 200 && puppet.ValidID(id) != nil { // validChannel's bound
			t.Fatalf("chanID(%q) = %q, which the gateway takes for no ID: %v", name, id, puppet.ValidID(id))
		}
		if utf8.ValidString(name) && !strings.ContainsFunc(name, unicode.IsControl) && id != foldName(name) {
			t.Fatalf("chanID(%q) = %q, want %q", name, id, foldName(name))
		}
		if utf8.ValidString(name) && strings.Contains(name, ",") {
			return
		}
		if back, ok := chanName(id); !ok || back != foldName(name) {
			t.Fatalf("chanName(chanID(%q) = %q) = %q, %v; want %q", name, id, back, ok, foldName(name))
		}
	})
}

// FuzzISupport: a server's PREFIX and CHANMODES, and NAMES entries, of
// any shape: no panic, and an entry splits into the nick (the entry's
// end) and modes of PREFIX.
func FuzzISupport(f *testing.F) {
	f.Add("(qaohv)~&@%+", "beI,k,l,imnpst", "@+nick")
	f.Add("(ov)@+", "", "+")
	f.Add("(é)@+", "a,b", "@nick")
	f.Add("(", ",,,,", "")
	f.Fuzz(func(t *testing.T, prefix, chanmodes, entry string) {
		p := parsePrefixes(prefix)
		if len(p.modes) != len(p.symbols) || p.modes == "" {
			t.Fatalf("parsePrefixes(%q) = %+v", prefix, p)
		}
		nick, modes := p.split(entry)
		if !strings.HasSuffix(entry, nick) || len(modes) != len(entry)-len(nick) {
			t.Fatalf("split(%q) with %+v = %q %q", entry, p, nick, modes)
		}
		for i := range len(modes) {
			if strings.IndexByte(p.modes, modes[i]) < 0 {
				t.Fatalf("split(%q) with %+v: mode %q not in PREFIX", entry, p, modes[i])
			}
		}
		p.role(modes)
		p.role(entry)
		parseChanModes(chanmodes)
	})
}

// FuzzSplitText: a message the user sends is cut into lines of at most
// the budget, between characters, and nothing is lost.
func FuzzSplitText(f *testing.F) {
	f.Add("hello", "nick", "#chan", false)
	f.Add(strings.Repeat("é€𝄞", 300), "n", "#c", true)
	f.Add(strings.Repeat("пример ", 100)+strings.Repeat("日本語ｶﾀｶﾅ", 60), "n", "#c", false)
	f.Fuzz(func(t *testing.T, text, nick, target string, action bool) {
		if !utf8.ValidString(text) { // a protobuf string: the gateway sends UTF-8
			return
		}
		budget := lineBudget(sourceLen(len(nick), nick), len(target), action)
		parts := codec{}.split(text, budget)
		if strings.Join(parts, "") != text {
			t.Fatalf("split(%q, %d) = %q", text, budget, parts)
		}
		for _, p := range parts {
			if len(p) > budget || !utf8.ValidString(p) {
				t.Fatalf("split(%q, %d): part %q", text, budget, p)
			}
		}
		// Cut by their length in a server's encoding.
		for _, name := range []string{"koi8-r", "shift_jis"} {
			e, err := lookupEncoding(name)
			if err != nil {
				t.Fatal(err)
			}
			parts := e.split(text, budget)
			if strings.Join(parts, "") != text {
				t.Fatalf("%s: split(%q, %d) = %q", name, text, budget, parts)
			}
			for _, p := range parts {
				if e.size(p) > budget || !utf8.ValidString(p) {
					t.Fatalf("%s: split(%q, %d): part %q", name, text, budget, p)
				}
			}
		}
	})
}
