package store

import (
	"path/filepath"
	"testing"
)

// TestRefXMPPIDsLastWriteWins: two entries of one chat naming the same
// XMPP ids under different remote IDs (the network's echo of the user's
// send, then the send's own entry written again after it, as the bridge
// maps an echo) leave the ids naming the one written last, in the log
// and in bbolt after a checkpoint, whichever remote ID sorts first. The
// checkpoint wrote a chat's entries in remote ID order, so the ids named
// the echo ("r2-echo" sorts after "r2") once it ran.
func TestRefXMPPIDsLastWriteWins(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "a.db"), hotOnly)
	send := MessageRef{Transport: "echo", LoginID: "l", ChatID: "c", RemoteID: "r2", OriginID: "o2", ID: "i2", FromMe: true}
	echo := send
	echo.RemoteID = "r2-echo"
	must(t, db.PutMessages(bg, []MessageRef{send}))
	must(t, db.PutMessages(bg, []MessageRef{echo, send}))
	check := func(when string) {
		t.Helper()
		for _, id := range []string{"o2", "i2"} {
			if ref, err := db.LookupXMPP("echo", "l", "c", id); err != nil || ref.RemoteID != "r2" {
				t.Errorf("%s: %s names %q (%v), want r2, written last", when, id, ref.RemoteID, err)
			}
		}
		if ref, err := db.LookupRemote("echo", "l", "c", "r2-echo"); err != nil || ref.ID != "i2" {
			t.Errorf("%s: the echo's entry %+v %v", when, ref, err)
		}
	}
	check("logged")
	must(t, db.Flush(bg))
	check("in bbolt")
}
