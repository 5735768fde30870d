// Package irc is passerelle's IRC transport: one login is one connection
// to one IRC server, as one nick. Private messages are one-to-one chats
// (chat ID: the nick, casefolded); joined channels are groups (chat ID:
// "#chan", casefolded), with NAMES as members, op and voice as roles.
// README.md says how chats are addressed from XMPP.
package irc

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Version is the IRC plugin's own version.
const Version = "0.1.0"

// Network is the IRC network, the plugin's sdk.Connector.
type Network struct {
	host   sdk.Host
	prefix string // makes message IDs unique across plugin restarts
	seq    atomic.Uint64
	cfg    Config
	// feats are the features the plugin advertises: a chat that allows
	// less says so with a narrowed copy (chanview.go).
	feats *pb.Features
	// ids are the users' loaded logins' IDs (loginid.go).
	ids loaded
	// dataDir is the plugin's data folder ("" in tests without one).
	dataDir string
}

// Config is the transport's [transport.config] table.
type Config struct {
	// ReconnectMin and ReconnectMax bound the wait before a connection
	// attempt after the connection dropped: it doubles from ReconnectMin
	// with each failed attempt, up to ReconnectMax, with jitter.
	ReconnectMin Duration `json:"reconnect_min"`
	ReconnectMax Duration `json:"reconnect_max"`
	// CAFile is a PEM file of certificates (absolute path) trusted beside
	// the system's for TLS: a self-hosted server's certificate
	// authority, or its self-signed certificate.
	CAFile string `json:"ca_file"`
	// TypingRepeat is how often the user's typing (+typing=active) is
	// said again while their chat state stays composing: receivers drop
	// an active after 6 s without another, and XMPP clients say
	// composing once. The spec's pace is once in 3 s; tests shorten it.
	TypingRepeat Duration `json:"typing_repeat"`
	// TypingTimeout is how long after the user last said composing the
	// repeats go on: then paused is sent, as XEP-0085 has a client do
	// after 30 s without input.
	TypingTimeout Duration `json:"typing_timeout"`
	// ListWait is how long a search for channels (LIST, search.go)
	// waits for the server's whole list before answering UNAVAILABLE.
	ListWait Duration `json:"list_wait"`
	// IdentifyWait is how long after its IDENTIFY to NickServ a login
	// waits for services to identify the nick before it takes a
	// channel's refusal for registered nicks only as an answer
	// (identify.go).
	IdentifyWait Duration `json:"identify_wait"`
	// KeepAlive is how often the connection is checked with a PING
	// (irc-go's keepalive); a server that has not answered the one
	// before by then is taken as gone. Tests shorten it.
	KeepAlive Duration `json:"keepalive"`
	// FixedServer, where set, is the one IRC server the transport's
	// logins connect to, as biboumi's fixed_irc_server: the login form
	// has it as its server, refuses another, and a login saved with
	// another is refused at Connect. The ports and TLS stay the user's.
	FixedServer string `json:"fixed_server"`
	// CTCPVersion is the answer to a CTCP VERSION query ("" = the
	// default, ctcpDefaultVersion); "off" answers none, as a gateway's
	// admin may not want its software named to every nick that asks.
	CTCPVersion string `json:"ctcp_version"`
	// CTCPOff answers no CTCP query at all (VERSION, PING, TIME,
	// CLIENTINFO); a /me (ACTION) and replies are read as ever.
	CTCPOff bool `json:"ctcp_off"`

	roots *x509.CertPool // the system's and CAFile's; nil = the system's
}

// Duration is a time.Duration written as "2s", "5m".
type Duration time.Duration

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration such as \"2s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return fmt.Errorf("%q is no positive duration such as \"2s\"", s)
	}
	*d = Duration(v)
	return nil
}

// Default reconnection pacing.
const (
	DefaultReconnectMin = 2 * time.Second
	DefaultReconnectMax = 5 * time.Minute
)

// DefaultKeepAlive is how often the connection is checked with a PING.
const DefaultKeepAlive = 2 * time.Minute

// timeout is irc-go's Timeout: how long it waits for the server's
// welcome and for the answer to its keepalive PING, and its tick, which
// must not be longer than KeepAlive.
func (c Config) timeout() time.Duration { return min(30*time.Second, time.Duration(c.KeepAlive)) }

