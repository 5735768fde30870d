package store

import (
	"hash/crc32"
	"sync"
)

// crcIndex gives the CRC-32C of any span of b in constant time, from the
// checksums of b's prefixes: CRC(A||B) = CRC(A)·x^(8|B|) + CRC(B) in
// GF(2)[x] mod the polynomial (zlib's crc32_combine), so
// CRC(b[i:j]) = CRC(b[:j]) + CRC(b[:i])·x^(8(j-i)). The prefixes' checksums
// are kept every crcMark bytes and finished from there. It is built at
// its first use, in one pass over b.
type crcIndex struct {
	b     []byte
	marks []uint32 // marks[k] is the checksum of b[:k*crcMark]
}

const crcMark = 256

// sum is the CRC-32C of b[i:j].
func (x *crcIndex) sum(i, j int) uint32 {
	if x.marks == nil {
		x.marks = make([]uint32, 0, len(x.b)/crcMark+1)
		var c uint32
		for k := 0; ; k += crcMark {
			x.marks = append(x.marks, c)
			if k+crcMark > len(x.b) {
				break
			}
			c = crc32.Update(c, crcTable, x.b[k:k+crcMark])
		}
	}
	return x.prefix(j) ^ gfMul(x.prefix(i), xPow8(uint32(j-i)))
}

// prefix is the CRC-32C of b[:j].
func (x *crcIndex) prefix(j int) uint32 {
	k := j / crcMark
	return crc32.Update(x.marks[k], crcTable, x.b[k*crcMark:j])
}

// Polynomials mod CRC-32C's are held as CRC-32C holds its register,
// reflected: bit 31 is x^0, bit 0 is x^31.
const gfOne uint32 = 1 << 31

// gfMul is a·b mod the polynomial.
func gfMul(a, b uint32) uint32 {
	var p uint32
	for range 32 {
		p ^= b & -(a >> 31)
		a <<= 1
		b = b>>1 ^ crc32.Castagnoli&-(b&1)
	}
	return p
}

// xPow8 is x^(8n) mod the polynomial: what appending n zero bytes
// multiplies a checksum by. n is split in 11, 11 and 10 bits, each looked
// up in its table of powers.
func xPow8(n uint32) uint32 {
	t := xPowTables()
	return gfMul(gfMul(t[0][n&2047], t[1][n>>11&2047]), t[2][n>>22])
}

// xPowTables holds x^(8k), x^(8k·2^11) and x^(8k·2^22) for k < 2048.
var xPowTables = sync.OnceValue(func() *[3][2048]uint32 {
	t := new([3][2048]uint32)
	step := gfOne >> 8 // x^8
	for i := range t {
		t[i][0] = gfOne
		for k := 1; k < 2048; k++ {
			t[i][k] = gfMul(t[i][k-1], step)
		}
		step = gfMul(t[i][2047], step) // x^(8·2^11) after the first table
	}
	return t
})
