package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"passerelle.im/passerelle/internal/stagetrace"
)

// epoch is the zero of the send times written into message bodies.
var epoch = time.Now()

// phaseSpec is one measured run of one path.
type phaseSpec struct {
	id       int    // written into every body, so late replies of another phase are not counted
	path     string // "baseline" or "echo"
	window   int    // messages in flight per user
	warmup   time.Duration
	duration time.Duration
	count    int  // stop after this many measured round trips (0: no bound)
	size     int  // body bytes
	chats    int  // contacts per user (echo path)
	stages   bool // keep a stamp per measured message for joinStages
	receipts bool // messages ask for delivery receipts and read markers
	// msgType is the messages' type: "chat" when empty, "groupchat" for a
	// room (room.go).
	msgType string
	// accept, when set, picks the answers among a user's messages with
	// the phase's bodies (in a room: the member's repeat, not the
	// reflection of the user's own message).
	accept func(user int, el []byte) bool
}

// phaseResult is what a phase measured.
type phaseResult struct {
	spec    phaseSpec
	n       int           // round trips completed in the measured window
	elapsed time.Duration // the measured window
	errors  int64         // error replies
	lost    int64         // sent in the window, never answered
	stanzas int64         // message stanzas received (answers, receipts...)
	lat     []time.Duration
	cpu     map[string]float64 // process -> CPU seconds in the window
	wait    float64            // seconds Prosody waited for a core in the window; -1 unknown
	stamps  []stamp            // with spec.stages
	hops    *hopStats
}

func (r *phaseResult) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r *phaseResult) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat))*p/100+0.5) - 1
	return r.lat[max(0, min(i, len(r.lat)-1))]
}

// sender is one user's side of a phase.
type sender struct {
	c      *client
	idx    int
	tokens chan struct{} // one per message in flight

	mu        sync.Mutex
	lat       []time.Duration
	sentAfter atomic.Int64 // sends of measured messages
	recvd     atomic.Int64 // measured messages answered
	errs      atomic.Int64
	stanzas   atomic.Int64 // every message stanza received while measuring
	stamps    []stamp
}

// body is "pb<phase>:<user>:<seq>:<measured>:<sent ns>:" then padding.
func makeBody(phase, user, seq int, measured bool, size int) string {
	m := 0
	if measured {
		m = 1
	}
	b := fmt.Sprintf("pb%d:%d:%d:%d:%d:", phase, user, seq, m, time.Since(epoch).Nanoseconds())
	if len(b) < size {
		b += strings.Repeat("x", size-len(b))
	}
	return b
}

