package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestLeftGroupsBounded: a login keeps at most MaxLeftGroups groups
// left, the oldest going first; a group's record goes alone, all with
// the login.
func TestLeftGroupsBounded(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	if err := db.PutLogin(ctx, Login{Transport: "wa", UserJID: "a@x", LoginID: "L"}); err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1_800_000_000, 0)
	for i := range MaxLeftGroups + 2 {
		l := LeftGroup{Cond: "registration-required", Text: fmt.Sprintf("left %d", i), At: at.Add(time.Duration(i) * time.Second)}
		if err := db.PutLeftGroup(ctx, "wa", "L", fmt.Sprintf("g%04d", i), l); err != nil {
			t.Fatal(err)
		}
	}
	m, err := db.LeftGroups("wa", "L")
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != MaxLeftGroups {
		t.Fatalf("%d records, want %d", len(m), MaxLeftGroups)
	}
	for _, gone := range []string{"g0000", "g0001"} {
		if _, ok := m[gone]; ok {
			t.Errorf("%s, among the oldest, kept past the bound", gone)
		}
	}
	newest := fmt.Sprintf("g%04d", MaxLeftGroups+1)
	if l := m[newest]; l.Cond != "registration-required" || l.Text != fmt.Sprintf("left %d", MaxLeftGroups+1) || !l.At.Equal(at.Add(time.Duration(MaxLeftGroups+1)*time.Second)) {
		t.Errorf("newest record %+v", l)
	}
	// Noted again: a new reason, no other record dropped.
	if err := db.PutLeftGroup(ctx, "wa", "L", newest, LeftGroup{Cond: "forbidden", Text: "banned", At: at}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteLeftGroup(ctx, "wa", "L", "g0002"); err != nil {
		t.Fatal(err)
	}
	m, _ = db.LeftGroups("wa", "L")
	if _, ok := m["g0002"]; ok || len(m) != MaxLeftGroups-1 || m[newest].Cond != "forbidden" {
		t.Fatalf("after a note again and a delete: %d records, g0002 kept %v, newest %+v", len(m), ok, m[newest])
	}
	if err := db.PutLeftGroup(ctx, "wa", "L", "", LeftGroup{}); err == nil {
		t.Error("an empty chat ID was stored")
	}
	if err := db.DeleteLogin(ctx, "wa", "a@x"); err != nil {
		t.Fatal(err)
	}
	if m, _ := db.LeftGroups("wa", "L"); len(m) != 0 {
		t.Fatalf("%d records after the login was deleted", len(m))
	}
}
