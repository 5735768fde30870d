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

// TestJIDSlipsSaid: a space, '@' twice, nothing after '@' or a '/' at
// the end are said so, where the parser said "idna: disallowed rune
// U+0040", "precis: disallowed rune encountered" or "the domainpart
// must be between 1 and 1023 bytes".
func TestJIDSlipsSaid(t *testing.T) {
	isolate(t)
	for in, want := range map[string]string{
		" alice@example.org": "it has a space at the start or the end: take it out",
		"alice@exa mple.org": "it has a space: a JID has none",
		"alice@@example.org": "it has '@' more than once: write user@domain",
		"admin@":             "nothing after '@': write user@domain",
		"alice@example.org/": "it ends with '/': take it out",
	} {
		_, err := parse(t, strings.Replace(minimal, `allow = ["localhost"]`, "allow = [\""+in+"\"]", 1))
		if err == nil || !strings.Contains(err.Error(), "access.allow[0]: \""+in+"\" is not a valid domain or JID: "+want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
