package bridge

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/store"
)

var mamRoom = jid.MustParse("echo-room@echo.localhost")

// mamIQText is a MAM query set with this content inside <query/>.
func mamIQText(attrs, inner string) string {
	return `<iq type='set' id='q1' from='alice@localhost/phone' to='echo-room@echo.localhost'>` +
		`<query xmlns='urn:xmpp:mam:2'` + attrs + `>` + inner + `</query></iq>`
}

func parseMAMText(t *testing.T, attrs, inner string) (mamQuery, error) {
	t.Helper()
	st, err := wire.Parse(mamIQText(attrs, inner))
	if err != nil {
		t.Fatalf("test stanza: %v", err)
	}
	return parseMAMQuery(st.Payload(), mamRoom)
}

func form(fields string) string {
	return `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>` + fields + `</x>`
}

func field(name, value string) string {
	return `<field var='` + name + `'><value>` + value + `</value></field>`
}

func rsm(inner string) string {
	return `<set xmlns='http://jabber.org/protocol/rsm'>` + inner + `</set>`
}

func TestParseMAMQuery(t *testing.T) {
	start := time.Date(2024, 1, 31, 12, 0, 0, 0, time.UTC)
	end := time.Date(2024, 2, 1, 13, 30, 0, 500_000_000, time.FixedZone("", 3600))
	cases := []struct {
		name, attrs, inner string
		want               mamQuery
	}{
		{"empty", "", "", mamQuery{}},
		{"queryid", ` queryid='f27'`, "", mamQuery{queryID: "f27"}},
		{"the whole form", "", form(field("start", "2024-01-31T12:00:00Z") + field("end", "2024-02-01T13:30:00.5+01:00") + field("with", `bob\40x@echo.localhost/res`)),
			mamQuery{q: store.ArchiveQuery{Start: start, End: end, With: `bob\40x@echo.localhost`}}},
		// Dino asks for what is older than its oldest message's time
		// cut to the second: a message of that second, shown a moment
		// before it, is still older.
		{"an end to the second covers it", "", form(field("end", "2024-02-01T13:30:00Z")),
			mamQuery{q: store.ArchiveQuery{End: time.Date(2024, 2, 1, 13, 30, 0, 999_999_999, time.UTC)}}},
		{"empty values are no bounds", "", form(field("start", "") + field("with", "") + `<field var='end'/>`), mamQuery{}},
		{"with the room: no filter", "", form(field("with", "echo-room@echo.localhost")), mamQuery{}},
		{"with an occupant", "", form(field("with", "echo-room@echo.localhost/Bob Smith")), mamQuery{withNick: "Bob Smith"}},
		{"form without FORM_TYPE or type", "", `<x xmlns='jabber:x:data'>` + field("with", "carol@localhost") + `</x>`, mamQuery{q: store.ArchiveQuery{With: "carol@localhost"}}},
		{"last page", "", rsm(`<max>50</max><before/>`), mamQuery{q: store.ArchiveQuery{Max: 50, Latest: true}}},
		{"page before", "", rsm(`<max>50</max><before>1a-77</before>`), mamQuery{q: store.ArchiveQuery{Max: 50, Before: "1a-77"}}},
		{"page after", "", rsm(`<after>1a-77</after>`), mamQuery{q: store.ArchiveQuery{After: "1a-77"}}},
		{"pretty-printed", "", "\n  " + rsm("\n    <max> 50 </max>\n    <before>\n      1a-77\n    </before>\n  ") + "\n", mamQuery{q: store.ArchiveQuery{Max: 50, Before: "1a-77"}}},
		{"count only", "", rsm(`<max>0</max>`), mamQuery{q: store.ArchiveQuery{CountOnly: true}}},
		{"max over the cap", "", rsm(`<max>100000</max>`), mamQuery{q: store.ArchiveQuery{Max: store.MaxArchivePage}}},
		{"unknown extension ignored", "", `<foo xmlns='urn:example:x'/>` + rsm(`<max>5</max>`), mamQuery{q: store.ArchiveQuery{Max: 5}}},
		// urn:xmpp:mam:2#extended.
		{"after-id and before-id", "", form(field("after-id", " 1a-3 ")+field("before-id", "1a-9")) + rsm(`<max>5</max>`),
			mamQuery{q: store.ArchiveQuery{Max: 5, AfterID: "1a-3", BeforeID: "1a-9"}}},
		{"before-id with the last page", "", form(field("before-id", "1a-9")) + rsm(`<before/>`),
			mamQuery{q: store.ArchiveQuery{Latest: true, BeforeID: "1a-9"}}},
		{"empty after-id is no bound", "", form(field("after-id", "")), mamQuery{}},
		{"ids, each once", "", form(`<field var='ids'><value>1a-9</value><value> 1a-2 </value><value>1a-9</value></field>` + field("with", "carol@localhost")),
			mamQuery{ids: []string{"1a-9", "1a-2"}, q: store.ArchiveQuery{With: "carol@localhost"}}},
		{"ids with max", "", form(field("ids", "1a-9")) + rsm(`<max>1</max>`), mamQuery{ids: []string{"1a-9"}, q: store.ArchiveQuery{Max: 1}}},
		{"ids with the last page", "", form(field("ids", "1a-9")) + rsm(`<max>1</max><before/>`), mamQuery{ids: []string{"1a-9"}, q: store.ArchiveQuery{Max: 1, Latest: true}}},
		{"flip-page", "", `<flip-page/>` + rsm(`<before/>`), mamQuery{flip: true, q: store.ArchiveQuery{Latest: true}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseMAMText(t, c.attrs, c.inner)
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if !got.q.Start.Equal(c.want.q.Start) || !got.q.End.Equal(c.want.q.End) {
				t.Errorf("start/end = %v/%v, want %v/%v", got.q.Start, got.q.End, c.want.q.Start, c.want.q.End)
			}
			got.q.Start, got.q.End, c.want.q.Start, c.want.q.End = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestParseMAMQueryHostile: every malformed or unsupported query gets the
// condition XEP-0313 and XEP-0059 name, with a text saying what is wrong.
func TestParseMAMQueryHostile(t *testing.T) {
	cases := []struct {
		name, attrs, inner string
		cond               wire.Condition
		text               string
	}{
		{"long queryid", ` queryid='` + strings.Repeat("q", maxQueryID+1) + `'`, "", wire.BadRequest, "queryid is 257 bytes"},
		{"node", ` node='urn:xmpp:mucsub:nodes:messages'`, "", wire.ItemNotFound, "no node"},
		{"flip-page twice", "", `<flip-page/><flip-page/>`, wire.BadRequest, "<flip-page/> given twice"},
		{"index", "", rsm(`<index>3</index>`), wire.FeatureNotImpl, "<index/>"},
		{"negative max", "", rsm(`<max>-1</max>`), wire.BadRequest, `<max/> "-1"`},
		{"max not a number", "", rsm(`<max>ten</max>`), wire.BadRequest, `<max/> "ten"`},
		{"max empty", "", rsm(`<max/>`), wire.BadRequest, `<max/> ""`},
		{"max huge", "", rsm(`<max>99999999999999999999</max>`), wire.BadRequest, "<max/>"},
		{"max twice", "", rsm(`<max>1</max><max>2</max>`), wire.BadRequest, "given twice"},
		{"empty after", "", rsm(`<after/>`), wire.BadRequest, "<after/> is empty"},
		{"two sets", "", rsm(``) + rsm(``), wire.BadRequest, "more than one RSM"},
		{"two forms", "", form("") + form(""), wire.BadRequest, "more than one data form"},
		{"form type", "", `<x xmlns='jabber:x:data' type='cancel'/>`, wire.BadRequest, `type is "cancel"`},
		{"FORM_TYPE", "", `<x xmlns='jabber:x:data' type='submit'>` + field("FORM_TYPE", "urn:xmpp:mam:1") + `</x>`, wire.BadRequest, "FORM_TYPE"},
		{"bad start", "", form(field("start", "yesterday")), wire.BadRequest, `start "yesterday" is not`},
		{"bad end", "", form(field("end", "2024-13-01T00:00:00Z")), wire.BadRequest, "end"},
		{"end before start", "", form(field("start", "2024-02-01T00:00:00Z") + field("end", "2024-01-01T00:00:00Z")), wire.BadRequest, "before start"},
		{"bad with", "", form(field("with", "a@b@c")), wire.BadRequest, `with "a@b@c" is not a JID`},
		{"unknown field", "", form(field("{urn:example}full-text", "x")), wire.FeatureNotImpl, `field "{urn:example}full-text" is not supported`},
		{"after-id twice", "", form(field("after-id", "1a-1") + field("after-id", "1a-2")), wire.BadRequest, `"after-id" given twice`},
		{"before-id two values", "", form(`<field var='before-id'><value>1a-1</value><value>1a-2</value></field>`), wire.BadRequest, "2 values"},
		{"long after-id", "", form(field("after-id", strings.Repeat("1", maxStanzaID+1))), wire.ItemNotFound, "after-id is 257 bytes"},
		{"ids without value", "", form(`<field var='ids'/>`), wire.BadRequest, `"ids" has no value`},
		{"ids empty value", "", form(`<field var='ids'><value>1a-1</value><value> </value></field>`), wire.BadRequest, "empty value"},
		{"ids long value", "", form(field("ids", strings.Repeat("1", maxStanzaID+1))), wire.ItemNotFound, "257 bytes"},
		{"ids too many", "", form(`<field var='ids'>` + manyIDs(store.MaxArchivePage+1) + `</field>`), wire.BadRequest, "at most"},
		{"ids with RSM after", "", form(field("ids", "1a-1")) + rsm(`<after>1a-0</after>`), wire.BadRequest, "ids fetches"},
		{"ids with RSM before an id", "", form(field("ids", "1a-1")) + rsm(`<before>1a-2</before>`), wire.BadRequest, "ids fetches"},
		{"ids with after-id", "", form(field("ids", "1a-1") + field("after-id", "1a-0")), wire.BadRequest, "ids fetches"},
		{"field twice", "", form(field("with", "a@b") + field("with", "c@d")), wire.BadRequest, `"with" given twice`},
		{"two values", "", form(`<field var='start'><value>2024-01-01T00:00:00Z</value><value>2025-01-01T00:00:00Z</value></field>`), wire.BadRequest, "2 values"},
		{"field without var", "", form(`<field><value>x</value></field>`), wire.BadRequest, "without var"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseMAMText(t, c.attrs, c.inner)
			var me *mamError
			if !errors.As(err, &me) {
				t.Fatalf("error %v, want a %s", err, c.cond)
			}
			if me.cond != c.cond || !strings.Contains(me.text, c.text) {
				t.Errorf("got %s %q, want %s with %q", me.cond, me.text, c.cond, c.text)
			}
		})
	}
}

// manyIDs is n distinct <value/>s.
func manyIDs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "<value>1a-%d</value>", i+1)
	}
	return b.String()
}

