package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestPrivateChatsBounded: a login keeps at most MaxPrivateChats private
// chats through rooms, the oldest going first; a member's record goes
// alone, a room's records with the room, all with the login.
func TestPrivateChatsBounded(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	if err := db.PutLogin(ctx, Login{Transport: "wa", UserJID: "a@x", LoginID: "L"}); err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1_800_000_000, 0)
	for i := range MaxPrivateChats + 2 {
		room := "room-a"
		if i%2 == 1 {
			room = "room-b"
		}
		if err := db.PutPrivateChat(ctx, "wa", "L", fmt.Sprintf("u%04d", i), room, at.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	m, err := db.PrivateChats("wa", "L")
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != MaxPrivateChats {
		t.Fatalf("%d records, want %d", len(m), MaxPrivateChats)
	}
	if _, ok := m["u0000"]; ok {
		t.Error("the oldest record kept past the bound")
	}
	if _, ok := m["u0001"]; ok {
		t.Error("the second oldest record kept past the bound")
	}
	if pc := m[fmt.Sprintf("u%04d", MaxPrivateChats+1)]; pc.RoomID != "room-b" || !pc.At.Equal(at.Add(time.Duration(MaxPrivateChats+1)*time.Second)) {
		t.Errorf("newest record %+v", pc)
	}
	if err := db.DeletePrivateChat(ctx, "wa", "L", "u0002"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeletePrivateChatsIn(ctx, "wa", "L", "room-b"); err != nil {
		t.Fatal(err)
	}
	m, _ = db.PrivateChats("wa", "L")
	for k, v := range m {
		if v.RoomID != "room-a" || k == "u0002" {
			t.Fatalf("left %s -> %+v", k, v)
		}
	}
	if err := db.DeleteLogin(ctx, "wa", "a@x"); err != nil {
		t.Fatal(err)
	}
	if m, _ := db.PrivateChats("wa", "L"); len(m) != 0 {
		t.Errorf("%d records after the login went", len(m))
	}
	if err := db.PutPrivateChat(ctx, "wa", "L", "", "room-a", at); err == nil {
		t.Error("an empty member ID taken")
	}
}
