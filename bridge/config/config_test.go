package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakePlugin writes an executable file name into dir and returns its path.
func fakePlugin(t *testing.T, dir, name string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// isolate makes plugin lookup see only what the test puts in place: PATH
// is the returned folder (holding passerelle-echo), and the gateway binary
// lives alone in a folder of its own.
func isolate(t *testing.T) (pathDir string) {
	t.Helper()
	pathDir = t.TempDir()
	fakePlugin(t, pathDir, "passerelle-echo")
	t.Setenv("PATH", pathDir)
	exe := filepath.Join(t.TempDir(), "passerelle")
	old := executable
	executable = func() (string, error) { return exe, nil }
	t.Cleanup(func() { executable = old })
	return pathDir
}

// parse parses data as the file passerelle.toml in a fresh folder.
func parse(t *testing.T, data string) (*Config, error) {
	t.Helper()
	return Parse(filepath.Join(t.TempDir(), "passerelle.toml"), []byte(data))
}

const minimal = `
[access]
allow = ["localhost"]
[[transport]]
name = "echo"
domain = "echo.localhost"
secret = "s3cr3t"
`

func TestMinimalDefaults(t *testing.T) {
	pathDir := isolate(t)
	dir := t.TempDir()
	c, err := Parse(filepath.Join(dir, "passerelle.toml"), []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	want := XMPP{Server: "127.0.0.1:5347", PingInterval: 30 * time.Second, PingTimeout: 10 * time.Second, ReconnectMax: 30 * time.Second, MaxStanzaBytes: 512 << 10}
	if c.XMPP != want {
		t.Errorf("XMPP = %+v, want %+v", c.XMPP, want)
	}
	if c.Path != filepath.Join(dir, "passerelle.toml") {
		t.Errorf("Path = %q", c.Path)
	}
	if want := filepath.Join(dir, "data", "passerelle.db"); c.Store.Path != want {
		t.Errorf("Store.Path = %q, want %q", c.Store.Path, want)
	}
	if c.Limits.MaxBodyBytes != 65536 {
		t.Errorf("MaxBodyBytes = %d", c.Limits.MaxBodyBytes)
	}
	if c.Log != (Log{Level: "info", Format: "text"}) {
		t.Errorf("Log = %+v", c.Log)
	}
	if len(c.Transports) != 1 {
		t.Fatalf("Transports = %+v", c.Transports)
	}
	tr := c.Transports[0]
	if tr.Name != "echo" || tr.Domain != "echo.localhost" || tr.Secret != "s3cr3t" || tr.SecretSource != "secret" || !tr.Enabled {
		t.Errorf("transport = %+v", tr)
	}
	if want := filepath.Join(pathDir, "passerelle-echo"); tr.Plugin != want {
		t.Errorf("Plugin = %q, want %q (default name, found in PATH)", tr.Plugin, want)
	}
	if want := filepath.Join(dir, "data", "plugins", "echo"); tr.DataDir != want {
		t.Errorf("DataDir = %q, want %q", tr.DataDir, want)
	}
	if string(tr.PluginConfig) != "{}" {
		t.Errorf("PluginConfig = %s, want {}", tr.PluginConfig)
	}
	if tr.BackfillMessages != DefaultBackfillMessages {
		t.Errorf("BackfillMessages = %d, want %d", tr.BackfillMessages, DefaultBackfillMessages)
	}
	if len(c.Enabled()) != 1 {
		t.Errorf("Enabled() = %v", c.Enabled())
	}
}

// TestServerDomain: xmpp.server_domain is read normalised, for a
// component two labels under it as for a direct subdomain.
func TestServerDomain(t *testing.T) {
	isolate(t)
	c, err := parse(t, "[xmpp]\nserver_domain = \"Example.ORG\"\n"+minimal+"[[transport]]\nname = \"wa\"\ndomain = \"wa.im.example.org\"\nsecret = \"x\"\nplugin = \"passerelle-echo\"\n")
	if err == nil || !strings.Contains(err.Error(), `transport echo's domain "echo.localhost"`) || strings.Contains(err.Error(), "transport wa's") {
		t.Fatalf("want echo.localhost, only, said not under example.org: %v", err)
	}
	c, err = parse(t, "[xmpp]\nserver_domain = \"Example.ORG\"\n"+strings.Replace(minimal, "echo.localhost", "wa.im.example.org", 1))
	if err != nil {
		t.Fatal(err)
	}
	if c.XMPP.ServerDomain != "example.org" {
		t.Errorf("ServerDomain = %q, want example.org", c.XMPP.ServerDomain)
	}
	if !strings.Contains(c.Summary(), "server's domain example.org") {
		t.Errorf("the summary does not say the server's domain:\n%s", c.Summary())
	}
	c, err = parse(t, minimal)
	if err != nil || c.XMPP.ServerDomain != "" {
		t.Errorf("unset: ServerDomain %q, %v; want none", c.XMPP.ServerDomain, err)
	}
}

func TestEveryKeyAndRelativePaths(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	fakePlugin(t, filepath.Join(dir, "bin"), "echo-plugin")
	if err := os.WriteFile(filepath.Join(dir, "wa.secret"), []byte("  from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The working directory must not matter, only the file's folder.
	t.Chdir(t.TempDir())
	c, err := Parse(filepath.Join(dir, "passerelle.toml"), []byte(`
[xmpp]
server = "xmpp.example.org:5275"
ping_interval = "1m"
ping_timeout = "5s"
reconnect_max = "2m30s"
[store]
path = "state/gw.db"
[access]
allow = ["Example.ORG", "Bob@Other.example"]
admins = ["Admin@Example.org"]
[limits]
max_body_bytes = 1000
[log]
level = "debug"
format = "json"
[[transport]]
name = "echo"
domain = "echo.example.org"
secret = "a"
plugin = "bin/echo-plugin"
data_dir = "echo-state"
[transport.config]
greeting = "hi"
nested = { list = [1, 2], when = 07:30:00 }
[[transport]]
name = "what-sapp"
domain = "wa.example.org"
secret_file = "wa.secret"
plugin = "passerelle-echo"
backfill_messages = 0
archive_days = 0
archive_messages = 500
room_join_occupants = 0
[[transport]]
name = "off"
domain = "off.example.org"
plugin = "/nonexistent/plugin"
enabled = false
`))
	if err != nil {
		t.Fatal(err)
	}
	got := c.XMPP
	got.ServerLine = 0 // TestServerWrongPort (cmd/passerelle) reads it
	if want := (XMPP{Server: "xmpp.example.org:5275", PingInterval: time.Minute, PingTimeout: 5 * time.Second, ReconnectMax: 150 * time.Second, MaxStanzaBytes: DefaultMaxStanzaBytes}); got != want {
		t.Errorf("XMPP = %+v, want %+v", got, want)
	}
	if want := filepath.Join(dir, "state", "gw.db"); c.Store.Path != want {
		t.Errorf("Store.Path = %q, want %q", c.Store.Path, want)
	}
	if got := strings.Join(c.Access.Allow, " "); got != "example.org bob@other.example" {
		t.Errorf("Allow = %q, want normalised JIDs", got)
	}
	if c.Limits.MaxBodyBytes != 1000 || c.Log != (Log{"debug", "json"}) {
		t.Errorf("Limits = %+v, Log = %+v", c.Limits, c.Log)
	}
	if len(c.Transports) != 3 {
		t.Fatalf("got %d transports", len(c.Transports))
	}
	echo, wa, off := c.Transports[0], c.Transports[1], c.Transports[2]
	if echo.BackfillMessages != DefaultBackfillMessages || wa.BackfillMessages != 0 {
		t.Errorf("backfill_messages: %d and %d, want the default and 0 (off)", echo.BackfillMessages, wa.BackfillMessages)
	}
	if echo.ArchiveDays != DefaultArchiveDays || echo.ArchiveMessages != DefaultArchiveMessages || wa.ArchiveDays != 0 || wa.ArchiveMessages != 500 {
		t.Errorf("archive retention: %d days, %d messages and %d, %d; want the defaults and 0 (forever), 500",
			echo.ArchiveDays, echo.ArchiveMessages, wa.ArchiveDays, wa.ArchiveMessages)
	}
	if echo.RoomJoinOccupants != DefaultRoomJoinOccupants || wa.RoomJoinOccupants != 0 {
		t.Errorf("room_join_occupants: %d and %d, want the default and 0 (every member)", echo.RoomJoinOccupants, wa.RoomJoinOccupants)
	}
	if want := filepath.Join(dir, "bin", "echo-plugin"); echo.Plugin != want {
		t.Errorf("echo Plugin = %q, want %q", echo.Plugin, want)
	}
	if want := filepath.Join(dir, "echo-state"); echo.DataDir != want {
		t.Errorf("echo DataDir = %q, want %q", echo.DataDir, want)
	}
	var pc map[string]any
	if err := json.Unmarshal(echo.PluginConfig, &pc); err != nil {
		t.Fatalf("PluginConfig %s: %v", echo.PluginConfig, err)
	}
	if got := string(echo.PluginConfig); got != `{"greeting":"hi","nested":{"list":[1,2],"when":"07:30:00"}}` {
		t.Errorf("PluginConfig = %s", got)
	}
	if wa.Secret != "from-file" || wa.SecretSource != "secret_file "+filepath.Join(dir, "wa.secret") {
		t.Errorf("secret_file: got %q from %q", wa.Secret, wa.SecretSource)
	}
	if want := filepath.Join(dir, "state", "plugins", "what-sapp"); wa.DataDir != want {
		t.Errorf("default DataDir = %q, want %q (beside the store)", wa.DataDir, want)
	}
	if off.Enabled || off.Plugin != "/nonexistent/plugin" {
		t.Errorf("disabled transport = %+v", off)
	}
	if n := len(c.Enabled()); n != 2 {
		t.Errorf("Enabled() has %d transports, want 2", n)
	}
}

func TestExampleFile(t *testing.T) {
	isolate(t)
	data, err := os.ReadFile("../../examples/passerelle.toml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := parse(t, string(data))
	if err != nil {
		t.Fatalf("examples/passerelle.toml: %v", err)
	}
	if len(c.Enabled()) != 1 || c.Transports[0].Domain != "echo.localhost" {
		t.Errorf("transports = %+v", c.Transports)
	}
	// The commented-out values claim to be the defaults: uncommenting every
	// "#key = value" line of the echo transport must change nothing but the
	// plugin's config.
	setting := regexp.MustCompile(`^#[a-z_]+ = `)
	var b strings.Builder
	for l := range strings.Lines(string(data)) {
		if strings.HasPrefix(l, "#[[") {
			break // the second, disabled transport
		}
		if setting.MatchString(l) && !strings.HasPrefix(l, "#secret_file") {
			l = l[1:]
		}
		b.WriteString(l)
	}
	c2, err := Parse(c.Path, []byte(b.String()))
	if err != nil {
		t.Fatalf("example with defaults uncommented: %v", err)
	}
	if len(c2.Transports) != 1 || string(c2.Transports[0].PluginConfig) == "{}" {
		t.Fatalf("uncommenting went wrong: %+v", c2.Transports)
	}
	c2.Transports[0].PluginConfig = c.Transports[0].PluginConfig
	// Set now, the default then.
	c2.XMPP.ServerLine, c2.Store.PathLine, c2.Media.DirLine, c2.Transports[0].DataDirLine = 0, 0, 0, 0
	if got, want := c2.Summary(), c.Summary(); got != want {
		t.Errorf("uncommented defaults differ:\n%s\nwant\n%s", got, want)
	}
	// What the summary leaves out, too.
	if !reflect.DeepEqual(c2, c) {
		t.Errorf("uncommented defaults differ:\n%+v\nwant\n%+v", c2, c)
	}
	if c2.Store.MessageRetention != DefaultMessageRetention || c2.Media.Expiry != DefaultMediaExpiry {
		t.Errorf("the example's retention %v and expiry %v are not the defaults", c2.Store.MessageRetention, c2.Media.Expiry)
	}
	// And the reverse: a key set without a '#' is not a default, or the
	// file's promise misleads (it had message_retention = "2160h").
	lines := slices.Collect(strings.Lines(string(data)))
	set := regexp.MustCompile(`^[a-z_]+ = `)
	for i, l := range lines {
		if !set.MatchString(l) {
			continue
		}
		edited := slices.Clone(lines)
		edited[i] = "#" + l
		c3, err := Parse(c.Path, []byte(strings.Join(edited, "")))
		if err == nil && reflect.DeepEqual(c3, c) {
			t.Errorf("examples/passerelle.toml line %d sets a default without '#': %s", i+1, strings.TrimSpace(l))
		}
	}
}

func TestErrors(t *testing.T) {
	isolate(t)
	tests := []struct {
		name, data string
		want       []string // each must appear in one line of the error
	}{
		{"syntax", "[xmpp]\nserver = \"a:1\"\nping_interval = = 3\n", []string{"passerelle.toml:3: toml: "}},
		// A table header left open is found at its newline: its own line,
		// not the next (TestErrors' line 3, where it said 4).
		{"unclosed table header", "[access]\nallow = [\"localhost\"]\n[xmpp\nserver = \"a:1\"\n", []string{"passerelle.toml:3: toml: expected '.' or ']' to end table name"}},
		{"unclosed table header after BOM", "\xef\xbb\xbf[access]\nallow = [\"localhost\"]\n[xmpp\n\nserver = \"a:1\"\n", []string{"passerelle.toml:3: toml: expected '.' or ']' to end table name"}},
		// A file written as YAML: the format to write is said.
		{"key written as YAML", "access:\n  allow: [localhost]\n", []string{`passerelle.toml:1: toml: expected '.' or '=', but got ':' instead (TOML sets a key with "=", as in allow = ["example.org"]; the configuration is TOML, not YAML or JSON`}},
		{"key written as YAML in a table", "[access]\nallow: [\"localhost\"]\n", []string{`passerelle.toml:2: toml: expected '.' or '=', but got ':' instead (TOML sets a key with "="`}},
		// An array left open is found at the next key: say where it began.
		{"unclosed array", "[access]\nallow = [\"localhost\"\n# admins\nadmins = [\"a@localhost\"]\n", []string{"passerelle.toml:4: toml: expected a comma (',') or array terminator (']'), but got 'a' (in the value of access.allow, which starts at line 2: is it closed there?)"}},
		{"unknown top-level key", minimal + "[xmpp]\nsevrer = \"a:1\"\n", []string{"passerelle.toml: xmpp.sevrer: unknown key"}},
		{"unknown transport key", minimal + "scret = \"x\"\n", []string{"passerelle.toml: transport[0].scret: unknown key"}},
		{"unknown section", minimal + "[xmmp]\n", []string{"passerelle.toml: xmmp: unknown key (did you mean xmpp?)"}},
		{"typo", "[xmpp]\nping_intreval = \"3s\"\n[media]\nmax_byte = 3\n" + minimal + "backfil_messages = 3\nsecert = \"x\"\n",
			[]string{"xmpp.ping_intreval: unknown key (did you mean ping_interval?)", "media.max_byte: unknown key (did you mean max_bytes?)",
				"transport[0].backfil_messages: unknown key (did you mean backfill_messages?)", "transport[0].secert: unknown key"}},
		// Two letters swapped are one edit: a short key is suggested
		// (Levenshtein's two edits were too many for a 4-letter key).
		{"swapped letters", "[access]\nallow = [\"localhost\"]\n[[transport]]\nnmae = \"echo\"\ndomain = \"echo.localhost\"\nsecret = \"s\"\n",
			[]string{"passerelle.toml:4: transport[0].nmae: unknown key (did you mean name?)"}},
		{"misspelt block", "[access]\nallow = [\"localhost\"]\n[[transprot]]\nname = \"echo\"\n", []string{"passerelle.toml:3: transprot: unknown key (did you mean transport?)"}},
		{"wrong type", "[xmpp]\nserver = 5347\n" + minimal, []string{"passerelle.toml: xmpp.server: want a string, got an integer (put the value in quotes)"}},
		{"bad server", "[xmpp]\nserver = \"localhost\"\n" + minimal, []string{`xmpp.server: "localhost" is not host:port`}},
		{"bad port", "[xmpp]\nserver = \"localhost:99999\"\n" + minimal, []string{`xmpp.server: "localhost:99999": port`}},
		{"bad duration", "[xmpp]\nping_interval = \"30\"\n" + minimal, []string{`passerelle.toml: xmpp.ping_interval: invalid duration "30"`}},
		{"negative duration", "[xmpp]\nreconnect_max = \"-1s\"\n" + minimal, []string{`xmpp.reconnect_max: duration "-1s" must be positive`}},
		{"duration not string", "[xmpp]\nping_timeout = 10\n" + minimal, []string{`xmpp.ping_timeout: want a duration in quotes, such as "30s", "5m" or "90d", got an integer`}},
		{"body limit", "[limits]\nmax_body_bytes = 0\n" + minimal, []string{`limits.max_body_bytes: 0 is out of range`}},
		{"negative backfill", minimal + "backfill_messages = -1\n", []string{`transport[0].backfill_messages: -1 is out of range (0 to 100000`}},
		{"huge backfill", minimal + "backfill_messages = 100001\n", []string{`transport[0].backfill_messages: 100001 is out of range`}},
		{"backfill not a number", minimal + "backfill_messages = \"50\"\n", []string{`transport[0].backfill_messages: want an integer, got a string (take out the quotes)`}},
		// A newcomer's slips of TOML types, each said with its fix.
		{"secret not quoted", strings.Replace(minimal, `secret = "s3cr3t"`, `secret = 1234`, 1), []string{`transport[0].secret: want a string, got an integer (put the value in quotes)`}},
		{"allow not an array", strings.Replace(minimal, `allow = ["localhost"]`, `allow = "localhost"`, 1), []string{`access.allow: want an array of strings, got a string (write ["localhost"])`}},
		{"enabled quoted", minimal + "enabled = \"yes\"\n", []string{`transport[0].enabled: want true or false, got a string (write it without quotes)`}},
		{"negative archive days", minimal + "archive_days = -1\n", []string{`transport[0].archive_days: -1 is out of range (0 to 36500; 0 keeps room archives forever)`}},
		{"huge archive", minimal + "archive_messages = 10000001\n", []string{`transport[0].archive_messages: 10000001 is out of range (0 to 10000000; 0 for no limit)`}},
		{"negative join occupants", minimal + "room_join_occupants = -1\n", []string{`transport[0].room_join_occupants: -1 is out of range (0 to 1000000; 0 sends every member)`}},
		{"archive days not a number", minimal + "archive_days = \"a year\"\n", []string{`transport[0].archive_days: want an integer, got a string`}},
		{"log level", "[log]\nlevel = \"verbose\"\nformat = \"xml\"\n" + minimal, []string{`log.level: "verbose"`, `log.format: "xml"`}},
		{"bad allow JID", "[access]\nallow = [\"a@b@c\", \"x@y/r\"]\n" + strings.SplitN(minimal, "\n", 4)[3], []string{`access.allow[0]: "a@b@c" is not a valid`, `access.allow[1]: "x@y/r" has a resource`}},
		{"admin is domain", "[access]\nallow = [\"localhost\"]\nadmins = [\"localhost\", \"<>@x\"]\n" + strings.SplitN(minimal, "\n", 4)[3], []string{`access.admins[0]: "localhost" is not a bare JID`, `access.admins[1]: "<>@x" is not a valid JID`}},
		{"nobody allowed", strings.SplitN(minimal, "\n", 4)[3], []string{`access.allow: nobody may use the gateway`}},
		{"no transport", "[access]\nallow = [\"localhost\"]\n", []string{"passerelle.toml: transport: no enabled transport"}},
		{"all disabled", minimal + "enabled = false\n", []string{"passerelle.toml: transport: no enabled transport: every [[transport]] has enabled = false; set it to true"}},
		{"missing secret", "[access]\nallow = [\"localhost\"]\n[[transport]]\nname = \"echo\"\ndomain = \"echo.localhost\"\n",
			[]string{"passerelle.toml: transport[0].secret: missing for transport echo (echo.localhost): set secret, secret_file, or env PASSERELLE_SECRET_ECHO"}},
		// The block named as the admin wrote it, not only by its index.
		{"missing secret of the second", minimal + "[[transport]]\nname = \"irc\"\ndomain = \"irc.localhost\"\nplugin = \"passerelle-echo\"\n",
			[]string{"transport[1].secret: missing for transport irc (irc.localhost): set secret, secret_file, or env PASSERELLE_SECRET_IRC"}},
		{"missing secret, bad name", "[access]\nallow = [\"localhost\"]\n[[transport]]\nname = \"Echo\"\ndomain = \"echo.localhost\"\nplugin = \"passerelle-echo\"\n",
			[]string{"transport[0].secret: missing for the transport of echo.localhost: set secret, secret_file, or env PASSERELLE_SECRET_<NAME>"}},
		{"missing secret, dashed name", "[access]\nallow = [\"localhost\"]\n[[transport]]\nname = \"my-net\"\ndomain = \"echo.localhost\"\nplugin = \"passerelle-echo\"\n",
			[]string{"transport[0].secret: missing for transport my-net (echo.localhost): set secret, secret_file, or env PASSERELLE_SECRET_MY_NET"}},
		{"both secrets", minimal + "secret_file = \"x\"\n", []string{"transport[0].secret: set both secret and secret_file"}},
		{"empty secret", "[access]\nallow = [\"localhost\"]\n[[transport]]\nname = \"echo\"\ndomain = \"echo.localhost\"\nsecret = \"\"\n", []string{"transport[0].secret: empty"}},
		{"missing secret file", "[access]\nallow = [\"localhost\"]\n[[transport]]\nname = \"echo\"\ndomain = \"echo.localhost\"\nsecret_file = \"nope.secret\"\n", []string{"transport[0].secret_file: ", "nope.secret: no such file"}},
		{"unknown plugin", minimal + "plugin = \"passerelle-nope\"\n", []string{`transport[0].plugin: "passerelle-nope" not found beside `, `passerelle or in PATH`}},
		{"plugin path missing", minimal + "plugin = \"./bin/nope\"\n", []string{`transport[0].plugin: "./bin/nope": `, "no such file"}},
		{"plugin is a folder", minimal + "plugin = \"/\"\n", []string{`transport[0].plugin: "/": / is not a regular file`}},
		{"missing name and domain", "[access]\nallow = [\"localhost\"]\n[[transport]]\nsecret = \"x\"\nplugin = \"passerelle-echo\"\n", []string{"transport[0].name: missing", "transport[0].domain: missing"}},
		{"bad name", minimal + "[[transport]]\nname = \"Echo\"\ndomain = \"e2.localhost\"\nsecret = \"x\"\nplugin = \"passerelle-echo\"\n", []string{`transport[1].name: "Echo": want lowercase`}},
		{"bad domain", minimal + "[[transport]]\nname = \"e2\"\ndomain = \"user@e2.localhost\"\nsecret = \"x\"\nplugin = \"passerelle-echo\"\n", []string{`transport[1].domain: "user@e2.localhost" is a JID`}},
		{"duplicate name", minimal + "[[transport]]\nname = \"echo\"\ndomain = \"e2.localhost\"\nsecret = \"x\"\n", []string{`transport[1].name: "echo" is already the name of transport[0]`}},
		{"duplicate domain", minimal + "[[transport]]\nname = \"e2\"\ndomain = \"ECHO.localhost\"\nsecret = \"x\"\nplugin = \"passerelle-echo\"\n", []string{`transport[1].domain: "echo.localhost" is already the domain of transport[0]`}},
		{"duplicate data dir", minimal + "data_dir = \"d\"\n[[transport]]\nname = \"e2\"\ndomain = \"e2.localhost\"\nsecret = \"x\"\nplugin = \"passerelle-echo\"\ndata_dir = \"d\"\n", []string{`transport[1].data_dir: `, `is already the data folder of transport[0]`}},
		{"config not a table", minimal + "config = \"x\"\n", []string{"transport[0].config: want a table"}},
		{"config not JSON", minimal + "[transport.config]\nx = nan\n", []string{"transport[0].config: cannot be handed to the plugin as JSON"}},
		{"transport not array", "transport = 1\n[access]\nallow = [\"localhost\"]\n", []string{"transport: want an array of tables"}},
		{"enabled not bool", minimal + "enabled = \"yes\"\n", []string{"transport[0].enabled: want true or false, got a string"}},
		{"store folder", "[store]\npath = \"/\"\n" + minimal, []string{"store.path: / is a folder"}},
		// It stopped the start with "open store: invalid argument", exit 1.
		{"store device", "[store]\npath = \"/dev/null\"\n" + minimal, []string{"store.path: /dev/null is a character device, want a database file"}},
		// xmpp.server_domain: a domain every transport's lies under.
		{"server domain not a parent", "[xmpp]\nserver_domain = \"example.net\"\n" + strings.Replace(minimal, "echo.localhost", "wa.im.example.org", 1),
			[]string{`passerelle.toml:2: xmpp.server_domain: "example.net" is not a parent of transport echo's domain "wa.im.example.org": want the domain of the server (Prosody: its VirtualHost) the component is attached to, here one of "im.example.org", "example.org"`}},
		{"server domain is the component's", "[xmpp]\nserver_domain = \"echo.localhost\"\n" + minimal,
			[]string{`xmpp.server_domain: "echo.localhost" is not a parent of transport echo's domain "echo.localhost"`, `here one of "localhost"`}},
		// xmpp.server: the component port as host:port, not a URL.
		{"server without port", "[xmpp]\nserver = \"127.0.0.1\"\n" + minimal,
			[]string{`xmpp.server: "127.0.0.1" is not host:port (the server's component port, such as "127.0.0.1:5347")`}},
		{"server a URL", "[xmpp]\nserver = \"xmpp://localhost/\"\n" + minimal,
			[]string{`xmpp.server: "xmpp://localhost/" is a URL: want host:port alone, the server's component port, such as "localhost:5347"`}},
		{"server a URL with port", "[xmpp]\nserver = \"tcp://127.0.0.1:5347\"\n" + minimal,
			[]string{`xmpp.server: "tcp://127.0.0.1:5347" is a URL: want host:port alone, the server's component port, such as "127.0.0.1:5347"`}},
		// The server's own domain, or a bare name, as the transport's.
		{"transport domain is the server's", "[xmpp]\nserver_domain = \"example.org\"\n" + strings.Replace(minimal, "echo.localhost", "example.org", 1),
			[]string{`xmpp.server_domain: "example.org" is not a parent of transport echo's domain "example.org"`, `; or, if "example.org" is the server's own domain, give transport echo a subdomain of it (transport.domain), such as echo.example.org`}},
		{"transport domain one label", strings.Replace(minimal, "echo.localhost", "localhost", 1),
			[]string{`transport[0].domain: "localhost" has one label: want the transport's own subdomain of the XMPP server's domain, such as echo.localhost`}},
		{"server domain a JID", "[xmpp]\nserver_domain = \"admin@localhost\"\n" + minimal, []string{`xmpp.server_domain: "admin@localhost" is a JID, want the server's domain alone, such as example.org`}},
		{"server domain a URL", "[xmpp]\nserver_domain = \"https://example.org/\"\n" + minimal, []string{`xmpp.server_domain: "https://example.org/" is not a valid domain: it is a URL: write its host alone ("example.org")`}},
		{"server domain empty", "[xmpp]\nserver_domain = \"\"\n" + minimal, []string{`xmpp.server_domain: empty: leave it out to learn the server's domain from the server`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parse(t, tc.data)
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			if c != nil {
				t.Errorf("config returned with an error")
			}
			lines := strings.Split(err.Error(), "\n")
			for _, w := range tc.want {
				found := false
				for _, l := range lines {
					found = found || (strings.Contains(l, w) || strings.Contains(withoutLine(l), w)) && strings.Contains(l, "passerelle.toml")
				}
				if !found {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestErrorNamesFileKeyReason(t *testing.T) {
	isolate(t)
	_, err := Parse("conf/gw.toml", []byte(minimal+"plugin = \"passerelle-nope\"\n"))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *Error", err)
	}
	if e.File != "conf/gw.toml" || e.Key != "transport[0].plugin" || e.Line != 8 || !strings.HasPrefix(err.Error(), "conf/gw.toml:8: transport[0].plugin: ") {
		t.Errorf("error = %q (%+v)", err, e)
	}
}

func TestAllErrorsCollected(t *testing.T) {
	isolate(t)
	_, err := parse(t, `
bogus = 1
[xmpp]
ping_interval = "soon"
[log]
level = "loud"
[access]
allow = ["@"]
[[transport]]
name = "9"
domain = "echo.localhost"
[[transport]]
name = "two"
domain = "echo.localhost"
secret = "x"
plugin = "passerelle-nope"
`)
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{"bogus:", "xmpp.ping_interval:", "log.level:", "access.allow[0]:", "transport[0].name:",
		"transport[0].secret:", "transport[1].plugin:", "transport[1].domain:"} {
		if !strings.Contains(err.Error(), ": "+key) {
			t.Errorf("missing an error for %s in:\n%v", key, err)
		}
	}
	if n := len(strings.Split(err.Error(), "\n")); n != 8 {
		t.Errorf("%d errors, want 8:\n%v", n, err)
	}
}

func TestSecretFromEnv(t *testing.T) {
	isolate(t)
	t.Setenv("PASSERELLE_SECRET_MY_NET", "from-env")
	base := "[access]\nallow = [\"localhost\"]\n[[transport]]\nname = \"my-net\"\ndomain = \"echo.localhost\"\nplugin = \"passerelle-echo\"\n"
	c, err := parse(t, base)
	if err != nil {
		t.Fatal(err)
	}
	if tr := c.Transports[0]; tr.Secret != "from-env" || tr.SecretSource != "env PASSERELLE_SECRET_MY_NET" {
		t.Errorf("secret %q from %q", tr.Secret, tr.SecretSource)
	}
	// The file's own secret wins over the environment.
	c, err = parse(t, base+"secret = \"inline\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if tr := c.Transports[0]; tr.Secret != "inline" || tr.SecretSource != "secret" {
		t.Errorf("secret %q from %q, want the inline one", tr.Secret, tr.SecretSource)
	}
}

// TestSecretFromEnvEmpty: the variable set with no value (a secrets.env
// line "PASSERELLE_SECRET_MY_NET=" whose value was left out) is said so;
// it read as unset, "set ... or env PASSERELLE_SECRET_MY_NET", to an
// admin who had.
func TestSecretFromEnvEmpty(t *testing.T) {
	isolate(t)
	t.Setenv("PASSERELLE_SECRET_MY_NET", "")
	_, err := parse(t, "[access]\nallow = [\"localhost\"]\n[[transport]]\nname = \"my-net\"\ndomain = \"echo.localhost\"\nplugin = \"passerelle-echo\"\n")
	want := "transport[0].secret: missing for transport my-net (echo.localhost): env PASSERELLE_SECRET_MY_NET is set but empty"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}
}

// TestSecretFromEnvShared: transports "my-net" and "my_net" would read
// one variable, so one of them would have the other's secret.
func TestSecretFromEnvShared(t *testing.T) {
	isolate(t)
	t.Setenv("PASSERELLE_SECRET_MY_NET", "from-env")
	block := "[[transport]]\nname = %q\ndomain = %q\nplugin = \"passerelle-echo\"\n"
	base := "[access]\nallow = [\"localhost\"]\n" + fmt.Sprintf(block, "my-net", "a.localhost") + fmt.Sprintf(block, "my_net", "b.localhost")
	_, err := parse(t, base)
	if err == nil || !strings.Contains(err.Error(), "transport[1].secret: from PASSERELLE_SECRET_MY_NET, as the secret of transport[0]") {
		t.Errorf("shared variable: %v", err)
	}
	if _, err := parse(t, base+"secret = \"own\"\n"); err != nil {
		t.Errorf("one with its own secret: %v", err)
	}
}

func TestSecretFileEmpty(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s"), []byte("\n \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Parse(filepath.Join(dir, "p.toml"), []byte(strings.Replace(minimal, `secret = "s3cr3t"`, `secret_file = "s"`, 1)))
	if err == nil || !strings.Contains(err.Error(), "transport[0].secret_file: "+filepath.Join(dir, "s")+" is empty") {
		t.Errorf("err = %v", err)
	}
}

func TestPluginBesideExecutable(t *testing.T) {
	pathDir := isolate(t)
	// The gateway binary is reached through a symlink, as from /usr/bin;
	// plugins are looked up beside its target.
	release := t.TempDir()
	exe := fakePlugin(t, release, "passerelle")
	beside := fakePlugin(t, release, "passerelle-echo")
	link := filepath.Join(t.TempDir(), "passerelle")
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	executable = func() (string, error) { return link, nil }
	c, err := parse(t, minimal)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Transports[0].Plugin; got != beside {
		t.Errorf("Plugin = %q, want %q (beside the binary, before PATH)", got, beside)
	}
	// Not executable beside: PATH is used.
	if err := os.Chmod(beside, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = parse(t, minimal)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(pathDir, "passerelle-echo"); c.Transports[0].Plugin != want {
		t.Errorf("Plugin = %q, want %q", c.Transports[0].Plugin, want)
	}
	// Not executable in PATH either.
	if err := os.Chmod(filepath.Join(pathDir, "passerelle-echo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := parse(t, minimal); err == nil || !strings.Contains(err.Error(), `transport[0].plugin: "passerelle-echo" not found beside `+exe+" or in PATH") {
		t.Errorf("err = %v", err)
	}
}

func TestLoad(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "passerelle.toml")
	if _, err := Load(path); err == nil || !strings.HasPrefix(err.Error(), path+": ") {
		t.Errorf("Load of a missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != path || c.Transports[0].Secret != "s3cr3t" {
		t.Errorf("Load = %+v", c)
	}
}

func TestAccess(t *testing.T) {
	a := Access{Allow: []string{"example.org", "bob@other.example"}, Admins: []string{"root@admin.example"}}
	tests := []struct {
		jid          string
		allowed, adm bool
	}{
		{"alice@example.org", true, false},
		{"ALICE@Example.ORG", true, false},
		{"alice@example.org/phone", true, false},
		{"bob@other.example", true, false},
		{"Bob@OTHER.example", true, false},
		{"eve@other.example", false, false},
		{"alice@sub.example.org", false, false},
		{"alice@example.org.evil", false, false},
		{"root@admin.example", true, true},
		{"Root@Admin.Example/x", true, true},
		{"example.org", false, false}, // a server, not a user
		{"", false, false},
		{"a@b@c", false, false},
	}
	for _, tc := range tests {
		if got := a.Allowed(tc.jid); got != tc.allowed {
			t.Errorf("Allowed(%q) = %v, want %v", tc.jid, got, tc.allowed)
		}
		if got := a.IsAdmin(tc.jid); got != tc.adm {
			t.Errorf("IsAdmin(%q) = %v, want %v", tc.jid, got, tc.adm)
		}
	}
	// Built by hand, not normalised.
	if !(Access{Allow: []string{"Example.ORG"}}).Allowed("x@example.org") {
		t.Error("an unnormalised Allow entry does not match")
	}
}

func TestSummaryHidesSecrets(t *testing.T) {
	pathDir := isolate(t)
	c, err := parse(t, minimal+"[transport.config]\ntoken = \"tok-123\"\n")
	if err != nil {
		t.Fatal(err)
	}
	s := c.Summary()
	for _, want := range []string{c.Path, "127.0.0.1:5347", c.Store.Path, "localhost", "echo.localhost",
		filepath.Join(pathDir, "passerelle-echo"), c.Transports[0].DataDir, "from secret", "token"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	for _, secret := range []string{"s3cr3t", "tok-123"} {
		if strings.Contains(s, secret) {
			t.Errorf("summary shows %q:\n%s", secret, s)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("t", "transport", c.Transports[0])
	if strings.Contains(buf.String(), "s3cr3t") || !strings.Contains(buf.String(), "echo.localhost") {
		t.Errorf("logged transport: %s", buf.String())
	}
}

func TestLogger(t *testing.T) {
	var buf bytes.Buffer
	c := &Config{Log: Log{Level: "warn", Format: "json"}}
	log := c.Logger(&buf)
	log.Info("hidden")
	log.Warn("shown", "k", 1)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("want one JSON record, got %q: %v", buf.String(), err)
	}
	if rec["msg"] != "shown" {
		t.Errorf("record = %v", rec)
	}
	buf.Reset()
	c = &Config{Log: Log{Level: "debug", Format: "text"}}
	c.Logger(&buf).Debug("visible")
	if !strings.Contains(buf.String(), "msg=visible") {
		t.Errorf("text debug log = %q", buf.String())
	}
}

func TestPrepare(t *testing.T) {
	isolate(t)
	c, err := parse(t, minimal)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Prepare(); err != nil {
		t.Fatal(err)
	}
	for path, mode := range map[string]os.FileMode{
		filepath.Dir(c.Store.Path): os.ModeDir | 0o700,
		c.Store.Path:               0o600,
		c.Transports[0].DataDir:    os.ModeDir | 0o700,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), mode)
		}
	}
	// Idempotent.
	if err := c.Prepare(); err != nil {
		t.Fatal(err)
	}
}

// TestPrepareNamesTheKey: a folder the gateway cannot make (a read-only
// /etc, where a store path left at its default lands under the systemd
// unit; here a file in the way) is told with the key that names it.
func TestPrepareNamesTheKey(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for key, data := range map[string]string{
		"store.path":            "[store]\npath = \"file/db/p.db\"\n" + minimal,
		"media.dir":             "[media]\nlisten = \"127.0.0.1:1\"\npublic_url = \"https://x\"\ndir = \"file/media\"\n" + minimal,
		"transport[0].data_dir": minimal + "data_dir = \"file/echo\"\n",
	} {
		c, err := Parse(filepath.Join(dir, "passerelle.toml"), []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		// The line that sets the key: an admin finds what to change.
		line := 0
		for i, l := range strings.Split(data, "\n") {
			if strings.Contains(l, "file/") {
				line = i + 1
			}
		}
		err = c.Prepare()
		var e *Error
		if !errors.As(err, &e) || e.Key != key || e.Line != line || !strings.Contains(err.Error(), fmt.Sprintf(":%d: %s: cannot create ", line, key)) {
			t.Errorf("%s: %v; want line %d", key, err, line)
		}
	}
}

// TestPrepareDefaultStoreSaysWhatToWrite: the example file's default
// store, data/ beside the file, is read-only under the unit
// (/etc/passerelle/data): the error says what to write in [store].
func TestPrepareDefaultStoreSaysWhatToWrite(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Parse(filepath.Join(dir, "passerelle.toml"), []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Prepare(); err == nil || !strings.Contains(err.Error(), `passerelle.toml: store.path: cannot create `) ||
		!strings.Contains(err.Error(), `[store] path = "/var/lib/passerelle/passerelle.db"`) {
		t.Errorf("Prepare: %v", err)
	}
}

func TestMediaDefaults(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	c, err := Parse(filepath.Join(dir, "passerelle.toml"), []byte("[store]\npath = \"state/gw.db\"\n"+minimal))
	if err != nil {
		t.Fatal(err)
	}
	want := Media{MaxBytes: 100 << 20, Expiry: 168 * time.Hour, Dir: filepath.Join(dir, "state", "media")}
	if !reflect.DeepEqual(c.Media, want) {
		t.Errorf("Media = %+v, want %+v", c.Media, want)
	}
	if s := c.Summary(); !strings.Contains(s, "upload service discovered on the server") || !strings.Contains(s, "built-in file server off") {
		t.Errorf("summary:\n%s", s)
	}
	if err := c.Prepare(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.Media.Dir); !os.IsNotExist(err) {
		t.Errorf("media folder made with the built-in server off: %v", err)
	}
}

func TestMediaEveryKey(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	c, err := Parse(filepath.Join(dir, "passerelle.toml"), []byte(`
[media]
listen = "127.0.0.1:8093"
public_url = "https://xmpp.example.org/passerelle/"
max_bytes = 1000
expiry = "24h"
dir = "files"
upload_service = "Upload.Example.ORG"
`+minimal))
	if err != nil {
		t.Fatal(err)
	}
	want := Media{
		Listen:        "127.0.0.1:8093",
		ListenLine:    3,
		DirLine:       7,
		PublicURL:     "https://xmpp.example.org/passerelle",
		MaxBytes:      1000,
		Expiry:        24 * time.Hour,
		Dir:           filepath.Join(dir, "files"),
		UploadService: "upload.example.org",
	}
	if !reflect.DeepEqual(c.Media, want) {
		t.Errorf("Media = %+v, want %+v", c.Media, want)
	}
	s := c.Summary()
	for _, w := range []string{"upload service upload.example.org", "files up to 1000 bytes", "127.0.0.1:8093", "https://xmpp.example.org/passerelle", c.Media.Dir, "24h0m0s"} {
		if !strings.Contains(s, w) {
			t.Errorf("summary lacks %q:\n%s", w, s)
		}
	}
	if err := c.Prepare(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(c.Media.Dir); err != nil || fi.Mode() != os.ModeDir|0o700 {
		t.Errorf("media folder: %v, %v", fi, err)
	}
	// Listening on every interface, plain http behind a proxy, absolute dir.
	abs := t.TempDir()
	c, err = parse(t, "[media]\nlisten = \":8093\"\npublic_url = \"http://localhost:8093\"\ndir = \""+abs+"\"\n"+minimal)
	if err != nil {
		t.Fatal(err)
	}
	if c.Media.Listen != ":8093" || c.Media.PublicURL != "http://localhost:8093" || c.Media.Dir != abs {
		t.Errorf("Media = %+v", c.Media)
	}
}

func TestMediaErrors(t *testing.T) {
	isolate(t)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, media, want string }{
		{"listen not host:port", `listen = "8093"` + "\npublic_url = \"https://x.example\"", `media.listen: "8093" is not host:port`},
		{"listen bad port", `listen = "127.0.0.1:0"` + "\npublic_url = \"https://x.example\"", `media.listen: "127.0.0.1:0": port must be a number from 1 to 65535`},
		{"listen not string", `listen = 8093`, `media.listen: want a string, got an integer`},
		{"public_url missing", `listen = "127.0.0.1:8093"`, `media.public_url: missing: required when media.listen is set`},
		{"public_url scheme", `public_url = "ftp://x.example"`, `media.public_url: "ftp://x.example": want an http:// or https:// URL`},
		{"public_url no scheme", `public_url = "x.example/files"`, `media.public_url: "x.example/files": want an http:// or https:// URL`},
		{"public_url no host", `public_url = "https:///files"`, `media.public_url: "https:///files" has no host`},
		{"public_url query", `public_url = "https://x.example/?a=b"`, `media.public_url: "https://x.example/?a=b": want scheme://host[:port][/path]`},
		{"public_url bad", `public_url = "https://x.example/%zz"`, `media.public_url: "https://x.example/%zz" is not a URL`},
		{"max_bytes zero", `max_bytes = 0`, `media.max_bytes: 0 is out of range`},
		{"max_bytes string", `max_bytes = "10MB"`, `media.max_bytes: want an integer, got a string`},
		{"expiry bad", `expiry = "7w"`, `media.expiry: invalid duration "7w"`},
		{"expiry negative", `expiry = "-1h"`, `media.expiry: duration "-1h" must be positive`},
		{"dir empty", `dir = ""`, `media.dir: empty`},
		{"dir is a file", `dir = "` + file + `"`, `media.dir: ` + file + ` is a file`},
		{"upload_service bad", `upload_service = "a@b@c"`, `media.upload_service: "a@b@c" is not a valid JID`},
		{"upload_service resource", `upload_service = "upload.x/r"`, `media.upload_service: "upload.x/r" has a resource`},
		{"unknown key", `max_size = 3`, `media.max_size: unknown key`},
		{"not a table", ``, `media: want a table, got an integer`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := "[media]\n" + tc.media + "\n" + minimal
			if tc.media == "" {
				data = "media = 3\n" + minimal
			}
			c, err := parse(t, data)
			if err == nil {
				t.Fatalf("no error; media %+v", c.Media)
			}
			found := false
			for l := range strings.SplitSeq(err.Error(), "\n") {
				found = found || strings.Contains(withoutLine(l), "passerelle.toml: "+tc.want)
			}
			if !found {
				t.Errorf("error lacks %q:\n%v", tc.want, err)
			}
		})
	}
}

func TestMessageRetention(t *testing.T) {
	dir := t.TempDir()
	plugin := filepath.Join(dir, "p")
	os.WriteFile(plugin, []byte("#!/bin/sh\n"), 0o755)
	base := "[access]\nallow = [\"localhost\"]\n[[transport]]\nname = \"echo\"\ndomain = \"echo.localhost\"\nsecret = \"s\"\nplugin = \"" + plugin + "\"\n"
	c, err := Parse(filepath.Join(dir, "p.toml"), []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.MessageRetention != DefaultMessageRetention {
		t.Errorf("default retention %v", c.Store.MessageRetention)
	}
	c, err = Parse(filepath.Join(dir, "p.toml"), []byte("[store]\nmessage_retention = \"48h\"\n"+base))
	if err != nil || c.Store.MessageRetention != 48*time.Hour {
		t.Fatalf("48h: %v %v", c, err)
	}
	_, err = Parse(filepath.Join(dir, "p.toml"), []byte("[store]\nmessage_retention = \"soon\"\n"+base))
	if err == nil || !strings.Contains(err.Error(), "store.message_retention") {
		t.Fatalf("bad retention: %v", err)
	}
}

func TestMediaFetchAllow(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	c, err := Parse(filepath.Join(dir, "passerelle.toml"), []byte(`
[media]
fetch_allow = ["10.0.0.0/8", "192.168.1.7", "fd00::/8", "172.16.5.1/12"]
`+minimal))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.Media.FetchAllow {
		got = append(got, p.String())
	}
	if want := []string{"10.0.0.0/8", "192.168.1.7/32", "fd00::/8", "172.16.0.0/12"}; !reflect.DeepEqual(got, want) {
		t.Errorf("fetch_allow = %v, want %v", got, want)
	}
	_, err = Parse(filepath.Join(dir, "passerelle.toml"), []byte("[media]\nfetch_allow = [\"intranet\"]\n"+minimal))
	if err == nil || !strings.Contains(err.Error(), "media.fetch_allow[0]") {
		t.Errorf("a bad range: %v, want an error naming media.fetch_allow[0]", err)
	}
}

// TestDurationDays: durations accept days, alone or before Go's units, as
// an admin writes a retention; anything else is refused with the key named.
func TestDurationDays(t *testing.T) {
	isolate(t)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"90d", 90 * 24 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{"1.5d", 36 * time.Hour},
		{"7d30m", 7*24*time.Hour + 30*time.Minute},
		{"2160h", 2160 * time.Hour},
		{"30s", 30 * time.Second},
	} {
		c, err := parse(t, "[store]\nmessage_retention = \""+tc.in+"\"\n[media]\nexpiry = \""+tc.in+"\"\n"+minimal)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if c.Store.MessageRetention != tc.want || c.Media.Expiry != tc.want {
			t.Errorf("%q: retention %v, expiry %v, want %v", tc.in, c.Store.MessageRetention, c.Media.Expiry, tc.want)
		}
	}
	for _, in := range []string{"d", "90", "1dd", "1d-2h", "1h2d", "1e3d", "d12h", "1d 12h", "-1d", "0d", "999999999d", ".d"} {
		_, err := parse(t, "[store]\nmessage_retention = \""+in+"\"\n"+minimal)
		if err == nil || !strings.Contains(err.Error(), "store.message_retention") || !strings.Contains(err.Error(), strconv.Quote(in)) {
			t.Errorf("%q: want an error naming store.message_retention and the value, got %v", in, err)
		}
	}
}

// TestPluginScriptInterpreter: a plugin script whose #! interpreter is
// missing is refused by name; started, it would fail with "fork/exec
// <plugin>: no such file or directory", of a file that is there.
func TestPluginScriptInterpreter(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	for script, want := range map[string]string{
		"#!/nonexistent/python3\nprint(1)\n":     `interpreter /nonexistent/python3 (its #! line) not found`,
		"#! /nonexistent/bin/env python3 -u\n":   `interpreter /nonexistent/bin/env (its #! line) not found`,
		"#!" + dir + "\n":                        `interpreter ` + dir + ` (its #! line) is not a regular file`,
		"#!/bin/sh\nexit 0\n":                    "",
		"#! /bin/sh -e\n":                        "",
		"\x7fELF\x02\x01\x01\x00 not a script\n": "",
	} {
		p := filepath.Join(dir, "plugin")
		if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := parse(t, minimal+`plugin = "`+p+`"`+"\n")
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", script, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), `transport[0].plugin: "`+p+`": `+want)):
			t.Errorf("%q: %v, want %q", script, err, want)
		}
	}
	// A disabled transport is not checked.
	p := filepath.Join(dir, "plugin")
	os.WriteFile(p, []byte("#!/nonexistent/python3\n"), 0o755)
	if _, err := parse(t, minimal+"[[transport]]\nname = \"py\"\ndomain = \"py.localhost\"\nenabled = false\nplugin = \""+p+"\"\n"); err != nil {
		t.Errorf("disabled: %v", err)
	}
}

// withoutLine drops the line number after a file name in an error line,
// for the tests that check the key and the reason.
func withoutLine(s string) string {
	return fileLine.ReplaceAllString(s, "$1: ")
}

var fileLine = regexp.MustCompile(`(\.toml):[0-9]+: `)

// TestErrorsInFileOrder: the problems of a file come in its order (those
// of no line last); they came in the order the blocks were read (a
// transport's enabled before its domain and secret).
func TestErrorsInFileOrder(t *testing.T) {
	isolate(t)
	_, err := parse(t, `
[access]
allow = ["localhost"]
[[transport]]
name = "echo"
domain = "echo@localhost"
secret = 1234
enabled = "yes"
`)
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	var got []string
	for _, l := range lines {
		_, rest, _ := strings.Cut(l, "passerelle.toml:")
		n, _, _ := strings.Cut(rest, ":")
		got = append(got, n)
	}
	if want := []string{"6", "7", "8"}; !slices.Equal(got, want) {
		t.Errorf("lines %q, want %q:\n%s", got, want, err)
	}
}

// TestSingleBracketTransportOneProblem: [transport] for [[transport]] is
// one problem, with its fix; "no enabled transport: add a [[transport]]
// block" came beside it.
func TestSingleBracketTransportOneProblem(t *testing.T) {
	isolate(t)
	_, err := parse(t, strings.Replace(minimal, "[[transport]]", "[transport]", 1))
	if err == nil {
		t.Fatal("no error")
	}
	if msg := err.Error(); !strings.Contains(msg, "transport: want an array of tables ([[transport]]), got a table") || strings.Count(msg, "\n") != 0 {
		t.Errorf("want one problem, the brackets:\n%s", msg)
	}
}
