package store

import (
	"reflect"
	"testing"
	"time"
)

// fullRef is a MessageRef with every field set (a new field is set by
// reflection, so a test below fails until each encoding keeps it).
func fullRef(t *testing.T) MessageRef {
	t.Helper()
	r := MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "m1", Time: time.Unix(1700000000, 123000).UTC()}
	v := reflect.ValueOf(&r).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.IsZero() {
			continue
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(v.Type().Field(i).Name + "-x")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int:
			f.SetInt(3)
		case reflect.Slice:
			f.SetBytes([]byte{0, 1, 2})
		default:
			t.Fatalf("MessageRef.%s: a field of a kind this test does not fill; teach it", v.Type().Field(i).Name)
		}
	}
	return r
}

// TestRefEncodingsKeepEveryField: a message map entry keeps every field
// of MessageRef both in bbolt and in the write-ahead log a crash
// replays. The log kept no files count (a retraction after a crash left
// the photo shown) until a test of every field.
func TestRefEncodingsKeepEveryField(t *testing.T) {
	want := fullRef(t)

	var e enc
	(&hotRec{kind: recRef, ref: want}).encode(&e)
	got, err := decodeHotRec(e.b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.ref, want) {
		t.Errorf("through the log:\n got %+v\nwant %+v", got.ref, want)
	}

	rec, err := prepRef(want, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeRef(want.Transport, want.LoginID, want.ChatID, want.RemoteID, rec.val)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, want) {
		t.Errorf("through the message map:\n got %+v\nwant %+v", back, want)
	}
	for _, id := range []string{want.OriginID, want.StanzaID, want.ID, want.Caption} {
		if !containsKey(rec.xkeys, comp(want.ChatID, id)) {
			t.Errorf("XMPP id %q not indexed", id)
		}
	}
}
