package store

import (
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

// TestCRCIndexSum: the checksum of a span from the file's running
// checksum is the span's own, for spans across marks, at the file's ends,
// and long enough to use each table of powers (over 4 Mi bytes for the
// third).
func TestCRCIndexSum(t *testing.T) {
	b := make([]byte, 9<<20+77)
	rand.NewChaCha8([32]byte{2}).Read(b)
	idx := crcIndex{b: b}
	r := rand.New(rand.NewPCG(1, 2))
	spans := [][2]int{{0, 0}, {0, 1}, {0, len(b)}, {len(b), len(b)}, {len(b) - 1, len(b)},
		{255, 257}, {256, 512}, {1, 1 << 22}, {3, 1<<22 + 4099}, {100, 100 + 2048*8 + 5}}
	for range 300 {
		i := r.IntN(len(b) + 1)
		spans = append(spans, [2]int{i, i + r.IntN(min(len(b)-i, 1<<r.IntN(24))+1)})
	}
	for _, sp := range spans {
		if got, want := idx.sum(sp[0], sp[1]), crc32.Checksum(b[sp[0]:sp[1]], crcTable); got != want {
			t.Fatalf("sum(%d, %d) = %08x, want %08x", sp[0], sp[1], got, want)
		}
	}
}
