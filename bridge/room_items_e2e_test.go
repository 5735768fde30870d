package bridge_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomListPaged: 280 groups with long IDs and names (900 and 1000
// bytes: 2 KiB an item) make a rooms list past the server's stanza limit
// (512 KiB), as a hundred groups whose names escape long (& is &amp;)
// do. Before, the transport's disco#items was answered with an error
// and the user could list no room at all; now an unpaged answer stops
// short of the limit and says where (XEP-0059 <set/> with the count),
// and a client pages through the whole list with max and after, back
// with before, or asks the count alone (max 0).
func TestRoomListPaged(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	// The transport says it pages (XEP-0059 §6).
	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || !strings.Contains(info.XML, `<feature var="http://jabber.org/protocol/rsm"`) {
		t.Fatalf("the transport's disco#info: %v %s, want the rsm feature", err, info.XML)
	}
	join(t, alice, "a", "") // the commands are groupchat messages
	const groups = 280
	long := strings.Repeat("x", 900)
	gjid := func(i int) string { return fmt.Sprintf("g-%03d-%s@%s", i, long, domain) }
	// In batches the chat's queue holds (a burst of all of them meets
	// its limit, resource-constraint, on a loaded machine).
	const batch = 40
	for from := 0; from < groups; from += batch {
		to := min(from+batch, groups)
		for i := from; i < to; i++ {
			// @@N@@ is N letters x (the echo's filler): the command stays
			// within the echo's 1000 bytes.
			groupchat(t, alice, fmt.Sprintf(`net-event {"chatId":"g-%03d-@@900@@","chat":{"chat":{"chatId":"g-%03d-@@900@@","type":"CHAT_TYPE_GROUP","name":"@@1000@@"}}}`, i, i))
		}
		// Each room is known once its invitation came (announceRoom).
		for i := from; i < to; i++ {
			if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
				return st.Name == "message" && strings.Contains(st.XML, `jid="`+gjid(i)+`"`)
			}); err != nil {
				for _, p := range alice.Pending() {
					if p.Type == "error" {
						t.Log(p.XML)
					}
				}
				t.Fatalf("no invitation to %s: %v", gjid(i), err)
			}
		}
	}
	want := groups + 1 // and the echo room
	itemRe := regexp.MustCompile(`<item [^>]*jid="([^"]+)"`)
	countRe := regexp.MustCompile(`<count>(\d+)</count>`)
	lastRe := regexp.MustCompile(`<last>([^<]+)</last>`)
	firstRe := regexp.MustCompile(`<first[^>]*>([^<]+)</first>`)
	list := func(set string) (items []string, count int, first, last string) {
		t.Helper()
		res, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items'>`+set+`</query></iq>`)
		if err != nil || res.Type != "result" {
			t.Fatalf("disco#items %s: %v %.500s", set, err, res.XML)
		}
		for _, m := range itemRe.FindAllStringSubmatch(res.XML, -1) {
			items = append(items, m[1])
		}
		count = -1
		if m := countRe.FindStringSubmatch(res.XML); m != nil {
			count, _ = strconv.Atoi(m[1])
		}
		if m := firstRe.FindStringSubmatch(res.XML); m != nil {
			first = m[1]
		}
		if m := lastRe.FindStringSubmatch(res.XML); m != nil {
			last = m[1]
		}
		return items, count, first, last
	}

	// Unpaged: part of the list, with where it stopped.
	items, count, _, last := list("")
	if len(items) == 0 || len(items) >= want || count != want || last != items[len(items)-1] {
		t.Fatalf("unpaged: %d items, count %d, last %q; want part of %d with the set", len(items), count, last, want)
	}
	// Paged forward, 25 at most a page: every room once, in order.
	var all []string
	after := ""
	for page := 0; ; page++ {
		set := `<set xmlns='http://jabber.org/protocol/rsm'><max>25</max>`
		if after != "" {
			set += `<after>` + after + `</after>`
		}
		items, count, first, last := list(set + `</set>`)
		if count != want || len(items) > 25 {
			t.Fatalf("page %d: %d items, count %d", page, len(items), count)
		}
		if len(items) == 0 {
			break
		}
		if first != items[0] || last != items[len(items)-1] {
			t.Fatalf("page %d: first %q last %q, items %q..%q", page, first, last, items[0], items[len(items)-1])
		}
		all = append(all, items...)
		after = last
		if page > want {
			t.Fatal("paging does not end")
		}
	}
	seen := map[string]bool{}
	for _, j := range all {
		seen[j] = true
	}
	if len(all) != want || len(seen) != want || !seen[room] || !seen[gjid(0)] || !seen[gjid(groups-1)] {
		t.Fatalf("paged: %d items (%d distinct), want each of %d once", len(all), len(seen), want)
	}
	// The last page, then the one before it.
	items, _, _, _ = list(`<set xmlns='http://jabber.org/protocol/rsm'><max>10</max><before/></set>`)
	if strings.Join(items, " ") != strings.Join(all[want-10:], " ") {
		t.Errorf("last page: %q, want %q", items, all[want-10:])
	}
	items, _, _, _ = list(`<set xmlns='http://jabber.org/protocol/rsm'><max>10</max><before>` + all[want-10] + `</before></set>`)
	if strings.Join(items, " ") != strings.Join(all[want-20:want-10], " ") {
		t.Errorf("page before: %q, want %q", items, all[want-20:want-10])
	}
	// The count alone.
	if items, count, _, _ := list(`<set xmlns='http://jabber.org/protocol/rsm'><max>0</max></set>`); len(items) != 0 || count != want {
		t.Errorf("max 0: %d items, count %d; want none of %d", len(items), count, want)
	}
	// An after naming no room.
	res, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items'><set xmlns='http://jabber.org/protocol/rsm'><after>nowhere@`+domain+`</after></set></query></iq>`)
	if err != nil || res.Type != "error" || !strings.Contains(res.XML, "item-not-found") {
		t.Errorf("after an unknown item: %v %.300s", err, res.XML)
	}
}
