package puppet

import (
	"errors"
	"strings"
	"testing"

	"mellium.im/xmpp/jid"
)

const domain = "whatsapp.example.org"

func TestLocalPart(t *testing.T) {
	tests := []struct {
		id, want string
	}{
		{"+33612345678", "+33612345678"},
		{"123456789", "123456789"},
		{"alice", "alice"},
		{"john_doe.42", "john_doe.42"},
		{"0b7a3f2c-9e1d-4c5a-8f6b-2d3e4f5a6b7c", "0b7a3f2c-9e1d-4c5a-8f6b-2d3e4f5a6b7c"},
		{"!#$%()*+,-.;=?[]^_`{|}~", "!#$%()*+,-.;=?[]^_`{|}~"},
		{"Alice", `\alice`},
		{"0B7A3F2C-9E1D", `0\b7\a3\f2\c-9\e1\d`},
		{"a b@c/d", `a\20b\40c\2fd`},
		{`"&'/:<>@\ `, `\22\26\27\2f\3a\3c\3e\40\5c\20`},
		{`\5c`, `\5c5c`},
		{`\alice`, `\5calice`},
		{`\{41}`, `\5c{41}`},
		{"José", `\jos\{e9}`},
		{"日本", `\{65e5}\{672c}`},
		{"e\u0301", `e\{301}`}, // not composed by NFC
		{"ﬀ", `\{fb00}`},       // not width-mapped
		{"😀", `\{1f600}`},      // outside the BMP
		{"12345@s.whatsapp.net", `12345\40s.whatsapp.net`},
	}
	for _, tc := range tests {
		got, err := LocalPart(tc.id)
		if err != nil {
			t.Errorf("LocalPart(%q): %v", tc.id, err)
			continue
		}
		if got != tc.want {
			t.Errorf("LocalPart(%q) = %q, want %q", tc.id, got, tc.want)
		}
		back, err := UserID(got)
		if err != nil || back != tc.id {
			t.Errorf("UserID(%q) = %q, %v; want %q", got, back, err, tc.id)
		}
		j, err := JID(tc.id, domain)
		if err != nil {
			t.Errorf("JID(%q): %v", tc.id, err)
			continue
		}
		if j.Localpart() != tc.want {
			t.Errorf("JID(%q) localpart = %q, want %q", tc.id, j.Localpart(), tc.want)
		}
		if id, err := FromJID(j); err != nil || id != tc.id {
			t.Errorf("FromJID(%s) = %q, %v; want %q", j, id, err, tc.id)
		}
	}
}

func TestLocalPartErrors(t *testing.T) {
	tests := []struct {
		id   string
		want error
	}{
		{"", ErrEmpty},
		{"\xff", ErrInvalid},
		{strings.Repeat("a", MaxLocalpartBytes+1), ErrTooLong},
		{strings.Repeat("A", MaxLocalpartBytes/2+1), ErrTooLong},
		{"\x00", ErrInvalid},     // NUL: the store refuses it
		{"a\tb", ErrInvalid},     // C0
		{"a\x7f", ErrInvalid},    // DEL
		{"a\u0085b", ErrInvalid}, // C1
	}
	for _, tc := range tests {
		if lp, err := LocalPart(tc.id); !errors.Is(err, tc.want) {
			t.Errorf("LocalPart(%.20q) = %q, %v; want error %v", tc.id, lp, err, tc.want)
		}
		if _, err := JID(tc.id, domain); !errors.Is(err, tc.want) {
			t.Errorf("JID(%.20q): err = %v, want %v", tc.id, err, tc.want)
		}
	}
	// The longest ID that fits.
	if _, err := JID(strings.Repeat("a", MaxLocalpartBytes), domain); err != nil {
		t.Errorf("JID of a %d-byte ID: %v", MaxLocalpartBytes, err)
	}
}

