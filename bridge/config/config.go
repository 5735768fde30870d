// Package config loads and validates passerelle's TOML configuration.
//
// Load reports every problem of a file at once, each naming the file, the key
// and the reason, and returns a Config in which defaults are applied, paths
// are absolute and each transport's secret and plugin binary are resolved.
// examples/passerelle.toml documents every key.
package config

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"mellium.im/xmpp/jid"
)

// Defaults of optional keys.
const (
	DefaultServer       = "127.0.0.1:5347"
	DefaultStorePath    = "data/passerelle.db"
	DefaultPingInterval = 30 * time.Second
	DefaultPingTimeout  = 10 * time.Second
	DefaultReconnectMax = 30 * time.Second
	DefaultMaxBodyBytes = 64 << 10
	// DefaultMaxStanzaBytes is Prosody's default stanza size limit on a
	// component stream (component_stanza_size_limit).
	DefaultMaxStanzaBytes = 512 << 10
	DefaultLogLevel       = "info"
	DefaultLogFormat      = "text"
	// DefaultMediaMaxBytes is the largest attachment the built-in media
	// server keeps.
	DefaultMediaMaxBytes = 100 << 20
	// DefaultMediaExpiry is how long the built-in media server serves a
	// file.
	DefaultMediaExpiry = 168 * time.Hour
	// DefaultPluginPrefix is put before a transport's name when it has no
	// plugin key: transport "echo" runs "passerelle-echo".
	DefaultPluginPrefix = "passerelle-"
	// SecretEnvPrefix starts the environment variable that may hold a
	// transport's secret: PASSERELLE_SECRET_ECHO for transport "echo".
	SecretEnvPrefix = "PASSERELLE_SECRET_"
)

// Config is the whole gateway configuration.
type Config struct {
	// Path is the absolute path of the file the configuration came from.
	Path   string
	XMPP   XMPP   // [xmpp]
	Store  Store  // [store]
	Access Access // [access]
	Limits Limits // [limits]
	Media  Media  // [media]
	Log    Log    // [log]
	// Metrics is [metrics]: Prometheus metrics and health, off by default.
	Metrics Metrics
	// Transports are the [[transport]] blocks in file order, disabled ones
	// included; see Enabled.
	Transports []Transport
}

// XMPP is how the gateway reaches the XMPP server.
type XMPP struct {
	// Server is the host:port of the server's component port (XEP-0114).
	Server string
	// ServerLine is the line of the file that sets server, 0 when it is
	// the default.
	ServerLine int
	// ServerDomain is the server's own domain (server_domain), normalised,
	// which every transport's domain lies under; "" to learn it from the
	// server (the domain its XEP-0356 advertisement comes from), until
	// then the component's domain less its first label.
	ServerDomain string
	// PingInterval is the time between XEP-0199 pings on an idle link.
	PingInterval time.Duration
	// PingTimeout is how long a ping may go unanswered before the link is
	// dropped and reconnected.
	PingTimeout time.Duration
	// ReconnectMax caps the exponential backoff between reconnection tries.
	ReconnectMax time.Duration
	// MaxStanzaBytes is the largest stanza the server takes from the
	// component; a larger one would make it close the stream. Prosody:
	// component_stanza_size_limit.
	MaxStanzaBytes int
}

// Store is where the gateway keeps its state.
type Store struct {
	// Path is the absolute path of the bbolt database file.
	Path string
	// PathLine is the line of the file that sets Path, 0 for the default.
	PathLine int
	// MessageRetention is how long the message ID map (remote message IDs
	// <-> XMPP IDs, used by corrections, reactions, receipts and
	// retractions) and the duplicate filter keep an entry.
	MessageRetention time.Duration
}

