package bridge_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// fileShare is what the tests read of a file message: its OOB URL and its
// XEP-0447 metadata.
type fileShare struct {
	Body string `xml:"body"`
	URL  string `xml:"jabber:x:oob x>url"`
	SFS  struct {
		File struct {
			Name string `xml:"name"`
			Size int64  `xml:"size"`
			Hash string `xml:"urn:xmpp:hashes:2 hash"`
		} `xml:"urn:xmpp:file:metadata:0 file"`
		Src struct {
			Target string `xml:"target,attr"`
		} `xml:"sources>url-data"`
	} `xml:"urn:xmpp:sfs:0 file-sharing"`
}

// fileMessage waits (up to within) for bob's next message and parses it
// as a file message.
func fileMessage(t *testing.T, c *xmpptest.Client, within time.Duration) (fileShare, xmpptest.Stanza) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	m, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "message" && bareJID(s.From) == "bob@"+domain && s.Body != ""
	})
	if err != nil {
		t.Fatalf("no message from bob: %v", err)
	}
	var f fileShare
	if err := xml.Unmarshal([]byte(m.XML), &f); err != nil {
		t.Fatalf("%v: %s", err, m.XML)
	}
	return f, m
}

// hashGET downloads url, streaming, and returns its size and SHA-256.
func hashGET(t *testing.T, url string) (int64, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return n, h.Sum(nil)
}

// TestBigFileStreamed: a 200 MiB file the user sends reaches the network
// (the echo plugin, through UploadMedia) and comes back (DownloadMedia,
// then the XEP-0363 upload to the user's server), with the same content
// and its SHA-256 in the message, while the gateway, a process of its
// own, never holds more than a bounded part of it: its peak RSS stays
// under 100 MiB.
func TestBigFileStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 200 MiB four times")
	}
	const size = 200 << 20
	s := newStack(t, stackOptions{httpUpload: true, process: true,
		serverConfig: bigUploadConfig,
		extra:        "\n[media]\nmax_bytes = 314572800\n"})
	alice := registered(t, s, "alice")
	// Settled: what the gateway holds before the file.
	before := s.peakRSS()

	start := time.Now()
	src := mrand.NewChaCha8([32]byte{1, 2, 3})
	sent := sha256.New()
	slot, err := alice.UploadReader(ctxFor(t, 5*time.Minute), s.srv.UploadDomain(), "big.bin", "application/octet-stream", size,
		io.TeeReader(io.LimitReader(src, size), sent))
	if err != nil {
		t.Fatal(err)
	}
	uploaded := time.Since(start)
	sendFile(t, alice, slot.GetURL)
	f, m := fileMessage(t, alice, 5*time.Minute)
	echoed := time.Since(start)
	if f.URL == "" || f.URL == slot.GetURL || f.Body != f.URL || f.SFS.Src.Target != f.URL {
		t.Fatalf("not a new file message: %s", m.XML)
	}
	want := sent.Sum(nil)
	if f.SFS.File.Name != "big.bin" || f.SFS.File.Size != size || f.SFS.File.Hash != base64.StdEncoding.EncodeToString(want) {
		t.Errorf("file metadata: %+v, want big.bin, %d bytes, sha-256 %x", f.SFS.File, size, want)
	}
	n, got := hashGET(t, f.URL)
	if n != size || !bytes.Equal(got, want) {
		t.Fatalf("echoed file: %d bytes, sha-256 %x; sent %d, %x", n, got, size, want)
	}
	peak := s.peakRSS()
	t.Logf("200 MiB: user's upload %.1f s, through the gateway and back %.1f s, total with the final GET %.1f s; gateway VmHWM %.1f MiB (%.1f MiB before the file)",
		uploaded.Seconds(), (echoed - uploaded).Seconds(), time.Since(start).Seconds(), float64(peak)/(1<<20), float64(before)/(1<<20))
	if peak > 100<<20 {
		t.Errorf("gateway peak RSS %.1f MiB, want under 100 MiB", float64(peak)/(1<<20))
	}
}

// bigUploadConfig lets Prosody's http_file_share take the big file (and
// the day's uploads of it). Prosody's listeners read 4 KiB at a time by
// default and pause 1 ms (its timer resolution) whenever data is left
// unread: uploads ran at about 3 MB/s, and this test took 140 s. Reads of
// up to 1 MiB take what the socket has.
const bigUploadConfig = `
http_file_share_size_limit = 300*1024*1024
http_file_share_daily_quota = 4*1024*1024*1024
network_default_read_size = 1048576
`

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestFileStreamBroken: when the network's stream of a file breaks
// halfway (the echo network's "broken-" files), the user reads that the
// file could not be bridged and why, and no part of it is delivered: no
// URL in the message, nothing left on the user's server.
func TestFileStreamBroken(t *testing.T) {
	s := newStack(t, stackOptions{httpUpload: true})
	alice := registered(t, s, "alice")
	data := make([]byte, 3<<20)
	rand.Read(data)
	url := uploadAsUser(t, s, alice, "broken-clip.mp4", "video/mp4", data)
	sendFile(t, alice, url)
	f, m := fileMessage(t, alice, timeout)
	want := fmt.Sprintf("[the file broken-clip.mp4 could not be bridged: the network's transfer broke off after %d of %d bytes]", len(data)/2, len(data))
	if f.Body != want || f.URL != "" || strings.Contains(m.XML, "http") {
		t.Fatalf("broken file: %s\nwant body %q", m.XML, want)
	}
	// On the user's server: the user's own upload only, no part of the
	// gateway's.
	dir := filepath.Join(s.srv.Dir(), "data")
	var files []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(path, "http_file_share") {
			files = append(files, strings.TrimPrefix(path, dir))
		}
		return nil
	})
	if len(files) != 1 {
		t.Fatalf("files on the user's server: %v, want the user's own only", files)
	}

	// The chat goes on.
	raw(t, alice, `<message type='chat' to='bob@`+domain+`'><body>after</body></message>`)
	next(t, alice, "text after", func(s xmpptest.Stanza) bool { return s.Body == "after" })
}

