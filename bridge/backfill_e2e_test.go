package bridge_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/store"
)

// echoFriends are the contacts every echo account has.
var echoFriends = []string{"echo-1", "echo-2", "echo-3"}

// historyLog collects the delayed messages a client receives, by puppet.
type historyLog struct {
	mu    sync.Mutex
	texts map[string][]string // puppet's user ID -> bodies, in arrival order
	stamp map[string][]string // likewise, the delay stamps
	ids   map[string][]string // likewise, the stanzas' ids
	n     int
	other []xmpptest.Stanza // messages without a delay
}

var (
	historyBody = regexp.MustCompile(`^history (\d+) of (\d+)$`)
	delayStamp  = regexp.MustCompile(`stamp="([^"]+)"`)
)

// collect takes the client's messages from the echo puppets until ctx
// ends: delayed ones into the log, the others aside.
func collectHistory(ctx context.Context, c *xmpptest.Client) *historyLog {
	h := &historyLog{texts: map[string][]string{}, stamp: map[string][]string{}, ids: map[string][]string{}}
	go func() {
		for {
			st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
				return s.Name == "message" && strings.HasSuffix(bareJID(s.From), "@"+domain) && s.Body != ""
			})
			if err != nil {
				return
			}
			h.mu.Lock()
			if strings.Contains(st.XML, `xmlns="urn:xmpp:delay"`) {
				who := strings.TrimSuffix(bareJID(st.From), "@"+domain)
				h.texts[who] = append(h.texts[who], st.Body)
				h.ids[who] = append(h.ids[who], st.ID)
				m := delayStamp.FindStringSubmatch(st.XML)
				if m != nil {
					h.stamp[who] = append(h.stamp[who], m[1])
				}
				h.n++
			} else {
				h.other = append(h.other, st)
			}
			h.mu.Unlock()
		}
	}()
	return h
}

// waitOther waits for a message without a delay with this body.
func (h *historyLog) waitOther(t *testing.T, body string, within time.Duration) xmpptest.Stanza {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		h.mu.Lock()
		for _, st := range h.other {
			if st.Body == body {
				h.mu.Unlock()
				return st
			}
		}
		h.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no message %q within %s (others: %v)", body, within, h.other)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *historyLog) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// missing counts the history messages, of n in each chat, not received
// (at least once).
func (h *historyLog) missing(n int) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	missing := 0
	for _, who := range echoFriends {
		seen := map[string]bool{}
		for _, b := range h.texts[who] {
			seen[b] = true
		}
		missing += n - len(seen)
	}
	return missing
}

// waitCount waits until the log holds n delayed messages.
func (h *historyLog) waitCount(t *testing.T, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for h.count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d delayed messages after %s, want %d", h.count(), within, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkExactlyOnce checks that each chat got "history 1 of n" to
// "history n of n", each once; inOrder: in that order, with growing
// stamps.
func (h *historyLog) checkExactlyOnce(t *testing.T, n int, inOrder bool) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, who := range echoFriends {
		got := h.texts[who]
		seen := make([]int, n+1)
		for _, b := range got {
			m := historyBody.FindStringSubmatch(b)
			if m == nil || m[2] != strconv.Itoa(n) {
				t.Errorf("%s: unexpected delayed message %q", who, b)
				continue
			}
			i, _ := strconv.Atoi(m[1])
			seen[i]++
		}
		for i := 1; i <= n; i++ {
			if seen[i] != 1 {
				t.Errorf("%s: history %d of %d received %d times, want once", who, i, n, seen[i])
			}
		}
		if !inOrder {
			continue
		}
		for i, b := range got {
			if want := fmt.Sprintf("history %d of %d", i+1, n); b != want {
				t.Fatalf("%s: delayed message %d is %q, want %q (chat order)", who, i, b, want)
			}
		}
		st := h.stamp[who]
		if len(st) != len(got) {
			t.Fatalf("%s: %d stamps for %d messages", who, len(st), len(got))
		}
		for i := 1; i < len(st); i++ {
			a, err1 := time.Parse(time.RFC3339Nano, st[i-1])
			b, err2 := time.Parse(time.RFC3339Nano, st[i])
			if err1 != nil || err2 != nil || !a.Before(b) {
				t.Fatalf("%s: stamps %q then %q: want XEP-0082 times, growing", who, st[i-1], st[i])
			}
		}
	}
}