// parseBody reads back what makeBody wrote.
func parseBody(b []byte) (phase int, measured bool, sent time.Duration, ok bool) {
	if !bytes.HasPrefix(b, []byte("pb")) {
		return 0, false, 0, false
	}
	f := bytes.SplitN(b[2:], []byte(":"), 6)
	if len(f) < 6 {
		return 0, false, 0, false
	}
	p, err1 := strconv.Atoi(string(f[0]))
	ns, err2 := strconv.ParseInt(string(f[4]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false, 0, false
	}
	return p, f[3][0] == '1', time.Duration(ns), true
}

// echoer is the baseline's minimal client: it answers every message
// with its body, to the sender's full JID, at once.
func echoer(c *client) error {
	return answer(c, func(b *bytes.Buffer, el, body []byte) {
		b.WriteString(`<message type='chat' to='`)
		b.WriteString(attr(el, "from"))
		b.WriteString(`'><body>`)
		b.Write(body)
		b.WriteString(`</body></message>`)
	})
}

// answer writes reply's stanza for every message with a body c receives.
func answer(c *client, reply func(b *bytes.Buffer, el, body []byte)) error {
	var b bytes.Buffer
	for {
		el, err := c.fr.next()
		if err != nil {
			return err
		}
		if bytes.HasPrefix(el, []byte("<message")) && attr(el, "type") != "error" {
			if body := bodyOf(el); body != nil {
				b.Reset()
				reply(&b, el, body)
				if err := c.queue(b.Bytes()); err != nil {
					return err
				}
			}
		}
		// Write when nothing more is waiting: one system call for what one
		// read brought.
		if !c.fr.buffered() {
			if err := c.flush(); err != nil {
				return err
			}
		}
	}
}

// runPhase runs one phase with the senders; target names each sender's
// peer for a sequence number.
func runPhase(ctx context.Context, spec phaseSpec, clients []*client, target func(user, seq int) string, procs map[string]int) (*phaseResult, error) {
	ss := make([]*sender, len(clients))
	for i, c := range clients {
		ss[i] = &sender{c: c, idx: i, tokens: make(chan struct{}, spec.window)}
	}
	var measuring atomic.Bool
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }) }
	var total atomic.Int64 // measured round trips, all users

	// Readers: one per client, counting answers of this phase.
	readErr := make(chan error, len(ss))
	idPrefix := "p" + strconv.Itoa(spec.id) + "-"
	release := func(s *sender) {
		select {
		case <-s.tokens:
		default:
		}
	}
	var rwg sync.WaitGroup
	for _, s := range ss {
		rwg.Go(func() {
			for {
				el, err := s.c.fr.next()
				if err != nil {
					readErr <- err
					return
				}
				if !bytes.HasPrefix(el, []byte("<message")) {
					continue
				}
				if isHistory(el) {
					s.c.history.Add(1) // backfill, beside the phase (-backfill)
					continue
				}
				if measuring.Load() {
					s.stanzas.Add(1)
				}
				if attr(el, "type") == "error" {
					// Error replies need not carry the body: match the id.
					if strings.HasPrefix(attr(el, "id"), idPrefix) {
						s.errs.Add(1)
						release(s)
					}
					continue
				}
				body := bodyOf(el)
				phase, measured, sent, ok := parseBody(body)
				if !ok || phase != spec.id || (spec.accept != nil && !spec.accept(s.idx, el)) {
					continue
				}
				if measured {
					d := time.Since(epoch) - sent
					s.mu.Lock()
					s.lat = append(s.lat, d)
					if spec.stages {
						if k, ok := stagetrace.Key(string(body)); ok {
							s.stamps = append(s.stamps, stamp{key: k, sent: epoch.UnixNano() + int64(sent), recv: time.Now().UnixNano()})
						}
					}
					s.mu.Unlock()
					s.recvd.Add(1)
					if n := total.Add(1); spec.count > 0 && n >= int64(spec.count) {
						halt()
					}
				}
				release(s)
			}
		})
	}

	// As a phone client does, when asked: a delivery receipt (XEP-0184)
	// and read markers (XEP-0333), which the echo network sends back.
	asks := ""
	if spec.receipts {
		asks = `<request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/>`
	}

	msgType := cmp.Or(spec.msgType, "chat")

	// Writers: one per client, keeping window messages in flight.
	var wwg sync.WaitGroup
	var sendErr atomic.Value
	for _, s := range ss {
		wwg.Go(func() {
			for seq := 0; ; seq++ {
				select {
				case s.tokens <- struct{}{}:
				case <-stop:
					return
				}
				select {
				case <-stop:
					return
				default:
				}
				m := measuring.Load()
				if m {
					s.sentAfter.Add(1)
				}
				msg := `<message type='` + msgType + `' id='` + idPrefix + strconv.Itoa(seq) + `' to='` + target(s.idx, seq) + `'><body>` +
					makeBody(spec.id, s.idx, seq, m, spec.size) + `</body>` + asks + `</message>`
				if err := s.c.write(msg); err != nil {
					sendErr.Store(err)
					halt()
					return
				}
			}
		})
	}

	// Warm up, then measure until the time or count bound.
	select {
	case <-time.After(spec.warmup):
	case <-ctx.Done():
	}
	cpu0 := sampleCPU(procs)
	wait0, werr0 := procWait(procs["prosody"])
	t0 := time.Now()
	measuring.Store(true)
	timer := time.NewTimer(spec.duration)
	select {
	case <-timer.C:
	case <-stop:
	case <-ctx.Done():
	}
	timer.Stop()
	halt()
	elapsed := time.Since(t0)
	cpu1 := sampleCPU(procs)
	wait1, werr1 := procWait(procs["prosody"])
	n := total.Load()
	wwg.Wait()

	// Let what is in flight come back (it is counted in the latencies,
	// not in the rate), then stop the readers by a deadline.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		done := true
		for _, s := range ss {
			if s.recvd.Load()+s.errs.Load() < s.sentAfter.Load() {
				done = false
			}
		}
		if done {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, s := range ss {
		_ = s.c.conn.SetReadDeadline(time.Now())
	}
	rwg.Wait()
	for _, s := range ss {
		_ = s.c.conn.SetReadDeadline(time.Time{})
	}
	// A read cut by the deadline may have left a partial element.
	for _, s := range ss {
		s.c.fr.reset()
	}
	if err, _ := sendErr.Load().(error); err != nil {
		return nil, err
	}

	r := &phaseResult{spec: spec, n: int(n), elapsed: elapsed, cpu: map[string]float64{}, wait: wait1 - wait0}
	if werr0 != nil || werr1 != nil {
		r.wait = -1
	}
	for k, v := range cpu1 {
		r.cpu[k] = v - cpu0[k]
	}
	for _, s := range ss {
		r.errors += s.errs.Load()
		r.stanzas += s.stanzas.Load()
		r.lost += max(0, s.sentAfter.Load()-s.recvd.Load()-s.errs.Load())
		r.lat = append(r.lat, s.lat...)
		r.stamps = append(r.stamps, s.stamps...)
	}
	slices.Sort(r.lat)
	if r.n == 0 {
		select {
		case err := <-readErr:
			return r, fmt.Errorf("no round trip completed: %w", err)
		default:
		}
		return r, fmt.Errorf("no round trip completed in %s", elapsed)
	}
	return r, nil
}

func sampleCPU(procs map[string]int) map[string]float64 {
	m := map[string]float64{}
	for name, pid := range procs {
		if pid <= 0 {
			continue
		}
		if v, err := procCPU(pid); err == nil {
			m[name] = v
		}
	}
	return m
}
