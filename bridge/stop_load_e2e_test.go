package bridge_test

import (
	"context"
	"fmt"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// stopLoadWait bounds a stop under load: a failure deadline for a
// deadlock, not a measure of speed.
const stopLoadWait = 90 * time.Second

// answers collects, by id, the answers to a client's messages to bob:
// the echo (its body is the id) or an error (its id).
type answers struct {
	mu  sync.Mutex
	got map[string]string // id -> "echo" or the error's XML
}

func collectAnswers(ctx context.Context, c *xmpptest.Client, prefix string) *answers {
	a := &answers{got: map[string]string{}}
	go func() {
		for {
			st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
				return s.Name == "message" && (s.Type == "error" && strings.HasPrefix(s.ID, prefix) ||
					bareJID(s.From) == "bob@"+domain && strings.HasPrefix(s.Body, prefix))
			})
			if err != nil {
				return
			}
			a.mu.Lock()
			if st.Type == "error" {
				a.got[st.ID] = st.XML
			} else if _, ok := a.got[st.Body]; !ok {
				a.got[st.Body] = "echo"
			}
			a.mu.Unlock()
		}
	}()
	return a
}

func (a *answers) has(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.got[id]
	return ok
}

// stopBounded stops the stack's gateway, failing with every goroutine's
// stack when it does not end within stopLoadWait.
func stopBounded(t *testing.T, s *stack, round int) {
	t.Helper()
	s.cancel()
	select {
	case <-s.done:
	case <-time.After(stopLoadWait):
		var b strings.Builder
		pprof.Lookup("goroutine").WriteTo(&b, 2)
		t.Fatalf("round %d: the gateway did not stop within %s under load; goroutines:\n%s", round, stopLoadWait, b.String())
	}
	s.cancel = nil
}

// TestStopUnderLoadBounded: the gateway stopped again and again while a
// user's messages flow, its login reconnects (relogin) and other users'
// histories are being fetched ends each time (its goroutines beside the
// chats waited for, none waiting on something the stop ends after), and
// loses nothing: after the last start every message the user sent is
// answered (echoed, or refused with an error), and every history is
// delivered whole.
func TestStopUnderLoadBounded(t *testing.T) {
	const rounds, n = 3, 300
	s := newStack(t, stackOptions{backfill: strconv.Itoa(n)})
	alice := registered(t, s, "alice")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := collectAnswers(ctx, alice, "ld")
	var sent []string
	var histories []*historyLog
	for round := range rounds {
		// A history under way at the stop: a new login's.
		u := s.user("hist" + strconv.Itoa(round))
		s.waitGateway(u)
		h := collectHistory(ctx, u)
		histories = append(histories, h)
		if r := register(t, u, "hist"+strconv.Itoa(round)+"+history"+strconv.Itoa(n)); r.Type != "result" {
			t.Fatalf("round %d: register: %s", round, r.XML)
		}
		// Messages and relogins until the stop.
		stopSending := make(chan struct{})
		sending := make(chan []string)
		go func() {
			var ids []string
			defer func() { sending <- ids }()
			for i := 0; ; i++ {
				select {
				case <-stopSending:
					return
				default:
				}
				if i%15 == 7 {
					if err := alice.SendRaw(ctx, `<message type='chat' to='`+domain+`'><body>relogin</body></message>`); err != nil {
						return
					}
				}
				id := fmt.Sprintf("ld%d-%d", round, i)
				if err := alice.SendRaw(ctx, `<message type='chat' id='`+id+`' to='bob@`+domain+`'><body>`+id+`</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/><request xmlns='urn:xmpp:receipts'/></message>`); err != nil {
					return
				}
				ids = append(ids, id)
				time.Sleep(5 * time.Millisecond) // a steady flow, not a flood the server throttles
			}
		}()
		// The stop comes with the history and the messages under way.
		first := fmt.Sprintf("ld%d-0", round)
		deadline := time.Now().Add(60 * time.Second)
		for h.count() == 0 || !got.has(first) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: no history (%d) or no answer to %s before the stop", round, h.count(), first)
			}
			time.Sleep(20 * time.Millisecond)
		}
		// The last message sent is read before the stop: one still on
		// the component stream as the link closes is the link's to keep
		// (XEP-0114 has no acknowledgement), not what this test checks.
		close(stopSending)
		ids := <-sending
		sent = append(sent, ids...)
		s.logs.waitLog(t, `msg="message read recorded" transport=echo login=alice id=`+ids[len(ids)-1]+"\n", timeout)
		stopBounded(t, s, round)
		s.start()
	}
	deadline := time.Now().Add(3 * time.Minute)
	for _, id := range sent {
		for !got.has(id) {
			if time.Now().After(deadline) {
				missing := 0
				for _, id := range sent {
					if !got.has(id) {
						missing++
					}
				}
				t.Fatalf("%d of %d messages sent under load never answered (first: %s)", missing, len(sent), id)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for round, h := range histories {
		deadline := time.Now().Add(3 * time.Minute)
		for {
			missing := h.missing(n)
			if missing == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d's history: %d messages never delivered", round, missing)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("%d messages sent across %d stops, all answered", len(sent), rounds)
}