func TestClientMessage(t *testing.T) {
	cases := []struct{ in, want string }{
		{`<message from="r@g/n" type="groupchat"><body>x</body></message>`, `<message xmlns="jabber:client" from="r@g/n" type="groupchat"><body>x</body></message>`},
		{`<message/>`, `<message xmlns="jabber:client"/>`},
		{`<message xmlns="jabber:client" type="groupchat"/>`, `<message xmlns="jabber:client" type="groupchat"/>`},
		{`<message id='a>b' xmlns='jabber:client'/>`, `<message id='a>b' xmlns='jabber:client'/>`},
	}
	for _, c := range cases {
		got, ok := clientMessage([]byte(c.in))
		if !ok || string(got) != c.want {
			t.Errorf("clientMessage(%s) = %s, %v; want %s", c.in, got, ok, c.want)
		}
	}
	for _, bad := range []string{``, `hello`, `<iq type="get"/>`, `<x:message xmlns:x="jabber:client"/>`, ` <message/>`, `<?xml version="1.0"?><message/>`, `<!-- c --><message/>`, `</message>`} {
		if got, ok := clientMessage([]byte(bad)); ok {
			t.Errorf("clientMessage(%q) = %s, want refused", bad, got)
		}
	}
}

func TestMAMResultAndFin(t *testing.T) {
	m := &store.ArchivedMessage{StanzaID: "1a-7", Time: time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC),
		Payload: []byte(`<message from="echo-room@echo.localhost/Bob" type="groupchat"><body>hi &amp; bye</body></message>`)}
	got, ok := mamResult("echo-room@echo.localhost", "alice@localhost/phone", "m1", `q"1`, m, "", "")
	want := `<message from="echo-room@echo.localhost" to="alice@localhost/phone" id="m1">` +
		`<result xmlns="urn:xmpp:mam:2" queryid="q&quot;1" id="1a-7"><forwarded xmlns="urn:xmpp:forward:0">` +
		`<delay xmlns="urn:xmpp:delay" stamp="2024-05-06T07:08:09.123456Z"/>` +
		`<message xmlns="jabber:client" from="echo-room@echo.localhost/Bob" type="groupchat"><body>hi &amp; bye</body></message>` +
		`</forwarded></result></message>`
	if !ok || string(got) != want {
		t.Errorf("result:\n%s\nwant\n%s", got, want)
	}
	if _, err := wire.Parse(string(got)); err != nil {
		t.Errorf("result is not well-formed: %v", err)
	}

	st, _ := wire.Parse(mamIQText("", ""))
	fin := string(mamFin(st, store.ArchivePage{First: "1a-1", Last: "1a-50", Complete: true, Count: 120}))
	if want := `<fin xmlns="urn:xmpp:mam:2" complete="true"><set xmlns="http://jabber.org/protocol/rsm"><first>1a-1</first><last>1a-50</last><count>120</count></set></fin>`; !strings.Contains(fin, want) {
		t.Errorf("fin %s\nwant %s", fin, want)
	}
	fin = string(mamFin(st, store.ArchivePage{Count: -1}))
	if want := `<fin xmlns="urn:xmpp:mam:2"><set xmlns="http://jabber.org/protocol/rsm"/></fin>`; !strings.Contains(fin, want) {
		t.Errorf("fin of an empty, incomplete page without count: %s", fin)
	}
	if !strings.Contains(fin, `type="result"`) || !strings.Contains(fin, `id="q1"`) || !strings.Contains(fin, `to="alice@localhost/phone"`) {
		t.Errorf("fin is not the iq's result: %s", fin)
	}
}

