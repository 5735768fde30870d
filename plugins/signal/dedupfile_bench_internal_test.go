package signal

import (
	"fmt"
	"log/slog"
	"strconv"
	"testing"

	"passerelle.im/passerelle/plugins/signal/rpc"
)

// BenchmarkDedupAppend measures a handled envelope's line appended to
// handled.jsonl as it is (unsynced) against the same append synced, in
// one run on one disk: the cost an fsync per envelope handled would add
// (go test -bench DedupAppend -run '^$' ./plugins/signal/).
func BenchmarkDedupAppend(b *testing.B) {
	key := "+15550001|b0b0b0b0-0000-4000-8000-000000000001|+15550002|1|1700000000000|1700000000001|false|dataMessage,source,sourceDevice,sourceUuid,timestamp"
	for _, sync := range []bool{false, true} {
		b.Run("sync="+strconv.FormatBool(sync), func(b *testing.B) {
			path := b.TempDir() + "/" + dedupFileName
			line := []byte(`{"k":"` + key + `"}` + "\n")
			for b.Loop() {
				if _, err := appendLines(path, line, sync); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReceivePath measures an envelope's way through the plugin's
// files as the session takes it (read into the inbox, synced; noted in
// handled.jsonl; marked handled in the inbox, which is emptied, synced,
// once nothing is pending), with handled.jsonl synced before the inbox
// drops its marks (synced, as now) or not (unsynced, as before),
// in one run on one disk; read is how many envelopes one read gives, as
// a burst or a backlog does (go test -bench ReceivePath -run '^$'
// ./plugins/signal/).
func BenchmarkReceivePath(b *testing.B) {
	log := slog.New(slog.DiscardHandler)
	for _, read := range []int{1, 16} {
		for _, synced := range []bool{false, true} {
			name := fmt.Sprintf("read=%d/synced=%v", read, synced)
			b.Run(name, func(b *testing.B) {
				dir := b.TempDir()
				var d strayDedup
				in := loadReceived(dir, log, &d)
				if !synced {
					in.beforeForget = nil // as before
				}
				i := 0
				for b.Loop() {
					notes := make([]rpc.Note, read)
					for j := range notes {
						notes[j] = groupNote(i, "g1", i, "DELIVER", false)
						i++
					}
					in.received(notes, false)
					for _, n := range notes {
						_, k := d.own(n, false)
						d.keep(k)
						in.handledNoted(n.Ref, k)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/envelope")
			})
		}
	}
}
