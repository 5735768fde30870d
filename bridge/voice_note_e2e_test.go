package bridge_test

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge"
	"passerelle.im/passerelle/internal/xmpptest"
)

// oggOpus is the start of an Ogg Opus file of that many channels: the
// first page with its OpusHead packet, then bytes standing for audio.
func oggOpus(channels byte) []byte {
	head := []byte("OpusHead")
	head = append(head, 1, channels)
	head = binary.LittleEndian.AppendUint16(head, 312)   // pre-skip
	head = binary.LittleEndian.AppendUint32(head, 48000) // input rate
	head = append(head, 0, 0, 0)                         // gain, mapping family
	page := []byte("OggS")
	page = append(page, 0, 2)                // version, first page
	page = append(page, make([]byte, 20)...) // granule, serial, sequence, CRC
	page = append(page, 1, byte(len(head)))
	page = append(page, head...)
	audio := make([]byte, 4000)
	rand.Read(audio)
	return append(page, audio...)
}

// sendFileWithLength sends url as a file message that, as XEP-0447's
// file-sharing with XEP-0446 metadata, says the file lasts ms.
func sendFileWithLength(t *testing.T, c *xmpptest.Client, url string, ms int) {
	t.Helper()
	raw(t, c, `<message type='chat' to='bob@`+domain+`'><body>`+url+`</body><x xmlns='jabber:x:oob'><url>`+url+`</url></x>`+
		`<file-sharing xmlns='urn:xmpp:sfs:0'><file xmlns='urn:xmpp:file:metadata:0'><length>`+fmt.Sprint(ms)+`</length></file></file-sharing></message>`)
}

// TestVoiceNoteOut: a voice message recorded in an XMPP client reaches
// the network marked as a voice note (the plugin gets VoiceNote set, and
// Opus as audio/ogg; codecs=opus), as the recorders make it: mono Opus
// in Ogg whatever its name (Conversations and its forks, Android 10 on),
// Conversations' RECORDING_….m4a and Gajim's voice-message-….m4a. A
// song the user shares (stereo Opus, an .mp3, an .m4a of its own name, a
// .flac) goes as a plain audio file, and so does mono Opus said to last
// longer than a voice message does.
func TestVoiceNoteOut(t *testing.T) {
	s := newStack(t, stackOptions{httpUpload: true})
	alice := registered(t, s, "alice")
	music := []struct {
		name, mime string
		data       []byte
		ms         int
	}{
		{"Song.opus", "audio/ogg", oggOpus(2), 0},
		{"Track 01.mp3", "audio/mpeg", []byte("ID3\x04\x00\x00\x00\x00\x00\x00 an mp3 song"), 0},
		{"holiday song.m4a", "audio/mp4", []byte("\x00\x00\x00\x20ftypM4A  an aac song"), 0},
		{"RECORDING_20261205_231500123.flac", "audio/flac", []byte("fLaC a flac"), 0},
		{"lecture.ogg", "audio/ogg", oggOpus(1), 45 * 60 * 1000},
	}
	for _, m := range music {
		url := uploadAsUser(t, s, alice, m.name, m.mime, m.data)
		if m.ms > 0 {
			sendFileWithLength(t, alice, url, m.ms)
		} else {
			sendFile(t, alice, url)
		}
		receiveFile(t, alice) // the echo: the plugin has had it
	}
	if n := s.logs.Count("file sent as a voice note"); n != 0 {
		t.Fatalf("%d shared audio files sent as voice notes:\n%s", n, s.logs.String())
	}

	voices := []struct {
		name, mime string
		data       []byte
		ms         int
		want       string
	}{
		{"2c6e1f0a-6a1b-4d7e-9f3c-0b4a5e6d7c8f.oga", "audio/ogg", oggOpus(1), 0, `mime="audio/ogg; codecs=opus"`},
		{"RECORDING_20261205_231500123.oga", "audio/ogg", oggOpus(1), 4200, `mime="audio/ogg; codecs=opus" duration_ms=4200`},
		{"RECORDING_20261205_231501456.m4a", "audio/mp4", []byte("\x00\x00\x00\x1cftypM4A  an aac recording"), 0, "mime=audio/mp4"},
		{"voice-message-20261205-231502.m4a", "audio/mp4", []byte("\x00\x00\x00\x1cftypiso5 an opus recording"), 0, "mime=audio/mp4"},
	}
	for _, v := range voices {
		url := uploadAsUser(t, s, alice, v.name, v.mime, v.data)
		if v.ms > 0 {
			sendFileWithLength(t, alice, url, v.ms)
		} else {
			sendFile(t, alice, url)
		}
		receiveFile(t, alice)
		s.logs.waitLog(t, "file sent as a voice note\" transport=echo name="+v.name+" "+v.want, 5*time.Second)
	}
	if n := s.logs.Count("file sent as a voice note"); n != len(voices) {
		t.Fatalf("%d voice notes, want %d:\n%s", n, len(voices), s.logs.String())
	}
}

