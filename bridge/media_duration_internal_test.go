package bridge

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"passerelle.im/passerelle/internal/oggopus"
)

// oggPageBytes is one Ogg page of stream serial holding packets (each
// shorter than 255*255 bytes), with its checksum.
func oggPageBytes(flags byte, granule int64, serial, seq uint32, packets ...[]byte) []byte {
	var lacing, body []byte
	for _, p := range packets {
		n := len(p)
		for ; n >= 255; n -= 255 {
			lacing = append(lacing, 255)
		}
		lacing = append(lacing, byte(n))
		body = append(body, p...)
	}
	page := append([]byte("OggS"), 0, flags)
	page = binary.LittleEndian.AppendUint64(page, uint64(granule))
	page = binary.LittleEndian.AppendUint32(page, serial)
	page = binary.LittleEndian.AppendUint32(page, seq)
	page = append(page, 0, 0, 0, 0, byte(len(lacing)))
	page = append(append(page, lacing...), body...)
	binary.LittleEndian.PutUint32(page[22:], oggopus.CRC(page))
	return page
}

// OggOpusFile is an Ogg Opus recording (RFC 7845) of that many channels
// lasting ms milliseconds, with audioBytes bytes of audio packets: the
// OpusHead page (pre-skip 312), the OpusTags page, then audio pages of
// 20 ms packets, the last one ending the stream. Exported for the e2e
// tests.
func OggOpusFile(channels byte, ms int64, audioBytes int) []byte {
	const serial, preSkip = 0x5ca1ab1e, 312
	head := append([]byte("OpusHead"), 1, channels)
	head = binary.LittleEndian.AppendUint16(head, preSkip)
	head = binary.LittleEndian.AppendUint32(head, 48000)
	head = append(head, 0, 0, 0)
	tags := append([]byte("OpusTags"), 4, 0, 0, 0)
	tags = append(tags, "test"...)
	tags = append(tags, 0, 0, 0, 0)
	f := oggPageBytes(0x02, 0, serial, 0, head)
	f = append(f, oggPageBytes(0, 0, serial, 1, tags)...)
	const perPage = 10 // packets
	packets := max(1, int(ms/20))
	size := max(1, audioBytes/packets)
	total := preSkip + ms*48
	var seq uint32 = 2
	for done := 0; done < packets; {
		var ps [][]byte
		for ; len(ps) < perPage && done < packets; done++ {
			p := bytes.Repeat([]byte{byte(done)}, size)
			if done%7 == 3 {
				copy(p, "OggS\x00") // audio may look like a page
			}
			ps = append(ps, p)
		}
		flags, granule := byte(0), preSkip+int64(done)*960
		if done == packets {
			flags, granule = 0x04, total
		}
		f = append(f, oggPageBytes(flags, granule, serial, seq, ps...)...)
		seq++
	}
	return f
}

// mp4Box32 is an MP4 box of type typ holding content.
func mp4Box32(typ string, content ...[]byte) []byte {
	c := bytes.Join(content, nil)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(c)))
	return append(append(b, typ...), c...)
}

// mvhdBox is a movie header of that version, timescale and duration.
func mvhdBox(version byte, scale uint32, dur uint64) []byte {
	c := []byte{version, 0, 0, 0}
	if version == 1 {
		c = append(c, make([]byte, 16)...) // creation, modification
		c = binary.BigEndian.AppendUint32(c, scale)
		c = binary.BigEndian.AppendUint64(c, dur)
	} else {
		c = append(c, make([]byte, 8)...)
		c = binary.BigEndian.AppendUint32(c, scale)
		c = binary.BigEndian.AppendUint32(c, uint32(dur))
	}
	c = append(c, 0, 1, 0, 0, 1, 0) // rate 1.0, volume 1.0
	c = append(c, make([]byte, 10+36+24)...)
	c = binary.BigEndian.AppendUint32(c, 2) // next track
	return mp4Box32("mvhd", c)
}

