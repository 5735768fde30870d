package config

import (
	"strings"
	"testing"
)

// TestMisspeltTransportName: a transport whose name is a typo of an
// installed plugin's, with no plugin key, is told which plugin it likely
// meant and that the missing binary's name came from its name, not left
// with a "passerelle-ecko not found" for a key it never wrote.
func TestMisspeltTransportName(t *testing.T) {
	isolate(t) // passerelle-echo in PATH
	data := "[access]\nallow = [\"localhost\"]\n[[transport]]\nname = \"ecko\"\ndomain = \"echo.localhost\"\nsecret = \"x\"\n"
	_, err := parse(t, data)
	want := []string{
		`passerelle.toml:3: transport[0].plugin: "passerelle-ecko" not found beside `,
		` or in PATH (did you mean passerelle-echo?); it is the default for name = "ecko": set plugin, or name the transport after its plugin (passerelle-NAME)`,
	}
	for _, w := range want {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error = %v\nwant it to say %s", err, w)
		}
	}
	// A plugin key the user wrote is not said to be a default.
	_, err = parse(t, minimal+"plugin = \"passerelle-ech\"\n")
	if err == nil || !strings.Contains(err.Error(), `"passerelle-ech" not found beside `) ||
		!strings.HasSuffix(err.Error(), "or in PATH (did you mean passerelle-echo?)") {
		t.Errorf("error = %v", err)
	}
}
