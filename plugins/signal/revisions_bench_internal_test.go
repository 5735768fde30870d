package signal

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"
)

// BenchmarkLaterOfGroupLockWait measures how long the read loop waits
// for the inbox's lock (wait-ns/op, and the longest wait) while group updates
// ask laterOfGroup over a backlog of 5000 pending envelopes, as after a
// restart: parsing them under the lock made it wait for every parse
// (go test -bench LaterOfGroupLockWait -run '^$' ./plugins/signal/).
func BenchmarkLaterOfGroupLockWait(b *testing.B) {
	in := loadInbox("", slog.New(slog.DiscardHandler))
	for i := range 5000 {
		in.pending[uint64(i+1)] = json.RawMessage(fmt.Sprintf(
			`{"envelope":{"sourceNumber":"+1555000%04d","timestamp":%d,"dataMessage":{"timestamp":%d,"message":"hello there","groupInfo":{"groupId":"g%d","revision":%d,"type":"DELIVER"}}}}`,
			i, 1700000000000+i, 1700000000000+i, i%20, i))
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				in.laterOfGroup("g3", 100)
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
}
