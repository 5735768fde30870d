package mediatext

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestImportsOnlyProto: transports are separate processes that share
// this helper and nothing of the gateway's internals; of this module,
// mediatext imports only the contract (tests included).
func TestImportsOnlyProto(t *testing.T) {
	allowed := []string{"passerelle.im/passerelle/plugins/proto"}
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
