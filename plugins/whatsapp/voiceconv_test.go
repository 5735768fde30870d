package whatsapp

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"

	"passerelle.im/passerelle/internal/oggopus"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// needFFmpeg fails under CI=true when ffmpeg is missing, else skips.
func needFFmpeg(t *testing.T) string {
	t.Helper()
	plugintest.Need(t, "ffmpeg (Debian: ffmpeg; scripts/install-deps.sh installs it)", "ffmpeg", "-version")
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// recording makes a two-second tone with ffmpeg, encoded by the
// arguments given, as a recorder would.
func recording(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("ffmpeg", append(append([]string{"-nostdin", "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=2"}, args...), p)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// syncBuffer is a log written by the plugin's goroutines, read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sendVoice sends file as a voice note typed mime, said to last 1500 ms
// (the gateway's reading), uploaded or by path, and returns the audio
// message that reached WhatsApp, the file uploaded and the plugin's log.
func sendVoice(t *testing.T, config string, file []byte, mime string, byPath bool) (*waE2E.AudioMessage, []byte, string) {
	t.Helper()
	r := newRig(t, config)
	var log syncBuffer
	r.n.log = slog.New(slog.NewTextHandler(&log, nil))
	s, fake := r.connected(t)
	ctx := context.Background()
	att := &pb.Attachment{Name: "RECORDING_20261205_231500123.m4a", MimeType: mime, VoiceNote: true, DurationMs: 1500}
	if byPath {
		p := filepath.Join(t.TempDir(), att.Name)
		if err := os.WriteFile(p, file, 0o600); err != nil {
			t.Fatal(err)
		}
		att.Source = &pb.Attachment_Path{Path: p}
		defer func() {
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("the host's file is still there (%v)", err)
			}
		}()
	} else {
		id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: att.Name, MimeType: mime}, bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		att.Source = &pb.Attachment_UploadId{UploadId: id}
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33611111111", TxnID: "txn-voice"}, &pb.SendMessage{Attachments: []*pb.Attachment{att}}); err != nil {
		t.Fatal(err)
	}
	sent, err := fake.WaitSent(1, eventWait)
	if err != nil {
		t.Fatalf("sent %v: %v", fake.Sent(), err)
	}
	am := sent[0].Msg.GetAudioMessage()
	if am == nil {
		t.Fatalf("sent %v, not an audio message", sent[0].Msg)
	}
	// The converted file is removed once sent.
	spool, _ := filepath.Glob(filepath.Join(r.n.dataDir, mediaDirName, "*"))
	if len(spool) != 0 {
		t.Errorf("left in the media spool: %v", spool)
	}
	return am, fake.Media(am.GetDirectPath()), log.String()
}

// isMonoOggOpus checks what WhatsApp got is mono Opus in Ogg, and says
// how long it lasts.
func isMonoOggOpus(t *testing.T, b []byte) int64 {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sent.ogg")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	ch, ms, err := oggopus.File(p)
	if !bytes.HasPrefix(b, []byte("OggS")) || err != nil || ch != 1 {
		t.Fatalf("sent %q…: %d channels, %v", b[:min(len(b), 40)], ch, err)
	}
	return ms
}

// A voice note in MP4, AAC (Conversations, Monal) or Opus (Gajim), goes
// to WhatsApp as the apps' own: mono Opus in Ogg, a PTT, with the
// converted file's length.
func TestVoiceNoteConverted(t *testing.T) {
	needFFmpeg(t)
	cases := []struct {
		name   string
		file   []byte
		byPath bool
		config string
	}{
		{"AAC in MP4, uploaded", recording(t, "a.m4a", "-ac", "1", "-c:a", "aac", "-f", "mp4"), false, ""},
		{"AAC in MP4, stereo, by path", recording(t, "a.m4a", "-ac", "2", "-c:a", "aac", "-f", "mp4"), true, ""},
		{"Opus in MP4 (Gajim)", recording(t, "o.m4a", "-ac", "1", "-c:a", "libopus", "-f", "mp4"), false, ""},
		{"AAC in ADTS", recording(t, "a.aac", "-ac", "1", "-c:a", "aac", "-f", "adts"), true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			am, got, log := sendVoice(t, c.config, c.file, "audio/mp4", c.byPath)
			ms := isMonoOggOpus(t, got)
			if am.GetMimetype() != opusVoiceMIME || !am.GetPTT() || am.GetSeconds() != 2 || ms < 1900 || ms > 2100 {
				t.Errorf("sent %v (length %d ms)", am, ms)
			}
			if strings.Contains(log, "not converted") {
				t.Errorf("log:\n%s", log)
			}
		})
	}
	// Gajim's Opus is moved into Ogg as it is, not encoded again: its
	// packets are there.
	t.Run("Opus copied", func(t *testing.T) {
		in := recording(t, "o.m4a", "-ac", "1", "-c:a", "libopus", "-b:a", "24k", "-f", "mp4")
		dir := t.TempDir()
		p := filepath.Join(dir, "o.m4a")
		if err := os.WriteFile(p, in, 0o600); err != nil {
			t.Fatal(err)
		}
		out, _, cleanup, err := (&Network{}).voiceForWhatsApp(context.Background(), p, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer cleanup()
		b, _ := os.ReadFile(out)
		if len(b) == 0 || len(b) > len(in)*11/10 || len(b) < len(in)*8/10 {
			t.Errorf("copied %d bytes from %d", len(b), len(in))
		}
	})
}

// The config names the ffmpeg to run when PATH has none.
func TestVoiceNoteFFmpegConfigured(t *testing.T) {
	bin := needFFmpeg(t)
	file := recording(t, "a.m4a", "-ac", "1", "-c:a", "aac", "-f", "mp4")
	t.Setenv("PATH", t.TempDir())
	am, got, _ := sendVoice(t, fmt.Sprintf(`{"ffmpeg": %q}`, bin), file, "audio/mp4", false)
	isMonoOggOpus(t, got)
	if !am.GetPTT() || am.GetMimetype() != opusVoiceMIME {
		t.Errorf("sent %v", am)
	}
}

// Without ffmpeg, or with a file it cannot read, the voice note goes as
// it came, an audio file with the gateway's length: nothing is lost, and
// one log line says why.
func TestVoiceNoteNotConverted(t *testing.T) {
	needFFmpeg(t)
	m4a := recording(t, "a.m4a", "-ac", "1", "-c:a", "aac", "-f", "mp4")
	garbage := append([]byte("\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A isom"), bytes.Repeat([]byte("not audio"), 500)...)
	cases := []struct {
		name   string
		file   []byte
		path   string // PATH; "" = the test's
		config string
	}{
		{"no ffmpeg on PATH", m4a, t.TempDir(), ""},
		{"configured ffmpeg missing", m4a, "", `{"ffmpeg": "/nonexistent/ffmpeg"}`},
		{"ffmpeg fails", garbage, "", ""},
		{"no format a recorder makes", []byte("RIFF....WAVEfmt "), "", ""},
	}
	for _, c := range cases {
		for _, byPath := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, by path %v", c.name, byPath), func(t *testing.T) {
				if c.path != "" {
					t.Setenv("PATH", c.path)
				}
				am, got, log := sendVoice(t, c.config, c.file, "audio/mp4", byPath)
				if am.GetMimetype() != "audio/mp4" || am.GetPTT() || am.GetSeconds() != 1 || !bytes.Equal(got, c.file) {
					t.Errorf("sent %v, %d bytes of %d", am, len(got), len(c.file))
				}
				if n := strings.Count(log, "voice note not converted"); n != 1 {
					t.Errorf("%d log lines:\n%s", n, log)
				}
			})
		}
	}
}