// ParseDuration reads a duration as time.ParseDuration does, and also
// with days first, as retentions are written: "90d", "1d12h", "1.5d". A
// day is 24 hours.
func ParseDuration(s string) (time.Duration, error) {
	days, rest, ok := strings.Cut(s, "d")
	if !ok {
		return time.ParseDuration(s)
	}
	sign := time.Duration(1)
	switch {
	case strings.HasPrefix(days, "-"):
		sign, days = -1, days[1:]
	case strings.HasPrefix(days, "+"):
		days = days[1:]
	}
	if !dayCount.MatchString(days) {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	n, err := strconv.ParseFloat(days, 64)
	if err != nil || n*float64(24*time.Hour) > float64(math.MaxInt64/2) {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	d := time.Duration(n * float64(24*time.Hour))
	if rest != "" {
		if rest[0] == '-' || rest[0] == '+' {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		r, err := time.ParseDuration(rest)
		if err != nil || r > math.MaxInt64/2 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		d += r
	}
	return sign * d, nil
}

// dayCount is the number before a "d": digits, perhaps a fraction.
var dayCount = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)

// DefaultMessageRetention keeps the message ID map for 90 days.
const DefaultMessageRetention = 90 * 24 * time.Hour

// Access says who may use the gateway.
type Access struct {
	// Allow lists domains and bare JIDs allowed to use the gateway,
	// normalised.
	Allow []string
	// Admins lists the bare JIDs of administrators, normalised. Admins are
	// allowed to use the gateway whether or not Allow lists them.
	Admins []string
}

// Limits bounds what the gateway accepts.
type Limits struct {
	// MaxBodyBytes is the largest message body, in bytes, the gateway hands
	// to a network; larger messages are refused with an error.
	MaxBodyBytes int
}

// Media is how attachments reach the users. The gateway first uploads a
// network's file to the user's server through XEP-0363 (as the component);
// where that is not possible it serves the file itself, from the built-in
// HTTP server, if Listen is set.
type Media struct {
	// Listen is the host:port the built-in server listens on; "" turns it
	// off.
	Listen string
	// ListenLine is the line of the file that sets Listen, 0 when unset.
	ListenLine int
	// DirLine is the line of the file that sets Dir, 0 for the default.
	DirLine int
	// PublicURL is the http(s) URL clients reach the built-in server at,
	// without a trailing slash (usually a reverse proxy adding TLS). Set
	// whenever Listen is.
	PublicURL string
	// MaxBytes is the largest file, in bytes, the built-in server keeps and
	// the gateway fetches from the user's uploads.
	MaxBytes int64
	// Expiry is how long the built-in server serves a file.
	Expiry time.Duration
	// Dir is the absolute path of the folder the built-in server keeps
	// files in.
	Dir string
	// UploadService is the JID of the XEP-0363 upload service, normalised;
	// "" means discover it on the server (disco#items).
	UploadService string
	// FetchAllow lists the address ranges, beyond the public internet,
	// the gateway may fetch users' files from (fetch_allow): loopback,
	// private and link-local ranges are refused otherwise, except the
	// upload service's own host.
	FetchAllow []netip.Prefix
}

// Log configures the gateway's own log.
type Log struct {
	// Level is one of debug, info, warn, error.
	Level string
	// Format is text or json.
	Format string
}

// Transport is one network served by one plugin binary as one component.
type Transport struct {
	// Name identifies the transport in the store, the logs and the secret's
	// environment variable; it matches ^[a-z][a-z0-9_-]*$.
	Name string
	// Domain is the component's JID, normalised.
	Domain string
	// Secret is the component's shared secret (XEP-0114 handshake). Never
	// print or log it; SecretSource says where it came from.
	Secret string
	// SecretSource says where Secret came from, for humans: "secret",
	// "secret_file /etc/passerelle/echo.secret", "env PASSERELLE_SECRET_ECHO",
	// "credential /run/credentials/passerelle.service/echo.secret" (from
	// LoadForCheck only, Secret then empty); empty for a disabled transport
	// without a secret.
	SecretSource string
	// SecretEnvIgnored is the transport's PASSERELLE_SECRET_* variable when
	// it is set but secret or secret_file wins over it, else "".
	SecretEnvIgnored string
	// SecretTrimmed says white space around the secret (a file's or a
	// variable's final newline, a Windows \r) was dropped.
	SecretTrimmed bool
	// Plugin is the absolute path of the plugin binary. For a disabled
	// transport whose binary was not found, it is the name as configured.
	Plugin string
	// DataDir is the absolute path of the folder the plugin keeps its state
	// in.
	DataDir string
	// DataDirLine is the line of the file that sets DataDir, 0 for the
	// default.
	DataDirLine int
	// Enabled is false for a transport configured but not run.
	Enabled bool
	// PluginConfig is [transport.config] as JSON, "{}" when absent, handed
	// to the plugin as-is.
	PluginConfig []byte
	// BackfillMessages is how many past messages of each chat the gateway
	// asks the plugin for when a login connects (backfill_messages,
	// default DefaultBackfillMessages); 0 turns backfill off.
	BackfillMessages int
	// ArchiveDays is how long a room's archive keeps a message, in days
	// (archive_days, default DefaultArchiveDays); 0 keeps it forever.
	ArchiveDays int
	// ArchiveMessages is how many messages a room's archive keeps, the
	// newest (archive_messages, default DefaultArchiveMessages); 0: no
	// limit.
	ArchiveMessages int
	// RoomJoinOccupants is how many occupant presences a join of a room
	// sends at most (room_join_occupants, default
	// DefaultRoomJoinOccupants); the other members show when they speak
	// or join, and in the room's disco#items. 0: every member.
	RoomJoinOccupants int
	// Line and ConfigLine are the lines of the file that open the
	// transport's [[transport]] block and its [transport.config], for
	// messages about them (a key the plugin refuses); 0 when unknown or
	// absent.
	Line, ConfigLine int
}

// DefaultBackfillMessages is backfill_messages when not set; MaxBackfillMessages
// bounds it, as a chat's history is held in memory until it can be
// delivered in order.
const (
	DefaultBackfillMessages = 50
	MaxBackfillMessages     = 100000
)

// The room archive's retention (XEP-0313 on the gateway's rooms) when
// archive_days and archive_messages are not set, and their bounds.
const (
	DefaultArchiveDays     = 365
	MaxArchiveDays         = 36500
	DefaultArchiveMessages = 10000
	MaxArchiveMessages     = 10000000
)

// DefaultRoomJoinOccupants is room_join_occupants when not set: a join
// of a group of 20,000 members took 2 s of presences through the server
// (docs/performance.md, "Big groups"); one of 1,000, under 0.1 s.
// MaxRoomJoinOccupants bounds it.
const (
	DefaultRoomJoinOccupants = 1000
	MaxRoomJoinOccupants     = 1000000
)

// LogValue keeps the secret out of logs when a Transport is logged whole.
func (t Transport) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", t.Name),
		slog.String("domain", t.Domain),
		slog.String("plugin", t.Plugin),
		slog.String("data_dir", t.DataDir),
		slog.Bool("enabled", t.Enabled),
	)
}

// Error is one problem in a configuration file. Load and Parse return all
// problems of a file joined with errors.Join, one *Error each.
type Error struct {
	// File is the configuration file as named by the caller.
	File string
	// Line is the line of a TOML syntax error, or the line that sets Key
	// (for a missing key, that opens its table); 0 when unknown.
	Line int
	// Key is the offending key ("transport[0].secret"), empty when the
	// problem is with the whole file.
	Key string
	// Err is the reason.
	Err error
}

// Error formats the problem as "file[:line]: [key: ]reason".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the reason.
func (e *Error) Unwrap() error { return e.Err }

// executable finds the running binary, beside which plugins are looked up.
// A variable so that tests can place a fake gateway binary.
var executable = os.Executable

// Load reads and validates the configuration file at path.
func Load(path string) (*Config, error) {
	return load(path, false)
}

// LoadForCheck is Load for check-config, which runs outside the service:
// a secret_file at a systemd credential's path (/run/credentials/UNIT/NAME,
// examples/passerelle.service's LoadCredential) that does not exist, as it
// does not outside its unit, is not an error. The transport's Secret is
// then empty and its SecretSource "credential PATH"; Load still refuses it.
func LoadForCheck(path string) (*Config, error) {
	return load(path, true)
}

// load is Load, or LoadForCheck when check is set.
func load(path string, check bool) (*Config, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, &Error{File: path, Err: unreadable(err, configUnreadable)}
	}
	return parseConfig(path, data, check)
}

// Parse validates the configuration data read from path. Relative paths in
// it are resolved against path's folder (see baseDir), and secret_file and plugin binaries
// are read from the file system.
func Parse(path string, data []byte) (*Config, error) {
	return parseConfig(path, data, false)
}