// A user who logs in gets each chat's history as delayed messages, in
// order, exactly once: a restart of the gateway fetches none again.
func TestBackfillOnLogin(t *testing.T) {
	s := newStack(t, stackOptions{backfill: "50"})
	alice := s.user("alice")
	s.waitGateway(alice)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := collectHistory(ctx, alice)
	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	// The echo network's 30 (fewer than the 50 asked for) of each chat.
	h.waitCount(t, 3*30, 30*time.Second)
	s.logs.waitLog(t, "history fetched", timeout)
	time.Sleep(500 * time.Millisecond) // nothing more may come
	h.checkExactlyOnce(t, 30, true)
	if h.count() != 90 {
		t.Fatalf("%d delayed messages, want 90", h.count())
	}
	// Three contacts' chats and the echo group, whose history goes to its
	// room's archive (TestRoomBackfillOnLogin), not to the user.
	if n := s.logs.Count("history fetched"); n != 4 {
		t.Errorf("history fetched %d times, want 4 (once per chat)", n)
	}
	// A reply to a history message: the network's metadata of it was
	// stored with it and is handed back (the echo network refuses a reply
	// to its message without it).
	h.mu.Lock()
	last := h.ids["echo-1"][len(h.ids["echo-1"])-1]
	h.mu.Unlock()
	to := "echo-1@" + domain
	raw(t, alice, `<message type='chat' id='hr' to='`+to+`'><body>reply to history</body><reply xmlns='urn:xmpp:reply:0' to='`+to+`' id='`+last+`'/></message>`)
	if st := h.waitOther(t, "> reply to history\nreply to history", timeout); st.Type == "error" || !strings.Contains(st.XML, nsReply) {
		t.Fatalf("the reply to a history message came back as %s", st.XML)
	}
	if n := s.logs.Count("metadata"); n != 0 {
		t.Errorf("the plugin complained of metadata %d times", n)
	}

	// A restart of the gateway: the chats are done, nothing is fetched.
	s.stop()
	s.start()
	s.waitGateway(alice)
	sendChat(t, alice, "echo-1@"+domain, "after the restart")
	h.waitOther(t, "after the restart", timeout)
	time.Sleep(2 * time.Second) // the contact sync, then backfill, follow the connect
	if n := h.count(); n != 90 {
		t.Fatalf("%d delayed messages after a restart, want still 90", n)
	}
	if n := s.logs.Count("history fetched"); n != 4 {
		t.Errorf("history fetched %d times after a restart, want still 4", n)
	}
	if n := s.logs.Count("backfill requested"); n != 4 {
		t.Errorf("backfill requested %d times, want 4 (none after the restart)", n)
	}
}

