package bridge

import (
	"bytes"
	"io"
	"mime"
	"os"
	"regexp"
	"strconv"
	"strings"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/oggopus"
	pb "passerelle.im/passerelle/plugins/proto"
)

// XMPP has no mark for a recorded voice message: clients send it as any
// other file (XEP-0363 upload, XEP-0066 URL). What tells one apart from
// a song the user shares is how the recorders make it, read from their
// sources: Conversations and its forks (Monocles, Cheogram, Snikket,
// blabber.im) record mono Opus in Ogg (RECORDING_<date>_<time>.oga) or,
// on older Android or when set so, AAC in MP4 (RECORDING_….m4a); Gajim
// records Opus in MP4 (voice-message-<date>-<time>.m4a). Music is stereo,
// and shared under its own name.

// voiceMaxMs: a file said to last longer is no voice message, whatever
// else it looks like.
const voiceMaxMs = 30 * 60 * 1000

// voiceHeadBytes is how much of a file's start voiceNote reads: an Ogg
// stream's first page, which holds the Opus header.
const voiceHeadBytes = 512

// recorderNames are the file names the known recorders give a recording.
var recorderNames = []*regexp.Regexp{
	// Conversations and its forks: RECORDING_20261205_231500123.oga
	regexp.MustCompile(`(?i)^RECORDING_\d{8}_\d{6,9}\.(m4a|oga|ogg|opus|aac)$`),
	// Gajim: voice-message-20261205-231500.m4a
	regexp.MustCompile(`(?i)^voice-message-\d{8}-\d{6}\.(m4a|oga|ogg|opus)$`),
}

// voiceTypes are the MIME types a recording is given (Android types an
// .m4a audio/mp4a-latm, Python audio/mp4, servers audio/x-m4a).
var voiceTypes = map[string]bool{
	"audio/ogg": true, "application/ogg": true, "audio/opus": true,
	"audio/mp4": true, "audio/m4a": true, "audio/x-m4a": true, "audio/mp4a-latm": true,
	"audio/aac": true, "audio/x-aac": true,
}

// opusVoiceMIME is the type WhatsApp wants of a voice note, and the
// exact one of mono Opus in Ogg (RFC 7845).
const opusVoiceMIME = "audio/ogg; codecs=opus"

// voiceNote reports whether a file the user sends, named name, typed
// mimeType, starting with head and said to last durationMs (0: not
// said), is a recorded voice message, and the MIME type to send it
// with. A file in doubt is not one: a plain audio file is still heard,
// a song sent as a voice note is not what the user meant.
func voiceNote(name, mimeType string, head []byte, durationMs int64) (bool, string) {
	base, _, err := mime.ParseMediaType(mimeType)
	if err != nil || !voiceTypes[base] || durationMs > voiceMaxMs {
		return false, mimeType
	}
	channels := oggopus.Channels(head)
	if channels == 1 {
		return true, opusVoiceMIME
	}
	if channels == 0 && isOgg(head) {
		// Ogg, not Opus (Vorbis): no recorder makes it.
		return false, mimeType
	}
	for _, re := range recorderNames {
		if re.MatchString(name) {
			if channels > 0 {
				return true, opusVoiceMIME
			}
			return true, mimeType
		}
	}
	return false, mimeType
}

// fileHead is the first n bytes of the file at path, fewer if it is
// shorter, none if it cannot be read.
func fileHead(path string, n int) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	head := make([]byte, n)
	m, _ := io.ReadFull(f, head)
	return head[:m]
}

// isOgg reports whether head starts an Ogg stream.
func isOgg(head []byte) bool { return bytes.HasPrefix(head, []byte("OggS")) }

// Namespaces of the file descriptions a client may send beside the URL
// (XEP-0446 in XEP-0447's file-sharing, Jingle's file in XEP-0385 SIMS).
const (
	nsFileMetadata = "urn:xmpp:file:metadata:0"
	nsJingleFile   = "urn:xmpp:jingle:apps:file-transfer:5"
)