// Default typing pacing (typing.go).
const (
	DefaultTypingRepeat  = 3 * time.Second
	DefaultTypingTimeout = 30 * time.Second
)

func parseConfig(raw []byte) (Config, error) {
	cfg := Config{ReconnectMin: Duration(DefaultReconnectMin), ReconnectMax: Duration(DefaultReconnectMax),
		TypingRepeat: Duration(DefaultTypingRepeat), TypingTimeout: Duration(DefaultTypingTimeout),
		ListWait: Duration(DefaultListWait), IdentifyWait: Duration(DefaultIdentifyWait), KeepAlive: Duration(DefaultKeepAlive)}
	// Strict: a misspelt key (reconect_min) fails the start, naming it.
	if err := sdk.DecodeConfig(raw, &cfg); err != nil {
		return cfg, fmt.Errorf("irc: %w", err)
	}
	if cfg.ReconnectMax < cfg.ReconnectMin {
		return cfg, fmt.Errorf("irc: the transport's config: reconnect_max (%v) is below reconnect_min (%v)",
			time.Duration(cfg.ReconnectMax), time.Duration(cfg.ReconnectMin))
	}
	cfg.FixedServer = strings.TrimSuffix(strings.TrimSpace(cfg.FixedServer), ".")
	if strings.ContainsAny(cfg.FixedServer, " :/@") && net.ParseIP(cfg.FixedServer) == nil {
		return cfg, fmt.Errorf("irc: the transport's config: fixed_server %q is no host name (the ports are the login's)", cfg.FixedServer)
	}
	cfg.CTCPVersion = strings.TrimSpace(cfg.CTCPVersion)
	if strings.ContainsAny(cfg.CTCPVersion, "\x00\x01\r\n") || len(cfg.CTCPVersion) > 300 {
		return cfg, fmt.Errorf("irc: the transport's config: ctcp_version %q is not one line of at most 300 bytes without control characters", cfg.CTCPVersion)
	}
	if cfg.CAFile != "" {
		roots, err := loadRoots(cfg.CAFile)
		if err != nil {
			return cfg, fmt.Errorf("irc: the transport's config: %w", err)
		}
		cfg.roots = roots
	}
	return cfg, nil
}

// New returns the IRC network.
func New() *Network { return &Network{} }

// Init declares the network.
func (n *Network) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	cfg, err := parseConfig(req.ConfigJSON)
	if err != nil {
		return nil, err
	}
	n.host, n.cfg, n.dataDir = host, cfg, req.DataDir
	n.ids.open(req.DataDir, host.Logger())
	n.prefix = fmt.Sprintf("%x", time.Now().UnixNano())
	caps := &pb.Capabilities{
		Network:     "irc",
		DisplayName: "IRC",
		Version:     Version,
		// A channel's name starts with # or & (RFC 2812's CHANTYPES);
		// any other name is a person's nick.
		// Replies: a reply's tag where the server relays message
		// tags, else a plain message (reply.go).
		Features:              &pb.Features{Groups: true, Replies: true, Formatting: true, JoinChatPrefixes: []string{"#", "&"}},
		IdentifierPrompt:      "Nick",
		IdentifierDescription: "The nick of someone on the IRC server.",
	}
	n.feats, _ = sdk.Features((*Session)(nil), caps.Features)
	return caps, nil
}

// LoginFlows offers one way in: a server and a nick.
func (n *Network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return []*pb.LoginFlow{{Id: "server", Name: "IRC server", Description: "Connect to an IRC server with a nick"}}, nil
}

// StartLogin opens a login process: one form.
func (n *Network) StartLogin(_ context.Context, req sdk.LoginRequest) (sdk.LoginProcess, error) {
	return &loginProcess{n: n, user: req.UserJID}, nil
}

// LoadLogin makes the session of a completed login. It does not connect:
// that is Session.Connect.
func (n *Network) LoadLogin(_ context.Context, login sdk.LoginInfo) (*Session, error) {
	var acc Account
	if err := json.Unmarshal(login.SavedState, &acc); err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "irc: the saved login cannot be read: %v", err)
	}
	if _, err := lookupEncoding(acc.Encoding); err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "irc: the saved login's encoding: %v", err)
	}
	s := newSession(n, login.LoginID, acc)
	s.user = login.UserJID
	n.ids.set(login.UserJID, login.LoginID)
	return s, nil
}

