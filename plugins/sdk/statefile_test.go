package sdk

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A state file written is read back; none is no error and says nothing.
func TestStateFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "marks.json")
	var log bytes.Buffer
	l := slog.New(slog.NewTextHandler(&log, nil))
	if m, ok := LoadStateFile[map[string]int](path, "nothing", l); ok || m != nil {
		t.Fatalf("no file: %v, %v", m, ok)
	}
	if err := SaveStateFile(path, map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if m, ok := LoadStateFile[map[string]int](path, "nothing", l); !ok || m["a"] != 1 {
		t.Fatalf("read back: %v, %v", m, ok)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the temporary file is left: %v", err)
	}
	if log.Len() != 0 {
		t.Errorf("logged: %s", log.String())
	}
}

// Each damaged form (torn JSON, the wrong type, null) is logged once
// with its path and cost, and set aside under the first name not taken,
// its bytes kept, the earlier copy left as it was; the zero value comes
// back, never one partly filled.
func TestStateFileDamagedSetAside(t *testing.T) {
	for name, content := range map[string]string{
		"torn":  `{"a": 1, "b": `,
		"type":  `{"a": 1, "b": "two"}`,
		"null":  "null\n",
		"array": `[1, 2]`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "marks.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			earlier := []byte("set aside before")
			if err := os.WriteFile(path+DamagedSuffix, earlier, 0o600); err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			m, ok := LoadStateFile[map[string]int](path, "the marks are sent again", slog.New(slog.NewTextHandler(&log, nil)))
			if ok || m != nil {
				t.Fatalf("damaged read as %v, %v", m, ok)
			}
			if got, err := os.ReadFile(path + DamagedSuffix + ".2"); err != nil || string(got) != content {
				t.Errorf("set aside: %q, %v", got, err)
			}
			if got, err := os.ReadFile(path + DamagedSuffix); err != nil || !bytes.Equal(got, earlier) {
				t.Errorf("the earlier copy: %q, %v", got, err)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("the damaged file is still read: %v", err)
			}
			s := log.String()
			if strings.Count(s, "level=WARN") != 1 || !strings.Contains(s, "file="+path+" ") ||
				!strings.Contains(s, `cost="the marks are sent again"`) || !strings.Contains(s, "set_aside_as="+path+".damaged.2") {
				t.Errorf("the log line: %s", s)
			}
		})
	}
}

// A damaged file that cannot be set aside (its folder read-only) is
// logged as such; the caller still starts empty.
func TestStateFileNotSetAside(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root renames in a read-only folder")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "marks.json")
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	var log bytes.Buffer
	if _, ok := LoadStateFile[map[string]int](path, "x", slog.New(slog.NewTextHandler(&log, nil))); ok {
		t.Fatal("damaged read as good")
	}
	if !strings.Contains(log.String(), "could not be set aside") || !strings.Contains(log.String(), "file="+path+" ") {
		t.Errorf("the log line: %s", log.String())
	}
}

// A file that cannot be set aside for another reason than a name taken
// (here its folder is a file) says that reason, not that every name was
// taken, which it took a thousand looks to say.
func TestSetAsideSaysWhy(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-folder")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := SetAside(filepath.Join(file, "marks.json"))
	if err == nil || strings.Contains(err.Error(), "every name taken") || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("set aside in a folder that is a file: %v, want the reason", err)
	}
}

// AsideName gives the first name not taken, a name taken by a dangling
// link or a folder included, and leaves the file where it is; with all
// taken it says so.
func TestAsideName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "marks.json")
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if to, err := AsideName(path); err != nil || to != path+DamagedSuffix {
		t.Fatalf("nothing taken: %q, %v; want %s", to, err, path+DamagedSuffix)
	}
	if err := os.Symlink("nowhere", path+DamagedSuffix); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path+DamagedSuffix+".2", 0o700); err != nil {
		t.Fatal(err)
	}
	if to, err := AsideName(path); err != nil || to != path+DamagedSuffix+".3" {
		t.Fatalf("two taken: %q, %v; want %s", to, err, path+DamagedSuffix+".3")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "{" {
		t.Errorf("the file moved: %q, %v", b, err)
	}
	for i := 3; i <= 1000; i++ {
		if err := os.WriteFile(path+DamagedSuffix+"."+strconv.Itoa(i), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if to, err := AsideName(path); err == nil || !strings.Contains(err.Error(), "every name taken") {
		t.Errorf("all taken: %q, %v; want every name taken", to, err)
	}
}
