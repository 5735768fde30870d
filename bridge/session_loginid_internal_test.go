package bridge

import (
	"sync"
	"testing"

	"passerelle.im/passerelle/store"
)

// TestLoginIDReadWhileRecordPut: a record of the same login put in place
// (a login completed again after LOGGED_OUT) rewrites the session's
// record while its avatar fetches read the login's ID. Under -race this
// failed before the ID was kept apart from the record (seen in the
// bridge package's run: TestLoginAfterLoggedOut, putLogin against
// saveAvatar's LoginID).
func TestLoginIDReadWhileRecordPut(t *testing.T) {
	tr := newTestTransport(t)
	s := tr.sessions["l@localhost"]
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 100 {
			if got := s.LoginID(); got != "l" {
				t.Errorf("LoginID = %q, want l", got)
				return
			}
		}
	})
	for range 100 {
		if got := tr.putLogin(store.Login{Transport: "echo", UserJID: "l@localhost", LoginID: "l", DisplayName: "again"}, true); got != s {
			t.Fatal("a record of the same login made a new session")
		}
	}
	wg.Wait()
}
