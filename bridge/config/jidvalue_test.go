package config

import (
	"strings"
	"testing"
)

// TestJIDMistakesSayWhatToWrite: a URL, a host:port or "@domain" where
// the configuration wants a JID or domain is answered with what to
// write, not the parser's "idna: disallowed rune U+003A".
func TestJIDMistakesSayWhatToWrite(t *testing.T) {
	isolate(t)
	data := `[access]
allow = ["https://localhost", "@example.org"]
admins = ["admin@localhost:5222"]
[media]
upload_service = "https://upload.localhost:5281/file_share"
[[transport]]
name = "echo"
domain = "echo.localhost:5347"
secret = "x"
`
	_, err := parse(t, data)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`:2: access.allow[0]: "https://localhost" is not a valid domain or JID: it is a URL: write its host alone ("localhost")`,
		`:2: access.allow[1]: "@example.org" is not a valid domain or JID: a whole domain is written without '@' ("example.org")`,
		`:3: access.admins[0]: "admin@localhost:5222" is not a valid JID: it has a port: write "admin@localhost" (a JID has no port)`,
		`:5: media.upload_service: "https://upload.localhost:5281/file_share" is not a valid JID: it is a URL: write its host alone ("upload.localhost")`,
		`:8: transport[0].domain: "echo.localhost:5347" is not a valid domain: it has a port: write "echo.localhost" (a JID has no port)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %s\n%v", want, err)
		}
	}
}
