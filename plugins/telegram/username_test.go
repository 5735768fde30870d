package telegram

import (
	"context"
	"testing"

	"github.com/gotd/td/tg"
)

// A contact who changes their username (or whom the user renames on the
// phone) is described again with the new name and username: the username
// stayed the old one.
func TestUserNameUpdate(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob", Username: "bob"}}, nil)
	evs := s.convert(context.Background(), &tg.UpdateUserName{UserID: 1002, FirstName: "Robert", LastName: "B",
		Usernames: []tg.Username{{Username: "bob", Editable: false, Active: false}, {Username: "bobby", Editable: true, Active: true}}})
	if len(evs) != 1 || evs[0].GetContact().GetContact().GetName() != "Robert B" || evs[0].GetContact().GetContact().GetUsername() != "bobby" {
		t.Fatalf("events %v: want Bob described as Robert B, @bobby", evs)
	}
	if u, _ := s.peers.user(1002); u.Username != "bobby" || u.AccessHash != 2 {
		t.Errorf("cached %v: want @bobby, the access hash kept", u)
	}
	// A username removed: none.
	evs = s.convert(context.Background(), &tg.UpdateUserName{UserID: 1002, FirstName: "Robert"})
	if len(evs) != 1 || evs[0].GetContact().GetContact().GetUsername() != "" {
		t.Errorf("events %v: want no username", evs)
	}
}