func TestMAMForm(t *testing.T) {
	st, _ := wire.Parse(`<iq type='get' id='f1' from='alice@localhost/phone' to='echo-room@echo.localhost'><query xmlns='urn:xmpp:mam:2'/></iq>`)
	got := string(mamForm(st))
	for _, want := range []string{`<query xmlns="urn:xmpp:mam:2"><x xmlns="jabber:x:data" type="form">`, `<value>urn:xmpp:mam:2</value>`, `var="with" type="jid-single"`, `var="start"`, `var="end"`,
		`var="before-id" type="text-single"`, `var="after-id" type="text-single"`,
		`<field var="ids" type="list-multi"><validate xmlns="http://jabber.org/protocol/xdata-validate" datatype="xs:string"><open/></validate></field>`} {
		if !strings.Contains(got, want) {
			t.Errorf("form lacks %s: %s", want, got)
		}
	}
}

// TestWithRealJID: an archived message gets its sender's real JID in a
// muc#user <x><item/></x>; none for the room's own message, and a
// payload with a muc#user <x/> of its own keeps it alone.
func TestWithRealJID(t *testing.T) {
	from := &store.ArchivedMessage{Nick: "Bob", SenderJID: "bob@echo.localhost", StanzaID: "1a-1",
		Payload: []byte(`<message from="r@echo.localhost/Bob" to="alice@localhost" type="groupchat"><body>hi</body></message>`)}
	got, ok := mamResult("r@echo.localhost", "alice@localhost/phone", "m1", "q1", from, "", archivedRealJID(from))
	if !ok || !strings.Contains(string(got), `<body>hi</body><x xmlns="http://jabber.org/protocol/muc#user"><item jid="bob@echo.localhost"/></x></message>`) {
		t.Errorf("a member's message: %s", got)
	}
	own := &store.ArchivedMessage{SenderJID: "", StanzaID: "1a-2",
		Payload: []byte(`<message from="r@echo.localhost" to="alice@localhost" type="groupchat"><body>notice</body></message>`)}
	if got, _ := mamResult("r@echo.localhost", "alice@localhost/phone", "m2", "q1", own, "", archivedRealJID(own)); strings.Contains(string(got), "muc#user") {
		t.Errorf("the room's own message: %s", got)
	}
	had := &store.ArchivedMessage{Nick: "Bob", SenderJID: "bob@echo.localhost", StanzaID: "1a-3",
		Payload: []byte(`<message from="r@echo.localhost/Bob" to="alice@localhost" type="groupchat"><x xmlns="http://jabber.org/protocol/muc#user"><status code="104"/></x></message>`)}
	if got, _ := mamResult("r@echo.localhost", "alice@localhost/phone", "m3", "q1", had, "", archivedRealJID(had)); strings.Count(string(got), "muc#user") != 1 {
		t.Errorf("a payload with its own muc#user x: %s", got)
	}
}