// parseConfig is Parse, for check-config when check is set (see LoadForCheck).
func parseConfig(path string, data []byte, check bool) (*Config, error) {
	abs, raw, err := decode(path, data)
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		// Else only "nobody may use the gateway" and "no enabled
		// transport", as if the file were read but wrong: an empty file
		// is often a redirect or copy that went wrong.
		what := "is empty"
		if strings.TrimSpace(string(data)) != "" {
			what = "has no settings, only comments"
		}
		return nil, &Error{File: path, Err: fmt.Errorf("the file %s: start from examples/passerelle.toml", what)}
	}
	p := &problems{file: path}
	l := loader{p: p, dir: baseDir(abs), lines: keyLines(string(data)), check: check}
	c := &Config{Path: abs}
	root := newTable("", raw, p)
	c.XMPP = l.xmpp(root.sub("xmpp"))
	c.Store = l.store(root.sub("store"))
	c.Access = l.access(root.sub("access"))
	c.Limits = l.limits(root.sub("limits"))
	c.Media = l.media(root.sub("media"), filepath.Dir(c.Store.Path))
	c.Log = l.log(root.sub("log"))
	c.Metrics = l.metrics(root.sub("metrics"))
	if sameListener(c.Metrics.Listen, c.Media.Listen) {
		// One of them would fail the start with "address already in use".
		p.addf("metrics.listen", "%q and media.listen %q take the same port: give each its own", c.Metrics.Listen, c.Media.Listen)
	}
	c.Transports = l.transports(root.tables("transport"), filepath.Dir(c.Store.Path))
	l.underServer(c)
	root.done()
	if err := p.err(data); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadStorePath reads only [store] of the configuration file at path and
// returns the store's absolute path: what check-store needs, which must
// work where the rest cannot be checked (the secrets in an environment
// file only the service manager reads, a plugin not installed yet).
// Problems elsewhere in the file are not reported.
func LoadStorePath(path string) (string, error) {
	data, err := readFile(path)
	if err != nil {
		return "", &Error{File: path, Err: unreadable(err, configUnreadable)}
	}
	abs, raw, err := decode(path, data)
	if err != nil {
		return "", err
	}
	p := &problems{file: path}
	root := newTable("", raw, p)
	s := loader{p: p, dir: baseDir(abs)}.store(root.sub("store"))
	if err := p.err(data); err != nil {
		return "", err
	}
	return s.Path, nil
}

// decode parses the TOML data of the file at path, returning the file's
// absolute path and its tables.
func decode(path string, data []byte) (abs string, raw map[string]any, err error) {
	abs, err = filepath.Abs(path)
	if err != nil {
		return "", nil, &Error{File: path, Err: err}
	}
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			if dup := duplicateError(path, data, pe); dup != nil {
				return "", nil, dup
			}
			line := errorLine(data, pe)
			return "", nil, &Error{File: path, Line: line, Err: fmt.Errorf("toml: %s%s%s", pe.Message, valueStart(data, pe.LastKey, line), colonHint(pe))}
		}
		return "", nil, &Error{File: path, Err: err}
	}
	return abs, raw, nil
}

// loader turns decoded tables into the typed configuration.
type loader struct {
	p     *problems
	dir   string         // the configuration file's folder
	lines map[string]int // keyLines of the file
	// check is set for check-config (LoadForCheck): a secret_file that is
	// a systemd credential, absent outside its unit, is not read.
	check bool
}

// abs resolves a path from the configuration against its folder.
func (l loader) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(l.dir, p)
}

// hostPortOf is what a URL given as a host:port should have been: its
// host and port, the component port (5347) when it names none.
func hostPortOf(u string) string {
	_, rest, _ := strings.Cut(u, "://")
	rest, _, _ = strings.Cut(rest, "/")
	if _, _, err := net.SplitHostPort(rest); err == nil {
		return rest
	}
	return net.JoinHostPort(strings.Trim(rest, "[]"), "5347")
}

func (l loader) xmpp(t *table) XMPP {
	x := XMPP{Server: DefaultServer}
	if s, ok := t.str("server"); ok {
		host, port, err := net.SplitHostPort(s)
		n, perr := strconv.Atoi(port)
		switch {
		case strings.Contains(s, "://"):
			// A URL (xmpp://, tcp://): the component port is no URL.
			l.p.addf(t.key("server"), "%q is a URL: want host:port alone, the server's component port, such as %q", s, hostPortOf(s))
		case err != nil:
			l.p.addf(t.key("server"), "%q is not host:port (the server's component port, such as \"127.0.0.1:5347\"): %w", s, err)
		case host == "":
			l.p.addf(t.key("server"), "%q has no host", s)
		case perr != nil || n < 1 || n > 65535:
			l.p.addf(t.key("server"), "%q: port must be a number from 1 to 65535", s)
		default:
			x.Server, x.ServerLine = s, l.lines[t.key("server")]
		}
	}
	if s, ok := t.str("server_domain"); ok {
		if s == "" {
			l.p.addf(t.key("server_domain"), "empty: leave it out to learn the server's domain from the server")
		} else if d, ok := l.domain(t.key("server_domain"), s, "the server's domain alone, such as example.org"); ok {
			x.ServerDomain = d
		}
	}
	x.PingInterval = t.duration("ping_interval", DefaultPingInterval)
	x.PingTimeout = t.duration("ping_timeout", DefaultPingTimeout)
	x.ReconnectMax = t.duration("reconnect_max", DefaultReconnectMax)
	n := t.integer("max_stanza_bytes", DefaultMaxStanzaBytes)
	if n < 16<<10 || n > 1<<30 {
		l.p.addf(t.key("max_stanza_bytes"), "%d is out of range (%d to %d)", n, 16<<10, 1<<30)
		n = DefaultMaxStanzaBytes
	}
	x.MaxStanzaBytes = int(n)
	t.done()
	return x
}

// domain is s, key's value, as a domain alone, normalised; false, with
// key's error said, when s is not one: want names what to write.
func (l loader) domain(key, s, want string) (string, bool) {
	j, err := parseJID(s)
	switch {
	case err != nil:
		l.p.addf(key, "%q is not a valid domain: %w", s, err)
	case j.Localpart() != "" || j.Resourcepart() != "":
		l.p.addf(key, "%q is a JID, want %s", s, want)
	default:
		return j.String(), true
	}
	return "", false
}

