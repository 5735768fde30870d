package plugintest

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestImportsOnlySDK: the kit runs in a transport's own tests, so of this
// module it imports only the SDK and the contract (tests included): a
// plugin's tests never pull in the gateway.
func TestImportsOnlySDK(t *testing.T) {
	allowed := []string{"passerelle.im/passerelle/plugins/sdk", "passerelle.im/passerelle/plugins/proto"}
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files: %v", err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "passerelle.im/passerelle/") && !slices.Contains(allowed, path) {
				t.Errorf("%s imports %s; allowed of this module: %v", name, path, allowed)
			}
		}
	}
}
