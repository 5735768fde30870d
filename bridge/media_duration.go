package bridge

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"

	"passerelle.im/passerelle/internal/oggopus"
)

// A recording's length, read from the file itself, for the clients that
// send a voice message as a bare URL with no length (Conversations,
// Gajim), and for audio files the user shares: the networks show a voice
// note of unknown length as 0 s, and an audio file's length beside it.
// Only what the recorders make is read: Opus in Ogg, AAC or Opus in MP4,
// and AAC in ADTS (media_duration_adts.go).
// The file may be hostile: every read is bounded, a size that lies ends
// the reading, and a file not understood has no length (0).

const (
	// mp4MaxBoxes bounds the boxes walked at one level of an MP4 file
	// (recorders write four or five).
	mp4MaxBoxes = 64
)

// errMedia: the file is not one whose length can be read.
var errMedia = errors.New("media length not readable")

// mediaReader is a file read front to back. skip passes over bytes not
// needed: a seek on a file on disk, a read that drops them on a stream.
type mediaReader struct {
	r    *bufio.Reader
	src  io.Reader // what r buffers
	seek io.Seeker // src's, to skip by seeking; nil: a stream
	off  int64     // the offset of the next byte r yields
	size int64     // -1: unknown
}

// read reads the next n bytes (n is small: callers bound it).
func (m *mediaReader) read(n int) ([]byte, error) {
	if m.size >= 0 && m.off+int64(n) > m.size {
		return nil, errMedia
	}
	b := make([]byte, n)
	k, err := io.ReadFull(m.r, b)
	m.off += int64(k)
	if err != nil {
		return nil, errMedia
	}
	return b, nil
}

// skip passes over the next n bytes.
func (m *mediaReader) skip(n int64) error {
	if n < 0 || m.size >= 0 && n > m.size-m.off {
		return errMedia
	}
	if m.seek == nil || n <= int64(m.r.Buffered()) {
		k, err := io.CopyN(io.Discard, m.r, n)
		m.off += k
		if err != nil {
			return errMedia
		}
		return nil
	}
	if _, err := m.seek.Seek(m.off+n, io.SeekStart); err != nil {
		return errMedia
	}
	m.r.Reset(m.src)
	m.off += n
	return nil
}

// fileDurationMs is the length in milliseconds of the recording at path,
// 0 if it cannot be read from the file.
func fileDurationMs(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	return mediaDurationMs(newMediaReader(f, f, fi.Size()))
}

// newMediaReader reads r (of size bytes, -1 if unknown) from its start;
// seek, if not nil, is r's, to skip by seeking.
func newMediaReader(r io.Reader, seek io.Seeker, size int64) *mediaReader {
	return &mediaReader{r: bufio.NewReaderSize(r, 4096), src: r, seek: seek, size: size}
}

// mediaDurationMs is the length in milliseconds of the Ogg Opus, MP4 or
// ADTS recording m reads, 0 if it is none of them or cannot be read.
func mediaDurationMs(m *mediaReader) int64 {
	start, _ := m.r.Peek(8)
	var ms int64
	var err error
	switch {
	case bytes.HasPrefix(start, []byte("OggS")):
		ms, err = oggOpusDurationMs(m)
	case len(start) == 8 && string(start[4:8]) == "ftyp":
		ms, err = mp4DurationMs(m)
	case isADTS(start):
		ms, err = adtsDurationMs(m)
	}
	if err != nil || ms < 0 {
		return 0
	}
	return ms
}

// oggOpusDurationMs: the last page's granule position, less the
// pre-skip of the OpusHead on the first page, at 48 kHz (RFC 7845 §4).
func oggOpusDurationMs(m *mediaReader) (int64, error) {
	hdr, err := m.read(27)
	if err != nil {
		return 0, err
	}
	segs, err := m.read(int(hdr[26]))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range segs {
		n += int(l)
	}
	body, err := m.read(n)
	if err != nil {
		return 0, err
	}
	page := append(append(hdr, segs...), body...)
	head, ok := oggopus.FirstPage(page)
	if !ok {
		return 0, errMedia
	}

	if m.size >= 0 && m.size-m.off > oggopus.TailBytes {
		if err := m.skip(m.size - m.off - oggopus.TailBytes); err != nil {
			return 0, err
		}
	}
	tail, err := lastBytes(m.r, oggopus.TailBytes)
	if err != nil {
		return 0, errMedia
	}
	granule, ok := oggopus.LastGranule(tail, head.Serial)
	if !ok {
		return 0, errMedia
	}
	ms, ok := head.DurationMs(granule)
	if !ok {
		return 0, errMedia
	}
	return ms, nil
}