// TestVoiceNoteOutByPath: a plugin that takes files as paths in its
// folder (no UploadMedia) gets the voice note marked as well, read from
// the downloaded file's start; a stereo song is not.
func TestVoiceNoteOutByPath(t *testing.T) {
	bin := pathfilesPlugin(t)
	s := newStack(t, stackOptions{httpUpload: true, plugin: bin})
	alice := registered(t, s, "alice")
	sendFile(t, alice, uploadAsUser(t, s, alice, "Song.opus", "audio/ogg", oggOpus(2)))
	receiveFile(t, alice)
	if n := s.logs.Count("file sent as a voice note"); n != 0 {
		t.Fatalf("a stereo song sent as a voice note:\n%s", s.logs.String())
	}
	sendFile(t, alice, uploadAsUser(t, s, alice, "RECORDING_20261205_231500123.oga", "audio/ogg", oggOpus(1)))
	receiveFile(t, alice)
	s.logs.waitLog(t, `file sent as a voice note" transport=echo name=RECORDING_20261205_231500123.oga mime="audio/ogg; codecs=opus"`, 5*time.Second)
}

// TestVoiceNoteLengthRead: a voice message sent as a bare URL, with no
// length (Conversations, Gajim), reaches the plugin with the length read
// from the file, streamed to the plugin: Opus in Ogg from its last
// page, AAC in MP4 from its movie header. A length the client gives
// stays, and a recording that lasts longer than a voice message goes as
// an audio file, with its length, as a song the user shares.
func TestVoiceNoteLengthRead(t *testing.T) {
	s := newStack(t, stackOptions{httpUpload: true})
	alice := registered(t, s, "alice")
	for _, v := range []struct {
		name, mime string
		data       []byte
		ms         int
		want       string
	}{
		{"2c6e1f0a-6a1b-4d7e-9f3c-0b4a5e6d7c8f.oga", "audio/ogg", bridge.OggOpusFile(1, 4200, 90_000), 0, `mime="audio/ogg; codecs=opus" duration_ms=4200`},
		{"RECORDING_20261205_231501456.m4a", "audio/mp4", bridge.MP4File(3700, 40_000, true), 0, "mime=audio/mp4 duration_ms=3700"},
		{"voice-message-20261205-231502.oga", "audio/ogg", bridge.OggOpusFile(1, 4200, 9000), 9000, `mime="audio/ogg; codecs=opus" duration_ms=9000`},
	} {
		url := uploadAsUser(t, s, alice, v.name, v.mime, v.data)
		if v.ms > 0 {
			sendFileWithLength(t, alice, url, v.ms)
		} else {
			sendFile(t, alice, url)
		}
		receiveFile(t, alice)
		s.logs.waitLog(t, "file sent as a voice note\" transport=echo name="+v.name+" "+v.want, 5*time.Second)
	}
	sendFile(t, alice, uploadAsUser(t, s, alice, "lecture.oga", "audio/ogg", bridge.OggOpusFile(1, 45*60*1000, 0)))
	receiveFile(t, alice) // the echo: the plugin has had it
	s.logs.waitLog(t, `audio file sent with its length" transport=echo name=lecture.oga duration_ms=2700000`, 5*time.Second)
	sendFile(t, alice, uploadAsUser(t, s, alice, "Song.m4a", "audio/mp4", bridge.MP4File(215_000, 40_000, true)))
	receiveFile(t, alice)
	s.logs.waitLog(t, `audio file sent with its length" transport=echo name=Song.m4a duration_ms=215000`, 5*time.Second)
	if n := s.logs.Count("voice note\" transport=echo name=lecture.oga") + s.logs.Count("voice note\" transport=echo name=Song.m4a"); n != 0 {
		t.Fatalf("a 45-minute recording or a song sent as a voice note:\n%s", s.logs.String())
	}
}

// TestVoiceNoteLengthReadByPath: the same for a plugin that takes files
// by path: the length is read from the downloaded file.
func TestVoiceNoteLengthReadByPath(t *testing.T) {
	p := newStack(t, stackOptions{httpUpload: true, plugin: pathfilesPlugin(t)})
	bob := registered(t, p, "bob")
	sendFile(t, bob, uploadAsUser(t, p, bob, "RECORDING_20261205_231500123.oga", "audio/ogg", bridge.OggOpusFile(1, 12_340, 30_000)))
	receiveFile(t, bob)
	p.logs.waitLog(t, `file sent as a voice note" transport=echo name=RECORDING_20261205_231500123.oga mime="audio/ogg; codecs=opus" duration_ms=12340`, 5*time.Second)
}