// underServer checks that every transport's domain lies under
// xmpp.server_domain: a component is one of its server's subdomains, and
// the gateway asks that domain for the server's services.
func (l loader) underServer(c *Config) {
	sd := c.XMPP.ServerDomain
	if sd == "" {
		return
	}
	for _, tr := range c.Transports {
		if tr.Domain == "" || strings.HasSuffix(tr.Domain, "."+sd) {
			continue
		}
		var parents []string
		for d := tr.Domain; ; {
			_, rest, ok := strings.Cut(d, ".")
			if !ok || rest == "" {
				break
			}
			// A top-level domain ("org") is no server's, but "localhost" is.
			if strings.Contains(rest, ".") || len(parents) == 0 {
				parents = append(parents, strconv.Quote(rest))
			}
			d = rest
		}
		hint := "the transport's domain has no parent: make it a subdomain of the server's"
		if len(parents) > 0 {
			hint = "the domain of the server (Prosody: its VirtualHost) the component is attached to, here one of " + strings.Join(parents, ", ")
		}
		if tr.Domain == sd {
			// Either is the mistake: the component's domain given as
			// the server's, or the server's as the transport's.
			hint += fmt.Sprintf("; or, if %q is the server's own domain, give transport %s a subdomain of it (transport.domain), such as %s.%s", sd, tr.Name, cmp.Or(tr.Name, "echo"), sd)
		}
		l.p.addf("xmpp.server_domain", "%q is not a parent of transport %s's domain %q: want %s", sd, tr.Name, tr.Domain, hint)
	}
}

func (l loader) store(t *table) Store {
	p := DefaultStorePath
	if s, ok := t.str("path"); ok {
		if s == "" {
			l.p.addf(t.key("path"), "empty")
		} else {
			p = s
		}
	}
	s := Store{Path: l.abs(p), PathLine: l.lines[t.key("path")], MessageRetention: t.duration("message_retention", DefaultMessageRetention)}
	if fi, err := os.Stat(s.Path); err == nil && fi.IsDir() {
		l.p.addf(t.key("path"), "%s is a folder, want a database file", s.Path)
	} else if err == nil && !fi.Mode().IsRegular() {
		// /dev/null stopped the start with "open store: invalid
		// argument", exit 1, restarted for ever; check-config said nothing.
		l.p.addf(t.key("path"), "%s is %s, want a database file (name one that does not exist yet: the gateway creates it)", s.Path, FileKind(fi.Mode()))
	}
	t.done()
	return s
}

func (l loader) access(t *table) Access {
	var a Access
	for i, s := range t.strings("allow") {
		key := fmt.Sprintf("%s[%d]", t.key("allow"), i)
		j, err := parseJID(s)
		switch {
		case err != nil:
			l.p.addf(key, "%q is not a valid domain or JID: %w", s, err)
		case j.Resourcepart() != "":
			l.p.addf(key, "%q has a resource, want a domain or a bare JID", s)
		default:
			a.Allow = append(a.Allow, j.String())
		}
	}
	for i, s := range t.strings("admins") {
		key := fmt.Sprintf("%s[%d]", t.key("admins"), i)
		j, err := parseJID(s)
		switch {
		case err != nil:
			l.p.addf(key, "%q is not a valid JID: %w", s, err)
		case j.Localpart() == "" || j.Resourcepart() != "":
			l.p.addf(key, "%q is not a bare JID (user@domain)", s)
		default:
			a.Admins = append(a.Admins, j.String())
		}
	}
	if len(a.Allow) == 0 && len(a.Admins) == 0 && !t.p.has(t.key("allow")) && !t.p.has(t.key("admins")) {
		l.p.addf(t.key("allow"), "nobody may use the gateway: list domains or bare JIDs in access.allow")
	}
	t.done()
	return a
}

func (l loader) limits(t *table) Limits {
	n := t.integer("max_body_bytes", DefaultMaxBodyBytes)
	if n < 1 || n > 1<<30 {
		l.p.addf(t.key("max_body_bytes"), "%d is out of range (1 to %d)", n, 1<<30)
		n = DefaultMaxBodyBytes
	}
	t.done()
	return Limits{MaxBodyBytes: int(n)}
}

func (l loader) media(t *table, storeDir string) Media {
	m := Media{MaxBytes: DefaultMediaMaxBytes, Dir: filepath.Join(storeDir, "media")}
	listen, _ := t.str("listen")
	if s := listen; s != "" {
		_, port, err := net.SplitHostPort(s)
		n, perr := strconv.Atoi(port)
		switch {
		case err != nil:
			l.p.addf(t.key("listen"), "%q is not host:port (e.g. \"127.0.0.1:8093\"): %w", s, err)
		case perr != nil || n < 1 || n > 65535:
			l.p.addf(t.key("listen"), "%q: port must be a number from 1 to 65535", s)
		default:
			m.Listen, m.ListenLine = s, l.lines[t.key("listen")]
		}
	}
	if s, ok := t.str("public_url"); ok {
		u, err := url.Parse(s)
		switch {
		case err != nil:
			l.p.addf(t.key("public_url"), "%q is not a URL: %w", s, err)
		case u.Scheme != "http" && u.Scheme != "https":
			l.p.addf(t.key("public_url"), "%q: want an http:// or https:// URL", s)
		case u.Host == "" || u.Hostname() == "":
			l.p.addf(t.key("public_url"), "%q has no host", s)
		case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
			l.p.addf(t.key("public_url"), "%q: want scheme://host[:port][/path], without credentials, query or fragment", s)
		default:
			m.PublicURL = strings.TrimRight(s, "/")
		}
	} else if _, mistyped := t.m["public_url"]; !mistyped && listen != "" {
		l.p.addf(t.key("public_url"), "missing: required when media.listen is set (the address clients fetch files from, e.g. \"https://xmpp.example.org/passerelle\")")
	}
	if n := t.integer("max_bytes", DefaultMediaMaxBytes); n < 1 || n > 1<<40 {
		l.p.addf(t.key("max_bytes"), "%d is out of range (1 to %d)", n, int64(1)<<40)
	} else {
		m.MaxBytes = n
	}
	m.Expiry = t.duration("expiry", DefaultMediaExpiry)
	if s, ok := t.str("dir"); ok {
		if s == "" {
			l.p.addf(t.key("dir"), "empty")
		} else {
			m.Dir, m.DirLine = l.abs(s), l.lines[t.key("dir")]
		}
	}
	if fi, err := os.Stat(m.Dir); err == nil && !fi.IsDir() {
		l.p.addf(t.key("dir"), "%s is a file, want a folder", m.Dir)
	}
	if s, ok := t.str("upload_service"); ok && s != "" {
		j, err := parseJID(s)
		switch {
		case err != nil:
			l.p.addf(t.key("upload_service"), "%q is not a valid JID: %w", s, err)
		case j.Resourcepart() != "":
			l.p.addf(t.key("upload_service"), "%q has a resource, want a JID such as upload.example.org", s)
		default:
			m.UploadService = j.String()
		}
	}
	for i, s := range t.strings("fetch_allow") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			if a, aerr := netip.ParseAddr(s); aerr == nil {
				p, err = a.Prefix(a.BitLen())
			}
		}
		if err != nil {
			l.p.addf(fmt.Sprintf("%s[%d]", t.key("fetch_allow"), i), "%q is not an address range (e.g. \"10.0.0.0/8\", \"fd00::/8\") nor an address", s)
			continue
		}
		m.FetchAllow = append(m.FetchAllow, p.Masked())
	}
	t.done()
	return m
}