// An Ogg Opus voice note goes as it came, ffmpeg not run.
func TestVoiceNoteOggUnchanged(t *testing.T) {
	file := []byte("OggS not really")
	t.Setenv("PATH", t.TempDir())
	am, got, log := sendVoice(t, "", file, opusVoiceMIME, false)
	if !am.GetPTT() || !bytes.Equal(got, file) || strings.Contains(log, "not converted") {
		t.Errorf("sent %v, %q; log:\n%s", am, got, log)
	}
}

// oggPage is an Ogg page, as ffmpeg writes them (with its checksum; the
// first begins the stream), of one packet shorter than 255 bytes.
func oggPage(granule uint64, packet []byte) []byte {
	p := append([]byte("OggS"), 0, 0)
	if granule == 0 {
		p[5] = 0x02
	}
	p = binary.LittleEndian.AppendUint64(p, granule)
	p = append(p, make([]byte, 12)...)
	p = append(append(p, 1, byte(len(packet))), packet...)
	binary.LittleEndian.PutUint32(p[22:], oggopus.CRC(p))
	return p
}

// TestOggOpusInfo: the channels and length of ffmpeg's output, its
// last page found though its audio holds "OggS"; no length when the
// file does not end with a page.
func TestOggOpusInfo(t *testing.T) {
	head := oggPage(0, []byte("OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00"))
	file := append(bytes.Clone(head), oggPage(312+96000, []byte("audio OggS\x00\x00 more"))...)
	dir := t.TempDir()
	for name, c := range map[string]struct {
		file []byte
		ch   int
		ms   int64
		ok   bool
	}{
		"whole":         {file, 2, 2000, true},
		"cut":           {file[:len(file)-2], 2, 0, true},
		"head only":     {head, 2, 0, true},
		"not Opus":      {oggPage(0, []byte("\x01vorbis\x00\x00\x00\x00\x01")), 0, 0, false},
		"not Ogg":       {[]byte("ID3 and more bytes than a header"), 0, 0, false},
		"empty":         {nil, 0, 0, false},
		"header cut":    {head[:30], 0, 0, false},
		"granule early": {append(bytes.Clone(head), oggPage(100, []byte("x"))...), 2, 0, true},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(p, c.file, 0o600); err != nil {
			t.Fatal(err)
		}
		ch, ms, err := oggopus.File(p)
		if ch != c.ch || ms != c.ms || (err == nil) != c.ok {
			t.Errorf("%s: %d channels, %d ms, %v; want %d, %d, ok %v", name, ch, ms, err, c.ch, c.ms, c.ok)
		}
	}
}
