package plugintest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// guide is the first-plugin guide, a newcomer's path from an empty folder
// to a plugin that passes the kit.
const guide = "../../docs/writing-a-plugin.md"

// guideBlock matches a fenced block of the guide: its language and text.
var guideBlock = regexp.MustCompile("(?s)```(\\w*)\n(.*?)```")

// guideFile matches a Go file the guide names in its text (`mynet.go`).
var guideFile = regexp.MustCompile("`([\\w./-]+\\.go)`")

// TestWritingAPluginGuide follows docs/writing-a-plugin.md as a newcomer
// does: the commands of its first step make a module in a temporary
// folder (its replace naming this checkout), each Go block goes into the
// file the text before it names, then `go mod tidy`, `go build ./...`
// and `go test ./...`, which runs this kit against the guide's plugin.
// A snippet that no longer compiles (an SDK's change the guide missed),
// a file the guide forgets to name, or a first plugin the kit fails,
// fails here. Nothing is fetched: the module cache has what passerelle
// needs.
func TestWritingAPluginGuide(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the guide's plugin: not with -short")
	}
	doc, err := os.ReadFile(guide)
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	env := append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	run := func(dir, name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("in %s, %s %s: %v\n%s", dir, name, strings.Join(args, " "), err, out)
		}
	}

	var module string // the plugin's folder, which step 1 makes
	files := map[string]bool{}
	prev := 0
	for _, m := range guideBlock.FindAllSubmatchIndex(doc, -1) {
		lang, body, before := string(doc[m[2]:m[3]]), string(doc[m[4]:m[5]]), string(doc[prev:m[0]])
		prev = m[1]
		switch {
		case lang == "sh" && module == "":
			// Step 1: a module of its own, whose replace names the
			// checkout; the commands end in its folder.
			if !strings.Contains(body, "/path/to/passerelle") {
				t.Fatalf("the guide's first commands name no /path/to/passerelle to replace:\n%s", body)
			}
			script := strings.ReplaceAll(body, "/path/to/passerelle", root) + "\npwd > " + filepath.Join(work, "module") + "\n"
			run(work, "sh", "-ec", script)
			b, err := os.ReadFile(filepath.Join(work, "module"))
			if err != nil {
				t.Fatal(err)
			}
			module = strings.TrimSpace(string(b))
		case lang == "go":
			if module == "" {
				t.Fatalf("a Go block before the commands that make the module:\n%s", body)
			}
			names := guideFile.FindAllStringSubmatch(before, -1)
			if len(names) == 0 {
				t.Fatalf("the text before a Go block names no file for it:\n%s", body)
			}
			name := names[len(names)-1][1]
			if files[name] {
				t.Fatalf("two Go blocks for %s", name)
			}
			files[name] = true
			path := filepath.Join(module, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(files) < 3 {
		t.Fatalf("the guide's Go files: %v, want the network, the program and the test", files)
	}
	run(module, "go", "mod", "tidy")
	run(module, "go", "build", "./...")
	run(module, "go", "vet", "./...")
	run(module, "go", "test", "-count=1", "./...")
}
