package bridge_test

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// uploadAsUser puts a file on the user's server the way a client does
// (XEP-0363 slot, then PUT) and returns its GET URL.
func uploadAsUser(t *testing.T, s *stack, c *xmpptest.Client, name, mime string, data []byte) string {
	t.Helper()
	slot, err := c.Upload(ctxT(t), s.srv.UploadDomain(), name, mime, data)
	if err != nil {
		t.Fatal(err)
	}
	return slot.GetURL
}

func sendFile(t *testing.T, c *xmpptest.Client, url string) {
	t.Helper()
	raw(t, c, `<message type='chat' to='bob@`+domain+`'><body>`+url+`</body><x xmlns='jabber:x:oob'><url>`+url+`</url></x></message>`)
}

// receiveFile waits for a file message from bob and downloads it.
func receiveFile(t *testing.T, c *xmpptest.Client) (url string, data []byte, mime string) {
	t.Helper()
	m := next(t, c, "file", has("jabber:x:oob"))
	var oob struct {
		URL string `xml:"x>url"`
	}
	if err := xml.Unmarshal([]byte(m.XML), &oob); err != nil || oob.URL == "" || m.Body != oob.URL {
		t.Fatalf("file message: %v %s", err, m.XML)
	}
	resp, err := http.Get(oob.URL)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %v %v", oob.URL, err, resp)
	}
	defer resp.Body.Close()
	data, _ = io.ReadAll(resp.Body)
	return oob.URL, data, resp.Header.Get("Content-Type")
}

// TestFileThroughUpload: a file the user uploaded to their server reaches
// the network (fetched, with name and type), and the network's file comes
// back uploaded to the user's server by the gateway (XEP-0363 as the
// component), with the same content.
func TestFileThroughUpload(t *testing.T) {
	s := newStack(t, stackOptions{httpUpload: true})
	alice := registered(t, s, "alice")
	data := make([]byte, 300_000)
	rand.Read(data)
	url := uploadAsUser(t, s, alice, "holiday.jpg", "image/jpeg", data)
	sendFile(t, alice, url)
	got, back, mime := receiveFile(t, alice)
	if got == url {
		t.Fatalf("the echo must be a new upload, not the user's URL")
	}
	if !strings.HasPrefix(got, "http://"+s.srv.HTTPAddr()) || !strings.HasSuffix(got, "/holiday.jpg") {
		t.Errorf("echoed file not on the user's server under its name: %s", got)
	}
	if !bytes.Equal(back, data) || mime != "image/jpeg" {
		t.Fatalf("echoed file differs: %d bytes, %s", len(back), mime)
	}
}

// TestFileThroughMediaEndpoint: with no upload service on the server, the
// gateway serves the network's file from its own endpoint; a file from
// any URL the user sends is fetched; an unreachable one is an error.
func TestFileThroughMediaEndpoint(t *testing.T) {
	s, addr := fetchingStack(t)
	alice := registered(t, s, "alice")
	data := []byte("hello from a file\n")
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(data)
	}))
	defer src.Close()
	sendFile(t, alice, src.URL+"/notes.txt")
	got, back, mime := receiveFile(t, alice)
	if !strings.HasPrefix(got, "http://"+addr+"/media/") || !strings.HasSuffix(got, "/notes.txt") {
		t.Errorf("not served by the gateway: %s", got)
	}
	if !bytes.Equal(back, data) || !strings.HasPrefix(mime, "text/plain") {
		t.Fatalf("served file differs: %q %s", back, mime)
	}

	sendFile(t, alice, "http://127.0.0.1:1/missing.txt")
	e := next(t, alice, "error", func(s xmpptest.Stanza) bool { return s.Type == "error" })
	if e.Err.Condition != "not-acceptable" || !strings.Contains(e.Err.Text, "could not fetch") {
		t.Fatalf("unreachable file: %s", e.XML)
	}
}