func (l loader) log(t *table) Log {
	g := Log{Level: DefaultLogLevel, Format: DefaultLogFormat}
	if s, ok := t.str("level"); ok {
		if _, ok := levels[s]; ok {
			g.Level = s
		} else {
			l.p.addf(t.key("level"), "%q: want debug, info, warn or error", s)
		}
	}
	if s, ok := t.str("format"); ok {
		if s == "text" || s == "json" {
			g.Format = s
		} else {
			l.p.addf(t.key("format"), "%q: want text or json", s)
		}
	}
	t.done()
	return g
}

var levels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

func (l loader) transports(ts []*table, storeDir string) []Transport {
	var out []Transport
	anyEnabled := false
	names := map[string]string{}    // name -> key of its first use
	domains := map[string]string{}  // normalised domain -> key
	dataDirs := map[string]string{} // data dir -> key
	envs := map[string]string{}     // secret's environment variable -> key
	for _, t := range ts {
		tr, ok := l.transport(t, storeDir)
		anyEnabled = anyEnabled || tr.Enabled
		if env, fromEnv := strings.CutPrefix(tr.SecretSource, "env "); fromEnv {
			// "a-b" and "a_b" read one variable: one of them has the
			// other's secret, and its handshake is refused.
			if first, dup := envs[env]; dup {
				l.p.addf(t.key("secret"), "from %s, as the secret of %s: that variable cannot hold both; set secret or secret_file for one of them", env, strings.TrimSuffix(first, ".secret"))
				ok = false
			} else {
				envs[env] = t.key("secret")
			}
		}
		nameTaken := false
		if tr.Name != "" {
			if first, dup := names[tr.Name]; dup {
				l.p.addf(t.key("name"), "%q is already the name of %s", tr.Name, strings.TrimSuffix(first, ".name"))
				ok = false
				nameTaken = true
			} else {
				names[tr.Name] = t.key("name")
			}
		}
		if tr.Domain != "" {
			if first, dup := domains[tr.Domain]; dup {
				l.p.addf(t.key("domain"), "%q is already the domain of %s", tr.Domain, strings.TrimSuffix(first, ".domain"))
				ok = false
			} else {
				domains[tr.Domain] = t.key("domain")
			}
		}
		// A data_dir left to its default follows the name: with the name
		// taken, its clash is that one problem again, not a second one.
		_, ownDataDir := t.m["data_dir"]
		if tr.DataDir != "" && (ownDataDir || !nameTaken) {
			// Two plugins sharing a folder would overwrite each other's state.
			if first, dup := dataDirs[tr.DataDir]; dup {
				l.p.addf(t.key("data_dir"), "%s is already the data folder of %s", tr.DataDir, strings.TrimSuffix(first, ".data_dir"))
				ok = false
			} else {
				dataDirs[tr.DataDir] = t.key("data_dir")
			}
		}
		if ok {
			out = append(out, tr)
		}
	}
	// A [transport] written for [[transport]] is already said, with
	// the fix; "add a [[transport]] block" beside it read as a second
	// problem.
	if !anyEnabled && !l.p.hasKey("transport") {
		if len(ts) > 0 {
			// The blocks are there: adding one is not the fix.
			l.p.addf("transport", "no enabled transport: every [[transport]] has enabled = false; set it to true (or remove the line) in one")
		} else {
			l.p.addf("transport", "no enabled transport: add a [[transport]] block")
		}
	}
	return out
}

