package bridge

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestSavedStateWaitsOutFullDisk: a saved state delivered while the disk
// is full is stored once it has room again. Before, its store write
// failed, the delivery was taken as done and the event left the outbox:
// the plugin's newest state was lost, and its next Connect had an older
// one (a token it had replaced since, say).
func TestSavedStateWaitsOutFullDisk(t *testing.T) {
	dir, db, l := smallDiskLogin(t, "old")
	ctx := context.Background()
	tr, _ := configuredTransport(t, dir, db, "/bin/true") // the plugin is never run
	tr.setLogin(l)
	ev := &pb.Event{Seq: 1, LoginId: "alice", Payload: &pb.Event_SavedState{SavedState: &pb.SavedStateEvent{SavedState: []byte("new")}}}
	payload, err := encodeOutbox("", ev)
	must(t, err)
	_, keys, err := db.CommitEvents(ctx, "echo", []store.InboundEvent{{Seq: 1, LoginID: "alice", Payload: payload}})
	must(t, err)

	filler := fillDisk(t, dir)
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		tr.deliverNow(ctx, delivery{key: keys[0], ev: ev})
	}()
	// Once its write failed on the full disk, or it was taken as done.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		tr.storeFails.mu.Lock()
		failed := len(tr.storeFails.kinds) > 0
		tr.storeFails.mu.Unlock()
		if failed || len(tr.doneKeys) > 0 || time.Now().After(deadline) {
			break
		}
	}
	must(t, os.Remove(filler))
	select {
	case <-delivered:
	case <-time.After(30 * time.Second):
		t.Fatal("the saved state's delivery still waits 30 s after the disk has room")
	}
	if got, err := db.GetLogin("echo", "alice@localhost"); err != nil || string(got.SavedState) != "new" {
		t.Errorf("stored saved state %q (%v), want the one delivered while the disk was full", got.SavedState, err)
	}
	if got := tr.session("alice@localhost").Login().SavedState; string(got) != "new" {
		t.Errorf("the session's saved state, for the next Connect, is %q, want the one delivered", got)
	}
}

// TestSavedStateOfReplacedLogin: a saved state of the login another
// account replaced (the user logged in with it), delivered after the
// swap, is not stored as the new login's: before, the store wrote it by
// the user's JID, and the next Connect handed the new login the old
// account's state.
func TestSavedStateOfReplacedLogin(t *testing.T) {
	tr, old := aliceOnEcho(t)
	ctx := context.Background()
	must(t, tr.db.PutLogin(ctx, old.Login()))
	renewed := store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "other", SavedState: []byte("other's")}
	must(t, tr.db.PutLogin(ctx, renewed))
	tr.setLogin(renewed)
	old.keepState(ctx, []byte("old account's")) // its delivery looked the session up before the swap
	if got, err := tr.db.GetLogin("echo", "alice@localhost"); err != nil || string(got.SavedState) != "other's" {
		t.Errorf("the new login's stored state is %q (%v), want its own", got.SavedState, err)
	}
}

// TestSavedStateWaitHoldsNotTheLogin: while a saved state waits out a
// full disk, the login's state and its contacts' presences still come:
// a login's saved states have a lane of their own. Before, they shared
// the login's lane: its CONNECTED waited behind the saved state for as
// long as the disk was full (the user's messages to a fresh login were
// refused, "still connecting", and the transport's presence stayed
// stale). Other logins and the chats' messages have lanes of their own.
func TestSavedStateWaitHoldsNotTheLogin(t *testing.T) {
	dir, db, l := smallDiskLogin(t, "old")
	tr, _ := configuredTransport(t, dir, db, "/bin/true") // the plugin is never run
	s := tr.setLogin(l)
	filler := fillDisk(t, dir)
	tr.push(delivery{key: 1, ev: &pb.Event{Seq: 1, LoginId: "alice", Payload: &pb.Event_SavedState{SavedState: &pb.SavedStateEvent{SavedState: []byte("new")}}}})
	awaitStoreFailure(t, tr, "the saved state's store write")
	s.mu.Lock()
	wake := s.stateWake
	s.mu.Unlock()
	tr.push(delivery{ev: &pb.Event{Seq: 2, LoginId: "alice", Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED}}}})
	select {
	case <-wake:
	case <-time.After(10 * time.Second):
		t.Fatal("the login's CONNECTED still waits 10 s behind a saved state waiting for the full disk")
	}
	must(t, os.Remove(filler))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if got, err := db.GetLogin("echo", "alice@localhost"); err == nil && string(got.SavedState) == "new" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the saved state was not stored 30 s after the disk had room")
		}
	}
}

// awaitStoreFailure waits until tr counted a failed store write, what's
// on the full disk.
func awaitStoreFailure(t *testing.T, tr *transport, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		tr.storeFails.mu.Lock()
		failed := len(tr.storeFails.kinds) > 0
		tr.storeFails.mu.Unlock()
		if failed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(what + " did not fail on the full disk: nothing tested")
		}
	}
}

// smallDiskLogin mounts a small filesystem (root only; else the test is
// skipped) at a new folder dir, with a store db in it holding alice's
// login l on echo, whose saved state is state.
func smallDiskLogin(t *testing.T, state string) (dir string, db *store.DB, l store.Login) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small filesystem needs root")
	}
	dir = t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	db, err := store.Open(filepath.Join(dir, "passerelle.db"))
	must(t, err)
	t.Cleanup(func() { db.Close() })
	l = store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "alice", SavedState: []byte(state)}
	must(t, db.PutLogin(context.Background(), l))
	return dir, db, l
}
