package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"passerelle.im/passerelle/internal/oggopus"
	pb "passerelle.im/passerelle/plugins/proto"
)

// WhatsApp's apps show a voice note (PTT) only for mono Opus in Ogg, the
// format they record. Conversations and Monal may record AAC in MP4
// (.m4a), Gajim Opus in MP4: such a voice note is converted with ffmpeg
// when it is there (as mautrix-whatsapp does), else it goes as an audio
// file, which plays. ffmpeg runs with its arguments as a list (no
// shell), the input's format forced from its first bytes (no guessing
// by ffmpeg, which would follow a playlist's references) and local
// files only, for a bounded time and output size.

const (
	// opusVoiceMIME is the type WhatsApp's voice notes have.
	opusVoiceMIME = "audio/ogg; codecs=opus"
	// ffmpegTimeout bounds one conversion: a voice note the gateway
	// marks lasts at most 30 minutes, which ffmpeg encodes in seconds.
	ffmpegTimeout = 2 * time.Minute
	// voiceOutMax bounds the converted file: 30 minutes at the bitrate
	// chosen are about 7 MiB; a copied Opus stream is as large as it
	// came, and the gateway bounds that.
	voiceOutMax = 64 << 20
	// voiceBitrate is the Opus bitrate of an encoded voice note: speech
	// is clear at it, and WhatsApp's own are lower.
	voiceBitrate = "32k"
	// ffmpegErrBytes is how much of ffmpeg's error output is logged.
	ffmpegErrBytes = 1024
)

// errNoFFmpeg: no ffmpeg to run.
var errNoFFmpeg = errors.New("no ffmpeg (install it to send such voice notes as voice notes)")

// ffmpegPath is the ffmpeg to run: the config's, else the one on PATH.
func (n *Network) ffmpegPath() (string, error) {
	name := n.cfg.FFmpeg
	if name == "" {
		name = "ffmpeg"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errNoFFmpeg, err)
	}
	return p, nil
}

// voiceForWhatsApp makes a voice note at path, not in Ogg, into the mono
// Opus in Ogg WhatsApp plays as one, in a temporary file of dir that
// cleanup removes, and says how long it lasts (0 if not read). A file
// ffmpeg cannot convert, or no ffmpeg, is an error: the caller sends the
// file as it came.
func (n *Network) voiceForWhatsApp(ctx context.Context, path, dir string) (out string, durationMs int64, cleanup func(), err error) {
	format := inputFormat(path)
	if format == "" {
		return "", 0, nil, errors.New("not MP4, Ogg or AAC")
	}
	bin, err := n.ffmpegPath()
	if err != nil {
		return "", 0, nil, err
	}
	f, err := os.CreateTemp(dir, "voice-*.ogg")
	if err != nil {
		return "", 0, nil, fmt.Errorf("conversion spool: %w", err)
	}
	f.Close()
	out = f.Name()
	cleanup = func() { os.Remove(out) }
	// Opus already (Gajim's MP4): moved into Ogg as it is. Another codec
	// (AAC) makes the Ogg muxer fail at once, and a stream of two
	// channels is not a voice note: then it is encoded.
	if err = runFFmpeg(ctx, bin, format, path, out, "-c:a", "copy"); err == nil {
		durationMs, err = monoOpus(out)
	}
	if err != nil {
		err = runFFmpeg(ctx, bin, format, path, out, "-ac", "1", "-c:a", "libopus", "-b:a", voiceBitrate, "-application", "voip")
		if err == nil {
			durationMs, err = monoOpus(out)
		}
	}
	if err != nil {
		cleanup()
		return "", 0, nil, err
	}
	return out, durationMs, cleanup, nil
}

// monoOpus is the length of the file ffmpeg wrote at path, an error if
// it is not mono Opus in Ogg.
func monoOpus(path string) (int64, error) {
	ch, ms, err := oggopus.File(path)
	if err == nil && ch != 1 {
		err = fmt.Errorf("ffmpeg wrote Opus of %d channels", ch)
	}
	return ms, err
}

// inputFormat is the ffmpeg demuxer for the file at path, from its first
// bytes: "" for a format no recorder makes.
func inputFormat(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 8)
	if _, err := io.ReadFull(f, head); err != nil {
		return ""
	}
	switch {
	case string(head[4:8]) == "ftyp":
		return "mov" // MP4, M4A, 3GP
	case string(head[:4]) == "OggS":
		return "ogg"
	case head[0] == 0xff && head[1]&0xf6 == 0xf0:
		return "aac" // ADTS
	}
	return ""
}

// runFFmpeg converts in (of the given format) to Ogg in out, with the
// codec arguments given, within ffmpegTimeout and voiceOutMax.
func runFFmpeg(ctx context.Context, bin, format, in, out string, codec ...string) error {
	ctx, cancel := context.WithTimeout(ctx, ffmpegTimeout)
	defer cancel()
	in, err := filepath.Abs(in)
	if err != nil {
		return err
	}
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y",
		"-protocol_whitelist", "file", "-f", format, "-i", "file:" + in,
		"-map", "0:a:0", "-map_metadata", "-1"}
	args = append(args, codec...)
	args = append(args, "-fs", fmt.Sprint(voiceOutMax), "-f", "ogg", "file:"+out)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: ffmpegErrBytes}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return fmt.Errorf("ffmpeg: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	st, err := os.Stat(out)
	if err != nil {
		return fmt.Errorf("ffmpeg's output: %w", err)
	}
	if st.Size() >= voiceOutMax {
		return fmt.Errorf("ffmpeg's output is over %d bytes", voiceOutMax)
	}
	return nil
}

// limitedWriter keeps the first n bytes written and drops the rest.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

// convertVoice is the file to send for attachment a at path: a voice
// note not in Ogg is converted where ffmpeg can, a changes to the
// result's type and length, and done removes the converted file. Else,
// logged once, it is path, sent as an audio file as it came: nothing is
// lost for want of a converter.
func (s *Session) convertVoice(ctx context.Context, a *pb.Attachment, path string) (string, func()) {
	if !a.VoiceNote || oggAudio(a.MimeType) {
		return path, func() {}
	}
	dir, err := s.uploads.folder()
	if err == nil {
		var out string
		var ms int64
		var cleanup func()
		if out, ms, cleanup, err = s.n.voiceForWhatsApp(ctx, path, dir); err == nil {
			s.log.Debug("voice note converted to Opus in Ogg", "name", a.Name, "from", a.MimeType, "duration_ms", ms)
			a.MimeType = opusVoiceMIME
			if ms > 0 {
				a.DurationMs = ms
			}
			return out, cleanup
		}
	}
	s.log.Warn("voice note not converted: sent as an audio file", "name", a.Name, "mime", a.MimeType, "err", err)
	return path, func() {}
}
