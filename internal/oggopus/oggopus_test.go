package oggopus

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// TestCRC: the checksum is Ogg's (CRC-32/POSIX without its final xor:
// 0x765e7680 ^ 0xffffffff for "123456789").
func TestCRC(t *testing.T) {
	if got := CRC([]byte("123456789")); got != 0x89a1897f {
		t.Fatalf("crc %#x", got)
	}
}

// page is one page of stream 7 holding packet (shorter than 255 bytes).
func page(flags byte, granule int64, packet []byte) []byte {
	p := append([]byte("OggS"), 0, flags)
	p = binary.LittleEndian.AppendUint64(p, uint64(granule))
	p = binary.LittleEndian.AppendUint32(p, 7)
	p = append(p, 0, 0, 0, 0, 0, 0, 0, 0, 1, byte(len(packet)))
	p = append(p, packet...)
	binary.LittleEndian.PutUint32(p[22:], CRC(p))
	return p
}

// TestFile: a mono stream's channels and length; a last page with a
// wrong checksum is no page (the length is not read), a first page
// without OpusHead is no Opus.
func TestFile(t *testing.T) {
	head := page(0x02, 0, []byte("OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00"))
	last := page(0x04, 312+48000*3/2, []byte("audio"))
	bad := append([]byte(nil), last...)
	bad[len(bad)-1] ^= 1
	dir := t.TempDir()
	for name, c := range map[string]struct {
		file   []byte
		ch     int
		ms     int64
		opusOK bool
	}{
		"whole":        {append(append([]byte(nil), head...), last...), 1, 1500, true},
		"bad checksum": {append(append([]byte(nil), head...), bad...), 1, 0, true},
		"vorbis":       {page(0x02, 0, []byte("\x01vorbis\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00")), 0, 0, false},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, c.file, 0o600); err != nil {
			t.Fatal(err)
		}
		ch, ms, err := File(p)
		if ch != c.ch || ms != c.ms || (err == nil) != c.opusOK {
			t.Errorf("%s: %d channels, %d ms, %v; want %d, %d, ok %v", name, ch, ms, err, c.ch, c.ms, c.opusOK)
		}
		if got := Channels(c.file); got != c.ch {
			t.Errorf("%s: Channels %d, want %d", name, got, c.ch)
		}
	}
}
