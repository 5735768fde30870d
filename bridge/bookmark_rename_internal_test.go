package bridge

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
)

// A renamed bookmark keeps everything of the user's but its name: other
// attributes, the nick, the password, extensions in other namespaces.
func TestRenamedConference(t *testing.T) {
	st, err := wire.Parse(`<item id='r@gw'><conference xmlns='urn:xmpp:bookmarks:1' name='Old &amp; gone' autojoin='false'>` +
		`<nick>ali</nick><password>k</password><extensions><pin xmlns='urn:example:c' at='1'/></extensions></conference></item>`)
	if err != nil {
		t.Fatal(err)
	}
	got := string(renamedConference(st.Child(nsBookmarks, "conference"), "New <name>"))
	for _, want := range []string{`<conference xmlns="urn:xmpp:bookmarks:1" name="New &lt;name&gt;" autojoin="false">`,
		`>ali</nick>`, `>k</password>`, `<pin xmlns="urn:example:c" at="1"/>`} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %s: %s", want, got)
		}
	}
	if strings.Contains(got, "Old") || strings.Count(got, "name=") != 1 {
		t.Errorf("the old name is left: %s", got)
	}
}