// transport reads one [[transport]] block; ok is false if it has problems.
func (l loader) transport(t *table, storeDir string) (tr Transport, ok bool) {
	before := len(l.p.errs)
	tr.Line, tr.ConfigLine = l.lines[t.path], l.lines[t.key("config")]
	tr.Enabled = t.boolean("enabled", true)

	if s, present := t.str("name"); present {
		if validName.MatchString(s) {
			tr.Name = s
		} else {
			l.p.addf(t.key("name"), "%q: want lowercase letters, digits, '-' and '_', starting with a letter", s)
		}
	} else if _, mistyped := t.m["name"]; !mistyped { // absent
		l.p.addf(t.key("name"), "missing")
	}

	if s, present := t.str("domain"); present {
		if d, ok := l.domain(t.key("domain"), s, "a bare domain such as echo.example.org"); ok {
			tr.Domain = d
			if !strings.Contains(d, ".") {
				// The server's own domain ("localhost") or a bare name:
				// no server takes it as a component, and the gateway
				// finds no server domain above it.
				l.p.addf(t.key("domain"), "%q has one label: want the transport's own subdomain of the XMPP server's domain, such as %s.%s (Prosody: a Component of that name)", d, cmp.Or(tr.Name, "echo"), d)
			}
		}
	} else if _, mistyped := t.m["domain"]; !mistyped { // absent
		l.p.addf(t.key("domain"), "missing")
	}

	l.secret(t, &tr)
	l.plugin(t, &tr)

	if s, present := t.str("data_dir"); present && s != "" {
		tr.DataDir, tr.DataDirLine = l.abs(s), l.lines[t.key("data_dir")]
	} else if present {
		l.p.addf(t.key("data_dir"), "empty")
	} else if tr.Name != "" {
		tr.DataDir = filepath.Join(storeDir, "plugins", tr.Name)
	}

	n := t.integer("backfill_messages", DefaultBackfillMessages)
	if n < 0 || n > MaxBackfillMessages {
		l.p.addf(t.key("backfill_messages"), "%d is out of range (0 to %d; 0 turns backfill off)", n, MaxBackfillMessages)
		n = DefaultBackfillMessages
	}
	tr.BackfillMessages = int(n)

	days := t.integer("archive_days", DefaultArchiveDays)
	if days < 0 || days > MaxArchiveDays {
		l.p.addf(t.key("archive_days"), "%d is out of range (0 to %d; 0 keeps room archives forever)", days, MaxArchiveDays)
		days = DefaultArchiveDays
	}
	tr.ArchiveDays = int(days)
	msgs := t.integer("archive_messages", DefaultArchiveMessages)
	if msgs < 0 || msgs > MaxArchiveMessages {
		l.p.addf(t.key("archive_messages"), "%d is out of range (0 to %d; 0 for no limit)", msgs, MaxArchiveMessages)
		msgs = DefaultArchiveMessages
	}
	tr.ArchiveMessages = int(msgs)
	occ := t.integer("room_join_occupants", DefaultRoomJoinOccupants)
	if occ < 0 || occ > MaxRoomJoinOccupants {
		l.p.addf(t.key("room_join_occupants"), "%d is out of range (0 to %d; 0 sends every member)", occ, MaxRoomJoinOccupants)
		occ = DefaultRoomJoinOccupants
	}
	tr.RoomJoinOccupants = int(occ)

	tr.PluginConfig = []byte("{}")
	if v, present := t.get("config"); present {
		if m, isMap := v.(map[string]any); !isMap {
			t.wrongType("config", "a table ([transport.config])", v)
		} else if js, err := json.Marshal(jsonable(m)); err != nil {
			l.p.addf(t.key("config"), "cannot be handed to the plugin as JSON: %w", err)
		} else {
			tr.PluginConfig = js
		}
	}
	t.done()
	return tr, len(l.p.errs) == before
}

// secret sets tr.Secret from secret, secret_file or the environment, in
// that order. A disabled transport may lack one.
func (l loader) secret(t *table, tr *Transport) {
	s, hasSecret := t.str("secret")
	file, hasFile := t.str("secret_file")
	_, rawSecret := t.m["secret"]
	_, rawFile := t.m["secret_file"]
	if rawSecret && rawFile {
		l.p.addf(t.key("secret"), "set both secret and secret_file: keep one")
		return
	}
	env := ""
	if tr.Name != "" {
		env = secretEnvName(tr.Name)
	}
	switch {
	case hasSecret:
		if s == "" {
			l.p.addf(t.key("secret"), "empty")
			return
		}
		tr.Secret, tr.SecretSource = s, "secret"
		tr.SecretEnvIgnored = setEnv(env)
	case hasFile:
		if file == "" {
			l.p.addf(t.key("secret_file"), "empty")
			return
		}
		path := l.abs(file)
		if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() && !isDescriptor(path) {
			// Reading a named pipe waits for a writer: check-config and
			// run hung with no word.
			l.p.addf(t.key("secret_file"), "%s is %s, want a regular file holding the component's secret", path, FileKind(fi.Mode()))
			return
		}
		b, err := readFile(path)
		if unit, _ := credential(path); err != nil && l.check && unit != "" && errors.Is(err, fs.ErrNotExist) {
			// Only the service has it; check-config needs no secret.
			tr.SecretSource = "credential " + path
			tr.SecretEnvIgnored = setEnv(env)
			return
		}
		if err != nil {
			l.p.add(t.key("secret_file"), unreadable(missingCredential(path, err), secretUnreadable))
			return
		}
		tr.Secret = strings.TrimSpace(string(b))
		tr.SecretTrimmed = tr.Secret != string(b)
		if tr.Secret == "" {
			l.p.addf(t.key("secret_file"), "%s is empty", path)
			return
		}
		tr.SecretSource = "secret_file " + path
		tr.SecretEnvIgnored = setEnv(env)
	case rawSecret || rawFile:
		// Mistyped; already reported.
	case env != "" && os.Getenv(env) != "":
		// Trimmed like a secret_file: a secrets.env saved on Windows
		// leaves a \r that the server's secret does not have.
		raw := os.Getenv(env)
		tr.Secret, tr.SecretSource = strings.TrimSpace(raw), "env "+env
		tr.SecretTrimmed = tr.Secret != raw
		if tr.Secret == "" {
			l.p.addf(t.key("secret"), "from env %s: only white space", env)
		}
	case !tr.Enabled:
		// Not run, so no secret needed; SecretSource stays empty.
	case env == "":
		l.p.addf(t.key("secret"), "missing%s: set secret, secret_file, or env %s<NAME>", writtenAs(tr), SecretEnvPrefix)
	default:
		if v, set := os.LookupEnv(env); set && v == "" {
			// A secrets.env line whose value was left out
			// ("PASSERELLE_SECRET_ECHO="): said, not "set it" to an
			// admin who did.
			l.p.addf(t.key("secret"), "missing%s: env %s is set but empty: give it the component's secret, or set secret or secret_file", writtenAs(tr), env)
			return
		}
		l.p.addf(t.key("secret"), "missing%s: set secret, secret_file, or env %s", writtenAs(tr), env)
	}
}

// writtenAs names a transport as its block does, " for transport echo
// (echo.localhost)", for a problem the key alone ("transport[2].secret")
// leaves the admin to count blocks for; "" when it has neither name nor
// domain.
func writtenAs(tr *Transport) string {
	switch {
	case tr.Name != "" && tr.Domain != "":
		return " for transport " + tr.Name + " (" + tr.Domain + ")"
	case tr.Name != "":
		return " for transport " + tr.Name
	case tr.Domain != "":
		return " for the transport of " + tr.Domain
	}
	return ""
}

