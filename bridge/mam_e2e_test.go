package bridge_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/store"
)

// mamResultMsg is one <message><result/></message> of a MAM page.
type mamResultMsg struct {
	Result struct {
		QueryID   string `xml:"queryid,attr"`
		ID        string `xml:"id,attr"`
		Forwarded struct {
			Delay struct {
				Stamp string `xml:"stamp,attr"`
			} `xml:"urn:xmpp:delay delay"`
			Message struct {
				XMLName xml.Name
				From    string `xml:"from,attr"`
				Body    string `xml:"body"`
				// OccupantIDs are its XEP-0421 occupant-ids' ids.
				OccupantIDs []struct {
					ID string `xml:"id,attr"`
				} `xml:"urn:xmpp:occupant-id:0 occupant-id"`
				// RealJIDs are the jids of its muc#user <x><item/>s.
				RealJIDs []struct {
					JID string `xml:"jid,attr"`
				} `xml:"http://jabber.org/protocol/muc#user x>item"`
			} `xml:"message"`
		} `xml:"urn:xmpp:forward:0 forwarded"`
	} `xml:"urn:xmpp:mam:2 result"`
}

// mamFinIQ is the iq result ending a MAM page.
type mamFinIQ struct {
	Fin struct {
		Complete string `xml:"complete,attr"`
		Set      struct {
			First string `xml:"first"`
			Last  string `xml:"last"`
			Count *int   `xml:"count"`
		} `xml:"http://jabber.org/protocol/rsm set"`
	} `xml:"urn:xmpp:mam:2 fin"`
}

// mamPage is what one query brought.
type mamPage struct {
	msgs []mamResultMsg
	fin  mamFinIQ
	iq   xmpptest.Stanza
}

// queryMAM sends a MAM query with this content to room and collects its
// result messages (which the server delivers before the iq result).
func queryMAM(t *testing.T, c *xmpptest.Client, room, inner string) mamPage {
	t.Helper()
	qid := "q-" + c.NewID()
	iq, err := c.IQ(ctxT(t), `<iq type='set' to='`+room+`'><query xmlns='urn:xmpp:mam:2' queryid='`+qid+`'>`+inner+`</query></iq>`)
	if err != nil {
		t.Fatalf("MAM query: %v", err)
	}
	return mamPageOf(t, c, iq, qid, room)
}

// mamPageOf is the page of query qid that iq answered: its result
// messages (delivered before the iq, so queued already), each from room
// when room is given, and its fin.
func mamPageOf(t *testing.T, c *xmpptest.Client, iq xmpptest.Stanza, qid, room string) mamPage {
	t.Helper()
	p := mamPage{iq: iq}
	done, cancel := context.WithCancel(context.Background())
	cancel() // only what is queued already
	for {
		st, err := c.Next(done, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.Contains(s.XML, `queryid="`+qid+`"`)
		})
		if err != nil {
			break
		}
		var m mamResultMsg
		if err := st.Unmarshal(&m); err != nil {
			t.Fatalf("result message %s: %v", st.XML, err)
		}
		if room != "" && (st.From != room || m.Result.QueryID != qid) {
			t.Fatalf("result message from %s for %s: %s", st.From, m.Result.QueryID, st.XML)
		}
		p.msgs = append(p.msgs, m)
	}
	if iq.Type == "result" {
		if err := iq.Unmarshal(&p.fin); err != nil {
			t.Fatalf("fin %s: %v", iq.XML, err)
		}
	}
	return p
}

func mamForm(fields ...string) string {
	var b strings.Builder
	b.WriteString(`<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>`)
	for i := 0; i+1 < len(fields); i += 2 {
		fmt.Fprintf(&b, `<field var='%s'><value>%s</value></field>`, fields[i], xmlEscape(fields[i+1]))
	}
	b.WriteString(`</x>`)
	return b.String()
}

func rsmSet(inner string) string {
	return `<set xmlns='http://jabber.org/protocol/rsm'>` + inner + `</set>`
}

// seedArchive appends n messages to the room's archive of user, 10 s
// apart from base, and returns their stanza-ids.
func seedArchive(t *testing.T, db *store.DB, user, roomID string, n int, base time.Time) []string {
	t.Helper()
	msgs := make([]store.ArchivedMessage, n)
	for i := range msgs {
		nick := fmt.Sprintf("member%d", i%3)
		msgs[i] = store.ArchivedMessage{Time: base.Add(time.Duration(i) * 10 * time.Second), Nick: nick,
			SenderJID: fmt.Sprintf("echo-%d@%s", i%3, domain), RemoteID: fmt.Sprintf("seed-%s-%d", roomID, i),
			Payload: []byte(fmt.Sprintf(`<message from='%s@%s/%s' type='groupchat' id='seed-%d'><body>seed %d</body></message>`, roomID, domain, nick, i, i))}
	}
	res, err := db.AppendArchive(context.Background(), store.RoomKey{Transport: "echo", UserJID: user, RoomID: roomID}, msgs)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i, r := range res {
		ids[i] = r.StanzaID
	}
	return ids
}

