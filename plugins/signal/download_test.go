package signal_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A file fetched from an admin's daemon (getAttachment: base64 in one
// line) comes whole and of its size, and leaves nothing in the login's
// folder; with the daemon's data_dir given, it is read from there.
func TestDownloadAttachment(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	big := make([]byte, 700<<10) // past the reader's buffer
	rand.Read(big)
	d.AddAttachment(alice, "big.bin", big)
	info, got := downloadWithInfo(t, s, bob, "big.bin")
	if !bytes.Equal([]byte(got), big) || info.GetSize() != int64(len(big)) {
		t.Fatalf("downloaded %d bytes (said %d), want %d", len(got), info.GetSize(), len(big))
	}
	es, _ := os.ReadDir(filepath.Join(s.dir, "uploads"))
	for _, e := range es {
		if strings.HasPrefix(e.Name(), "getfile-") {
			t.Errorf("%s left in the login's folder", e.Name())
		}
	}

	// The admin's daemon's folder, readable: no getAttachment.
	data := t.TempDir()
	os.MkdirAll(filepath.Join(data, "attachments"), 0o700)
	os.WriteFile(filepath.Join(data, "attachments", "local.jpg"), []byte("ON DISK"), 0o600)
	cfg, _ := json.Marshal(map[string]any{"socket": d.Path(), "data_dir": data, "accounts": adminAccounts()})
	p := plugintest.Start(t, pluginBinary(t), "", cfg)
	done := p.Login("existing", map[string]string{"account": alice})
	s2 := &session{t: t, d: d, p: p, loginID: done.LoginId, saved: done.SavedState, dir: t.TempDir()}
	s2.evs = p.Events()
	s2.connect(done.SavedState)
	before := d.Calls("getAttachment")
	if got := download(t, s2, bob, "local.jpg"); got != "ON DISK" || d.Calls("getAttachment") != before {
		t.Fatalf("read %q with %d getAttachment, want the daemon's file", got, d.Calls("getAttachment")-before)
	}
}

// A file signal-cli could not download as its message came (it logs it
// and goes on: getAttachment then finds nothing, for good) is not
// found, saying so and where to see it; before, it was a bad request
// in signal-cli's words ("Could not find attachment with ID"), as if
// the gateway had asked wrongly.
func TestDownloadAttachmentSignalCLILost(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	_, _, err := fetch(s, bob, "lost.jpg")
	e := sdk.FromGRPC(err)
	if e == nil || e.Code != pb.ErrorCode_ERROR_CODE_NOT_FOUND || !strings.Contains(e.Text, "could not download") || !strings.Contains(e.Text, "phone") {
		t.Fatalf("a file signal-cli lost: %v, want not found saying it could not be downloaded and to see it on the phone", err)
	}
}

// A file being read with getAttachment when signal-cli dies (or is
// restarted) is read again once it is back: a read goes through twice
// without harm. Before, the gateway's download of a message's file
// failed for good, saying the read "may have gone through all the same".
func TestDownloadCutByRestart(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.AddAttachment(alice, "photo.jpg", []byte("JPEG BYTES"))
	d.Stall("getAttachment")
	type result struct {
		got string
		err error
	}
	res := make(chan result, 1)
	go func() {
		_, got, err := fetch(s, bob, "photo.jpg")
		res <- result{got, err}
	}()
	for deadline := time.Now().Add(10 * time.Second); len(d.StalledRequests("getAttachment")) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no getAttachment asked")
		}
	}
	d.Unstall("getAttachment")
	d.Crash()
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	if r := <-res; r.err != nil || r.got != "JPEG BYTES" {
		t.Fatalf("a read cut by signal-cli's restart: %q, %v; want the file", r.got, r.err)
	}
}