// plugin sets tr.Plugin to the plugin binary's absolute path. A name with a
// slash is a path (relative to the configuration's folder); a bare name is
// looked up beside the passerelle binary, then in PATH, so that a release
// unpacked in one folder works without touching PATH.
func (l loader) plugin(t *table, tr *Transport) {
	name, present := t.str("plugin")
	if _, raw := t.m["plugin"]; raw && !present {
		return // mistyped; already reported
	}
	if !present {
		if tr.Name == "" {
			return
		}
		name = DefaultPluginPrefix + tr.Name
	}
	tr.Plugin = name
	if name == "" {
		l.p.addf(t.key("plugin"), "empty")
		return
	}
	path, err := l.findPlugin(name)
	if err == nil {
		if err = checkInterpreter(path); err != nil {
			err = fmt.Errorf("%q: %w", name, err)
		}
	}
	if err != nil {
		if !present && errors.Is(err, errPluginNotFound) {
			// The user wrote no plugin: say where the name came from.
			err = fmt.Errorf("%w; it is the default for name = %q: set plugin, or name the transport after its plugin (passerelle-NAME)", err, tr.Name)
		}
		if tr.Enabled {
			l.p.add(t.key("plugin"), err)
		}
		return
	}
	tr.Plugin = path
}

func (l loader) findPlugin(name string) (string, error) {
	if strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator) {
		path := l.abs(name)
		if err := checkExecutable(path); err != nil {
			return "", fmt.Errorf("%q: %w", name, err)
		}
		return path, nil
	}
	exe, err := executable()
	if err == nil {
		if resolved, err := filepath.EvalSymlinks(exe); err == nil {
			exe = resolved
		}
		if path := filepath.Join(filepath.Dir(exe), name); checkExecutable(path) == nil {
			return path, nil
		}
	}
	if path, err := exec.LookPath(name); err == nil {
		if path, err = filepath.Abs(path); err == nil && checkExecutable(path) == nil {
			return path, nil
		}
	}
	where, exeDir := "in PATH", ""
	if err == nil {
		where, exeDir = "beside "+exe+" or in PATH", filepath.Dir(exe)
	}
	if near := nearPlugin(name, pluginDirs(exeDir)); near != "" {
		return "", fmt.Errorf("%q %w %s (did you mean %s?)", name, errPluginNotFound, where, near)
	}
	return "", fmt.Errorf("%q %w %s", name, errPluginNotFound, where)
}

// checkExecutable reports why path cannot be run as a plugin, if it cannot.
func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not executable", path)
	}
	return nil
}

// checkInterpreter reports a script whose #! interpreter cannot run:
// exec would fail with "no such file or directory" of the script itself.
func checkInterpreter(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // a binary may be executable without being readable
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(f, head)
	line, ok := bytes.CutPrefix(head[:n], []byte("#!"))
	if !ok {
		return nil
	}
	line, _, _ = bytes.Cut(line, []byte("\n"))
	fields := strings.Fields(string(line))
	if len(fields) == 0 {
		return nil
	}
	interp := fields[0]
	fi, err := os.Stat(interp)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("interpreter %s (its #! line) not found", interp)
	case err != nil:
		return fmt.Errorf("interpreter %s (its #! line): %w", interp, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("interpreter %s (its #! line) is not a regular file", interp)
	case fi.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("interpreter %s (its #! line) is not executable", interp)
	}
	return nil
}

// jsonable converts TOML local dates and times, which decode as time.Time
// in special locations, back to their TOML text, so the plugin sees
// "07:30:00" rather than an invented date and zone.
func jsonable(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = jsonable(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonable(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonable(e)
		}
		return out
	case time.Time:
		switch v.Location().String() {
		case "date-local":
			return v.Format(time.DateOnly)
		case "time-local":
			return v.Format("15:04:05.999999999")
		case "datetime-local":
			return v.Format("2006-01-02T15:04:05.999999999")
		}
		return v.Format(time.RFC3339Nano)
	}
	return v
}

// has reports whether a problem with key was recorded.
func (p *problems) has(key string) bool {
	return slices.ContainsFunc(p.errs, func(err error) bool {
		var e *Error
		return errors.As(err, &e) && (e.Key == key || strings.HasPrefix(e.Key, key+"["))
	})
}

// hasKey reports whether a problem with exactly key was recorded.
func (p *problems) hasKey(key string) bool {
	return slices.ContainsFunc(p.errs, func(err error) bool {
		var e *Error
		return errors.As(err, &e) && e.Key == key
	})
}

// Allowed reports whether the user bareJID may use the gateway: it, or its
// domain, is listed in Allow, or it is an admin. Comparison is on
// normalised JIDs, so case does not matter; a resource is ignored, and an
// address without a localpart (a server, a component) is never allowed.
func (a Access) Allowed(bareJID string) bool {
	j, err := jid.Parse(bareJID)
	if err != nil || j.Localpart() == "" {
		return false
	}
	bare, domain := j.Bare().String(), j.Domainpart()
	for _, e := range a.Allow {
		if e = normalize(e); strings.EqualFold(e, bare) || strings.EqualFold(e, domain) {
			return true
		}
	}
	return a.IsAdmin(bareJID)
}

// IsAdmin reports whether the user bareJID is listed in Admins. A resource
// is ignored.
func (a Access) IsAdmin(bareJID string) bool {
	j, err := jid.Parse(bareJID)
	if err != nil || j.Localpart() == "" {
		return false
	}
	bare := j.Bare().String()
	for _, e := range a.Admins {
		if strings.EqualFold(normalize(e), bare) {
			return true
		}
	}
	return false
}

// normalize returns the canonical form of a JID or domain, or s itself if
// it does not parse (Access may be built by hand, not only by Load).
func normalize(s string) string {
	if j, err := jid.Parse(s); err == nil {
		return j.String()
	}
	return s
}

// PluginConfigAt is where t's plugin config is in the file: FILE:LINE
// of its config table, else of its block (check-config and a running
// gateway name it when the plugin refuses that config).
func (c *Config) PluginConfigAt(t Transport) string {
	where := c.Path
	if line := cmp.Or(t.ConfigLine, t.Line); line > 0 {
		where += ":" + strconv.Itoa(line)
	}
	return where
}

