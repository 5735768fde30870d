package store

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkScanDamaged: scanFrames over a damaged span between good
// records, as Open's replay reads a log with a bad block in its middle.
// Random bytes hold a length that fits the rest of the file at a few
// offsets in a thousand; "lengths" holds one at every offset, the worst
// case of a search that checks each offset's frame; zeros are the
// common damage (a crash's unwritten blocks) and fail the length test.
func BenchmarkScanDamaged(b *testing.B) {
	for _, kind := range []string{"zeros", "random", "lengths"} {
		for _, mib := range []int{1, 8, 32} {
			b.Run(fmt.Sprintf("%s/%dMiB", kind, mib), func(b *testing.B) {
				span := damageSpan(kind, mib<<20)
				good, _ := txnFrames(0, 3)
				after, _ := txnFrames(3, 6)
				log := append(append(append([]byte(nil), good...), span...), after...)
				b.SetBytes(int64(len(log)))
				for b.Loop() {
					s, err := scanFrames(log)
					if err != nil || len(s.recs) != 6 || s.damaged() != int64(len(span)) {
						b.Fatalf("scan: %d records, %d bytes damaged, %v; want 6, %d", len(s.recs), s.damaged(), err, len(span))
					}
				}
			})
		}
	}
}

// damageSpan is n bytes of damage of a kind BenchmarkScanDamaged names.
func damageSpan(kind string, n int) []byte {
	p := make([]byte, n)
	switch kind {
	case "random":
		r := rand.NewChaCha8([32]byte{1})
		r.Read(p)
	case "lengths":
		// 00 00 01 00 repeated: read at each offset, lengths of 64 KiB,
		// 256, 1 and 16 MiB.
		for i := range p {
			if i%4 == 2 {
				p[i] = 1
			}
		}
	}
	return p
}
