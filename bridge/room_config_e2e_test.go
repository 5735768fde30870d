package bridge_test

import (
	"strings"
	"testing"
)

// TestRoomConfigBadForm: a configuration form the room cannot take as
// it stands is refused with bad-request saying why, and the group keeps
// its name: a form of another FORM_TYPE, a name of two values (a
// text-single field has one), a name of two lines, a name field given
// twice, a form of another type than submit (one with no type is
// taken). Before, each was answered with success: the first two renamed
// the group (to the other form's name, to the first of the two), the
// third to a name of two lines, the fourth to the second name.
func TestRoomConfigBadForm(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	field := func(v string, values ...string) string {
		f := `<field var='` + v + `'>`
		for _, x := range values {
			f += `<value>` + x + `</value>`
		}
		return f + `</field>`
	}
	formType := field("FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig")
	for _, c := range []struct{ form, text string }{
		{`<x xmlns='jabber:x:data' type='submit'>` + field("FORM_TYPE", "urn:example:other") + field("muc#roomconfig_roomname", "Other") + `</x>`, "FORM_TYPE"},
		{`<x xmlns='jabber:x:data' type='submit'>` + formType + field("muc#roomconfig_roomname", "One", "Two") + `</x>`, "one value"},
		{`<x xmlns='jabber:x:data' type='submit'>` + formType + field("muc#roomconfig_roomname", "Line one\nLine two") + `</x>`, "one line"},
		{`<x xmlns='jabber:x:data' type='submit'>` + formType + field("muc#roomconfig_roomname", "First") + field("muc#roomconfig_roomname", "Second") + `</x>`, "twice"},
		{`<x xmlns='jabber:x:data' type='form'>` + formType + field("muc#roomconfig_roomname", "Form") + `</x>`, "the room configuration must be submitted as a form of type 'submit', not 'form'"},
	} {
		st, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#owner'>`+c.form+`</query></iq>`)
		if err != nil || st.Err == nil || st.Err.Condition != "bad-request" || !strings.Contains(st.Err.Text, c.text) {
			t.Errorf("%s: want bad-request saying %q, got %v %s", c.form, c.text, err, st.XML)
		}
	}
	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || !strings.Contains(info.XML, `name="Echo room"`) {
		t.Fatalf("after the refused forms the room is no longer \"Echo room\": %v %s", err, info.XML)
	}
	// The form as clients fill it still renames the group.
	st, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>`+
		formType+field("muc#roomconfig_roomname", "Bridges")+`</x></query></iq>`)
	if err != nil || st.Type != "result" {
		t.Fatalf("rename: %v %s", err, st.XML)
	}
	// So does one with no type: XEP-0004 wants type='submit', but some
	// clients leave it out, and the archive's query form is taken
	// without it too (mam.go).
	st, err = alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data'>`+
		formType+field("muc#roomconfig_roomname", "Untyped")+`</x></query></iq>`)
	if err != nil || st.Type != "result" {
		t.Fatalf("rename by a form with no type: %v %s", err, st.XML)
	}
}
