package bridge

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// opusPage is an Ogg stream's first page holding an OpusHead of that
// many channels.
func opusPage(channels byte) []byte {
	head := append([]byte("OpusHead"), 1, channels, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0)
	page := append([]byte("OggS"), 0, 2)
	page = append(page, make([]byte, 20)...)
	return append(append(page, 1, byte(len(head))), head...)
}

// TestVoiceNoteSignals: which files are taken for a recorded voice
// message, and which for a file the user shares.
func TestVoiceNoteSignals(t *testing.T) {
	vorbis := append([]byte("OggS\x00\x02"), make([]byte, 20)...)
	vorbis = append(append(vorbis, 1, 30), "\x01vorbis"...)
	for _, c := range []struct {
		name, mime string
		head       []byte
		ms         int64
		voice      bool
		wantMIME   string
	}{
		{"a1b2.oga", "audio/ogg", opusPage(1), 0, true, opusVoiceMIME},
		{"a1b2.ogg", "application/ogg", opusPage(1), 3000, true, opusVoiceMIME},
		{"RECORDING_20261205_231500123.oga", "audio/ogg", opusPage(2), 0, true, opusVoiceMIME},
		{"RECORDING_20261205_231500.m4a", "audio/mp4a-latm", nil, 0, true, "audio/mp4a-latm"},
		{"voice-message-20261205-231500.m4a", "audio/mp4", []byte("\x00\x00\x00\x1cftypiso5"), 0, true, "audio/mp4"},
		// Shared audio.
		{"Song.opus", "audio/ogg", opusPage(2), 0, false, "audio/ogg"},
		{"Song.ogg", "audio/ogg", vorbis, 0, false, "audio/ogg"},
		{"RECORDING_20261205_231500123.ogg", "audio/ogg", vorbis, 0, false, "audio/ogg"},
		{"song.mp3", "audio/mpeg", []byte("ID3"), 0, false, "audio/mpeg"},
		{"RECORDING_20261205_231500.mp3", "audio/mpeg", []byte("ID3"), 0, false, "audio/mpeg"},
		{"album.flac", "audio/flac", []byte("fLaC"), 0, false, "audio/flac"},
		{"song.m4a", "audio/mp4", []byte("\x00\x00\x00\x1cftypM4A "), 0, false, "audio/mp4"},
		{"talk.ogg", "audio/ogg", opusPage(1), 45 * 60 * 1000, false, "audio/ogg"},
		{"RECORDING_20261205_231500.m4a", "video/mp4", nil, 0, false, "video/mp4"},
		{"a.oga", "audio/ogg", opusPage(1)[:30], 0, false, "audio/ogg"}, // a cut header: no Opus
	} {
		voice, mt := voiceNote(c.name, c.mime, c.head, c.ms)
		if voice != c.voice || mt != c.wantMIME {
			t.Errorf("%s (%s): voice %v %q, want %v %q", c.name, c.mime, voice, mt, c.voice, c.wantMIME)
		}
	}
}

// TestDeclaredDuration: the length a message's file description gives,
// as XEP-0446 metadata in XEP-0447 or Jingle's file in XEP-0385 SIMS.
func TestDeclaredDuration(t *testing.T) {
	for x, want := range map[string]int64{
		`<message><file-sharing xmlns='urn:xmpp:sfs:0'><file xmlns='urn:xmpp:file:metadata:0'><length>4200</length></file></file-sharing></message>`:                                                                               4200,
		`<message><reference xmlns='urn:xmpp:reference:0' type='data'><media-sharing xmlns='urn:xmpp:sims:1'><file xmlns='urn:xmpp:jingle:apps:file-transfer:5'><length>900</length></file></media-sharing></reference></message>`: 900,
		`<message><body>x</body></message>`: 0,
		`<message><file-sharing xmlns='urn:xmpp:sfs:0'><file xmlns='urn:xmpp:file:metadata:0'><length>-3</length></file></file-sharing></message>`: 0,
		`<message><file xmlns='other'><length>5</length></file></message>`:                                                                         0,
	} {
		var st wire.Stanza
		if err := xml.Unmarshal([]byte(x), &st); err != nil {
			t.Fatal(err)
		}
		if got := declaredDurationMs(&st); got != want {
			t.Errorf("%s: %d, want %d", x, got, want)
		}
	}
}

// TestFileHead: the start of a downloaded file, read for the fetch path.
func TestFileHead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, opusPage(1), 0o600)
	if voice, _ := voiceNote("x.oga", "audio/ogg", fileHead(p, voiceHeadBytes), 0); !voice {
		t.Fatal("a downloaded mono Opus file is no voice note")
	}
	if h := fileHead(filepath.Join(t.TempDir(), "missing"), 8); h != nil {
		t.Fatalf("missing file: %q", h)
	}
}

