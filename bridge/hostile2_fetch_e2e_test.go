package bridge_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestHostileFileURLs: files the user sends whose URL is not one the
// gateway may fetch (another scheme, credentials, a link-local or
// metadata address, loopback past what the admin allowed), or whose
// server redirects there, loops, lies about its size or sends a
// decompression bomb, are each refused with an error the user reads
// (sent as OOB, or as XEP-0447 or SIMS alone: the same checks),
// without the gateway reaching what it must not; the transport goes on.
func TestHostileFileURLs(t *testing.T) {
	// Loopback's 127.0.0.1 is the admin's fetch_allow: the file server
	// of these tests. [::1] is not allowed.
	s := newStack(t, stackOptions{extra: "\n[media]\nmax_bytes = 1000000\nfetch_allow = [\"127.0.0.1/32\"]\n"})
	alice := registered(t, s, "alice")
	// A service on [::1], which no URL may reach: the port of a real
	// one, where the machine has IPv6 loopback.
	var forbidden atomic.Int32
	v6 := "[::1]:1"
	if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
		never := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			forbidden.Add(1)
			io.WriteString(w, "secret")
		}))
		never.Listener = ln
		never.Start()
		defer never.Close()
		v6 = ln.Addr().String()
	}
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(make([]byte, 50<<20))
	zw.Close()
	var self string
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-v6":
			http.Redirect(w, r, "http://"+v6+"/secret", http.StatusFound)
		case "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, self+"/loop", http.StatusFound)
		case "/huge":
			w.Header().Set("Content-Length", "9223372036854775807")
			w.WriteHeader(http.StatusOK)
		case "/short":
			w.Header().Set("Content-Length", "5000")
			io.WriteString(w, "only this")
		case "/bomb.txt":
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Type", "text/plain")
			w.Write(bomb.Bytes())
		default:
			http.NotFound(w, r)
		}
	}))
	defer files.Close()
	self = files.URL
	for i, c := range []struct{ url, text string }{
		{"file:///etc/passwd", "the gateway could not fetch the file"},
		{"gopher://127.0.0.1/x", "the gateway could not fetch the file"},
		{"ftp://127.0.0.1/x", "the gateway could not fetch the file"},
		{"https://169.254.169.254/latest/meta-data/", "the gateway could not fetch the file"},
		{"https://[fd00:ec2::254]/latest/", "the gateway could not fetch the file"},
		{"http://" + v6 + "/secret", "the gateway could not fetch the file"},
		{"https://user:pass@" + strings.TrimPrefix(files.URL, "http://") + "/x", "the gateway could not fetch the file"},
		{"https://%zz/x", "the gateway could not fetch the file"},
		{files.URL + "/to-v6", "the gateway could not fetch the file"},
		{files.URL + "/to-metadata", "the gateway could not fetch the file"},
		{files.URL + "/to-file", "the gateway could not fetch the file"},
		{files.URL + "/loop", "the gateway could not fetch the file"},
		{files.URL + "/huge", "the gateway could not fetch the file: it is larger than 1000000 bytes"},
		{files.URL + "/short", "the gateway could not fetch the file"},
		{files.URL + "/bomb.txt", "larger than 1000000 bytes"},
	} {
		id := fmt.Sprintf("url%d", i)
		raw(t, alice, `<message type='chat' id='`+id+`' to='bob@`+domain+`'><body>`+xmlEscape(c.url)+`</body><x xmlns='jabber:x:oob'><url>`+xmlEscape(c.url)+`</url></x></message>`)
		e := answered(t, alice, c.url, id, "")
		if e.Err == nil || e.Err.Condition != "not-acceptable" || !strings.Contains(e.Err.Text, c.text) {
			t.Errorf("%s: want not-acceptable saying %q, got %s", c.url, c.text, e.XML)
		}
	}
	// The same file as XEP-0447 stateless file sharing or XEP-0385
	// SIMS, with no OOB beside it (file_source.go): the same checks.
	for i, u := range []string{"https://169.254.169.254/latest/meta-data/", "http://" + v6 + "/secret", files.URL + "/to-metadata", "https://user:pass@" + strings.TrimPrefix(files.URL, "http://") + "/x"} {
		for j, el := range []string{
			`<file-sharing xmlns='urn:xmpp:sfs:0'><sources><url-data xmlns='http://jabber.org/protocol/url-data' target='` + xmlEscape(u) + `'/></sources></file-sharing>`,
			`<reference xmlns='urn:xmpp:reference:0' type='data'><media-sharing xmlns='urn:xmpp:sims:1'><sources><reference xmlns='urn:xmpp:reference:0' type='data' uri='` + xmlEscape(u) + `'/></sources></media-sharing></reference>`,
		} {
			id := fmt.Sprintf("shared%d-%d", i, j)
			raw(t, alice, `<message type='chat' id='`+id+`' to='bob@`+domain+`'>`+el+`</message>`)
			if e := answered(t, alice, u, id, ""); e.Err == nil || e.Err.Condition != "not-acceptable" || !strings.Contains(e.Err.Text, "the gateway could not fetch the file") {
				t.Errorf("%s shared without OOB (%d): want not-acceptable, got %s", u, j, e.XML)
			}
		}
	}
	if n := forbidden.Load(); n != 0 {
		t.Errorf("the gateway connected to a service on [::1] %d times", n)
	}
	stillWell(t, s, alice, "hostile file URLs")
}

// TestUploadHostOtherPages: the upload service's host is trusted on
// loopback for the files users upload there, not for the server's other
// pages on the same port: its metrics, sent as a file, are refused, and
// a file the user uploaded still goes. Before, the gateway fetched the
// metrics and handed them to the network.
func TestUploadHostOtherPages(t *testing.T) {
	s := newStack(t, stackOptions{httpUpload: true, serverModules: []string{"http_openmetrics"}, serverConfig: `statistics = "internal"`})
	alice := registered(t, s, "alice")
	metrics := "http://" + s.srv.HTTPAddr() + "/metrics"
	if resp, err := http.Get(metrics); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the server's metrics page: %v %v", err, resp)
	}
	for i, u := range []string{metrics, "http://" + s.srv.HTTPAddr() + "/file_share/../metrics"} {
		id := fmt.Sprintf("page%d", i)
		raw(t, alice, `<message type='chat' id='`+id+`' to='bob@`+domain+`'><body>`+u+`</body><x xmlns='jabber:x:oob'><url>`+u+`</url></x></message>`)
		if e := answered(t, alice, u, id, ""); e.Err == nil || e.Err.Condition != "not-acceptable" {
			t.Fatalf("%s: want not-acceptable, got %s", u, e.XML)
		}
	}
	data := []byte("a user's own file\n")
	sendFile(t, alice, uploadAsUser(t, s, alice, "notes.txt", "text/plain", data))
	if _, back, _ := receiveFile(t, alice); !bytes.Equal(back, data) {
		t.Fatalf("the upload service's file: got %q", back)
	}
	stillWell(t, s, alice, "upload host's other pages")
}
