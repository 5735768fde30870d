package irc

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/ergochat/irc-go/ircevent"
)

// loadRoots reads ca_file: the PEM certificates of the certificate
// authorities a self-hosted server's certificate may be signed by (or
// the server's own self-signed certificate), trusted beside the
// system's. Every block must be a valid certificate, so that a wrong
// file (a key, a truncated copy) is said at start, not at each
// connection.
func loadRoots(path string) (*x509.CertPool, error) {
	if !filepath.IsAbs(path) {
		return nil, fmt.Errorf("ca_file %q is not an absolute path (the plugin does not know where the gateway's config file is)", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ca_file: %w", err)
	}
	var certs []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("ca_file %s: a PEM %q block, want only CERTIFICATE blocks", path, b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("ca_file %s: certificate %d: %w", path, len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		what := "no PEM certificate (-----BEGIN CERTIFICATE-----)"
		if len(bytes.TrimSpace(data)) == 0 {
			what = "nothing"
		}
		return nil, fmt.Errorf("ca_file %s holds %s", path, what)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		// No system roots here: the file's are then the only ones.
		pool = x509.NewCertPool()
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// tlsConfig is the TLS of a login's connection: the certificate must be
// valid for the server's host as the login names it, signed by the
// system's authorities or ca_file's (roots; nil = the system's only);
// or, where the login pins one (pin, a SHA-256 in hex), be that
// certificate, whoever signed it and whatever it names: the user checked
// it with the server's admin, as an SSH host key.
func tlsConfig(server string, roots *x509.CertPool, pin string) *tls.Config {
	cfg := &tls.Config{ServerName: server, RootCAs: roots, MinVersion: tls.VersionTLS12}
	if pin != "" {
		want := spaced(pin)
		cfg.InsecureSkipVerify = true // VerifyConnection checks the pin instead
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			if got := certFingerprint(cs.PeerCertificates[0]); got != want {
				return &pinError{got: got, want: want}
			}
			return nil
		}
	}
	return cfg
}

// pinError is a server's certificate that is not the one the login pins.
type pinError struct{ got, want string }

func (e *pinError) Error() string {
	return fmt.Sprintf("the server's certificate (SHA-256 fingerprint %s) is not the one the login trusts (%s)", e.got, e.want)
}

// certFingerprint is a certificate's SHA-256 fingerprint as the user
// reads and types it: hex pairs, upper case, between colons.
func certFingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return spaced(hex.EncodeToString(sum[:]))
}

// spaced is a fingerprint in hex as the user reads it ("AB:CD:...").
func spaced(h string) string {
	h = strings.ToUpper(h)
	var b strings.Builder
	for i := 0; i+1 < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// parseFingerprint reads the form's certificate fingerprint: 64 hex
// digits, colons, spaces and case as the user pastes them; "" for none.
// problem says what is wrong with it.
func parseFingerprint(text string) (fp, problem string) {
	h := strings.ToLower(strings.NewReplacer(":", "", " ", "", "\t", "").Replace(text))
	if h == "" {
		return "", ""
	}
	if _, err := hex.DecodeString(h); err == nil {
		switch len(h) {
		case 2 * sha256.Size:
			return h, ""
		case 2 * sha1.Size:
			return "", "The certificate fingerprint is a SHA-1 one (40 hexadecimal digits, as biboumi took): give its SHA-256 fingerprint, 64 hexadecimal digits, which a login without it shows (or openssl x509 -noout -fingerprint -sha256 -in the certificate)."
		}
	}
	return "", fmt.Sprintf("The certificate fingerprint must be its SHA-256, 64 hexadecimal digits (colons between pairs are fine), not %q.", strings.TrimSpace(text))
}

// handshakeError says why a TLS handshake failed, in the user's terms:
// the login state's message is where they read it, after the server's
// address.
func handshakeError(err error) error {
	var verr *tls.CertificateVerificationError
	var rerr tls.RecordHeaderError
	var pin *pinError
	switch {
	case errors.As(err, &pin):
		return fmt.Errorf("TLS: %w: if the server's admin changed it, check its fingerprint with them and log in again with it", pin)
	case errors.As(err, &verr):
		fp := ""
		if len(verr.UnverifiedCertificates) > 0 {
			fp = " Its SHA-256 fingerprint is " + certFingerprint(verr.UnverifiedCertificates[0]) + "."
		}
		return fmt.Errorf("TLS: the server's certificate is not trusted (%w).%s For a self-hosted server, check that fingerprint with its admin and log in again with it in the certificate fingerprint field; or the gateway's admin can trust its certificate authority with the transport's ca_file", verr.Err, fp)
	case errors.As(err, &rerr):
		return fmt.Errorf("TLS: the server does not speak TLS on this port (%w): turn TLS off, or use the server's TLS port (often 6697)", err)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("TLS: no TLS answer from the server in time (%w): if the port has no TLS, turn TLS off or use the server's TLS port (often 6697)", err)
	}
	return fmt.Errorf("TLS: %w", err)
}

// plainConn is a connection without TLS that notes the first byte the
// server sent: a TLS record there (an alert, 0x15, or a handshake, 0x16)
// means the port takes TLS and the login has it off.
type plainConn struct {
	net.Conn
	first atomic.Int32 // -1 until the server said something
}

func newPlainConn(c net.Conn) *plainConn {
	p := &plainConn{Conn: c}
	p.first.Store(-1)
	return p
}

func (c *plainConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.first.CompareAndSwap(-1, int32(b[0]))
	}
	return n, err
}

// plainError explains a connection without TLS that the server closed
// during registration (ircevent's "Disconnected by server"): a server
// that answered with TLS, or said nothing at all, most likely has a TLS
// port there.
func plainError(addr string, c *plainConn, err error) error {
	if c == nil || !errors.Is(err, ircevent.ServerDisconnected) {
		return err
	}
	switch c.first.Load() {
	case 0x15, 0x16:
		return fmt.Errorf("%s answered in TLS, and TLS is off for this login: turn TLS on (%w)", addr, err)
	case -1:
		return fmt.Errorf("%s closed the connection without a word: if this port takes TLS, turn TLS on (%w)", addr, err)
	}
	return err
}