// The plugin killed in the middle of a long history: the gateway goes on,
// asks again from the stored cursors once the plugin is back, and the
// store and the user end up with every message exactly once.
func TestBackfillCrash(t *testing.T) {
	const n = 3000
	s := newStack(t, stackOptions{backfill: strconv.Itoa(n)})
	carol := s.user("carol")
	s.waitGateway(carol)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := collectHistory(ctx, carol)
	login := "carol+history" + strconv.Itoa(n)
	if r := register(t, carol, login); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	s.logs.waitLog(t, "history progress", 60*time.Second)
	s.killPlugin()
	s.logs.waitLog(t, "transport plugin stopped", timeout)
	h.waitCount(t, 3*n, 3*time.Minute)
	time.Sleep(time.Second) // nothing more may come
	h.checkExactlyOnce(t, n, false)
	if !regexp.MustCompile(`backfill requested.*cursor=[1-9]`).MatchString(s.logs.String()) {
		t.Error("no backfill resumed from a stored cursor after the crash")
	}

	// The store: each message once, every chat done with all of it.
	s.stop()
	db, err := store.Open(filepath.Join(s.dir, "data", "passerelle.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, chat := range echoFriends {
		c, err := db.GetCursor("echo", login, chat)
		if err != nil {
			t.Fatal(err)
		}
		if !c.Done || c.Stored != n {
			t.Errorf("cursor of %s: done %v, stored %d, want done with %d", chat, c.Done, c.Stored, n)
		}
		for i := 1; i <= n; i++ {
			if _, err := db.LookupRemote("echo", login, chat, fmt.Sprintf("history-%s-%d", chat, i)); err != nil {
				t.Fatalf("history %d of %s not stored: %v", i, chat, err)
			}
		}
	}
	out, err := db.Outbox("echo")
	if err != nil || len(out) != 0 {
		t.Errorf("outbox after everything was delivered: %d entries, %v", len(out), err)
	}
}

// A live message sent while a long history flows is answered long before
// the history ends.
func TestLiveDuringBackfill(t *testing.T) {
	const n = 5000
	s := newStack(t, stackOptions{backfill: strconv.Itoa(n)})
	dave := s.user("dave")
	s.waitGateway(dave)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := collectHistory(ctx, dave)
	if r := register(t, dave, "dave+history"+strconv.Itoa(n)); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	// History is flowing: stored, and being delivered.
	s.logs.waitLog(t, "history progress", 60*time.Second)
	h.waitCount(t, 1, 60*time.Second)
	sent := time.Now()
	sendChat(t, dave, "echo-2@"+domain, "live while history flows")
	echo := h.waitOther(t, "live while history flows", timeout)
	took, got := time.Since(sent), h.count()
	t.Logf("live echo after %s, with %d of %d history messages delivered", took, got, 3*n)
	if got >= 3*n {
		t.Fatalf("the live echo came after the whole history (%d messages)", got)
	}
	if strings.Contains(echo.XML, "urn:xmpp:delay") {
		t.Errorf("the live echo carries a delay: %s", echo.XML)
	}
	// The history still ends, whole.
	h.waitCount(t, 3*n, 3*time.Minute)
	h.checkExactlyOnce(t, n, true)
	sent = time.Now()
	sendChat(t, dave, "echo-2@"+domain, "live after the history")
	h.waitOther(t, "live after the history", timeout)
	t.Logf("live echo after the history: %s", time.Since(sent))
}

// The gateway stopped in the middle of a long history (its plugin with
// it): at the next start the stored history it had not delivered is
// delivered, the rest is fetched from the cursors, and the store holds
// every message once. The user gets each at least once (one written but
// not confirmed by the server before the stop comes again, with the
// same id).
func TestBackfillGatewayRestart(t *testing.T) {
	const n = 3000
	addr := freePort(t)
	s := newStack(t, stackOptions{backfill: strconv.Itoa(n), extra: "\n[metrics]\nlisten = \"" + addr + "\"\n"})
	erin := s.user("erin")
	s.waitGateway(erin)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := collectHistory(ctx, erin)
	login := "erin+history" + strconv.Itoa(n)
	if r := register(t, erin, login); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	s.logs.waitLog(t, "history progress", 60*time.Second)
	s.stop()
	before := h.count()
	s.start()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		missing := h.missing(n)
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d history messages never delivered (%d before the restart)", missing, before)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d delayed messages before the stop, %d in all for %d", before, h.count(), 3*n)
	if !strings.Contains(s.logs.String(), "delivering stored history a stop left undelivered") {
		t.Error("the history stored before the stop was not taken from the outbox at the start")
	}
	// The room's history too (the loop above counts the one-to-one
	// chats'; on a loaded machine the room's may still be coming, its
	// outbox depth at 0 between two batches), then every delivery
	// confirmed by the server (a loaded machine takes more than a second
	// for the last of 9000), so the stop leaves nothing.
	s.logs.waitLog(t, "chat=echo-room ended=done", 3*time.Minute)
	waitMetric(t, addr, `passerelle_outbox_depth{transport="echo"}`, func(v float64) bool { return v == 0 })
	s.stop()
	db, err := store.Open(filepath.Join(s.dir, "data", "passerelle.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, chat := range echoFriends {
		c, err := db.GetCursor("echo", login, chat)
		if err != nil {
			t.Fatal(err)
		}
		if !c.Done || c.Stored != n {
			t.Errorf("cursor of %s: done %v, stored %d, want done with %d", chat, c.Done, c.Stored, n)
		}
	}
	if out, err := db.Outbox("echo"); err != nil || len(out) != 0 {
		t.Errorf("outbox after everything was delivered: %d entries, %v", len(out), err)
	}
}