// TestFileOverLimit: a file over the gateway's configured limit is
// refused with an error that names the limit, before the network sees
// any of it.
func TestFileOverLimit(t *testing.T) {
	s := newStack(t, stackOptions{httpUpload: true, extra: "\n[media]\nmax_bytes = 100000\n"})
	alice := registered(t, s, "alice")
	data := make([]byte, 100001)
	rand.Read(data)
	url := uploadAsUser(t, s, alice, "big.bin", "application/octet-stream", data)
	raw(t, alice, `<message type='chat' id='big1' to='bob@`+domain+`'><body>`+url+`</body><x xmlns='jabber:x:oob'><url>`+url+`</url></x></message>`)
	e := nextMessage(t, alice, "bob@"+domain, timeout)
	if e.Type != "error" || e.Err == nil || e.Err.Condition != "not-acceptable" || !strings.Contains(e.Err.Text, "larger than 100000 bytes") {
		t.Fatalf("file over the limit: %s", e.XML)
	}
	// The echo plugin keeps what it is sent in a "media" folder (its
	// own, or the login's).
	filepath.WalkDir(filepath.Join(s.dir, "data"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(path, string(filepath.Separator)+"media"+string(filepath.Separator)) {
			t.Errorf("the plugin got something: %s", path)
		}
		return nil
	})
}

// TestFileUnsized: a file the network streams without saying its size
// (the echo network's "unsized-" files) still reaches the user whole: the
// gateway spools it to disk to learn the size the upload slot needs, and
// removes it after.
func TestFileUnsized(t *testing.T) {
	s := newStack(t, stackOptions{httpUpload: true})
	alice := registered(t, s, "alice")
	data := make([]byte, 2<<20+3)
	rand.Read(data)
	sendFile(t, alice, uploadAsUser(t, s, alice, "unsized-notes.bin", "application/octet-stream", data))
	f, m := fileMessage(t, alice, timeout)
	sum := sha256.Sum256(data)
	if f.URL == "" || f.SFS.File.Size != int64(len(data)) || f.SFS.File.Hash != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("unsized file: %s", m.XML)
	}
	if n, got := hashGET(t, f.URL); n != int64(len(data)) || !bytes.Equal(got, sum[:]) {
		t.Fatalf("delivered %d bytes, sha-256 %x", n, got)
	}
	if left, _ := os.ReadDir(filepath.Join(s.dir, "data", "plugins", "echo", "incoming")); len(left) != 0 {
		t.Errorf("spooled files left: %v", left)
	}
}

// TestFileAnnouncedOverLimit: a file the network announces larger than
// the gateway's limit (the echo network's "huge-" files, announced at 2
// GiB) is not downloaded at all: the user reads that it was too big. It
// was asked of the plugin, whose download of the whole file (WhatsApp's
// up to 2 GB) came before any check, and delivered when the bytes that
// came were fewer than the announcement.
func TestFileAnnouncedOverLimit(t *testing.T) {
	s := newStack(t, stackOptions{httpUpload: true})
	alice := registered(t, s, "alice")
	data := make([]byte, 1000)
	rand.Read(data)
	sendFile(t, alice, uploadAsUser(t, s, alice, "huge-movie.mp4", "video/mp4", data))
	m := nextMessage(t, alice, "bob@"+domain, timeout)
	if !strings.Contains(m.Body, "huge-movie.mp4 could not be bridged: it is larger than the gateway's limit") || strings.Contains(m.XML, "jabber:x:oob") {
		t.Fatalf("a file announced over the limit: %s", m.XML)
	}
}

// pathfilesPlugin builds the test plugin that takes and gives files as
// paths in its folder (testdata/pathfiles), beside the echo's binary.
func pathfilesPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(filepath.Dir(echoBin), "pathfiles")
	build := exec.Command("go", "build", "-o", bin, "passerelle.im/passerelle/bridge/testdata/pathfiles")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the pathfiles plugin: %v\n%s", err, out)
	}
	return bin
}

// TestFileByPath: a plugin without UploadMedia (no media_upload) still
// gets the user's file as today, downloaded into its data folder and
// named by path; its file comes back the same way.
func TestFileByPath(t *testing.T) {
	bin := pathfilesPlugin(t)
	s := newStack(t, stackOptions{httpUpload: true, plugin: bin})
	alice := registered(t, s, "alice")
	data := make([]byte, 300_000)
	rand.Read(data)
	sendFile(t, alice, uploadAsUser(t, s, alice, "report.pdf", "application/pdf", data))
	f, m := fileMessage(t, alice, timeout)
	sum := sha256.Sum256(data)
	if f.URL == "" || f.SFS.File.Name != "report.pdf" || f.SFS.File.Hash != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("file by path: %s", m.XML)
	}
	if n, got := hashGET(t, f.URL); n != int64(len(data)) || !bytes.Equal(got, sum[:]) {
		t.Fatalf("delivered %d bytes, sha-256 %x", n, got)
	}
}