// TestRoomArchiveMAM: a room's archive of 120 messages, seeded in the
// store, is paged through by a real client over a real Prosody with MAM
// in pages of 50, backwards and forwards: three pages each, no gap, no
// repeat, the last complete; the same after a gateway restart. Another
// user never reads it; bad queries get clear errors; an archive past its
// retention is pruned at start.
func TestRoomArchiveMAM(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	bob := s.user("bob")
	carol := s.user("carol")
	s.waitGateway(alice)
	for c, login := range map[*xmpptest.Client]string{alice: "alice-echo", bob: "bob-echo"} {
		if r := register(t, c, login); r.Type != "result" {
			t.Fatalf("register: %s", r.XML)
		}
	}

	s.stop()
	db, err := store.Open(filepath.Join(s.dir, "data", "passerelle.db"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 120
	base := time.Now().Add(-2 * time.Hour).Truncate(time.Second).UTC()
	ids := seedArchive(t, db, "alice@localhost", "echo-room", n, base)
	seedArchive(t, db, "alice@localhost", "alice-only", 3, base)
	seedArchive(t, db, "alice@localhost", "old-room", 5, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s.start()
	s.waitGateway(alice)
	s.logs.waitLog(t, "room=old-room messages=5", timeout)

	room := "echo-room@" + domain
	// The seeded range only: what the room may archive live stays out.
	end := base.Add(n * 10 * time.Second).Format(time.RFC3339)
	check := func(pass string) {
		t.Helper()
		// Backwards from the newest, as clients fill a scrolled-up room.
		var got []mamResultMsg
		before := ""
		for page := 1; ; page++ {
			p := queryMAM(t, alice, room, mamForm("end", end)+rsmSet(`<max>50</max><before>`+before+`</before>`))
			if p.iq.Type != "result" {
				t.Fatalf("%s: page %d: %s", pass, page, p.iq.XML)
			}
			want := min(50, n-len(got))
			if len(p.msgs) != want {
				t.Fatalf("%s: page %d has %d messages, want %d", pass, page, len(p.msgs), want)
			}
			if complete := p.fin.Fin.Complete == "true"; complete != (page == 3) {
				t.Fatalf("%s: page %d complete=%q: %s", pass, page, p.fin.Fin.Complete, p.iq.XML)
			}
			if p.fin.Fin.Set.First != p.msgs[0].Result.ID || p.fin.Fin.Set.Last != p.msgs[len(p.msgs)-1].Result.ID {
				t.Fatalf("%s: page %d: first/last %s/%s do not match its messages", pass, page, p.fin.Fin.Set.First, p.fin.Fin.Set.Last)
			}
			got = append(slices.Clone(p.msgs), got...)
			if page == 3 {
				break
			}
			before = p.fin.Fin.Set.First
		}
		for i, m := range got {
			r := m.Result
			if r.ID != ids[i] || r.Forwarded.Message.Body != fmt.Sprintf("seed %d", i) {
				t.Fatalf("%s: message %d is %s %q, want %s: a gap or a repeat", pass, i, r.ID, r.Forwarded.Message.Body, ids[i])
			}
			if r.Forwarded.Message.XMLName.Space != "jabber:client" || r.Forwarded.Message.From != fmt.Sprintf("%s/member%d", room, i%3) {
				t.Fatalf("%s: forwarded message %d: %+v", pass, i, r.Forwarded.Message)
			}
			stamp, err := time.Parse(time.RFC3339, r.Forwarded.Delay.Stamp)
			if err != nil || !stamp.Equal(base.Add(time.Duration(i)*10*time.Second)) {
				t.Fatalf("%s: message %d delay %q, want %v", pass, i, r.Forwarded.Delay.Stamp, base.Add(time.Duration(i)*10*time.Second))
			}
		}
		// Forwards from the oldest.
		after, seen := "", 0
		for page := 1; page <= 3; page++ {
			set := `<max>50</max>`
			if after != "" {
				set += `<after>` + after + `</after>`
			}
			p := queryMAM(t, alice, room, mamForm("end", end)+rsmSet(set))
			if len(p.msgs) != min(50, n-seen) || (p.fin.Fin.Complete == "true") != (page == 3) {
				t.Fatalf("%s: forward page %d: %d messages, complete=%q", pass, page, len(p.msgs), p.fin.Fin.Complete)
			}
			for _, m := range p.msgs {
				if m.Result.ID != ids[seen] {
					t.Fatalf("%s: forward message %d is %s, want %s", pass, seen, m.Result.ID, ids[seen])
				}
				seen++
			}
			after = p.fin.Fin.Set.Last
		}
		// The count alone, and the newest page's count of the whole room.
		p := queryMAM(t, alice, room, mamForm("end", end)+rsmSet(`<max>0</max>`))
		if len(p.msgs) != 0 || p.fin.Fin.Set.Count == nil || *p.fin.Fin.Set.Count != n {
			t.Fatalf("%s: count query: %d messages, %s", pass, len(p.msgs), p.iq.XML)
		}
	}
	check("first run")
	s.stop()
	s.start()
	s.waitGateway(alice)
	check("after a restart")

	ctx := ctxT(t)
	// The form, and the archive's metadata.
	form, err := alice.IQ(ctx, `<iq type='get' to='`+room+`'><query xmlns='urn:xmpp:mam:2'/></iq>`)
	if err != nil || form.Type != "result" || !strings.Contains(form.XML, `var="with"`) || !strings.Contains(form.XML, `type="form"`) {
		t.Errorf("form: %v %s", err, form.XML)
	}
	meta, err := alice.IQ(ctx, `<iq type='get' to='`+room+`'><metadata xmlns='urn:xmpp:mam:2'/></iq>`)
	var md struct {
		Metadata struct {
			Start struct {
				ID string `xml:"id,attr"`
			} `xml:"start"`
			End struct {
				ID string `xml:"id,attr"`
			} `xml:"end"`
		} `xml:"urn:xmpp:mam:2 metadata"`
	}
	if err != nil || meta.Unmarshal(&md) != nil || md.Metadata.Start.ID != ids[0] || md.Metadata.End.ID == "" {
		t.Errorf("metadata: %v %s", err, meta.XML)
	}

	// Nobody else reads alice's archive: her room alone is not found for
	// bob; a room by the same name is bob's own (empty) one or none.
	for _, r := range []string{"alice-only@" + domain, "nothing-here@" + domain} {
		if p := queryMAM(t, bob, r, ""); p.iq.Err == nil || p.iq.Err.Condition != "item-not-found" || len(p.msgs) != 0 {
			t.Errorf("bob queries %s: %d messages, %s", r, len(p.msgs), p.iq.XML)
		}
	}
	if p := queryMAM(t, bob, room, ""); len(p.msgs) != 0 || (p.iq.Type == "result" && (p.fin.Fin.Set.Count == nil || *p.fin.Fin.Set.Count != 0)) ||
		(p.iq.Type == "error" && p.iq.Err.Condition != "item-not-found") {
		t.Errorf("bob queries %s: %d messages, %s", room, len(p.msgs), p.iq.XML)
	}
	if p := queryMAM(t, carol, room, ""); p.iq.Err == nil || p.iq.Err.Condition != "registration-required" || len(p.msgs) != 0 {
		t.Errorf("unregistered carol queries %s: %s", room, p.iq.XML)
	}

	// Bad queries: a clear error, nothing sent.
	for _, c := range []struct {
		to, inner, cond, text string
	}{
		{room, rsmSet(`<max>-5</max>`), "bad-request", "<max/>"},
		{room, rsmSet(`<after/>`), "bad-request", "<after/> is empty"},
		{room, rsmSet(`<index>10</index>`), "feature-not-implemented", "<index/>"},
		{room, rsmSet(`<before>deadbeef-1</before>`), "item-not-found", "no message of this id"},
		{room, rsmSet(`<after>` + strings.Repeat("z", 5000) + `</after>`), "", ""},
		{room, mamForm("start", "last tuesday"), "bad-request", "not an XEP-0082 date-time"},
		{room, mamForm("ids", "deadbeef-1"), "item-not-found", "no message of this id"},
		{room, mamForm("with", room+"/nobody"), "bad-request", "no occupant"},
		// To an occupant from a resource not in the room: Prosody's
		// not-acceptable (room_occupant_iq.go; a member's MAM query to an
		// occupant is TestOccupantIQ's).
		{room + "/member1", "", "not-acceptable", "not currently connected"},
	} {
		p := queryMAM(t, alice, c.to, c.inner)
		if p.iq.Err == nil || len(p.msgs) != 0 {
			t.Errorf("%.80s: want an error and no message, got %d messages, %s", c.inner, len(p.msgs), p.iq.XML)
			continue
		}
		if c.cond != "" && (p.iq.Err.Condition != c.cond || !strings.Contains(p.iq.Err.Text, c.text)) {
			t.Errorf("%.80s: got %s %q, want %s with %q", c.inner, p.iq.Err.Condition, p.iq.Err.Text, c.cond, c.text)
		}
	}
	// A `with` the archive knows filters by sender: a JID, or an
	// occupant the room maps to its JID.
	for _, with := range []string{"echo-1@" + domain, room + "/member1"} {
		p := queryMAM(t, alice, room, mamForm("end", end, "with", with)+rsmSet(`<max>250</max>`))
		if len(p.msgs) != n/3 || p.fin.Fin.Complete != "true" {
			t.Errorf("with %s: %d messages, complete=%q; want %d, true: %s", with, len(p.msgs), p.fin.Fin.Complete, n/3, p.iq.XML)
		}
		for _, m := range p.msgs {
			if !strings.HasSuffix(m.Result.Forwarded.Message.From, "/member1") {
				t.Fatalf("with %s brought %s", with, m.Result.Forwarded.Message.From)
			}
		}
	}
}