// MP4File is an MP4 (M4A) recording lasting ms milliseconds, timescale
// 44100, with audioBytes bytes of media data: ftyp, then mdat and moov
// (the movie header, and a track), moov last if moovLast as most
// recorders write it. Exported for the e2e tests.
func MP4File(ms int64, audioBytes int, moovLast bool) []byte {
	ftyp := mp4Box32("ftyp", []byte("M4A \x00\x00\x02\x00M4A mp42isom"))
	mdat := mp4Box32("mdat", bytes.Repeat([]byte("moov"), audioBytes/4))
	moov := mp4Box32("moov", mvhdBox(0, 44100, uint64(ms*44100/1000)), mp4Box32("trak", mp4Box32("tkhd", make([]byte, 84))))
	if moovLast {
		return bytes.Join([][]byte{ftyp, mdat, moov}, nil)
	}
	return bytes.Join([][]byte{ftyp, moov, mp4Box32("free", make([]byte, 16)), mdat}, nil)
}

// durations is the length read from b as a file on disk (seeking), as
// a stream of known size and as one of unknown size: all three.
func durations(t testing.TB, b []byte) []int64 {
	t.Helper()
	r := bytes.NewReader(b)
	return []int64{
		mediaDurationMs(newMediaReader(r, r, int64(len(b)))),
		mediaDurationMs(newMediaReader(bytes.NewBuffer(b), nil, int64(len(b)))),
		mediaDurationMs(newMediaReader(bytes.NewBuffer(b), nil, -1)),
	}
}

// TestMediaDuration: the length of a recording, read from the file.
func TestMediaDuration(t *testing.T) {
	ogg := OggOpusFile(1, 4200, 12_000)
	big := OggOpusFile(1, 95_000, 300_000) // its end is past oggopus.TailBytes
	v1 := mp4Box32("moov", mvhdBox(1, 48000, 48000*7+24000))
	large := binary.BigEndian.AppendUint32(nil, 1)
	large = append(large, "mdat"...)
	large = binary.BigEndian.AppendUint64(large, 16+5000)
	large = append(large, make([]byte, 5000)...)
	for _, c := range []struct {
		name string
		file []byte
		want int64
	}{
		{"ogg opus", ogg, 4200},
		{"ogg opus, long", big, 95_000},
		{"m4a, moov last", MP4File(3700, 50_000, true), 3700},
		{"m4a, moov first", MP4File(61_000, 20_000, false), 61_000},
		{"mp4, mvhd v1, 64-bit mdat", bytes.Join([][]byte{MP4File(1, 0, false)[:28], large, v1}, nil), 7500},
	} {
		for i, got := range durations(t, c.file) {
			if got != c.want {
				t.Errorf("%s (reader %d): %d ms, want %d", c.name, i, got, c.want)
			}
		}
	}
}

