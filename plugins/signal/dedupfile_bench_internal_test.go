package signal

import (
	"strconv"
	"testing"
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
