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

// TestImportRules: the packages a plugin author's process is built from
// get nothing of the gateway's internals. Of this module, the SDK imports
// only the contract and its limits (plugins/limits, which imports nothing
// of it), the shared text renderers (mediatext) only the contract; the kit,
// which runs in a transport's own tests, only the SDK, the contract and its
// limits.
// Tests included: a plugin's tests never pull in the gateway. The SDK's
// own tests may also use the kit (a built plugin binary run by hand),
// which brings nothing more.
func TestImportRules(t *testing.T) {
	const proto, sdk = "passerelle.im/passerelle/plugins/proto", "passerelle.im/passerelle/plugins/sdk"
	const kit = "passerelle.im/passerelle/plugins/plugintest"
	const limits = "passerelle.im/passerelle/plugins/limits"
	testsAlso := map[string][]string{"../sdk": {kit}, "../limits": {proto, limits}}
	for dir, allowed := range map[string][]string{
		"../sdk":       {proto, limits},
		"../limits":    {},
		"../mediatext": {proto},
		".":            {sdk, proto, limits},
	} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		fset := token.NewFileSet()
		for _, name := range files {
			f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			allow := allowed
			if strings.HasSuffix(name, "_test.go") {
				allow = append(slices.Clip(allowed), testsAlso[dir]...)
			}
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if strings.HasPrefix(path, "passerelle.im/passerelle/") && !slices.Contains(allow, path) {
					t.Errorf("%s imports %s; allowed of this module: %v", name, path, allow)
				}
			}
		}
	}
}