// lastBytes reads r to its end and returns its last n bytes (fewer if it
// is shorter), holding at most 2n.
func lastBytes(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, 0, 2*n)
	for {
		if len(buf) == cap(buf) {
			buf = buf[:copy(buf, buf[len(buf)-n:])]
		}
		k, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(buf) > n {
		buf = buf[len(buf)-n:]
	}
	return buf, nil
}

// mp4DurationMs: the movie header's duration over its timescale
// (ISO/IEC 14496-12 §8.2.2), found by walking the top-level boxes by
// their sizes to moov (at the start or the end), then moov's children
// to mvhd; media data is skipped, never read.
func mp4DurationMs(m *mediaReader) (int64, error) {
	for range mp4MaxBoxes {
		typ, n, err := mp4Box(m, -1)
		if err != nil {
			return 0, err
		}
		if typ == "moov" {
			return mvhdDurationMs(m, n)
		}
		if n < 0 {
			return 0, errMedia // a box to the file's end, and no moov yet
		}
		if err := m.skip(n); err != nil {
			return 0, err
		}
	}
	return 0, errMedia
}

// mp4Box reads a box header: its type and its content's size, -1 for a
// box that runs to the file's end (size 0). within, if not -1, is what
// is left of the enclosing box.
func mp4Box(m *mediaReader, within int64) (string, int64, error) {
	h, err := m.read(8)
	if err != nil {
		return "", 0, err
	}
	size, hdr := int64(binary.BigEndian.Uint32(h)), int64(8)
	switch size {
	case 0:
		if within >= 0 {
			return "", 0, errMedia
		}
		return string(h[4:8]), -1, nil
	case 1: // a 64-bit size follows
		l, err := m.read(8)
		if err != nil {
			return "", 0, err
		}
		big := binary.BigEndian.Uint64(l)
		if big > math.MaxInt64 {
			return "", 0, errMedia
		}
		size, hdr = int64(big), 16
	}
	if size < hdr || within >= 0 && size > within {
		return "", 0, errMedia
	}
	return string(h[4:8]), size - hdr, nil
}

// mvhdDurationMs finds mvhd among the children of the moov box whose
// content (n bytes, -1 to the file's end) m is at. The rest of moov is
// then skipped over: a file cut short of its end has no length.
func mvhdDurationMs(m *mediaReader, n int64) (int64, error) {
	whole := n >= 0
	if !whole {
		n = math.MaxInt64
	}
	for range mp4MaxBoxes {
		start := m.off
		typ, size, err := mp4Box(m, n)
		if err != nil {
			return 0, err
		}
		if typ != "mvhd" {
			if err := m.skip(size); err != nil {
				return 0, err
			}
			n -= m.off - start
			continue
		}
		ms, err := parseMvhd(m, size)
		if err != nil {
			return 0, err
		}
		if n -= m.off - start; whole {
			if err := m.skip(n); err != nil {
				return 0, err
			}
		}
		return ms, nil
	}
	return 0, errMedia
}

// parseMvhd reads the duration from an mvhd box's content of size bytes:
// version and flags, then creation and modification times, timescale
// and duration, 32-bit in version 0, 64-bit in version 1.
func parseMvhd(m *mediaReader, size int64) (int64, error) {
	if size < 20 {
		return 0, errMedia
	}
	b, err := m.read(int(min(size, 32)))
	if err != nil {
		return 0, err
	}
	var scale, dur uint64
	switch {
	case b[0] == 0:
		scale, dur = uint64(binary.BigEndian.Uint32(b[12:16])), uint64(binary.BigEndian.Uint32(b[16:20]))
		if dur == math.MaxUint32 {
			return 0, errMedia // unknown
		}
	case b[0] == 1 && len(b) >= 32:
		scale, dur = uint64(binary.BigEndian.Uint32(b[20:24])), binary.BigEndian.Uint64(b[24:32])
	default:
		return 0, errMedia
	}
	if scale == 0 || dur == math.MaxUint64 || dur/scale > math.MaxInt64/1000-1 {
		return 0, errMedia
	}
	return int64(dur/scale*1000 + dur%scale*1000/scale), nil
}
