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
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob", Username: "bob", Contact: true}}, nil)
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

// A new name of the account itself, or of someone met in a group only,
// is no contact's: a contact event would put them in the roster. Once
// the contact list was given, those it listed (a private chat's too)
// are described again, and no one else.
func TestUserNameNotAContact(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{
		&tg.User{ID: 1001, AccessHash: 1, FirstName: "Alice", Self: true},
		&tg.User{ID: 1003, AccessHash: 3, FirstName: "Carol"},
		&tg.User{ID: 1004, AccessHash: 4, FirstName: "Dan"},
	}, nil)
	ctx := context.Background()
	if evs := s.convert(ctx, &tg.UpdateUserName{UserID: 1001, FirstName: "Alicia"}); len(evs) != 0 {
		t.Errorf("the account's own new name: events %v, want none", evs)
	}
	if u, _ := s.peers.user(1001); u.FirstName != "Alicia" {
		t.Errorf("cached %v: want the new name kept", u)
	}
	if evs := s.convert(ctx, &tg.UpdateUserName{UserID: 1003, FirstName: "Caroline"}); len(evs) != 0 {
		t.Errorf("a group member's new name: events %v, want none", evs)
	}
	s.listing.set(map[int64]listedAs{1004: {chat: true}})
	if evs := s.convert(ctx, &tg.UpdateUserName{UserID: 1004, FirstName: "Daniel"}); len(evs) != 1 || evs[0].GetContact().GetContact().GetName() != "Daniel" {
		t.Errorf("a private chat's new name: events %v, want Daniel described", evs)
	}
	if evs := s.convert(ctx, &tg.UpdateUserName{UserID: 1003, FirstName: "Caro"}); len(evs) != 0 {
		t.Errorf("a group member's new name once listed: events %v, want none", evs)
	}
}
