package bridge

import (
	"errors"
	"testing"

	"passerelle.im/passerelle/bridge/pluginhost"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestMergeInfo: what the plugin's download says of a file fills in what
// the message's attachment left out, never overrides it.
func TestMergeInfo(t *testing.T) {
	a := &pb.Attachment{Name: "from-event.jpg", Caption: "look", Source: &pb.Attachment_Ref{Ref: "r1"}}
	info := &pb.MediaInfo{Name: "from-download.jpg", MimeType: "image/jpeg", Size: 10, Width: 640, Height: 480,
		DurationMs: 0, Thumbnail: []byte{1, 2}, ThumbnailMime: "image/png", VoiceNote: true}
	m := mergeInfo(a, info)
	if m.Name != "from-event.jpg" || m.MimeType != "image/jpeg" || m.Width != 640 || m.Height != 480 ||
		string(m.Thumbnail) != "\x01\x02" || m.ThumbnailMime != "image/png" || !m.VoiceNote || m.Caption != "look" {
		t.Fatalf("merged: %v", m)
	}
	if a.MimeType != "" || a.Width != 0 {
		t.Fatalf("the event's attachment was changed: %v", a)
	}
	f := sharedFile(m, 10)
	if !f.Inline || f.Width != 640 || f.Size != 10 || f.Caption != "look" || f.ThumbnailMIME != "image/png" {
		t.Fatalf("shared file: %+v", f)
	}
	if f := sharedFile(&pb.Attachment{Name: "notes"}, 3); f.Inline || f.MIME != "application/octet-stream" {
		t.Fatalf("a file of no known type: %+v", f)
	}
	// The network's type is whoever sent the file's words: one that does
	// not parse is not stated, the name's extension says the type.
	if f := sharedFile(&pb.Attachment{Name: "p.png", MimeType: "image/png\r\nX-Evil: 1"}, 3); !f.Inline || f.MIME != "image/png" {
		t.Fatalf("a hostile type: %+v", f)
	}
}

// TestFileTexts: what the user reads of a file that did not cross says
// why in plain words.
func TestFileTexts(t *testing.T) {
	broken := &pluginhost.BrokenError{Done: 5, Size: 10, Err: errors.New("lost")}
	if got, want := fileFailure("a.mp4", broken), "[the file a.mp4 could not be bridged: the network's transfer broke off after 5 of 10 bytes]"; got != want {
		t.Errorf("broken: %q", got)
	}
	if got, want := fileFailure("a.mp4", &pluginhost.TooLargeError{Limit: 100, Size: 200}), "[the file a.mp4 could not be bridged: it is larger than the gateway's limit of 100 bytes]"; got != want {
		t.Errorf("too large: %q", got)
	}
	cond, text := fileRefusal(&pluginhost.TooLargeError{Limit: 100})
	if cond != "not-acceptable" || text != "the file was not sent: it is larger than 100 bytes" {
		t.Errorf("refusal: %s %q", cond, text)
	}
}