func (n *Network) newID() string {
	return fmt.Sprintf("%s-%d", n.prefix, n.seq.Add(1))
}

// Account is what a login keeps: where to connect and as whom. It is the
// login's saved state, as JSON.
type Account struct {
	Server string `json:"server"`
	Port   int    `json:"port"`
	// OtherPorts are tried in turn where Port cannot be reached, as
	// biboumi's ports list (backoff.go).
	OtherPorts []int `json:"other_ports,omitempty"`
	TLS        bool  `json:"tls"`
	// PlainPorts are ports without TLS that a login with TLS tries
	// after its TLS ports, only where none of those can be reached,
	// as biboumi's Ports after its TLS ports; only where the user
	// listed them (backoff.go): never a downgrade the user did not ask.
	PlainPorts []int `json:"plain_ports,omitempty"`
	// Fingerprint is the SHA-256 of the server's certificate (hex, lower
	// case) that the login trusts, whoever signed it (tls.go): a
	// self-hosted server's self-signed one, as biboumi's fingerprint to
	// trust. "" is the usual check, by the authorities.
	Fingerprint string `json:"tls_fingerprint,omitempty"`
	Nick        string `json:"nick"`
	// ServerPassword is sent as PASS at each connection, for a server
	// or bouncer (ZNC, soju) that takes only clients with its password.
	ServerPassword string `json:"server_password,omitempty"`
	SASLUser       string `json:"sasl_user,omitempty"`
	SASLPassword   string `json:"sasl_password,omitempty"`
	// NickServPassword identifies the nick with NickServ at each
	// connection, where there is no SASL account.
	NickServPassword string `json:"nickserv_password,omitempty"`
	// Commands are raw IRC lines sent at each connection, after the
	// welcome and before the channels are joined (biboumi's
	// after-connect commands): QuakeNet's AUTH to Q, a MODE +x cloak,
	// an OPER.
	Commands []string `json:"commands,omitempty"`
	// RealName is the real name (USER's last parameter, shown in
	// WHOIS): the nick when empty.
	RealName string `json:"realname,omitempty"`
	// Username is USER's user name (the user of nick!user@host), as
	// biboumi's Username: a bouncer picks the network by it (soju's
	// "name/network"). The nick's letters when empty.
	Username string   `json:"username,omitempty"`
	Channels []string `json:"channels,omitempty"`
	// Keys are the keys of the channels that need one, by folded name.
	Keys map[string]string `json:"keys,omitempty"`
	// Throttle is the lines a second the user's lines go at after a
	// burst (pace.go): nil is the default (one a second), 0 no pacing.
	Throttle *float64 `json:"throttle,omitempty"`
	// SASLTaken: the server took the SASL account once. A server that
	// later offers no SASL has its services down (Solanum offers SASL
	// only while its SASL service is there), rather than no SASL.
	SASLTaken bool `json:"sasl_taken,omitempty"`
	// Refused are the IDs of the login's channels whose refusal at a
	// connection (full, registered nicks only...) the user was told of,
	// their rooms removed: a connection they refuse again tells nothing
	// more. One is told anew once it was joined again.
	Refused []string `json:"refused,omitempty"`
	// OwnEchoes are the msgids of lines of the user's that the gateway
	// has under another ID (ircv3.go): history leaves them out.
	OwnEchoes []string `json:"own_echoes,omitempty"`
	// Casemapping is the server's CASEMAPPING as its last connection
	// announced it ("" until one did: rfc1459, the default), so that a
	// restart folds names as the server does before it says so again.
	Casemapping string `json:"casemapping,omitempty"`
	// Encoding is the server's encoding (encoding.go), lower case, where
	// it is not UTF-8: lines that are not UTF-8 are read in it, and the
	// user's go out in it. "" is UTF-8, other lines read as Windows-1252.
	Encoding string `json:"encoding,omitempty"`
	// ChannelEncodings are the channels' own encodings, by chat ID,
	// set with "/encoding" in a room (chanenc.go).
	ChannelEncodings map[string]string `json:"channel_encodings,omitempty"`
	// MOTDSeen is a digest of the server's MOTD last shown (motd.go):
	// one the login saw is not shown again at each connection.
	MOTDSeen string `json:"motd_seen,omitempty"`
}

