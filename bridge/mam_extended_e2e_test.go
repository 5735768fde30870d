package bridge_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/store"
)

// TestRoomArchiveMAMExtended: a room's archive offers XEP-0313's
// urn:xmpp:mam:2#extended to a real client over a real Prosody: the
// feature in the room's disco#info, before-id, after-id and ids in the
// form; the range between two known messages paged forwards, before-id
// without paging backwards, the last page after a known message, the
// messages of a list of ids in archive order (filtered by `with` too),
// a flipped page newest first; an id the archive lacks is
// item-not-found, a malformed field bad-request, an unknown field
// feature-not-implemented.
func TestRoomArchiveMAMExtended(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	if r := register(t, alice, "alice-echo"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	s.stop()
	db, err := store.Open(filepath.Join(s.dir, "data", "passerelle.db"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	base := time.Now().Add(-time.Hour).Truncate(time.Second).UTC()
	ids := seedArchive(t, db, "alice@localhost", "echo-room", n, base)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s.start()
	s.waitGateway(alice)
	ctx := ctxT(t)

	// The room's disco#info says #extended (once the login listed it).
	deadline := time.Now().Add(timeout)
	for {
		info, err := alice.IQ(ctx, `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		if err == nil && info.Type == "result" {
			if !strings.Contains(info.XML, `var="urn:xmpp:mam:2"`) || !strings.Contains(info.XML, `var="urn:xmpp:mam:2#extended"`) {
				t.Errorf("room disco#info lacks the MAM features: %s", info.XML)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("room disco#info: %v %s", err, info.XML)
		}
		time.Sleep(50 * time.Millisecond)
	}
	form, err := alice.IQ(ctx, `<iq type='get' to='`+room+`'><query xmlns='urn:xmpp:mam:2'/></iq>`)
	if err != nil || form.Type != "result" {
		t.Fatalf("form: %v %s", err, form.XML)
	}
	// Prosody writes attributes in any order: the form is read, not
	// matched as text.
	var fx struct {
		Fields []struct {
			Var  string    `xml:"var,attr"`
			Type string    `xml:"type,attr"`
			Open *struct{} `xml:"validate>open"`
		} `xml:"query>x>field"`
	}
	if err := form.Unmarshal(&fx); err != nil {
		t.Fatalf("form %s: %v", form.XML, err)
	}
	fields := map[string]string{}
	for _, f := range fx.Fields {
		fields[f.Var] = f.Type
		if f.Var == "ids" && f.Open == nil {
			t.Errorf("ids is not an open list: %s", form.XML)
		}
	}
	for v, typ := range map[string]string{"with": "jid-single", "start": "text-single", "end": "text-single",
		"before-id": "text-single", "after-id": "text-single", "ids": "list-multi"} {
		if fields[v] != typ {
			t.Errorf("form field %s is %q, want %s: %s", v, fields[v], typ, form.XML)
		}
	}

	// got checks a page's messages are the seeded ones of these indexes,
	// in this order.
	got := func(what string, p mamPage, want ...int) {
		t.Helper()
		if p.iq.Type != "result" {
			t.Fatalf("%s: %s", what, p.iq.XML)
		}
		var have []string
		for _, m := range p.msgs {
			have = append(have, m.Result.ID)
		}
		var exp []string
		for _, i := range want {
			exp = append(exp, ids[i])
		}
		if fmt.Sprint(have) != fmt.Sprint(exp) {
			t.Fatalf("%s: got %v, want %v (%v)", what, have, exp, want)
		}
		for k, m := range p.msgs {
			if body := fmt.Sprintf("seed %d", want[k]); m.Result.Forwarded.Message.Body != body {
				t.Fatalf("%s: message %s has body %q, want %q", what, m.Result.ID, m.Result.Forwarded.Message.Body, body)
			}
		}
	}
	end := base.Add(n * 10 * time.Second).Format(time.RFC3339)

	// Between two known messages, paged forwards with RSM.
	p := queryMAM(t, alice, room, mamForm("after-id", ids[4], "before-id", ids[10])+rsmSet(`<max>3</max>`))
	got("between, page 1", p, 5, 6, 7)
	if p.fin.Fin.Complete == "true" || p.fin.Fin.Set.First != ids[5] || p.fin.Fin.Set.Last != ids[7] {
		t.Errorf("between, page 1: fin %s", p.iq.XML)
	}
	p = queryMAM(t, alice, room, mamForm("after-id", ids[4], "before-id", ids[10])+rsmSet(`<max>3</max><after>`+ids[7]+`</after>`))
	got("between, page 2", p, 8, 9)
	if p.fin.Fin.Complete != "true" {
		t.Errorf("between, page 2 is the last: %s", p.iq.XML)
	}
	// before-id does not page backwards: the oldest messages before it.
	p = queryMAM(t, alice, room, mamForm("before-id", ids[10])+rsmSet(`<max>3</max>`))
	got("before-id", p, 0, 1, 2)
	// The newest page after a known message (RSM <before/>), and the
	// count of the range.
	p = queryMAM(t, alice, room, mamForm("after-id", ids[4], "end", end)+rsmSet(`<max>3</max><before/>`))
	got("last page after after-id", p, 17, 18, 19)
	p = queryMAM(t, alice, room, mamForm("after-id", ids[4], "before-id", ids[10])+rsmSet(`<max>0</max>`))
	if len(p.msgs) != 0 || p.fin.Fin.Set.Count == nil || *p.fin.Fin.Set.Count != 5 {
		t.Errorf("count between: %d messages, %s", len(p.msgs), p.iq.XML)
	}
	// A range the two bounds leave empty.
	p = queryMAM(t, alice, room, mamForm("after-id", ids[10], "before-id", ids[4]))
	got("crossed bounds", p)
	if p.fin.Fin.Complete != "true" {
		t.Errorf("crossed bounds: %s", p.iq.XML)
	}

	// ids: each message once, in archive order; `with` still filters.
	p = queryMAM(t, alice, room, `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>`+
		`<field var='ids'><value>`+ids[13]+`</value><value>`+ids[2]+`</value><value>`+ids[13]+`</value></field></x>`)
	got("ids", p, 2, 13)
	if p.fin.Fin.Complete != "true" || p.fin.Fin.Set.First != ids[2] || p.fin.Fin.Set.Last != ids[13] {
		t.Errorf("ids: fin %s", p.iq.XML)
	}
	idsField := `<field var='ids'>`
	for i := range 6 {
		idsField += `<value>` + ids[i] + `</value>`
	}
	p = queryMAM(t, alice, room, `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>`+
		idsField+`</field><field var='with'><value>echo-1@`+domain+`</value></field></x>`)
	got("ids with", p, 1, 4)
	// The last page (an empty RSM <before/>, which clients add to every
	// query): the newest of the ids <max/> keeps; all of them without.
	idsForm := `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>` + idsField + `</field></x>`
	p = queryMAM(t, alice, room, idsForm+rsmSet(`<max>2</max><before/>`))
	got("ids, last page", p, 4, 5)
	if p.fin.Fin.Complete == "true" || p.fin.Fin.Set.First != ids[4] || p.fin.Fin.Set.Last != ids[5] {
		t.Errorf("ids, last page: fin %s", p.iq.XML)
	}
	p = queryMAM(t, alice, room, idsForm+rsmSet(`<before/>`))
	got("ids, last page without max", p, 0, 1, 2, 3, 4, 5)

	// A flipped page: the same page, newest first; first and last keep
	// naming its oldest and newest.
	p = queryMAM(t, alice, room, mamForm("end", end)+rsmSet(`<max>4</max><before/>`)+`<flip-page/>`)
	got("flipped last page", p, 19, 18, 17, 16)
	if p.fin.Fin.Set.First != ids[16] || p.fin.Fin.Set.Last != ids[19] || p.fin.Fin.Complete == "true" {
		t.Errorf("flipped last page: fin %s", p.iq.XML)
	}
	p = queryMAM(t, alice, room, mamForm("after-id", ids[4], "before-id", ids[8])+`<flip-page/>`)
	got("flipped range", p, 7, 6, 5)

	// Errors: nothing sent, the condition XEP-0313 names.
	for _, c := range []struct {
		inner, cond, text string
	}{
		{mamForm("after-id", "deadbeef-1"), "item-not-found", "no message of this id"},
		{mamForm("after-id", ids[1], "before-id", "1-999999"), "item-not-found", "no message of this id"},
		{mamForm("ids", ids[3]+"0"), "item-not-found", "no message of this id"},
		{`<x xmlns='jabber:x:data' type='submit'><field var='ids'><value>` + ids[3] + `</value><value>nope</value></field></x>`, "item-not-found", "no message of this id"},
		{`<x xmlns='jabber:x:data' type='submit'><field var='ids'><value></value></field></x>`, "bad-request", "empty value"},
		{`<x xmlns='jabber:x:data' type='submit'><field var='after-id'><value>` + ids[1] + `</value><value>` + ids[2] + `</value></field></x>`, "bad-request", "2 values"},
		{mamForm("ids", ids[3]) + rsmSet(`<before>`+ids[4]+`</before>`), "bad-request", "ids fetches"},
		{mamForm("before-id", strings.Repeat("9", 300)), "item-not-found", "more than any stanza-id"},
		{`<flip-page/><flip-page/>`, "bad-request", "given twice"},
		{mamForm("{urn:example}full-text", "hello"), "feature-not-implemented", "not supported"},
	} {
		p := queryMAM(t, alice, room, c.inner)
		if p.iq.Err == nil || len(p.msgs) != 0 {
			t.Errorf("%.100s: want an error and no message, got %d messages, %s", c.inner, len(p.msgs), p.iq.XML)
			continue
		}
		if p.iq.Err.Condition != c.cond || !strings.Contains(p.iq.Err.Text, c.text) {
			t.Errorf("%.100s: got %s %q, want %s with %q", c.inner, p.iq.Err.Condition, p.iq.Err.Text, c.cond, c.text)
		}
	}
}
