package media

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// nameSeeds are file names a careless or hostile peer sends: path
// traversal in its forms, dots and spaces that trim down to "." or "..",
// controls, bidi overrides, invalid UTF-8, long names.
var nameSeeds = []string{
	"", "photo.jpg", "../../etc/passwd", `..\..\boot.ini`, ". ..", " . .", "a/. ..", "..\u00a0..",
	".\t.", " .. ", "\u2003..", ". . .", "...", "a\x00b", "ctl\x1b[31m\u202eexe.txt", "\xff\xfebad",
	strings.Repeat("é", 150) + ".jpeg", strings.Repeat("x", 300), strings.Repeat(". ", 150) + "..",
	"CON", "nul.txt", "a:b", "\u3000.\u3000.", "name.tar.gz",
}

// TestSafeNameNoDots: a name that trims down to "." or ".." (dots with
// spaces between them) is no name. Before, SafeName(". ..") was "..":
// the built-in media server's file URL ended in "/..", which every
// client resolves to another address (the file was lost to the user),
// and a plugin that joins the name it is given to a folder would write
// outside it.
func TestSafeNameNoDots(t *testing.T) {
	for _, in := range []string{". ..", " . .", "a/. ..", "..\u00a0..", " .. ", "\u2003..", ". . .", "\u3000.\u3000."} {
		if got := SafeName(in); got != "" {
			t.Errorf("SafeName(%q) = %q, want \"\"", in, got)
		}
	}
	if got := SafeName(". .. x.txt"); got != "x.txt" {
		t.Errorf(`SafeName(". .. x.txt") = %q, want "x.txt"`, got)
	}
}

// FuzzSafeName: whatever a peer names a file, SafeName's answer holds
// what its comment promises, and is its own answer.
func FuzzSafeName(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := SafeName(in)
		checkSafeName(t, in, got)
		if again := SafeName(got); again != got {
			t.Fatalf("SafeName(%q) = %q, and SafeName of that = %q", in, got, again)
		}
	})
}

// checkSafeName fails t when name, SafeName's answer for in, is not a
// safe file name or "".
func checkSafeName(t *testing.T, in, name string) {
	t.Helper()
	switch {
	case !utf8.ValidString(name):
		t.Fatalf("SafeName(%q) = %q: not UTF-8", in, name)
	case len(name) > maxNameBytes:
		t.Fatalf("SafeName(%q) = %d bytes", in, len(name))
	case strings.ContainsAny(name, `/\`):
		t.Fatalf("SafeName(%q) = %q: a path", in, name)
	case strings.HasPrefix(name, "."), name == "..", name == ".":
		t.Fatalf("SafeName(%q) = %q: dots", in, name)
	case name != strings.TrimSpace(name):
		t.Fatalf("SafeName(%q) = %q: spaces at an edge", in, name)
	case name != "" && filepath.Base(name) != name:
		t.Fatalf("SafeName(%q) = %q: not one path element", in, name)
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError {
			t.Fatalf("SafeName(%q) = %q: holds %U", in, name, r)
		}
	}
}

// TestFetchNameDots: a file whose URL's last element trims down to ".."
// is named by the server's Content-Disposition, else "file".
func TestFetchNameDots(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("cd") != "" {
			w.Header().Set("Content-Disposition", `attachment; filename=". .."`)
		}
		w.Write([]byte("x"))
	})
	dir := t.TempDir()
	for _, p := range []string{"/a/.%20..", "/a/%20.%20.", "/a/?cd=1"} {
		f, err := Fetch(testCtx(t, 5*time.Second), loClient, ts.URL+p, dir, 10)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if f.Name != "file" {
			t.Errorf("%s: name %q, want \"file\"", p, f.Name)
		}
	}
}
