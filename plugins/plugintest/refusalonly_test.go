package plugintest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestRefusalOnlyDocumented: the features whose handling the kit does not
// check when advertised (refusalOnly: only their refusal when not) are
// each named where an author reads what the kit checks, Run's doc and
// docs/plugins.md, so that no author takes a pass for a check of them.
func TestRefusalOnlyDocumented(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "conformance.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var runDoc string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "Run" && fn.Recv == nil {
			runDoc = fn.Doc.Text()
		}
	}
	guide, err := os.ReadFile("../../docs/plugins.md")
	if err != nil {
		t.Fatal(err)
	}
	// The sentence that lists them, in each.
	const mark = "the plugin's own tests check them"
	sentence := func(where, text string) string {
		text = strings.Join(strings.Fields(text), " ")
		i := strings.Index(text, mark)
		if i < 0 {
			t.Fatalf("%s has no %q, the sentence that names the features the kit checks only refused", where, mark)
		}
		start := strings.LastIndexAny(text[:i], ".;:") + 1
		return text[start:i]
	}
	docs := map[string]string{
		"Run's doc":       sentence("Run's doc", runDoc),
		"docs/plugins.md": sentence("docs/plugins.md", string(guide)),
	}
	for _, ft := range features {
		if !ft.refusalOnly {
			continue
		}
		for where, s := range docs {
			if !strings.Contains(s, ft.name) {
				t.Errorf("%s does not name %s among the features the kit checks only refused (%q)", where, ft.name, s)
			}
		}
	}
}