// MarshalJSON writes a's channel names that are not UTF-8 (Latin-1 ones,
// as IRC allows) as bytes, in channel_bytes: JSON would make U+FFFD of
// them, and the login would rejoin a channel of another name.
func (a Account) MarshalJSON() ([]byte, error) {
	type plain Account
	out := struct {
		plain
		ChannelBytes [][]byte `json:"channel_bytes,omitempty"`
	}{plain: plain(a)}
	out.Channels = nil
	for _, ch := range a.Channels {
		if utf8.ValidString(ch) {
			out.Channels = append(out.Channels, ch)
		} else {
			out.ChannelBytes = append(out.ChannelBytes, []byte(ch))
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes, and the saved state of
// earlier versions (no channel_bytes).
func (a *Account) UnmarshalJSON(b []byte) error {
	type plain Account
	var in struct {
		plain
		ChannelBytes [][]byte `json:"channel_bytes,omitempty"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*a = Account(in.plain)
	for _, ch := range in.ChannelBytes {
		a.Channels = append(a.Channels, string(ch))
	}
	a.moveLatin1Keys()
	return nil
}

// moveLatin1Keys gives the keys saved by earlier versions for channels
// whose names are not UTF-8 to their IDs of now. Such a channel's ID was
// its name read as Windows-1252, the ID of the UTF-8 name of the same
// letters too (chanID): a key stays there while a channel of that ID is
// on the list.
func (a *Account) moveLatin1Keys() {
	cm := parseCasemap(a.Casemapping)
	chanID := cm.chanID
	old := func(ch string) string { return cm.fold(decodeText(ch)) }
	for _, ch := range a.Channels {
		if utf8.ValidString(ch) {
			continue
		}
		if k, ok := a.Keys[old(ch)]; ok {
			if _, has := a.Keys[chanID(ch)]; !has {
				a.Keys[chanID(ch)] = k
			}
		}
	}
	for _, ch := range a.Channels {
		if utf8.ValidString(ch) {
			continue
		}
		id := old(ch)
		if !slices.ContainsFunc(a.Channels, func(c string) bool { return chanID(c) == id }) {
			delete(a.Keys, id)
		}
	}
}

// addr is the server's host:port.
func (a Account) addr() string {
	host := a.Server
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(a.Port)
}

// loginProcess is one login in progress: a form asks for the server and
// the nick. The connection is tried by Connect, which reports a refusal
// as a login state event.
type loginProcess struct {
	n    *Network
	user string // the bare JID of the XMPP user logging in
}

var _ sdk.LoginSubmitter = (*loginProcess)(nil)

// Start asks for the server and nick.
func (p *loginProcess) Start(context.Context) (*pb.LoginStep, error) {
	return loginForm("", p.n.cfg.FixedServer), nil
}

// Cancel: nothing is under way.
func (p *loginProcess) Cancel() {}

// Submit checks the form and completes the login.
func (p *loginProcess) Submit(_ context.Context, f map[string]string) (*pb.LoginStep, error) {
	fixed := p.n.cfg.FixedServer
	if fixed != "" && strings.TrimSpace(f["server"]) == "" {
		f = maps.Clone(f)
		f["server"] = fixed
	}
	acc, problem := parseForm(f)
	if problem == "" && fixed != "" && !sameHost(acc.Server, fixed) {
		problem = fmt.Sprintf("This gateway connects only to %s, not %s.", fixed, acc.Server)
	}
	if problem != "" {
		return refusedForm(problem, fixed, f), nil
	}
	state, err := json.Marshal(acc)
	if err != nil {
		return nil, fmt.Errorf("irc: %w", err)
	}
	return &pb.LoginStep{Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{
		LoginId: p.n.ids.idFor(acc, p.user), DisplayName: acc.Nick + " on " + acc.Server,
		SavedState: state,
	}}}, nil
}

// parseForm reads the login form; problem says what is wrong with it.
func parseForm(f map[string]string) (acc Account, problem string) {
	acc.Server = strings.TrimSpace(f["server"])
	typedPort := 0
	// A server typed with its port (irc.example.org:6697, [::1]:6697),
	// or an IPv6 address in brackets: the host alone is kept.
	if h, p, err := net.SplitHostPort(acc.Server); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return acc, fmt.Sprintf("The port after the server must be a number from 1 to 65535, not %q.", p)
		}
		acc.Server, typedPort = h, n
	} else if strings.HasPrefix(acc.Server, "[") && strings.HasSuffix(acc.Server, "]") {
		acc.Server = acc.Server[1 : len(acc.Server)-1]
	}
	acc.Nick = strings.TrimSpace(f["nick"])
	acc.SASLUser = strings.TrimSpace(f["sasl_user"])
	acc.SASLPassword = f["sasl_password"]
	acc.NickServPassword = f["nickserv_password"]
	acc.ServerPassword = f["server_password"]
	acc.Commands = parseCommands(f["commands"])
	acc.RealName = strings.TrimSpace(f["realname"])
	acc.Username = strings.TrimSpace(f["username"])
	enc, err := lookupEncoding(f["encoding"])
	if err != nil {
		return acc, "The encoding: " + err.Error()
	}
	acc.Encoding = enc.name
	// Empty (a client or the chat login that sent no answer) is the
	// form's default, on: it read as off, a login without TLS.
	switch strings.ToLower(strings.TrimSpace(f["tls"])) {
	case "0", "false", "no", "off":
	case "", "1", "true", "yes", "on":
		acc.TLS = true
	default:
		return acc, fmt.Sprintf("TLS must be on or off, not %q.", f["tls"])
	}
	acc.Port = 6667
	if acc.TLS {
		acc.Port = 6697
	}
	// Several ports, separated by commas or spaces, are tried in turn.
	if ports := strings.FieldsFunc(f["port"], func(r rune) bool { return r == ',' || unicode.IsSpace(r) }); len(ports) > 0 {
		for i, p := range ports {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return acc, fmt.Sprintf("A port must be a number from 1 to 65535, not %q.", p)
			}
			if i == 0 {
				acc.Port = n
			} else if n != acc.Port && !slices.Contains(acc.OtherPorts, n) {
				acc.OtherPorts = append(acc.OtherPorts, n)
			}
		}
		if typedPort != 0 && typedPort != acc.Port {
			return acc, fmt.Sprintf("The server names the port %d and the port field %d: give one.", typedPort, acc.Port)
		}
	} else if typedPort != 0 {
		acc.Port = typedPort
	}
	if acc.PlainPorts, problem = parsePlainPorts(acc, f["plain_ports"]); problem != "" {
		return acc, problem
	}
	if acc.Throttle, problem = parseThrottle(f["throttle"]); problem != "" {
		return acc, problem
	}
	if acc.Fingerprint, problem = parseFingerprint(f["fingerprint"]); problem != "" {
		return acc, problem
	}
	if acc.Fingerprint != "" && !acc.TLS {
		return acc, "A certificate fingerprint is for a connection with TLS: turn TLS on, or leave the fingerprint empty."
	}
	// "#a, #b key": a channel's key after it and a space, as IRC
	// clients' /join takes it.
	for _, c := range strings.Split(f["channels"], ",") {
		words := strings.Fields(c)
		if len(words) == 0 {
			continue
		}
		name := words[0]
		if !isChannel(name) {
			name = "#" + name
		}
		if len(words) > 2 || !validChannel(name) {
			return acc, fmt.Sprintf("The channels are separated by commas, each one word with its key after a space where it has one (#go-nuts, #secret key), not %q.", strings.TrimSpace(c))
		}
		acc.Channels = append(acc.Channels, name)
		if len(words) == 2 {
			if acc.Keys == nil {
				acc.Keys = map[string]string{}
			}
			acc.Keys[chanID(name)] = words[1]
		}
	}
	switch {
	case acc.Server == "" || strings.ContainsAny(acc.Server, " /[]"):
		return acc, "The server must be a host name, such as irc.libera.chat."
	case !validNick(acc.Nick):
		return acc, "The nick must be one word, not starting with a digit, #, & or -."
	case (acc.SASLUser == "") != (acc.SASLPassword == ""):
		return acc, "SASL needs both a user and a password, or neither."
	case strings.ContainsAny(acc.NickServPassword, "\r\n\x00"):
		return acc, "The NickServ password cannot hold a line break."
	case strings.ContainsAny(acc.ServerPassword, "\r\n\x00"):
		return acc, "The server password cannot hold a line break."
	case strings.ContainsAny(acc.Username, " @\r\n\x00") || strings.HasPrefix(acc.Username, ":") || len(acc.Username) > 64:
		// USER's first parameter: one word, no "@" (it would be read as
		// the host's start).
		return acc, "The user name must be one word of at most 64 bytes, without \"@\" and not starting with \":\"."
	case strings.ContainsAny(acc.RealName, "\r\n\x00") || len(acc.RealName) > 200:
		return acc, "The real name must be one line of at most 200 bytes."
	case slices.ContainsFunc(acc.Commands, func(c string) bool { return len(c)+2 > 512 }):
		return acc, "An IRC command after connecting is longer than IRC's 512 bytes."
	case slices.ContainsFunc(acc.Commands, func(c string) bool { return strings.EqualFold(strings.Fields(c)[0], "QUIT") }):
		// Each connection would end and be made again, for ever.
		return acc, "QUIT cannot be a command after connecting: log out instead."
	}
	if msg := acc.uncarried(enc); msg != "" {
		return acc, msg + "."
	}
	return acc, ""
}

// uncarried says which of what a's connection sends in the server's
// encoding enc has a character enc cannot carry ("" if none): a password
// would reach the server with "?" for the character, and fail. The SASL
// account is not sent in it: SASL PLAIN is UTF-8, in base64.
func (a Account) uncarried(enc codec) string {
	for _, f := range []struct{ what, text string }{
		{"The server password", a.ServerPassword}, {"The NickServ password", a.NickServPassword},
		{"The real name", a.RealName}, {"The user name", a.Username}, {"A command after connecting", strings.Join(a.Commands, " ")},
	} {
		if r, bad := enc.unencodable(f.text); bad {
			return fmt.Sprintf("%s has %q, which the encoding %s cannot carry: it would reach the server as \"?\"", f.what, string(r), enc.name)
		}
	}
	return ""
}

// parseCommands reads the form's commands after connecting: separated
// by ";" (";;" is a ";" in one), a leading "/" as typed in IRC clients
// left out, blank ones dropped. A line break separates too, so that no
// command can hold one (it would be two IRC lines).
func parseCommands(text string) []string {
	const semi = "\x00"
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\x00", ""), ";;", semi)
	var out []string
	for _, c := range strings.FieldsFunc(text, func(r rune) bool { return r == ';' || r == '\n' || r == '\r' }) {
		c = strings.TrimPrefix(strings.TrimSpace(strings.ReplaceAll(c, semi, ";")), "/")
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// parsePlainPorts reads the login form's ports without TLS for acc,
// whose TLS and TLS ports are read: refused with TLS off (every port is
// then without TLS: the port field says them), and a port in both lists.
func parsePlainPorts(acc Account, field string) (ports []int, problem string) {
	words := strings.FieldsFunc(field, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(words) == 0 {
		return nil, ""
	}
	if !acc.TLS {
		return nil, "Ports without TLS are tried after the TLS ones, for a login with TLS on: with TLS off, every port is without TLS; put them in the port field."
	}
	for _, w := range words {
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Sprintf("A port without TLS must be a number from 1 to 65535, not %q.", w)
		}
		if n == acc.Port || slices.Contains(acc.OtherPorts, n) {
			return nil, fmt.Sprintf("The port %d is both a TLS port and a port without TLS: a port speaks one or the other.", n)
		}
		if !slices.Contains(ports, n) {
			ports = append(ports, n)
		}
	}
	return ports, ""
}

// validNick is a loose check of RFC 2812's nick: servers refine it.
func validNick(n string) bool {
	if n == "" || strings.ContainsAny(n, " ,*?!@.:\x00\r\n") {
		return false
	}
	return !strings.ContainsRune("0123456789#&-+", rune(n[0]))
}

// sameHost reports whether two host names (or addresses) are one: case
// and a trailing dot aside.
func sameHost(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// loginForm is the login form, saying errText; fixed is the transport's
// fixed_server ("" for none), the form's server then.
func loginForm(errText, fixed string) *pb.LoginStep {
	server := &pb.FormField{Id: "server", Label: "Server", Type: pb.FieldType_FIELD_TYPE_TEXT, Required: true, Description: "Host name, such as irc.libera.chat (irc.libera.chat:6697 names the port too)"}
	if fixed != "" {
		server.Required, server.DefaultValue = false, fixed
		server.Description = "This gateway connects only to " + fixed
	}
	return &pb.LoginStep{
		Instructions: "Connect to an IRC server.",
		Error:        errText,
		Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
			server,
			{Id: "port", Label: "Port, if the server names none", Type: pb.FieldType_FIELD_TYPE_TEXT, Description: "Only for a server without :port above (given in both, they must agree): 6697 with TLS, 6667 without if empty; several, separated by commas, are tried in turn (6697, 7000)"},
			{Id: "tls", Label: "TLS", Type: pb.FieldType_FIELD_TYPE_BOOLEAN, DefaultValue: "true", Description: "Encrypt the connection, as public servers take it (on 6697); no for a server without TLS, such as one of your own on 6667"},
			{Id: "plain_ports", Label: "Fallback ports without TLS (with TLS on)", Type: pb.FieldType_FIELD_TYPE_TEXT, Description: "Leave empty with TLS off. With TLS on, only if you accept talking without encryption, passwords included: tried where none of the TLS ports above can be reached (6667); empty: never without TLS"},
			{Id: "fingerprint", Label: "Certificate fingerprint (SHA-256)", Type: pb.FieldType_FIELD_TYPE_TEXT, Description: "Only for a server whose certificate no known authority signed (self-signed): its SHA-256 fingerprint, which a login without it shows; that certificate alone is then trusted"},
			{Id: "nick", Label: "Nick", Type: pb.FieldType_FIELD_TYPE_USERNAME, Required: true, Description: "The name others see you by on the server, one word, such as alice_m"},
			{Id: "channels", Label: "Channels", Type: pb.FieldType_FIELD_TYPE_TEXT, Description: "Comma-separated, such as #go-nuts, #ergo; a channel's key after it and a space: #secret key"},
			{Id: "server_password", Label: "Server password", Type: pb.FieldType_FIELD_TYPE_PASSWORD, Description: "Only for a server or bouncer (ZNC, soju) that asks for one (PASS)"},
			{Id: "sasl_user", Label: "SASL user", Type: pb.FieldType_FIELD_TYPE_USERNAME, Description: "Only for an account on the server (SASL PLAIN)"},
			{Id: "sasl_password", Label: "SASL password", Type: pb.FieldType_FIELD_TYPE_PASSWORD},
			{Id: "nickserv_password", Label: "NickServ password", Type: pb.FieldType_FIELD_TYPE_PASSWORD, Description: "Sent to NickServ (IDENTIFY) at each connection, for a registered nick on a server without SASL"},
			{Id: "realname", Label: "Real name", Type: pb.FieldType_FIELD_TYPE_TEXT, Description: "Shown to others in WHOIS; the nick if empty"},
			{Id: "username", Label: "User name", Type: pb.FieldType_FIELD_TYPE_TEXT, Description: "The user in nick!user@host, or the one a bouncer (soju, ZNC) picks the network by, such as name/network; from the nick if empty"},
			{Id: "commands", Label: "Commands after connecting", Type: pb.FieldType_FIELD_TYPE_TEXT, Description: "IRC commands sent at each connection before joining the channels, separated by ; (;; for a ; in one), such as: AUTH name password ; MODE mynick +x"},
			{Id: "encoding", Label: "Encoding", Type: pb.FieldType_FIELD_TYPE_TEXT, Description: "Only for a server whose users write in another charset than UTF-8, such as latin1, cp1252, iso-8859-15, koi8-r: lines not in UTF-8 are read in it, yours are sent in it; UTF-8 if empty"},
			{Id: "throttle", Label: "Throttle (lines a second)", Type: pb.FieldType_FIELD_TYPE_TEXT, Description: "The pace of a paste of many lines after 5 at once, as servers disconnect a flood: 1 if empty; off (or 0) for none, on a server of your own without flood protection"},
		}}},
	}
}

// refusedForm is the login form saying problem, its fields' values the
// answers: a client shows the form again as the user filled it, so they
// change what was wrong, not all again (and TLS, turned off, is not
// back on unseen). Passwords are not sent back: they are typed again.
func refusedForm(problem, fixed string, answers map[string]string) *pb.LoginStep {
	step := loginForm(problem, fixed)
	for _, fld := range step.GetForm().Fields {
		v, ok := answers[fld.Id]
		switch {
		case !ok, fld.Type == pb.FieldType_FIELD_TYPE_PASSWORD, fld.Id == "server" && fixed != "":
			continue
		case fld.Type == pb.FieldType_FIELD_TYPE_BOOLEAN:
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "0", "false", "no", "off":
				fld.DefaultValue = "false"
			case "1", "true", "yes", "on":
				fld.DefaultValue = "true"
			}
		default:
			fld.DefaultValue = v
		}
	}
	return step
}

// foldName is an IRC name casefolded as RFC 1459 says (A-Z and []\~ to
// a-z and {}|^), whatever the server. A server's names fold by its
// casemap (Session.fold).
func foldName(s string) string { return cmRFC1459.fold(s) }

// chanID is a channel's chat ID: its name folded. A name in UTF-8 (as
// most are) is its own ID. IRC allows a name in any charset, and one
// that is not UTF-8 is another channel than the UTF-8 name of the same
// letters (#caf\xe9 is not #café on the wire): its ID is the name read
// as Windows-1252, as decodeText reads a line, with latin1Suffix after
// it (#café,latin1), which no UTF-8 name's ID has, since no channel name
// holds a comma (JOIN's separator). The bytes Windows-1252 leaves
// undefined, and a comma, are written ",xx" (hex), so that two such
// names never share an ID. An ID is its own ID, and gives back its name
// (chanName). Names fold by c, the server's casemap.
//
// A control character (C0, DEL, C1: mIRC's formatting codes, which most
// servers allow in names) is written ",xx" too, a byte at a time: the
// gateway takes no ID with one, no JID can carry it, and the channel
// would have no room.
func (cm casemap) chanID(name string) string {
	if utf8.ValidString(name) {
		folded := cm.fold(name)
		if !strings.ContainsFunc(folded, unicode.IsControl) {
			return folded
		}
		var b strings.Builder
		for _, r := range folded {
			if !unicode.IsControl(r) {
				b.WriteRune(r)
				continue
			}
			for _, c := range []byte(string(r)) {
				fmt.Fprintf(&b, ",%02x", c)
			}
		}
		return b.String()
	}
	var b strings.Builder
	for _, c := range []byte(cm.fold(name)) {
		r := charmap.Windows1252.DecodeByte(c)
		switch {
		case c == ',' || r == utf8.RuneError || unicode.IsControl(r):
			fmt.Fprintf(&b, ",%02x", c)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(latin1Suffix)
	return b.String()
}

// latin1Suffix ends the ID of a channel whose name is not UTF-8.
const latin1Suffix = ",latin1"

// chanName is the name of the channel of chat ID id as IRC commands
// carry it: id itself, or for the ID of a name that is not UTF-8, that
// name (its bytes in Windows-1252), the bytes written ",xx" put back.
// ok is false for an ID that chanID never gives.
func (cm casemap) chanName(id string) (name string, ok bool) {
	body, latin1 := strings.CutSuffix(id, latin1Suffix)
	if !latin1 && !strings.Contains(id, ",") {
		return id, true
	}
	var b []byte
	for i := 0; i < len(body); {
		if body[i] == ',' {
			if i+3 > len(body) {
				return "", false
			}
			v, err := strconv.ParseUint(body[i+1:i+3], 16, 8)
			if err != nil {
				return "", false
			}
			b = append(b, byte(v))
			i += 3
			continue
		}
		r, n := utf8.DecodeRuneInString(body[i:])
		if !latin1 {
			b = append(b, body[i:i+n]...)
			i += n
			continue
		}
		c, ok := charmap.Windows1252.EncodeRune(r)
		if !ok {
			return "", false
		}
		b = append(b, c)
		i += n
	}
	if !latin1 && !utf8.Valid(b) {
		return "", false
	}
	name = string(b)
	// The one spelling chanID gives (case aside): a name in UTF-8, or
	// one spelt otherwise, is not this ID's.
	return name, cm.chanID(name) == cm.fold(id)
}

// chanID is a channel's chat ID on a server that folds as RFC 1459 says.
func chanID(name string) string { return cmRFC1459.chanID(name) }

// chanName is the name of the channel of chat ID id on a server that
// folds as RFC 1459 says.
func chanName(id string) (string, bool) { return cmRFC1459.chanName(id) }

// isChannel reports whether a target names a channel.
func isChannel(s string) bool { return s != "" && strings.ContainsRune("#&+!", rune(s[0])) }