// Enabled returns the transports to run.
func (c *Config) Enabled() []Transport {
	var out []Transport
	for _, t := range c.Transports {
		if t.Enabled {
			out = append(out, t)
		}
	}
	return out
}

// Logger returns a logger writing to w at the configured level and format.
// Text lines written to journald (systemd's JOURNAL_STREAM is w) carry no
// time of their own, journald stamping each line (journalctl showed the
// time twice), and their priority first (journalWriter). JSON lines keep
// their time, for the tools that parse them.
func (c *Config) Logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: levels[c.Log.Level]} // unset reads as info
	if c.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	if f, ok := w.(*os.File); ok && toJournal(f) {
		opts.ReplaceAttr = dropTime
		w = journalWriter{f}
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Summary describes in a few lines what would run, for check-config. It
// names where each secret comes from, never the secret, nor the plugin
// configuration's values (they often hold API tokens).
func (c *Config) Summary() string {
	var b strings.Builder
	list := func(s []string) string {
		if len(s) == 0 {
			return "(none)"
		}
		return strings.Join(s, ", ")
	}
	fmt.Fprintf(&b, "config:    %s\n", c.Path)
	fmt.Fprintf(&b, "server:    %s (ping every %s, timeout %s; reconnect backoff up to %s; stanzas up to %d bytes)\n",
		c.XMPP.Server, c.XMPP.PingInterval, c.XMPP.PingTimeout, c.XMPP.ReconnectMax, c.XMPP.MaxStanzaBytes)
	if c.XMPP.ServerDomain != "" {
		fmt.Fprintf(&b, "           server's domain %s\n", c.XMPP.ServerDomain)
	} else {
		b.WriteString("           server's domain learned from the server (its XEP-0356 grants), else each component's domain less its first label\n")
	}
	fmt.Fprintf(&b, "store:     %s\n", c.Store.Path)
	fmt.Fprintf(&b, "allow:     %s\n", list(c.Access.Allow))
	fmt.Fprintf(&b, "admins:    %s\n", list(c.Access.Admins))
	fmt.Fprintf(&b, "limits:    message bodies up to %d bytes\n", c.Limits.MaxBodyBytes)
	upload := "discovered on the server"
	if c.Media.UploadService != "" {
		upload = c.Media.UploadService
	}
	fmt.Fprintf(&b, "media:     XEP-0363 upload service %s; files up to %d bytes\n", upload, c.Media.MaxBytes)
	if c.Media.Listen == "" {
		b.WriteString("           built-in file server off\n")
	} else {
		fmt.Fprintf(&b, "           built-in file server on %s as %s, in %s, files kept %s\n",
			c.Media.Listen, c.Media.PublicURL, c.Media.Dir, c.Media.Expiry)
	}
	fmt.Fprintf(&b, "log:       %s, %s\n", c.Log.Level, c.Log.Format)
	fmt.Fprintf(&b, "metrics:   %s\n", c.Metrics.summary())
	for _, t := range c.Transports {
		state := ""
		if !t.Enabled {
			state = " (disabled)"
		}
		fmt.Fprintf(&b, "transport %s%s: component %s\n", t.Name, state, t.Domain)
		fmt.Fprintf(&b, "  plugin:   %s\n", t.Plugin)
		fmt.Fprintf(&b, "  data dir: %s\n", t.DataDir)
		if cred, ok := strings.CutPrefix(t.SecretSource, "credential "); ok {
			unit, _ := credential(cred)
			fmt.Fprintf(&b, "  secret:   from secret_file %s, a systemd credential of %s: not checked, only the service has it\n", cred, unit)
		} else if t.SecretSource == "" {
			b.WriteString("  secret:   (none)\n")
		} else {
			fmt.Fprintf(&b, "  secret:   from %s\n", t.SecretSource)
		}
		if t.SecretEnvIgnored != "" {
			fmt.Fprintf(&b, "  warning:  %s\n", t.envIgnored())
		}
		var keys map[string]json.RawMessage
		_ = json.Unmarshal(t.PluginConfig, &keys)
		fmt.Fprintf(&b, "  config:   %s\n", list(slices.Sorted(maps.Keys(keys))))
	}
	return b.String()
}

// Prepare creates the folders the gateway writes to (mode 0700) and the
// store file (mode 0600) if missing, so that state is private to the
// gateway's user whatever its umask, and checks that the gateway's user
// may write those that exist (writable.go). An error is an *Error naming
// the key of the path that could not be made or written.
func (c *Config) Prepare() error {
	fail := func(key string, line int, path string, err error) error {
		// The unit's layout, where the example's default (data/ beside
		// the file, /etc/passerelle/data) is read-only.
		hint := "under examples/passerelle.service, only in /var/lib/passerelle"
		if key == "store.path" {
			hint += `: [store] path = "/var/lib/passerelle/passerelle.db"`
		}
		return &Error{File: c.Path, Line: line, Key: key, Err: fmt.Errorf("cannot create %s: %w (the gateway's user must be able to write there; %s)", path, err, hint)}
	}
	folder := func(key string, line int, dir string) error {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fail(key, line, dir, err)
		}
		if err := writableFolder(dir); err != nil {
			return &Error{File: c.Path, Line: line, Key: key, Err: err}
		}
		return nil
	}
	storeDir := filepath.Dir(c.Store.Path)
	if err := folder("store.path", c.Store.PathLine, storeDir); err != nil {
		return err
	}
	f, err := os.OpenFile(c.Store.Path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		if _, serr := os.Stat(c.Store.Path); serr == nil {
			return &Error{File: c.Path, Line: c.Store.PathLine, Key: "store.path", Err: notWritable(c.Store.Path, storeDir, err)}
		}
		return fail("store.path", c.Store.PathLine, c.Store.Path, err)
	}
	f.Close()
	if c.Media.Listen != "" {
		if err := folder("media.dir", c.Media.DirLine, c.Media.Dir); err != nil {
			return err
		}
	}
	for i, t := range c.Transports {
		if !t.Enabled {
			continue
		}
		if err := folder(fmt.Sprintf("transport[%d].data_dir", i), t.DataDirLine, t.DataDir); err != nil {
			return err
		}
	}
	return nil
}