// TestMediaDurationUnreadable: a file whose length cannot be read, or
// should not be, has none, and costs no more than a bounded read.
func TestMediaDurationUnreadable(t *testing.T) {
	ogg := OggOpusFile(1, 4200, 12_000)
	otherSerial := append(oggPageBytes(0x02, 0, 7, 0, ogg[28:47]), ogg[47:]...) // OpusHead of stream 7
	badCRC := bytes.Clone(ogg)
	badCRC[len(badCRC)-1]++
	mp4 := MP4File(3700, 50_000, true)
	lying := bytes.Clone(mp4)
	binary.BigEndian.PutUint32(lying[28:], 1<<31) // mdat past the end
	huge := bytes.Clone(mp4[:28])
	huge = binary.BigEndian.AppendUint32(huge, 1)
	huge = append(huge, "mdat"...)
	huge = binary.BigEndian.AppendUint64(huge, math.MaxUint64)
	zero := append(bytes.Clone(mp4[:28]), 0, 0, 0, 0, 'm', 'd', 'a', 't')
	tiny := bytes.Clone(mp4[:28])
	for range 100 {
		tiny = append(tiny, 0, 0, 0, 8, 'f', 'r', 'e', 'e') // an endless row of empty boxes
	}
	tiny = append(tiny, mp4Box32("moov", mvhdBox(0, 1000, 1000))...)
	loop := append(bytes.Clone(mp4[:28]), 0, 0, 0, 4, 'f', 'r', 'e', 'e') // smaller than its header
	unknown := append(bytes.Clone(mp4[:28]), mp4Box32("moov", mvhdBox(0, 44100, math.MaxUint32))...)
	noScale := append(bytes.Clone(mp4[:28]), mp4Box32("moov", mvhdBox(0, 0, 1000))...)
	shortMvhd := append(bytes.Clone(mp4[:28]), mp4Box32("moov", mp4Box32("mvhd", []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}))...)
	childPast := append(bytes.Clone(mp4[:28]), mp4Box32("moov", binary.BigEndian.AppendUint32(nil, 4000), []byte("mvhd"))...)
	for name, file := range map[string][]byte{
		"empty":                {},
		"not media":            []byte("ID3\x04 an mp3"),
		"ogg cut short":        ogg[:len(ogg)-10],
		"ogg, junk after":      append(bytes.Clone(ogg), "junk"...),
		"ogg head only":        ogg[:47],
		"ogg, wrong checksum":  badCRC,
		"ogg, other stream":    otherSerial,
		"ogg vorbis":           oggPageBytes(0x02, 0, 1, 0, []byte("\x01vorbis\x00\x00\x00\x00\x01")),
		"mp4 cut before moov":  mp4[:len(mp4)-20],
		"mp4 mdat size lies":   lying,
		"mp4 huge 64-bit size": huge,
		"mp4 box to the end":   zero,
		"mp4 empty boxes":      tiny,
		"mp4 box under 8":      loop,
		"mp4 unknown duration": unknown,
		"mp4 timescale 0":      noScale,
		"mp4 short mvhd":       shortMvhd,
		"mp4 child past moov":  childPast,
	} {
		for i, got := range durations(t, file) {
			if got != 0 {
				t.Errorf("%s (reader %d): %d ms, want none", name, i, got)
			}
		}
	}
}

// TestFileDuration: the length of a downloaded file, read without
// reading its media data: the reads of a long MP4 file are its boxes'
// headers and its movie header, those of an Ogg file its first page and
// its last 64 KiB.
func TestFileDuration(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct {
		file     []byte
		want     int64
		maxBytes int64
	}{
		"RECORDING_20261205_231500123.m4a": {MP4File(3700, 4<<20, true), 3700, 16 << 10},
		"RECORDING_20261205_231500123.oga": {OggOpusFile(1, 600_000, 4<<20), 600_000, 96 << 10},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, c.file, 0o600); err != nil {
			t.Fatal(err)
		}
		if got := fileDurationMs(p); got != c.want {
			t.Errorf("%s: %d ms, want %d", name, got, c.want)
		}
		r := &countingReadSeeker{r: bytes.NewReader(c.file)}
		if got := mediaDurationMs(newMediaReader(r, r, int64(len(c.file)))); got != c.want || r.n > c.maxBytes {
			t.Errorf("%s: %d ms after reading %d bytes, want %d after at most %d", name, got, r.n, c.want, c.maxBytes)
		}
	}
	if got := fileDurationMs(filepath.Join(dir, "missing")); got != 0 {
		t.Errorf("missing file: %d", got)
	}
}

// countingReadSeeker counts the bytes read from r.
type countingReadSeeker struct {
	r *bytes.Reader
	n int64
}

func (c *countingReadSeeker) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReadSeeker) Seek(off int64, whence int) (int64, error) { return c.r.Seek(off, whence) }

// FuzzOggOpusDuration: any bytes after an Ogg page header: no panic, a
// length of 0 or more, the same read from a file as from a stream.
func FuzzOggOpusDuration(f *testing.F) {
	ogg := OggOpusFile(1, 4200, 3000)
	f.Add(ogg)
	f.Add(ogg[:len(ogg)-5])
	f.Add(OggOpusFile(2, 100, 10))
	f.Add(oggPageBytes(0x02, 0, 1, 0, []byte("OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00")))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !bytes.HasPrefix(b, []byte("OggS")) {
			b = append([]byte("OggS"), b...)
		}
		checkDurations(t, b)
	})
}