// declaredDurationMs is the length (milliseconds) a file description in
// the message gives, 0 if none does.
func declaredDurationMs(st *wire.Stanza) int64 {
	var walk func(e *wire.Element, depth int) int64
	walk = func(e *wire.Element, depth int) int64 {
		if depth > 4 {
			return 0
		}
		for i := range e.Children {
			c := &e.Children[i]
			if c.XMLName.Local == "file" && (c.XMLName.Space == nsFileMetadata || c.XMLName.Space == nsJingleFile) {
				if l := c.Child("", "length"); l != nil {
					if ms, err := strconv.ParseInt(strings.TrimSpace(l.Text), 10, 64); err == nil && ms > 0 {
						return ms
					}
				}
			}
			if ms := walk(c, depth+1); ms > 0 {
				return ms
			}
		}
		return 0
	}
	return walk(&st.Element, 0)
}

// markVoiceNote sets att's voice-note flag, and info's when the file is
// streamed, for a file that is a recorded voice message (see voiceNote),
// and the length of any audio file. durationMs is the declared length,
// else the one read from the file.
func (t *transport) markVoiceNote(att *pb.Attachment, info *pb.MediaInfo, head []byte, durationMs int64) {
	voice, mt := voiceNote(att.GetName(), att.GetMimeType(), head, durationMs)
	if !voice {
		if durationMs > 0 && att.DurationMs == 0 && audioFile(att.GetMimeType()) {
			t.log.Debug("audio file sent with its length", "name", att.GetName(), "duration_ms", durationMs)
			att.DurationMs = durationMs
			if info != nil {
				info.DurationMs = durationMs
			}
		}
		return
	}
	t.log.Debug("file sent as a voice note", "name", att.GetName(), "mime", mt, "duration_ms", durationMs)
	att.VoiceNote, att.MimeType = true, mt
	if att.DurationMs == 0 {
		att.DurationMs = durationMs
	}
	if info != nil {
		info.VoiceNote, info.MimeType, info.DurationMs = true, mt, att.DurationMs
	}
}

// toMeasure reports whether the length of a file, said to last
// durationMs (0: not said), is to be read from the file: an audio file
// (a voice message or not), in a format whose length can be read.
func toMeasure(att *pb.Attachment, head []byte, durationMs int64) bool {
	if durationMs > 0 || !isOgg(head) && !isMP4(head) && !isADTS(head) {
		return false
	}
	return audioFile(att.GetMimeType())
}

// audioFile reports whether a file of type mimeType is sound the user
// shares or records, whose length the networks show.
func audioFile(mimeType string) bool {
	base, _, err := mime.ParseMediaType(mimeType)
	return err == nil && (strings.HasPrefix(base, "audio/") || voiceTypes[base])
}

// isMP4 reports whether head starts an MP4 file (its ftyp box).
func isMP4(head []byte) bool { return len(head) >= 8 && string(head[4:8]) == "ftyp" }

// markVoiceFile is markVoiceNote for a file downloaded to path: its
// start, and its length when none is said, are read from it.
func (t *transport) markVoiceFile(att *pb.Attachment, path string, durationMs int64) {
	head := fileHead(path, voiceHeadBytes)
	if toMeasure(att, head, durationMs) {
		durationMs = fileDurationMs(path)
	}
	t.markVoiceNote(att, nil, head, durationMs)
}

// markVoiceStream is markVoiceNote for a file streamed from r (size
// bytes, -1 if unknown), whose start is head. The upload reads the
// returned reader and calls done with its outcome. An audio file of
// unsaid length is measured on the way and marked by done: only att,
// as info goes before the length is known (a plugin takes either
// mark), and a file measured past voiceMaxMs is no voice note.
func (t *transport) markVoiceStream(att *pb.Attachment, info *pb.MediaInfo, r io.Reader, head []byte, size, durationMs int64) (_ io.Reader, done func(error)) {
	if !toMeasure(att, head, durationMs) {
		t.markVoiceNote(att, info, head, durationMs)
		return r, func(error) {}
	}
	head = bytes.Clone(head) // peeked: the upload's reads may reuse it
	pr, pw := io.Pipe()
	measured := make(chan int64, 1)
	// Not the stop's to wait for: done, which the upload calls as it
	// ends, closes the pipe and waits for this.
	go func() {
		ms := mediaDurationMs(newMediaReader(pr, nil, size))
		io.Copy(io.Discard, pr) // the rest of the upload
		measured <- ms
	}()
	return io.TeeReader(r, pw), func(err error) {
		pw.CloseWithError(err) // nil: the end of the file
		ms := <-measured
		if err == nil {
			t.markVoiceNote(att, nil, head, ms)
		}
	}
}
