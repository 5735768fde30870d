package signal

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/signal/rpc"
)

// backlogInbox is an inbox (in memory) holding n pending envelopes of
// 20 groups, revisions 0 to n-1, as after a restart.
func backlogInbox(n int) *inbox {
	in := loadInbox("", slog.New(slog.DiscardHandler))
	notes := make([]rpc.Note, n)
	for i := range notes {
		notes[i] = groupNote(i, fmt.Sprintf("g%d", i%20), i, "DELIVER", false)
	}
	in.received(notes, false)
	return in
}

// laterOfGroupReparsing is laterOfGroup as it was: each call parsed
// every pending envelope again (copied under the lock, parsed outside
// it), so a backlog of n envelopes with an update every few cost n²
// parses. Kept for BenchmarkLaterOfGroup's A/B only.
func (in *inbox) laterOfGroupReparsing(gid string, rev int) (past, update bool) {
	in.mu.Lock()
	pending := make([]json.RawMessage, 0, len(in.pending))
	for _, p := range in.pending {
		pending = append(pending, p.params)
	}
	in.mu.Unlock()
	for _, p := range pending {
		if g, r, t := envelopeGroup(p); g == gid && r > rev {
			past = true
			update = update || t == "UPDATE"
		}
	}
	return past, update
}

// BenchmarkLaterOfGroup compares, in one run, a group update's question
// to the inbox over a backlog of pending envelopes, parsing them again
// (reparse, as before) or asking what was noted as each came in
// (noted) (go test -bench 'LaterOfGroup$' -run '^$' ./plugins/signal/).
func BenchmarkLaterOfGroup(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		in := backlogInbox(n)
		b.Run(fmt.Sprintf("pending=%d/reparse", n), func(b *testing.B) {
			for b.Loop() {
				in.laterOfGroupReparsing("g3", 100)
			}
		})
		b.Run(fmt.Sprintf("pending=%d/noted", n), func(b *testing.B) {
			for b.Loop() {
				in.laterOfGroup("g3", 100)
			}
		})
	}
}

// BenchmarkLaterOfGroupLockWait measures how long the read loop waits
// for the inbox's lock (wait-ns/op, and the longest wait) while group
// updates ask over a backlog of 5000 pending envelopes, as after a
// restart, one every 100 µs (each one's handling costs a listGroups
// round trip besides): reparse as before (copied under the lock, parsed
// outside), noted as now (the group's marks read under it)
// (go test -bench LaterOfGroupLockWait -run '^$' ./plugins/signal/).
func BenchmarkLaterOfGroupLockWait(b *testing.B) {
	in := backlogInbox(5000)
	for name, ask := range map[string]func(string, int) (bool, bool){"reparse": in.laterOfGroupReparsing, "noted": in.laterOfGroup} {
		b.Run(name, func(b *testing.B) {
			stop, done := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(done)
				for {
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Microsecond):
						ask("g3", 100)
					}
				}
			}()
			var longest, total time.Duration
			n := 0
			for b.Loop() {
				start := time.Now()
				in.mu.Lock()
				in.mu.Unlock() //nolint:staticcheck // the wait is what is measured
				wait := time.Since(start)
				longest, total, n = max(longest, wait), total+wait, n+1
				time.Sleep(10 * time.Microsecond) // the read loop's pace, not a spin
			}
			close(stop)
			<-done
			b.ReportMetric(float64(total.Nanoseconds())/float64(n), "wait-ns/op")
			b.ReportMetric(float64(longest.Microseconds()), "max-wait-µs")
		})
	}
}
