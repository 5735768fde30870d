package store

import (
	"testing"
	"time"
)

// TestAskedKeptOldReadsUnknown: what the user's client asked of the
// contact survives in the entry, and an entry written before it was kept
// (its encoding ends before the part) reads as not known.
func TestAskedKeptOldReadsUnknown(t *testing.T) {
	base := MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "m1", ID: "x1", FromMe: true, Time: time.Unix(1700000000, 0).UTC()}
	for _, r := range []MessageRef{
		{AskedKnown: true},
		{AskedKnown: true, AskedReceipt: true},
		{AskedKnown: true, AskedMarkers: true},
		{AskedKnown: true, AskedReceipt: true, AskedMarkers: true, Partly: true},
	} {
		want := base
		want.AskedKnown, want.AskedReceipt, want.AskedMarkers, want.Partly = r.AskedKnown, r.AskedReceipt, r.AskedMarkers, r.Partly
		rec, err := prepRef(want, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeRef(want.Transport, want.LoginID, want.ChatID, want.RemoteID, rec.val)
		if err != nil {
			t.Fatal(err)
		}
		if got.AskedKnown != want.AskedKnown || got.AskedReceipt != want.AskedReceipt || got.AskedMarkers != want.AskedMarkers || got.Partly != want.Partly {
			t.Errorf("stored %+v, read %+v", want, got)
		}
	}
	// Written as before: the IDs, sender and time, and no tail.
	e := newEnc(0)
	e.str("")
	e.str("")
	e.str("x1")
	e.bool(true)
	e.time(base.Time)
	got, err := decodeRef("wa", "l", "c", "m1", e.b)
	if err != nil {
		t.Fatal(err)
	}
	if got.AskedKnown || got.AskedReceipt || got.AskedMarkers {
		t.Errorf("an old entry reads %+v, want the asks unknown", got)
	}
}
