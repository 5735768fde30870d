package signal

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	pb "passerelle.im/passerelle/plugins/proto"
)

func testSession(t *testing.T) *Session {
	return &Session{ids: loadIdentities(t.TempDir(), nil), acc: Account{Number: "+15550000001"}}
}

func TestDecodeText(t *testing.T) {
	s := testSession(t)
	// "😀" is 2 UTF-16 units, "é" 1; the mention's placeholder at 4.
	text, spans := s.decodeText(context.Background(), "é😀 \uFFFC is *here*", []mention{{Number: "+15550000002", UUID: "b0b00000-0000-4000-8000-000000000002", Start: 4, Length: 1}},
		[]textStyle{{Style: "BOLD", Start: 9, Length: 6}, {Style: "SPOILER", Start: 1, Length: 2}})
	want := "é😀 @+15550000002 is *here*"
	if text != want {
		t.Fatalf("text %q, want %q", text, want)
	}
	got := map[pb.Span_Style]string{}
	for _, sp := range spans {
		got[sp.Style] = text[sp.Start:sp.End]
	}
	if got[pb.Span_STYLE_MENTION] != "@+15550000002" || got[pb.Span_STYLE_BOLD] != "*here*" || got[pb.Span_STYLE_SPOILER] != "😀" {
		t.Fatalf("spans: %v", got)
	}
}

// Offsets a hostile or buggy sender gives are dropped, never a panic or
// a span outside the text.
func TestDecodeTextHostile(t *testing.T) {
	s := testSession(t)
	for _, tc := range []struct {
		body     string
		mentions []mention
		styles   []textStyle
	}{
		{"abc", []mention{{UUID: "x", Start: 2, Length: 5}}, nil},
		{"abc", []mention{{UUID: "x", Start: -1, Length: 1}}, []textStyle{{Style: "BOLD", Start: -3, Length: 2}}},
		{"abc", nil, []textStyle{{Style: "BOLD", Start: 1, Length: 1 << 30}}},
		{"😀😀", []mention{{UUID: "x", Start: 1, Length: 2}}, []textStyle{{Style: "ITALIC", Start: 1, Length: 1}}},
		{"\uFFFC\uFFFC", []mention{{UUID: "x", Start: 0, Length: 2}, {UUID: "y", Start: 1, Length: 1}}, nil},
		{"", []mention{{UUID: "x", Start: 0, Length: 1}}, []textStyle{{Style: "NOPE", Start: 0, Length: 0}}},
		{"a\xffb", nil, []textStyle{{Style: "BOLD", Start: 0, Length: 3}}},
	} {
		text, spans := s.decodeText(context.Background(), tc.body, tc.mentions, tc.styles)
		for _, sp := range spans {
			if sp.End < sp.Start || int(sp.End) > len(text) {
				t.Errorf("%q: span %v outside %q", tc.body, sp, text)
			}
		}
		if !utf8.ValidString(text) {
			t.Errorf("%q: invalid UTF-8 out: %q", tc.body, text)
		}
	}
}

func TestEncodeSpans(t *testing.T) {
	text := "é😀 @Carol hi"
	at := strings.Index(text, "@")
	mentions, styles := encodeSpans(text, []*pb.Span{
		{Start: uint32(at), End: uint32(at + 6), Style: pb.Span_STYLE_MENTION, UserId: "+15550000003"},
		{Start: 0, End: 2, Style: pb.Span_STYLE_PRE},
		{Start: 5, End: 100, Style: pb.Span_STYLE_BOLD},                // past the end: dropped
		{Start: 3, End: 4, Style: pb.Span_STYLE_LINK, Url: "http://x"}, // no Signal style: dropped
	})
	if len(mentions) != 1 || mentions[0] != "4:6:+15550000003" {
		t.Errorf("mentions %q", mentions)
	}
	if len(styles) != 1 || styles[0] != "0:1:MONOSPACE" {
		t.Errorf("styles %q", styles)
	}
}

func FuzzDecodeText(f *testing.F) {
	f.Add("é😀 \uFFFC x", 4, 1, 0, 3)
	f.Add("", 0, 0, 0, 0)
	f.Fuzz(func(t *testing.T, body string, ms, ml, ss, sl int) {
		s := testSession(t)
		text, spans := s.decodeText(context.Background(), body, []mention{{UUID: "u", Start: ms, Length: ml}}, []textStyle{{Style: "BOLD", Start: ss, Length: sl}})
		for _, sp := range spans {
			if sp.End < sp.Start || int(sp.End) > len(text) {
				t.Fatalf("span %v outside %q", sp, text)
			}
		}
	})
}

func TestGroupChatID(t *testing.T) {
	gid := "Pmpi+EfPWmsxiomLe9Nx2XF9HOE483p6iKiFj65iMwI="
	chat := groupChatID(gid)
	if chat == "" || strings.ToLower(chat) != chat || groupIDOf(chat) != gid {
		t.Fatalf("%q -> %q -> %q", gid, chat, groupIDOf(chat))
	}
	for _, notGroup := range []string{"+15550000002", "b0b00000-0000-4000-8000-000000000002", "zz", ""} {
		if groupIDOf(notGroup) != "" {
			t.Errorf("%q taken as a group", notGroup)
		}
	}
	if groupChatID("not base64!") != "" {
		t.Error("a bad group ID gave a chat")
	}
}

func TestNormalizeNumber(t *testing.T) {
	for in, want := range map[string]string{"+33 6 12 34 56 78": "+33612345678", "0033612345678": "+33612345678",
		"0612345678": "", "+33abc": "", "+1": "", " +1 (555) 000-0002 ": "+15550000002"} {
		if got := normalizeNumber(in); got != want {
			t.Errorf("normalizeNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIdentities(t *testing.T) {
	dir := t.TempDir()
	ids := loadIdentities(dir, nil)
	const aci = "dave0000-0000-4000-8000-000000000004"
	if id, moved := ids.userID("", aci, ""); id != aci || moved != nil {
		t.Fatalf("ACI only: %q %v", id, moved)
	}
	// Known again after a restart: the move still happens.
	ids = loadIdentities(dir, nil)
	id, moved := ids.userID("+15550000004", aci, "Dave")
	if id != "+15550000004" || moved == nil || moved.OldUserId != aci || moved.Contact.UserId != "+15550000004" || moved.Contact.Name != "Dave" {
		t.Fatalf("number known: %q %v", id, moved)
	}
	if id, moved := ids.userID("+15550000004", aci, ""); moved != nil || id != "+15550000004" {
		t.Fatalf("twice: %q %v", id, moved)
	}
	if id, _ := loadIdentities(dir, nil).userID("", aci, ""); id != "+15550000004" {
		t.Fatalf("after a restart by ACI: %q", id)
	}
	// A contact whose number was always known never moves.
	if _, moved := ids.userID("+15550000005", "e0000000-0000-4000-8000-000000000005", ""); moved != nil {
		t.Fatalf("moved: %v", moved)
	}
}
