package signal_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// signal-cli downloads every file received into its attachments folder
// and never removes one; the gateway reads it as the message is
// delivered and keeps its own copy. The plugin removes the files of the
// daemon it runs once a week old, as files come (at most once an hour):
// they piled up for good before. Younger files stay, the new message's
// too.
func TestOldDownloadsRemoved(t *testing.T) {
	cli := plugintest.BuildBinary(t, fakeCLIPkg)
	dataDir := t.TempDir()
	atts := filepath.Join(dataDir, "attachments")
	os.MkdirAll(atts, 0o700)
	for name, age := range map[string]time.Duration{"old.jpg": 8 * 24 * time.Hour, "recent.jpg": 24 * time.Hour, "new.jpg": 0} {
		path := filepath.Join(atts, name)
		os.WriteFile(path, []byte(name), 0o600)
		at := time.Now().Add(-age)
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UnixMilli()
	env, _ := json.Marshal(map[string]any{"sourceNumber": bob, "sourceUuid": bobACI, "timestamp": now,
		"dataMessage": map[string]any{"timestamp": now, "attachments": []map[string]any{{"contentType": "image/jpeg", "id": "new.jpg", "size": 7}}}})
	t.Setenv("FAKESIGNAL_ACCOUNTS", alice+":"+aliceACI)
	t.Setenv("FAKESIGNAL_DELIVER", string(env))
	cfg, _ := json.Marshal(map[string]any{"signal_cli": cli, "data_dir": dataDir, "accounts": adminAccounts()})
	p := plugintest.Start(t, pluginBinary(t), "", cfg)
	done := p.Login("existing", map[string]string{"account": alice})
	s := &session{t: t, p: p, loginID: done.LoginId, saved: done.SavedState, dir: t.TempDir()}
	s.evs = p.Events()
	s.connect(done.SavedState)
	s.next(func(ev *pb.Event) bool { return len(ev.GetMessage().GetAttachments()) == 1 })

	if _, err := os.Stat(filepath.Join(atts, "old.jpg")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the file of 8 days ago: %v, want removed", err)
	}
	s.cmds = p.Commands()
	for _, name := range []string{"recent.jpg", "new.jpg"} {
		if got := download(t, s, bob, name); got != name {
			t.Errorf("%s read as %q, want it kept", name, got)
		}
	}
}
