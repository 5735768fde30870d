package bridge

import "testing"

// TestOccupantKnownWithoutPhoto: a member whose avatar the session knows
// to be none (a fetch found it removed) is an occupant with no photo,
// said (an empty XEP-0153 <photo/>), so that a presence sent again after
// the removal makes clients drop the old picture; a member whose avatar
// is not known says nothing of it.
func TestOccupantKnownWithoutPhoto(t *testing.T) {
	_, s, r := roomFixture(t)
	s.setAvatarHash("echo-1", "")
	r.mu.Lock()
	one, two := r.occupantLocked(s, "echo-1"), r.occupantLocked(s, "echo-2")
	r.mu.Unlock()
	if !one.NoPhoto || one.Photo != "" {
		t.Errorf("a member known to have no picture: %+v", one)
	}
	if two.NoPhoto {
		t.Errorf("a member whose picture is not known said to have none: %+v", two)
	}
}
