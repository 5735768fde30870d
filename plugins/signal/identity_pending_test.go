package signal_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A contact's move learnt and saved, but not announced before the plugin
// was killed (identities.json holds it as pending), is announced at the
// next connection, and forgotten once the host has it.
func TestIdentityMovePendingAnnounced(t *testing.T) {
	d, _ := startFake(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "identities.json")
	saved := `{"numbers":{"` + daveACI + `":"` + daveNum + `"},"bare":{},"pending":[{"old":"` + daveACI + `","new":"` + daveNum + `","name":"Dave"}]}`
	if err := os.WriteFile(path, []byte(saved), 0o600); err != nil {
		t.Fatal(err)
	}
	p := plugintest.Start(t, pluginBinary(t), "", socketConfig(d))
	done := p.Login("existing", map[string]string{"account": alice})
	s := &session{t: t, d: d, p: p, loginID: done.LoginId, saved: done.SavedState, dir: dir}
	s.evs = p.Events()
	s.connect(done.SavedState)
	ev := s.next(func(ev *pb.Event) bool { return ev.GetIdentity() != nil })
	if id := ev.GetIdentity(); id.OldUserId != daveACI || id.Contact.GetUserId() != daveNum || id.Contact.GetName() != "Dave" {
		t.Fatalf("the pending move: %v", ev)
	}
	// Forgotten once the host has it (written just after).
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && !strings.Contains(string(b), `"pending"`) && strings.Contains(string(b), daveNum) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("identities.json after the announce: %s (%v); want no move pending, the number kept", b, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
