package bridge_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/store"
)

// historyRoomUser registers name on the echo network with n messages of
// history in every chat, the room's too, and waits for the room.
func historyRoomUser(t *testing.T, s *stack, name string, n int) *xmpptest.Client {
	t.Helper()
	c := s.user(name)
	s.waitGateway(c)
	if r := register(t, c, fmt.Sprintf("%s-echo+history%d", name, n)); r.Type != "result" {
		t.Fatalf("register %s: %s", name, r.XML)
	}
	deadline := time.Now().Add(timeout)
	for {
		items, err := c.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
		if err == nil && strings.Contains(items.XML, `jid="`+room+`"`) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("the room never appeared in disco#items: %v %s", err, items.XML)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// archiveCount is the number of messages in the room's archive (RSM
// max=0: the count alone).
func archiveCount(t *testing.T, c *xmpptest.Client) int {
	t.Helper()
	p := queryMAM(t, c, room, rsmSet(`<max>0</max>`))
	if p.iq.Type != "result" || p.fin.Fin.Set.Count == nil {
		t.Fatalf("count: %s", p.iq.XML)
	}
	return *p.fin.Fin.Set.Count
}

// sendMAM sends a MAM query to the room without waiting; collectMAM
// then reads its page.
func sendMAM(t *testing.T, c *xmpptest.Client, inner string) (id, qid string) {
	t.Helper()
	id, qid = c.NewID(), "q-"+c.NewID()
	if err := c.SendRaw(ctxT(t), `<iq type='set' id='`+id+`' to='`+room+`'><query xmlns='urn:xmpp:mam:2' queryid='`+qid+`'>`+inner+`</query></iq>`); err != nil {
		t.Fatal(err)
	}
	return id, qid
}

func collectMAM(t *testing.T, c *xmpptest.Client, id, qid string, within time.Duration) mamPage {
	t.Helper()
	ctx, cancelWait := context.WithTimeout(context.Background(), within)
	defer cancelWait()
	iq, err := c.Next(ctx, func(s xmpptest.Stanza) bool { return s.Name == "iq" && s.ID == id })
	if err != nil {
		t.Fatalf("MAM query %s: %v", id, err)
	}
	return mamPageOf(t, c, iq, qid, "")
}

// beforeTheLogins50 waits until the room's archive holds the login's 50
// messages of history, joins alice's second resource "phone" without
// history, and returns it with the RSM set of the page of 50 before the
// archive's oldest message.
func beforeTheLogins50(t *testing.T, s *stack, alice *xmpptest.Client) (phone *xmpptest.Client, before string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for archiveCount(t, alice) != 50 {
		if time.Now().After(deadline) {
			t.Fatalf("the archive holds %d messages, want the login's 50", archiveCount(t, alice))
		}
		time.Sleep(50 * time.Millisecond)
	}
	phone = s.loginResource("alice", "phone")
	join(t, phone, "a", `<history maxstanzas='0'/>`)
	meta, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><metadata xmlns='urn:xmpp:mam:2'/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	m := metaStartRe.FindStringSubmatch(meta.XML)
	if m == nil {
		t.Fatalf("metadata without start: %s", meta.XML)
	}
	return phone, rsmSet(`<max>50</max><before>` + m[1] + `</before>`)
}

var metaStartRe = regexp.MustCompile(`<start[^>]* id="([^"]+)"`)

// scrollBack pages back through the room from the newest message in
// pages of 50, as a client scrolling up, until a page is complete, and
// returns the messages oldest first and the pages' sizes.
func scrollBack(t *testing.T, c *xmpptest.Client) ([]mamResultMsg, []int) {
	t.Helper()
	var got []mamResultMsg
	var sizes []int
	before := ""
	for page := 1; ; page++ {
		if page > 20 {
			t.Fatalf("no complete page after %d pages", page-1)
		}
		p := queryMAM(t, c, room, rsmSet(`<max>50</max><before>`+before+`</before>`))
		if p.iq.Type != "result" {
			t.Fatalf("page %d: %s", page, p.iq.XML)
		}
		sizes = append(sizes, len(p.msgs))
		if len(p.msgs) > 0 && (p.fin.Fin.Set.First != p.msgs[0].Result.ID || p.fin.Fin.Set.Last != p.msgs[len(p.msgs)-1].Result.ID) {
			t.Fatalf("page %d: first/last %s/%s do not match its messages", page, p.fin.Fin.Set.First, p.fin.Fin.Set.Last)
		}
		got = append(append([]mamResultMsg(nil), p.msgs...), got...)
		if p.fin.Fin.Complete == "true" {
			return got, sizes
		}
		if len(p.msgs) == 0 {
			t.Fatalf("page %d: empty and not complete", page)
		}
		before = p.fin.Fin.Set.First
	}
}

// TestRoomScrollBack: a room with 300 messages of history on the network
// and backfill_messages 50 holds the newest 50 after login. A client
// paging back through it with MAM gets all 300, oldest first, each once,
// in full pages, the last one complete: the gateway fetches the older
// history as the pages reach the archive's start, into the archive only
// (the joined resource gets none of it as groupchat messages). Paging
// again, also after a restart of the gateway, gives the same stanza-ids
// and asks the plugin for nothing more.
func TestRoomScrollBack(t *testing.T) {
	const n = 300
	s := newStack(t, stackOptions{backfill: "50"})
	alice := historyRoomUser(t, s, "alice", n)
	// The login's backfill: the newest 50, archived.
	s.logs.waitLog(t, "chat=echo-room ended=limit", timeout)
	phone, before := beforeTheLogins50(t, s, alice)

	// Two resources ask at once for the page before the archive's oldest
	// message: one fetch, both answered with the 50 before, not complete.
	id1, q1 := sendMAM(t, alice, before)
	id2, q2 := sendMAM(t, phone, before)
	for _, p := range []mamPage{collectMAM(t, alice, id1, q1, timeout), collectMAM(t, phone, id2, q2, timeout)} {
		if len(p.msgs) != 50 || p.fin.Fin.Complete == "true" {
			t.Fatalf("the page before the oldest: %d messages, complete=%q, want 50, not complete: %s", len(p.msgs), p.fin.Fin.Complete, p.iq.XML)
		}
		if b := p.msgs[0].Result.Forwarded.Message.Body; b != fmt.Sprintf("history 201 of %d", n) {
			t.Fatalf("the page before the oldest starts with %q", b)
		}
	}
	if c := s.logs.Count("scroll-back history requested"); c != 1 {
		t.Errorf("two queries at once requested history %d times, want once", c)
	}

	got, sizes := scrollBack(t, alice)
	if fmt.Sprint(sizes) != "[50 50 50 50 50 50]" {
		t.Errorf("page sizes %v, want 6 full pages", sizes)
	}
	if len(got) != n {
		t.Fatalf("%d messages paging back, want %d", len(got), n)
	}
	ids := map[string]bool{}
	var last time.Time
	for i, m := range got {
		if want := fmt.Sprintf("history %d of %d", i+1, n); m.Result.Forwarded.Message.Body != want {
			t.Fatalf("message %d is %q, want %q", i, m.Result.Forwarded.Message.Body, want)
		}
		if ids[m.Result.ID] {
			t.Fatalf("stanza-id %s twice", m.Result.ID)
		}
		ids[m.Result.ID] = true
		stamp, err := time.Parse(time.RFC3339Nano, m.Result.Forwarded.Delay.Stamp)
		if err != nil || !stamp.After(last) {
			t.Fatalf("message %d stamped %q after %s: want growing times", i, m.Result.Forwarded.Delay.Stamp, last)
		}
		last = stamp
	}
	// Five pages of 50 fetched, the last one with the cursor done.
	if c := s.logs.Count("scroll-back history requested"); c != 5 {
		t.Errorf("history requested %d times for the scroll-back, want 5", c)
	}
	if c := archiveCount(t, alice); c != n {
		t.Errorf("the archive holds %d messages, want %d", c, n)
	}

	// The joined resource got none of it.
	time.Sleep(500 * time.Millisecond)
	for _, st := range phone.Pending() {
		if st.Name == "message" && bareJID(st.From) == room && !strings.Contains(st.XML, "urn:xmpp:mam:2") {
			t.Errorf("the joined resource got a message from the scroll-back: %s", st.XML)
		}
	}

	again := func(when string) {
		t.Helper()
		got2, sizes2 := scrollBack(t, alice)
		if len(got2) != n || fmt.Sprint(sizes2) != "[50 50 50 50 50 50]" {
			t.Fatalf("%s: pages %v, want 6 of 50", when, sizes2)
		}
		for i := range got2 {
			if got2[i].Result.ID != got[i].Result.ID || got2[i].Result.Forwarded.Message.Body != got[i].Result.Forwarded.Message.Body {
				t.Fatalf("%s: message %d is %s %q, was %s %q", when, i, got2[i].Result.ID, got2[i].Result.Forwarded.Message.Body,
					got[i].Result.ID, got[i].Result.Forwarded.Message.Body)
			}
		}
		if c := s.logs.Count("scroll-back history requested"); c != 5 {
			t.Errorf("%s: history requested %d times for the scroll-back, want still 5", when, c)
		}
	}
	again("paging again")
	s.stop()
	s.start()
	s.waitGateway(alice)
	again("after a restart")
}

// TestRoomScrollBackPluginHung: the plugin hangs while a query waits for
// the room's older history. The query is answered all the same, within
// about the time clients wait for an iq, with what the archive holds and
// not complete; once the plugin is back, the same query gets the older
// history, and the joined resource gets none of it.
func TestRoomScrollBackPluginHung(t *testing.T) {
	const n = 300
	s := newStack(t, stackOptions{backfill: "50"})
	alice := historyRoomUser(t, s, "alice", n)
	s.logs.waitLog(t, "chat=echo-room ended=limit", timeout)
	phone, before := beforeTheLogins50(t, s, alice)

	pid := s.pluginPID()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(pid, syscall.SIGCONT)
	waitStopped(t, pid)
	start := time.Now()
	id, qid := sendMAM(t, alice, before)
	p := collectMAM(t, alice, id, qid, 25*time.Second)
	took := time.Since(start)
	syscall.Kill(pid, syscall.SIGCONT)
	if p.iq.Type != "result" || len(p.msgs) != 0 || p.fin.Fin.Complete == "true" {
		t.Fatalf("with the plugin hung: %d messages, complete=%q, want none, not complete: %s", len(p.msgs), p.fin.Fin.Complete, p.iq.XML)
	}
	if took > 17*time.Second {
		t.Errorf("answered after %s, want within the scroll-back's 15 s", took)
	}
	t.Logf("answered after %s with the plugin hung", took.Round(time.Millisecond))

	// The plugin back (or restarted by the gateway): the same query
	// gets the 50 before, in the end.
	deadline := time.Now().Add(60 * time.Second)
	for {
		id, qid := sendMAM(t, alice, before)
		p := collectMAM(t, alice, id, qid, 20*time.Second)
		if p.iq.Type != "result" {
			t.Fatalf("after the plugin came back: %s", p.iq.XML)
		}
		if len(p.msgs) == 50 {
			for i, m := range p.msgs {
				if want := fmt.Sprintf("history %d of %d", 201+i, n); m.Result.Forwarded.Message.Body != want {
					t.Fatalf("message %d is %q, want %q", i, m.Result.Forwarded.Message.Body, want)
				}
			}
			if p.fin.Fin.Complete == "true" {
				t.Fatal("complete with the cursor not done")
			}
			break
		}
		if len(p.msgs) != 0 || time.Now().After(deadline) {
			t.Fatalf("after the plugin came back: %d messages, want 50", len(p.msgs))
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	for _, st := range phone.Pending() {
		if st.Name == "message" && bareJID(st.From) == room && strings.HasPrefix(st.Body, "history ") {
			t.Errorf("the joined resource got a message from the scroll-back: %s", st.XML)
		}
	}
}

// TestRoomScrollBackRefused: the plugin refuses the history request (the
// echo network has no such cursor). The query is answered at once with
// what the archive holds, not complete, and the gateway says why.
func TestRoomScrollBackRefused(t *testing.T) {
	s := newStack(t, stackOptions{backfill: "50"})
	alice := historyRoomUser(t, s, "alice", 300)
	s.logs.waitLog(t, "chat=echo-room ended=limit", timeout)
	deadline := time.Now().Add(timeout)
	for archiveCount(t, alice) != 50 {
		if time.Now().After(deadline) {
			t.Fatal("the login's 50 never reached the archive")
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	db, err := store.Open(filepath.Join(s.dir, "data", "passerelle.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CommitHistory(context.Background(), "echo", store.HistoryBatch{LoginID: "alice-echo+history300", ChatID: "echo-room", Cursor: "nonsense"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s.start()
	s.waitGateway(alice)
	// The plugin and the login are up once echo-1 answers.
	sendChat(t, alice, "echo-1@"+domain, "are you there")
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && bareJID(st.From) == "echo-1@"+domain && st.Body == "are you there"
	}); err != nil {
		t.Fatalf("no answer from echo-1: %v", err)
	}

	start := time.Now()
	p := queryMAM(t, alice, room, rsmSet(`<max>50</max><before/>`))
	if p.iq.Type != "result" || len(p.msgs) != 50 || p.fin.Fin.Complete == "true" {
		t.Fatalf("latest page: %d messages, complete=%q, want 50, not complete: %s", len(p.msgs), p.fin.Fin.Complete, p.iq.XML)
	}
	p = queryMAM(t, alice, room, rsmSet(`<max>50</max><before>`+p.fin.Fin.Set.First+`</before>`))
	if p.iq.Type != "result" || len(p.msgs) != 0 || p.fin.Fin.Complete == "true" {
		t.Fatalf("the page before: %d messages, complete=%q, want none, not complete: %s", len(p.msgs), p.fin.Fin.Complete, p.iq.XML)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("answered after %s: a refusal should not make the client wait", took)
	}
	s.logs.waitLog(t, "scroll-back history request failed", timeout)
}

// waitStopped waits until the process pid is stopped (state T in
// /proc/PID/stat): kill returns once the signal is sent, and under load
// the plugin could still answer a request sent right after it.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			t.Fatalf("plugin %d: %v", pid, err)
		}
		if state, _ := procStat(string(stat)); state == "T" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin %d not stopped after SIGSTOP: %s", pid, stat)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