// FuzzMP4Duration: any boxes after an ftyp box header, as
// FuzzOggOpusDuration.
func FuzzMP4Duration(f *testing.F) {
	f.Add(MP4File(3700, 100, true))
	f.Add(MP4File(3700, 100, false))
	f.Add(append(MP4File(1, 0, false)[:28], mp4Box32("moov", mvhdBox(1, 48000, 1<<40))...))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 8 || string(b[4:8]) != "ftyp" {
			b = append([]byte("\x00\x00\x00\x10ftypM4A \x00\x00\x00\x00"), b...)
		}
		checkDurations(t, b)
	})
}

func checkDurations(t *testing.T, b []byte) {
	d := durations(t, b)
	if d[0] < 0 || d[0] != d[1] || d[0] != d[2] {
		t.Fatalf("lengths %v", d)
	}
}

// ADTSFile is raw AAC in ADTS lasting about ms milliseconds at 44.1 kHz,
// mono, each frame one raw data block of payload bytes: whole frames,
// so ms*44100/1000/1024 of them.
func ADTSFile(ms int64, payload int) []byte {
	const idx = 4 // 44100
	frames := ms * 44100 / 1000 / aacFrameSamples
	n := adtsHeaderBytes + payload
	var f []byte
	for i := range frames {
		p := bytes.Repeat([]byte{byte(i)}, payload)
		if i%5 == 2 {
			copy(p, "\xff\xf1") // audio may look like a header
		}
		f = append(f, 0xff, 0xf1, 1<<6|idx<<2, 1<<6|byte(n>>11), byte(n>>3), byte(n&7)<<5|0x1f, 0xfc)
		f = append(f, p...)
	}
	return f
}

// TestADTSDuration: raw AAC's length is its frames' samples over its
// rate; a file cut in a frame, with bytes after the last, changing rate
// or a frame shorter than its header has none.
func TestADTSDuration(t *testing.T) {
	file := ADTSFile(3000, 200)
	want := int64(len(file)/207) * 1024 * 1000 / 44100
	for i, got := range durations(t, file) {
		if got != want || got < 2900 {
			t.Errorf("reader %d: %d ms, want %d", i, got, want)
		}
	}
	twoBlocks := bytes.Clone(file[:207])
	twoBlocks[6] = 0xfd
	if got := durations(t, twoBlocks)[0]; got != 2*1024*1000/44100 {
		t.Errorf("a frame of two blocks: %d ms", got)
	}
	rate := bytes.Clone(file)
	rate[207+2] = 1<<6 | 8<<2 // the second frame at 16 kHz
	short := bytes.Clone(file)
	short[207+4], short[207+5] = 0, 3<<5 // a length of 3
	badIdx := bytes.Clone(file)
	badIdx[2] = 1<<6 | 13<<2
	for name, b := range map[string][]byte{
		"cut":          file[:len(file)-10],
		"trailing":     append(bytes.Clone(file), "TAG"...),
		"rate changes": rate,
		"short frame":  short,
		"bad rate":     badIdx,
		"header only":  file[:5],
	} {
		for i, got := range durations(t, b) {
			if got != 0 {
				t.Errorf("%s (reader %d): %d ms, want none", name, i, got)
			}
		}
	}
}

// FuzzADTSDuration: any bytes after an ADTS sync word, as
// FuzzOggOpusDuration.
func FuzzADTSDuration(f *testing.F) {
	f.Add(ADTSFile(500, 20))
	f.Add(ADTSFile(500, 20)[:30])
	f.Fuzz(func(t *testing.T, b []byte) {
		if !isADTS(b) {
			b = append([]byte{0xff, 0xf1}, b...)
		}
		checkDurations(t, b)
	})
}
