package whatsapp

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// The plugin's state files in the login's folder, each damaged before a
// start (invites.json with an earlier damaged copy set aside already):
// each is logged once with its path and set aside under a name not taken
// (invites.json.damaged.2 beside the earlier invites.json.damaged, which
// stays as it was), its damaged bytes kept, while the plugin goes on and
// writes the file anew as things happen (an invitation, a timer, a pin,
// a call, a message, a contact by LID, a security code change). A restart logs nothing more.
// Before, each was read as empty without a word and overwritten at the
// next change.
func TestDamagedStateSetAside(t *testing.T) {
	r := newRig(t, "")
	var log syncBuffer
	r.n.log = slog.New(slog.NewTextHandler(&log, nil))
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}

	files := []string{invitesFile, timersFile, pinsFile, callsFile, oldestFile, exposedName, identityChangesFile}
	damaged := map[string][]byte{}
	for i, name := range files {
		damaged[name] = []byte(`{"torn` + strings.Repeat("x", i))
		if err := os.WriteFile(filepath.Join(dir, name), damaged[name], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	earlier := []byte("set aside at an earlier start")
	if err := os.WriteFile(filepath.Join(dir, invitesFile+".damaged"), earlier, 0o600); err != nil {
		t.Fatal(err)
	}

	s, fake := r.load(t, info)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	from := r.host.count()
	g := linkGroup("120363000000000901", "Climbing", false)
	fake.AddInvitation(g, alice, "DaMaGe1", now.Add(72*time.Hour))
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "DM1", Timestamp: now, PushName: "Alice"},
		inviteMsg(g, "DaMaGe1", now.Add(72*time.Hour)))
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetInvited() != nil })
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "DM2", Timestamp: now, PushName: "Alice"},
		timerMessage(86400, now))
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "DM2" })
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "DM3", Timestamp: now, PushName: "Alice"},
		&waE2E.Message{PinInChatMessage: &waE2E.PinInChatMessage{Key: key(alice, "DM1", false), Type: waE2E.PinInChatMessage_PIN_FOR_ALL.Enum(),
			SenderTimestampMS: proto.Int64(now.UnixMilli())}})
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "DM3" })
	fake.Call(ctx, wafake.Call{Tag: "offer", ID: "DMCALL", From: alice.String(), At: now.Unix()})
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == callEventID("DMCALL") })
	stranger := types.NewJID("987654321", types.HiddenUserServer)
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: stranger, Sender: stranger}, ID: "DM4", Timestamp: now, PushName: "Zoe"},
		&waE2E.Message{Conversation: proto.String("hi")})
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "DM4" })
	fake.IdentityChanged(ctx, bob, now)
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == identityEventID("+33622222222", now) })

	// Each file is written anew (a handler may write it just after its
	// event: waited for), the damaged one set aside as it was.
	for _, name := range files {
		path := filepath.Join(dir, name)
		aside := path + ".damaged"
		if name == invitesFile {
			aside += ".2"
		}
		if got, err := os.ReadFile(aside); err != nil || string(got) != string(damaged[name]) {
			t.Errorf("%s set aside as %s: %q, %v; want %q", name, aside, got, err, damaged[name])
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			b, err := os.ReadFile(path)
			if err == nil && json.Valid(b) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s not written anew: %q, %v", name, b, err)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if n := strings.Count(log.String(), "file="+path+" "); n != 1 {
			t.Errorf("%s named in %d log lines, want 1:\n%s", name, n, log.String())
		}
	}
	if got, err := os.ReadFile(filepath.Join(dir, invitesFile+".damaged")); err != nil || string(got) != string(earlier) {
		t.Errorf("the copy set aside earlier: %q, %v", got, err)
	}
	s.Disconnect(ctx)

	// The plugin anew on the same folder: what was written since is read,
	// nothing damaged is said again.
	r2 := newRig(t, "")
	var log2 syncBuffer
	r2.n.log = slog.New(slog.NewTextHandler(&log2, nil))
	s2, _ := r2.load(t, info)
	if got, ok := s2.timers.lookup("+33611111111"); !ok || got.Secs != 86400 {
		t.Errorf("the timer after a restart: %+v, %v", got, ok)
	}
	if _, ok := s2.invites.get(g.JID.String()); !ok {
		t.Error("the invitation received is not kept over a restart")
	}
	if strings.Contains(log2.String(), "damaged") {
		t.Errorf("a restart says damaged again:\n%s", log2.String())
	}
}

// A damaged history sync notice and a damaged history spool file, left
// in the login's history folder: each is logged with its path and set
// aside (*.damaged, which neither is read as again), the plugin going
// on. Before, the notice was deleted, and the spool file too once its
// readable part was sent: nothing left to look at. The user is told of
// both (it was only logged), in one notice or in two: the sync of the
// notice is lost, and the spool file's unreadable part.
func TestDamagedHistoryFilesSetAside(t *testing.T) {
	dir := t.TempDir()
	done := newRig(t, "").loginQR(t, dir)
	// The plugin anew on that folder: it connects, and reads what the
	// history folder holds.
	r := newRig(t, "")
	var log syncBuffer
	r.n.log = slog.New(slog.NewTextHandler(&log, nil))
	hist := filepath.Join(dir, historyDirName)
	if err := os.MkdirAll(hist, 0o700); err != nil {
		t.Fatal(err)
	}
	// A length-delimited field, and a batch, longer than what follows.
	torn := map[string][]byte{"0001-TORN" + noticeSuffix: {0x0a, 0x05, 'a'}, "0001.hist": {0x05, 'a'}}
	for name, b := range torn {
		if err := os.WriteFile(filepath.Join(hist, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r.load(t, sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir})
	for name, b := range torn {
		path := filepath.Join(hist, name)
		deadline := time.Now().Add(eventWait)
		for {
			got, err := os.ReadFile(path + ".damaged")
			if err == nil && string(got) == string(b) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s not set aside: %q, %v", name, got, err)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s still read as one: %v", name, err)
		}
		// The log line comes after the file is set aside.
		for deadline := time.Now().Add(eventWait); !strings.Contains(log.String(), "file="+path+" "); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Errorf("%s not named in the log:\n%s", name, log.String())
				break
			}
		}
	}
	// Told: each alone, or both in one notice (the spool is pushed and
	// the notices pulled side by side; historylost.go).
	for deadline := time.Now().Add(eventWait); ; time.Sleep(10 * time.Millisecond) {
		_, err := os.Stat(filepath.Join(dir, lostFile))
		if os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lost parts not told: %v", err)
		}
	}
	told := noticesByID(r.host.since(0), "history-")
	_, lost := told["history-lost-TORN"] // the notice's ID, after the time
	_, damaged := told["history-damaged-0001.hist"]
	both := false
	for _, text := range told {
		both = both || strings.Contains(text, "1 part of your WhatsApp history could not be downloaded") &&
			strings.Contains(text, "1 part that the gateway kept was damaged on disk")
	}
	if !(lost && damaged) && !both {
		t.Errorf("notices %v: want the lost notice and the damaged spool file told", told)
	}
}
