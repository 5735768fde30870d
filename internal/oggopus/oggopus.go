// Package oggopus reads what the gateway needs of an Opus recording in
// Ogg (RFC 7845 over RFC 3533): its channel count and its length. The
// bridge reads the files XMPP clients send (is it a voice note, how long
// is it), the WhatsApp plugin the voice notes ffmpeg converts: one
// reader for both. The bytes may be hostile: every length is checked
// against the bytes given, and a page counts only with a right checksum.
package oggopus

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
)

const (
	// TailBytes is how much of a file's end is searched for its last
	// page: more than the largest page (27 + 255 + 255*255 bytes).
	TailBytes = 64 << 10
	// MaxPage is the largest page: a header, 255 lacing values of 255.
	MaxPage = 27 + 255 + 255*255
	// Rate is the rate of every Opus granule position (RFC 7845 §4).
	Rate = 48000
	// maxTries bounds the checksums computed in search of the last page.
	maxTries = 64
)

// Page is an Ogg page's header fields (RFC 3533 §6).
type Page struct {
	Flags   byte
	Granule int64
	Serial  uint32
	Size    int // header, segment table and body
}

// ParsePage reads the header of the page b starts with, whole in b. Its
// checksum is for the caller to check (Page.OK).
func ParsePage(b []byte) (Page, bool) {
	if len(b) < 27 || string(b[:4]) != "OggS" || b[4] != 0 {
		return Page{}, false
	}
	n := 27 + int(b[26])
	if len(b) < n {
		return Page{}, false
	}
	for _, l := range b[27:n] {
		n += int(l)
	}
	if len(b) < n {
		return Page{}, false
	}
	return Page{Flags: b[5], Granule: int64(binary.LittleEndian.Uint64(b[6:14])),
		Serial: binary.LittleEndian.Uint32(b[14:18]), Size: n}, true
}

// OK reports whether page p, which b starts with, has a right checksum.
func (p Page) OK(b []byte) bool {
	return CRC(b[:p.Size]) == binary.LittleEndian.Uint32(b[22:26])
}

// Head is what a stream's OpusHead says (RFC 7845 §5.1).
type Head struct {
	Channels int
	PreSkip  int64
	Serial   uint32 // the stream's, from its first page
}

// FirstPage reads the OpusHead of the first page, whole in b (with
// anything after it): a page with a right checksum that begins the
// stream and holds an OpusHead of version 0.x alone (RFC 7845 §3).
func FirstPage(b []byte) (Head, bool) {
	p, ok := ParsePage(b)
	if !ok || !p.OK(b) || p.Flags&0x02 == 0 {
		return Head{}, false
	}
	body := b[27+int(b[26]) : p.Size]
	if len(body) < 19 || string(body[:8]) != "OpusHead" || body[8]>>4 != 0 {
		return Head{}, false
	}
	return Head{Channels: int(body[9]), PreSkip: int64(binary.LittleEndian.Uint16(body[10:12])), Serial: p.Serial}, true
}

// Channels is the channel count of the Opus stream whose first Ogg page
// head starts with, 0 if head is not one. Only the page's header and the
// OpusHead's first ten bytes are needed (a file's first bytes): nothing
// is checked past them.
func Channels(head []byte) int {
	if !bytes.HasPrefix(head, []byte("OggS")) || len(head) < 27 {
		return 0
	}
	start := 27 + int(head[26])
	if len(head) < start+10 || !bytes.Equal(head[start:start+8], []byte("OpusHead")) {
		return 0
	}
	return int(head[start+9])
}

// LastGranule is the granule position of the last page of stream serial
// in tail, the file's end, that ends a packet (-1 says none does, RFC
// 3533 §6). The file's last page must end it: a file cut short (or with
// bytes after its last page) is not understood. Audio may hold "OggS" by
// chance: a page counts with a right checksum only, and few checksums
// are computed (a tail full of false pages would cost one each).
func LastGranule(tail []byte, serial uint32) (int64, bool) {
	end, last := len(tail), true
	for tries := 0; tries < maxTries; {
		i := bytes.LastIndex(tail[:end], []byte("OggS"))
		if i < 0 {
			break
		}
		end = i + 3 // the next search ends before this match
		p, ok := ParsePage(tail[i:])
		if !ok {
			continue
		}
		if tries++; !p.OK(tail[i:]) {
			continue
		}
		if last && i+p.Size != len(tail) {
			return 0, false
		}
		last = false
		if p.Serial == serial && p.Granule != -1 {
			return p.Granule, true
		}
	}
	return 0, false
}

// DurationMs is the length in milliseconds of a stream whose last
// granule position is granule; false when it is before the pre-skip.
func (h Head) DurationMs(granule int64) (int64, bool) {
	if granule < h.PreSkip {
		return 0, false
	}
	g := granule - h.PreSkip
	return g/Rate*1000 + g%Rate*1000/Rate, true
}

// ErrNotOpus says a file is no Opus in Ogg.
var ErrNotOpus = errors.New("not Opus in Ogg")

// File reads the channel count and the length of the Ogg Opus file at
// path: the first page's OpusHead, and the last page's granule position
// less the pre-skip. An error says it is no Ogg Opus (ErrNotOpus) or
// cannot be read; a length it cannot read is 0.
func File(path string) (channels int, durationMs int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	first := make([]byte, MaxPage)
	k, err := io.ReadFull(f, first)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return 0, 0, err
	}
	h, ok := FirstPage(first[:k])
	if !ok {
		return 0, 0, ErrNotOpus
	}
	st, err := f.Stat()
	if err != nil {
		return h.Channels, 0, nil
	}
	start := max(st.Size()-TailBytes, 0)
	tail := make([]byte, st.Size()-start)
	if _, err := f.ReadAt(tail, start); err != nil {
		return h.Channels, 0, nil
	}
	granule, ok := LastGranule(tail, h.Serial)
	if !ok {
		return h.Channels, 0, nil
	}
	ms, _ := h.DurationMs(granule)
	return h.Channels, ms, nil
}

// crcTable is Ogg's CRC-32: polynomial 0x04c11db7, not reflected, no
// initial or final xor (RFC 3533 §6), which hash/crc32 does not do.
var crcTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

// CRC is the checksum of page, computed with its checksum field taken
// as zero.
func CRC(page []byte) uint32 {
	var crc uint32
	for i, b := range page {
		if i >= 22 && i < 26 {
			b = 0
		}
		crc = crc<<8 ^ crcTable[byte(crc>>24)^b]
	}
	return crc
}