// TestVoiceNoteLength: a voice message sent with no length gets the one
// read from the file, downloaded (markVoiceFile) or streamed to the
// plugin (markVoiceStream); a length the client gives stays; a
// recording that lasts longer than a voice message is no voice note.
func TestVoiceNoteLength(t *testing.T) {
	tr := &transport{log: slog.New(slog.DiscardHandler)}
	dir := t.TempDir()
	for _, c := range []struct {
		name, mime string
		file       []byte
		declared   int64
		voice      bool
		wantMs     int64
	}{
		{"a1b2.oga", "audio/ogg", OggOpusFile(1, 4200, 8000), 0, true, 4200},
		{"RECORDING_20261205_231500123.m4a", "audio/mp4", MP4File(3700, 20_000, true), 0, true, 3700},
		{"voice-message-20261205-231502.m4a", "audio/mp4", MP4File(61_500, 20_000, false), 0, true, 61_500},
		{"a1b2.oga", "audio/ogg", OggOpusFile(1, 4200, 8000), 9000, true, 9000},
		{"RECORDING_20261205_231500123.aac", "audio/aac", ADTSFile(2000, 50), 0, true, 1996},
		// Past a voice message's length: an audio file, with its length.
		{"lecture.oga", "audio/ogg", OggOpusFile(1, 45*60*1000, 20_000), 0, false, 45 * 60 * 1000},
		{"RECORDING_20261205_231500123.m4a", "audio/mp4", MP4File(31*60*1000, 20_000, true), 0, false, 31 * 60 * 1000},
		{"RECORDING_20261205_231500123.m4a", "audio/mp4", []byte("\x00\x00\x00\x1cftypM4A  cut"), 0, true, 0},
		// Audio files the user shares have their length too.
		{"Song.m4a", "audio/mp4", MP4File(215_000, 20_000, false), 0, false, 215_000},
		{"Song.opus", "audio/ogg", OggOpusFile(2, 5000, 8000), 0, false, 5000},
		{"song.aac", "audio/x-aac", ADTSFile(2000, 50), 0, false, 1996},
		{"song.mp3", "audio/mpeg", []byte("ID3\x04\x00\x00\x00\x00\x00\x00"), 7000, false, 7000},
		{"song.mp3", "audio/mpeg", []byte("ID3\x04\x00\x00\x00\x00\x00\x00"), 0, false, 0},
		// Not audio: no length read.
		{"clip.mp4", "video/mp4", MP4File(3700, 20_000, true), 0, false, 0},
		{"notes.bin", "application/octet-stream", ADTSFile(2000, 50), 0, false, 0},
	} {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, c.file, 0o600); err != nil {
			t.Fatal(err)
		}
		att := &pb.Attachment{Name: c.name, MimeType: c.mime}
		tr.markVoiceFile(att, p, c.declared)
		if att.VoiceNote != c.voice || att.DurationMs != c.wantMs {
			t.Errorf("%s (%d ms said), downloaded: voice %v, %d ms; want %v, %d ms", c.name, c.declared, att.VoiceNote, att.DurationMs, c.voice, c.wantMs)
		}

		att = &pb.Attachment{Name: c.name, MimeType: c.mime}
		info := &pb.MediaInfo{Name: c.name, MimeType: c.mime}
		// As streamAttachment: the head peeked from a buffer the upload
		// then reads through, here a byte at a time.
		br := bufio.NewReaderSize(bytes.NewReader(c.file), voiceHeadBytes)
		head, _ := br.Peek(voiceHeadBytes)
		r, done := tr.markVoiceStream(att, info, br, head, int64(len(c.file)), c.declared)
		got, err := io.ReadAll(iotest.OneByteReader(r))
		done(err)
		if err != nil || !bytes.Equal(got, c.file) {
			t.Fatalf("%s: the stream changed: %v", c.name, err)
		}
		if att.VoiceNote != c.voice || att.DurationMs != c.wantMs {
			t.Errorf("%s (%d ms said), streamed: voice %v, %d ms; want %v, %d ms", c.name, c.declared, att.VoiceNote, att.DurationMs, c.voice, c.wantMs)
		}
		if info.VoiceNote && (c.declared == 0 || !c.voice) {
			t.Errorf("%s: the upload is marked before its length is known", c.name)
		}
	}
}

// TestVoiceNoteStreamBroken: a stream that breaks off marks nothing and
// leaves nothing running.
func TestVoiceNoteStreamBroken(t *testing.T) {
	tr := &transport{log: slog.New(slog.DiscardHandler)}
	file := OggOpusFile(1, 4200, 200_000)
	att := &pb.Attachment{Name: "a.oga", MimeType: "audio/ogg"}
	r, done := tr.markVoiceStream(att, &pb.MediaInfo{}, bytes.NewReader(file), file[:voiceHeadBytes], int64(len(file)), 0)
	if _, err := io.CopyN(io.Discard, r, 1000); err != nil {
		t.Fatal(err)
	}
	done(errors.New("the upload failed"))
	if att.VoiceNote || att.DurationMs != 0 {
		t.Fatalf("a broken upload marked: %v", att)
	}
}