// TestFileFetchGuarded: a URL on loopback (the gateway's own network) is
// not fetched, and the error says so without what the low-level error
// would tell (address, port, what answered); a file on the server's own
// upload service, on loopback too here, still goes through.
func TestFileFetchGuarded(t *testing.T) {
	s := newStack(t, stackOptions{httpUpload: true})
	alice := registered(t, s, "alice")
	hit := make(chan struct{}, 4)
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit <- struct{}{}
		w.Header().Set("Server", "internal-admin/1.0")
		io.WriteString(w, "internal secret")
	}))
	defer internal.Close()
	port := internal.URL[strings.LastIndexByte(internal.URL, ':')+1:]
	for _, u := range []string{internal.URL + "/admin.txt", "http://localhost:" + port + "/admin.txt"} {
		sendFile(t, alice, u)
		e := next(t, alice, "error", func(s xmpptest.Stanza) bool { return s.Type == "error" })
		if e.Err.Condition != "not-acceptable" || e.Err.Text != "the gateway could not fetch the file" {
			t.Fatalf("%s: want not-acceptable with no detail, got %s", u, e.XML)
		}
	}
	if len(hit) != 0 {
		t.Fatalf("the gateway connected to a loopback service %d times", len(hit))
	}
	data := []byte("a user's own file\n")
	sendFile(t, alice, uploadAsUser(t, s, alice, "notes.txt", "text/plain", data))
	if _, back, _ := receiveFile(t, alice); !bytes.Equal(back, data) {
		t.Fatalf("the upload service's file: got %q", back)
	}
}

// TestFileCleanup: a file to a contact the network does not have is not
// even downloaded; a file sent, or refused by the network, leaves nothing
// in the plugin's incoming folder.
func TestFileCleanup(t *testing.T) {
	var hits atomic.Int32
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "some file\n")
	}))
	defer src.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := newStack(t, stackOptions{extra: fmt.Sprintf("\n[media]\nlisten = %q\npublic_url = \"http://%s/media\"\nfetch_allow = [\"127.0.0.0/8\"]\n", addr, addr)})
	alice := registered(t, s, "alice")
	u := src.URL + "/a.txt"
	raw(t, alice, `<message type='chat' id='f1' to='nobody@`+domain+`'><body>`+u+`</body><x xmlns='jabber:x:oob'><url>`+u+`</url></x></message>`)
	e := nextMessage(t, alice, "nobody@"+domain, timeout)
	if e.Err == nil || e.Err.Condition != "item-not-found" {
		t.Fatalf("file to nobody: %s", e.XML)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the file to nobody was downloaded %d times", n)
	}
	sendFile(t, alice, u)
	receiveFile(t, alice)
	incoming := filepath.Join(s.dir, "data", "plugins", "echo", "incoming")
	deadline := time.Now().Add(timeout)
	for {
		left, err := os.ReadDir(incoming)
		if err != nil && !os.IsNotExist(err) { // a streamed file never lands there
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("files left in %s: %v", incoming, left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fetchingStack starts a stack whose gateway serves files itself (at the
// returned address) and may fetch them from loopback, where tests serve
// the files users send.
func fetchingStack(t *testing.T) (*stack, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return newStack(t, stackOptions{extra: fmt.Sprintf("\n[media]\nlisten = %q\npublic_url = \"http://%s/media\"\nfetch_allow = [\"127.0.0.0/8\"]\n", addr, addr)}), addr
}

// stallingFiles serves data at every path; its stall-th fetch (from 1)
// stops halfway, closing stalled, until the client gives up. gets counts
// the fetches.
func stallingFiles(t *testing.T, data []byte, stall int32) (base string, gets *atomic.Int32, stalled chan struct{}) {
	gets, stalled = new(atomic.Int32), make(chan struct{})
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		if gets.Add(1) == stall {
			w.Write(data[:len(data)/2])
			w.(http.Flusher).Flush()
			close(stalled)
			<-r.Context().Done()
			return
		}
		w.Write(data)
	}))
	t.Cleanup(src.Close)
	return src.URL, gets, stalled
}
