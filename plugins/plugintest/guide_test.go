package plugintest

import (
	"encoding/json"
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
// file the text before it names, then `go build ./...`, `go vet ./...`
// and `go test ./...`, which runs this kit against the guide's plugin.
// A snippet that no longer compiles (an SDK's change the guide missed),
// a file the guide forgets to name, or a first plugin the kit fails,
// fails here.
//
// Nothing is fetched, where a newcomer's `go mod tidy` fetches: the
// module starts with this checkout's requirements and go.sum, so that
// the module cache a build and test of passerelle filled is enough (a
// fresh CI machine's). Its `go mod tidy` would need more than that
// cache holds: the go.mod of every module in the whole graph
// (fatih/color v1.13.0, which go-hclog requires) and the modules of the
// dependencies' tests (grpc's: gonum, go-cmp). GOFLAGS=-mod=mod has
// the build add a requirement the checkout's lack.
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
	// GOSUMDB=off: the checksums are the checkout's go.sum's, and no
	// lookup of one leaves the machine.
	env := append(os.Environ(), "GOPROXY=off", "GOSUMDB=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	run := func(dir, name string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("in %s, %s %s: %v\n%s", dir, name, strings.Join(args, " "), err, out)
		}
		return out
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
			requireCheckout(t, root, module, run)
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
	run(module, "go", "build", "./...")
	run(module, "go", "vet", "./...")
	run(module, "go", "test", "-count=1", "./...")
}

// requireCheckout gives module the requirements of the checkout at root,
// at its versions (those the replace of passerelle makes module use),
// and its go.sum, in place of the `go mod tidy` TestWritingAPluginGuide
// cannot run offline.
func requireCheckout(t *testing.T, root, module string, run func(dir, name string, args ...string) []byte) {
	t.Helper()
	var mod struct {
		Require []struct{ Path, Version string }
	}
	if err := json.Unmarshal(run(root, "go", "mod", "edit", "-json"), &mod); err != nil {
		t.Fatalf("the checkout's go.mod, as go mod edit -json: %v", err)
	}
	args := []string{"mod", "edit"}
	for _, r := range mod.Require {
		args = append(args, "-require="+r.Path+"@"+r.Version)
	}
	run(module, "go", args...)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(module, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
}