func TestUserIDRejectsNonCanonical(t *testing.T) {
	for _, lp := range []string{
		"",
		`\`,          // dangling
		`a\`,         // dangling
		`\41`,        // not one of the ten
		`\5C`,        // uppercase hex: the encoder writes \5c
		`\2`,         // short
		`\{41}`,      // A is written \a
		`\{40}`,      // @ is written \40
		`\{}`,        // empty
		`\{d800}`,    // surrogate
		`\{110000}`,  // beyond Unicode
		`\{0e9}`,     // leading zero
		`\{E9}`,      // uppercase hex
		`\{e9`,       // unterminated
		`\{+e9}`,     // sign
		`\!`,         // unknown escape
		"Alice",      // servers lowercase; the encoder never writes uppercase
		"josé",       // raw non-ASCII
		"a b",        // raw space
		"a@b",        // raw forbidden character
		"\x00",       // raw control
		`\{1000000}`, // too many digits
		`\{0}`,       // NUL: it would wedge the transport (issue 16)
		`a\{9}b`,     // tab
		`\{7f}`,      // DEL
		`\{85}`,      // C1
	} {
		if id, err := UserID(lp); err == nil {
			t.Errorf("UserID(%q) = %q, want an error", lp, id)
		}
	}
}

func TestFromJIDOfForeignLocalpart(t *testing.T) {
	j := jid.MustParse(`x\41y@` + domain)
	if id, err := FromJID(j); err == nil {
		t.Errorf("FromJID(%s) = %q, want an error", j, id)
	}
	if id, err := FromJID(jid.MustParse(domain)); !errors.Is(err, ErrEmpty) {
		t.Errorf("FromJID(%s) = %q, %v; want ErrEmpty", domain, id, err)
	}
}

func TestJIDBadDomain(t *testing.T) {
	if _, err := JID("alice", ""); err == nil {
		t.Error("JID with an empty domain: want an error")
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{
		"+33612345678", "123456789", "alice", "Alice", "a b@c/d", `\5c`, `\{41}`,
		"José", "日本", "e\u0301", "ﬀ", "ǅ", "İ", "ß", "Σσς", "😀", "\x00", "\xff", "a\tb",
		"0b7a3f2c-9e1d-4c5a-8f6b-2d3e4f5a6b7c", "\u200d", "\u0627\u0644", "\ufeff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		lp, err := LocalPart(id)
		if err != nil {
			if ValidID(id) == nil && !errors.Is(err, ErrTooLong) {
				t.Fatalf("LocalPart(%q): %v", id, err)
			}
			return
		}
		back, err := UserID(lp)
		if err != nil || back != id {
			t.Fatalf("UserID(LocalPart(%q)) = %q, %v", id, back, err)
		}
		j, err := JID(id, domain)
		if err != nil {
			t.Fatalf("JID(%q): %v", id, err)
		}
		if j.Localpart() != lp {
			t.Fatalf("JID(%q) localpart %q, want %q", id, j.Localpart(), lp)
		}
		j2, err := jid.Parse(j.String())
		if err != nil {
			t.Fatalf("jid.Parse(%q): %v", j.String(), err)
		}
		if !j2.Equal(j) || j2.String() != j.String() {
			t.Fatalf("jid.Parse(%q) = %q", j.String(), j2.String())
		}
		if got, err := FromJID(j2); err != nil || got != id {
			t.Fatalf("FromJID(%s) = %q, %v; want %q", j2, got, err, id)
		}
		// The decoder must not accept a second spelling of id.
		if alt := strings.ToUpper(lp); alt != lp {
			if got, err := UserID(alt); err == nil {
				t.Fatalf("UserID(%q) = %q, want an error (canonical is %q)", alt, got, lp)
			}
		}
	})
}

// FuzzUserID checks that every localpart UserID accepts is canonical.
func FuzzUserID(f *testing.F) {
	for _, s := range []string{`\alice`, `a\20b`, `\{e9}`, `\5c5c`, `\41`, `\{0}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, lp string) {
		id, err := UserID(lp)
		if err != nil {
			return
		}
		if got, err := LocalPart(id); err != nil || got != lp {
			t.Fatalf("LocalPart(UserID(%q)) = %q, %v", lp, got, err)
		}
		if _, err := jid.New(lp, domain, ""); err != nil {
			t.Fatalf("UserID accepted %q, which is no valid localpart: %v", lp, err)
		}
	})
}

func TestValidID(t *testing.T) {
	for _, id := range []string{"+33612345678", "José", "a b@c/d", strings.Repeat("é", MaxIDBytes/2)} {
		if err := ValidID(id); err != nil {
			t.Errorf("ValidID(%.20q): %v", id, err)
		}
	}
	for _, tc := range []struct {
		id   string
		want error
	}{
		{"", ErrEmpty},
		{"\xff", ErrInvalid},
		{"\x00", ErrInvalid},
		{"a\nb", ErrInvalid},
		{"\u009f", ErrInvalid},
		{strings.Repeat("a", MaxIDBytes+1), ErrTooLong},
	} {
		if err := ValidID(tc.id); !errors.Is(err, tc.want) {
			t.Errorf("ValidID(%.20q) = %v, want %v", tc.id, err, tc.want)
		}
	}
}
