package telegram

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportRules: the transport knows only the contract (DESIGN.md):
// of this module its code and its tests import the plugins' packages,
// its own command, and for the tests through the whole stack the
// harnesses that run a gateway and an XMPP client (gatewaytest,
// xmpptest), never the gateway's own packages (its store, bridge...):
// what the gateway does with an event is the gateway's tests' to check.
func TestImportRules(t *testing.T) {
	const module = "passerelle.im/passerelle/"
	allowed := []string{module + "plugins/", module + "cmd/passerelle-telegram",
		module + "internal/gatewaytest", module + "internal/xmpptest"}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".go") {
			return err
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(path, module) {
				continue
			}
			ok := false
			for _, a := range allowed {
				ok = ok || strings.HasPrefix(path, a)
			}
			if !ok {
				t.Errorf("%s imports %s: a transport knows only the contract", name, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
