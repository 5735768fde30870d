package bridge

import "io"

// The length of raw AAC in ADTS (.aac), which has no header for the
// whole file: its frames are counted, each header read and its payload
// skipped (ISO/IEC 13818-7 §6.2, ISO/IEC 14496-3 §1.A.2.2). Every frame
// must be one, at the first frame's rate, up to the file's end: a file
// cut short, or with anything after its last frame, has no length.

const (
	// adtsHeaderBytes is an ADTS frame header without its CRC.
	adtsHeaderBytes = 7
	// adtsMaxFrames bounds the frames counted: a day of audio at
	// 48 kHz, 1024 samples a frame, is about 4 million.
	adtsMaxFrames = 1 << 22
	// aacFrameSamples is the samples of one raw data block at the
	// rate the header says (HE-AAC's header gives its core rate).
	aacFrameSamples = 1024
)

// adtsRates are the rates of the header's sampling frequency index.
var adtsRates = [...]int64{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}

// isADTS reports whether head starts an ADTS frame: the 12-bit sync
// word, then layer 0.
func isADTS(head []byte) bool { return len(head) >= 2 && head[0] == 0xff && head[1]&0xf6 == 0xf0 }

// adtsDurationMs counts the frames m reads to its end.
func adtsDurationMs(m *mediaReader) (int64, error) {
	var h [adtsHeaderBytes]byte
	rate := int64(-1)
	var samples int64
	for range adtsMaxFrames {
		k, err := io.ReadFull(m.r, h[:])
		m.off += int64(k)
		if k == 0 && err == io.EOF && rate > 0 {
			return samples * 1000 / rate, nil
		}
		if err != nil || !isADTS(h[:]) {
			return 0, errMedia
		}
		idx := int(h[2] >> 2 & 0x0f)
		if idx >= len(adtsRates) || rate > 0 && adtsRates[idx] != rate {
			return 0, errMedia
		}
		rate = adtsRates[idx]
		length := int64(h[3]&0x03)<<11 | int64(h[4])<<3 | int64(h[5])>>5
		if length < adtsHeaderBytes {
			return 0, errMedia
		}
		samples += int64(h[6]&0x03+1) * aacFrameSamples
		if err := m.skip(length - adtsHeaderBytes); err != nil {
			return 0, err
		}
	}
	return 0, errMedia
}
