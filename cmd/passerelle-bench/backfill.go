package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The -backfill phase: every user registers again as an echo account
// whose chats have N messages of history each ("u<i>+history<N>"); the
// gateway, configured with backfill_messages = N, fetches the history of
// the account's three echo contacts and delivers it as delayed messages,
// while the echo path is measured with one message in flight per user,
// as the rounds before measured it without history. It prints the
// history's rate and time to finish, and the echo latency against the
// run without.

// echoContacts is how many contacts (chats with history) an echo
// account has.
const echoContacts = 3

// isHistory reports whether a message stanza is backfill: it carries a
// XEP-0203 delay.
func isHistory(el []byte) bool { return bytes.Contains(el, []byte("urn:xmpp:delay")) }

func runBackfill(ctx context.Context, o options, senders []*client, target func(user, seq int) string, procs map[string]int, results [][]*phaseResult, out io.Writer) error {
	// The echo path without history, window 1, of the last round.
	var without *phaseResult
	id := 1000
	for _, pair := range results {
		for _, r := range pair {
			id++
			if r.spec.path == "echo" && r.spec.window == 1 {
				without = r
			}
		}
	}
	if without == nil {
		return fmt.Errorf("-backfill compares with the echo path at window 1: -paths must include echo")
	}
	for _, c := range senders {
		c.history.Store(0)
	}
	want := int64(len(senders) * echoContacts * o.backfill)
	received := func() int64 {
		var n int64
		for _, c := range senders {
			n += c.history.Load()
		}
		return n
	}
	var finished atomic.Int64 // ns since start when the last history message came; 0 before
	started := time.Now()

	// Register again: the login is replaced by one whose chats have the
	// history. Messages met while waiting for the answer are counted.
	if err := forEach(senders, 8, func(c *client) error {
		user := bareJID(c.jid)
		user = user[:strings.IndexByte(user, '@')]
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		id := "bf-" + user
		el, err := c.iq(rctx, id, `<iq type='set' id='`+id+`' to='`+echoDomain+`'><query xmlns='jabber:iq:register'><username>`+
			user+"+history"+strconv.Itoa(o.backfill)+`</username></query></iq>`, func(el []byte) {
			if bytes.HasPrefix(el, []byte("<message")) && isHistory(el) {
				c.history.Add(1)
			}
		})
		if err != nil {
			return fmt.Errorf("register %s again: %w", user, err)
		}
		if attr(el, "type") != "result" {
			return fmt.Errorf("register %s again: %.300s", user, el)
		}
		return nil
	}); err != nil {
		return err
	}

	// The echo path while the history flows: until -duration, or the
	// history's end if that comes first.
	pctx, stopPhase := context.WithCancel(ctx)
	defer stopPhase()
	go func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
			case <-pctx.Done():
				return
			}
			if received() >= want {
				finished.CompareAndSwap(0, int64(time.Since(started)))
				stopPhase()
				return
			}
		}
	}()
	spec := without.spec
	spec.id, spec.warmup, spec.stages = id, 0, false
	during, err := runPhase(pctx, spec, senders, target, procs)
	if err != nil {
		return fmt.Errorf("echo phase during backfill: %w", err)
	}
	historyAtEnd := received()

	// Then the rest of the history.
	deadline := time.Now().Add(10 * time.Minute)
	if finished.Load() == 0 {
		err := forEach(senders, len(senders), func(c *client) error {
			_ = c.conn.SetReadDeadline(deadline)
			defer c.conn.SetReadDeadline(time.Time{})
			for received() < want {
				el, err := c.fr.next()
				if err != nil {
					if received() >= want {
						return nil
					}
					return err
				}
				if bytes.HasPrefix(el, []byte("<message")) && isHistory(el) {
					if c.history.Add(1); received() >= want {
						finished.CompareAndSwap(0, int64(time.Since(started)))
						// The other readers are waiting for a message:
						// end them.
						for _, o := range senders {
							_ = o.conn.SetReadDeadline(time.Now())
						}
					}
				}
			}
			return nil
		})
		for _, c := range senders {
			c.fr.reset()
		}
		if err != nil && finished.Load() == 0 {
			return fmt.Errorf("%d of %d history messages after %s: %w", received(), want, time.Since(started).Round(time.Millisecond), err)
		}
	}
	took := time.Duration(finished.Load())

	fmt.Fprintf(out, "\nbackfill: %s x %d chats x %d messages = %d history messages, all delivered %s after the logins: %.0f msgs/s\n",
		count(len(senders), "user", "users"), echoContacts, o.backfill, want, took.Round(time.Millisecond), float64(want)/took.Seconds())
	fmt.Fprintf(out, "  echo window 1 while it flowed (%s measured, %d history messages came meanwhile, %.0f/s): %.0f msgs/s, p50 %s, p99 %s (%s)\n",
		during.elapsed.Round(time.Millisecond), historyAtEnd, float64(historyAtEnd)/during.elapsed.Seconds(),
		during.rate(), ms(during.pct(50)), ms(during.pct(99)), tally(during.n, during.errors, during.lost))
	fmt.Fprintf(out, "  echo window 1 without history (same run): %.0f msgs/s, p50 %s, p99 %s\n",
		without.rate(), ms(without.pct(50)), ms(without.pct(99)))
	fmt.Fprintf(out, "  during / without: msgs/s %.2f, p50 %.2f, p99 %.2f\n",
		during.rate()/without.rate(), float64(during.pct(50))/float64(without.pct(50)), float64(during.pct(99))/float64(without.pct(99)))
	_, peak, _ := procMem(procs["gateway"])
	fmt.Fprintf(out, "  gateway peak memory (VmHWM) after the backfill: %s\n", mib(peak))
	return nil
}
