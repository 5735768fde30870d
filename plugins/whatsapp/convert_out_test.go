package whatsapp

import (
	"fmt"
	"reflect"
	"testing"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

func TestOutboundMessages(t *testing.T) {
	fromAlice := quoted{ID: "M1", Meta: msgMeta{Sender: alice}}
	mine := quoted{ID: "M2", Meta: msgMeta{Sender: me, FromMe: true}}
	bobInGroup := quoted{ID: "G1", Meta: msgMeta{Sender: bob}}
	cases := []struct {
		name      string
		got, want *waE2E.Message
	}{
		{"plain text", textMessage("hi", nil, nil), &waE2E.Message{Conversation: proto.String("hi")}},
		{"reply", textMessage("yes", &fromAlice, nil), &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text: proto.String("yes"),
			ContextInfo: &waE2E.ContextInfo{StanzaID: proto.String("M1"), Participant: proto.String(alice.String()),
				QuotedMessage: &waE2E.Message{Conversation: proto.String("")}},
		}}},
		{"mention", textMessage("hi @33611111111", nil, []string{alice.String()}), &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text: proto.String("hi @33611111111"), ContextInfo: &waE2E.ContextInfo{MentionedJID: []string{alice.String()}},
		}}},
		{"edit", editMessage(alice, "M2", &waE2E.Message{Conversation: proto.String("fixed")}, when), &waE2E.Message{EditedMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{
			ProtocolMessage: &waE2E.ProtocolMessage{Key: key(alice, "M2", true), Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(),
				EditedMessage: &waE2E.Message{Conversation: proto.String("fixed")}, TimestampMS: proto.Int64(when.UnixMilli())},
		}}}},
		{"revoke own", revokeMessage(alice, mine), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			Type: waE2E.ProtocolMessage_REVOKE.Enum(), Key: key(alice, "M2", true)}}},
		{"revoke someone's in a group (admin)", revokeMessage(group, bobInGroup), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			Type: waE2E.ProtocolMessage_REVOKE.Enum(),
			Key:  &waCommon.MessageKey{RemoteJID: proto.String(group.String()), ID: proto.String("G1"), FromMe: proto.Bool(false), Participant: proto.String(bob.String())}}}},
		{"react: the last of the set", reactionMessage(alice, fromAlice, []string{"👍", "❤️"}, when), &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{
			Key: key(alice, "M1", false), Text: proto.String("❤️"), SenderTimestampMS: proto.Int64(when.UnixMilli())}}},
		{"unreact", reactionMessage(group, bobInGroup, nil, when), &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{
			Key:  &waCommon.MessageKey{RemoteJID: proto.String(group.String()), ID: proto.String("G1"), FromMe: proto.Bool(false), Participant: proto.String(bob.String())},
			Text: proto.String(""), SenderTimestampMS: proto.Int64(when.UnixMilli())}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkProto(t, tc.want, tc.got) })
	}
}

func TestOutboundMedia(t *testing.T) {
	up := whatsmeow.UploadResponse{URL: "https://u", DirectPath: "/d", MediaKey: []byte("k"), FileEncSHA256: []byte("e"), FileSHA256: []byte("s"), FileLength: 10}
	common := func() (*string, *string, []byte, []byte, []byte, *uint64) {
		return proto.String("https://u"), proto.String("/d"), []byte("k"), []byte("e"), []byte("s"), proto.Uint64(10)
	}
	u, d, k, e, s, l := common()
	cases := []struct {
		name      string
		got, want *waE2E.Message
	}{
		{"image with caption and reply", mediaMessage(&pb.Attachment{Name: "a.png", MimeType: "image/png", Width: 3, Height: 4}, up, "cap", contextInfo(&quoted{ID: "M1", Meta: msgMeta{Sender: alice}}, nil)),
			&waE2E.Message{ImageMessage: &waE2E.ImageMessage{URL: u, DirectPath: d, MediaKey: k, FileEncSHA256: e, FileSHA256: s, FileLength: l,
				Mimetype: proto.String("image/png"), Caption: proto.String("cap"), Width: proto.Uint32(3), Height: proto.Uint32(4),
				ContextInfo: &waE2E.ContextInfo{StanzaID: proto.String("M1"), Participant: proto.String(alice.String()), QuotedMessage: &waE2E.Message{Conversation: proto.String("")}}}}},
		{"video", mediaMessage(&pb.Attachment{MimeType: "video/mp4", DurationMs: 5500}, up, "", nil),
			&waE2E.Message{VideoMessage: &waE2E.VideoMessage{URL: u, DirectPath: d, MediaKey: k, FileEncSHA256: e, FileSHA256: s, FileLength: l,
				Mimetype: proto.String("video/mp4"), Seconds: proto.Uint32(5)}}},
		{"voice note", mediaMessage(&pb.Attachment{MimeType: "audio/ogg; codecs=opus", VoiceNote: true, DurationMs: 2000}, up, "", nil),
			&waE2E.Message{AudioMessage: &waE2E.AudioMessage{URL: u, DirectPath: d, MediaKey: k, FileEncSHA256: e, FileSHA256: s, FileLength: l,
				Mimetype: proto.String("audio/ogg; codecs=opus"), PTT: proto.Bool(true), Seconds: proto.Uint32(2)}}},
		// An AAC recording (an older Conversations, Gajim's MP4) that
		// ffmpeg did not convert: an audio file, not a voice note the
		// apps may not play.
		{"voice note not in Ogg", mediaMessage(&pb.Attachment{MimeType: "audio/mp4", VoiceNote: true, DurationMs: 2000}, up, "", nil),
			&waE2E.Message{AudioMessage: &waE2E.AudioMessage{URL: u, DirectPath: d, MediaKey: k, FileEncSHA256: e, FileSHA256: s, FileLength: l,
				Mimetype: proto.String("audio/mp4"), PTT: proto.Bool(false), Seconds: proto.Uint32(2)}}},
		{"document keeps its name", mediaMessage(&pb.Attachment{Name: "report.pdf", MimeType: "application/pdf"}, up, "", nil),
			&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{URL: u, DirectPath: d, MediaKey: k, FileEncSHA256: e, FileSHA256: s, FileLength: l,
				Mimetype: proto.String("application/pdf"), FileName: proto.String("report.pdf"), Title: proto.String("report.pdf")}}},
		// As WhatsApp's apps send a document with a caption: wrapped.
		{"document with a caption, wrapped", mediaMessage(&pb.Attachment{Name: "report.pdf", MimeType: "application/pdf"}, up, "the report", nil),
			&waE2E.Message{DocumentWithCaptionMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
				URL: u, DirectPath: d, MediaKey: k, FileEncSHA256: e, FileSHA256: s, FileLength: l,
				Mimetype: proto.String("application/pdf"), FileName: proto.String("report.pdf"), Title: proto.String("report.pdf"), Caption: proto.String("the report")}}}}},
		// Formats WhatsApp's apps do not show inline go as documents.
		{"webp photo: a document", mediaMessage(&pb.Attachment{Name: "cat.webp", MimeType: "image/webp", Width: 3, Height: 4}, up, "", nil),
			&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{URL: u, DirectPath: d, MediaKey: k, FileEncSHA256: e, FileSHA256: s, FileLength: l,
				Mimetype: proto.String("image/webp"), FileName: proto.String("cat.webp"), Title: proto.String("cat.webp")}}},
		{"gif: a document", mediaMessage(&pb.Attachment{Name: "dance.gif", MimeType: "image/gif"}, up, "", nil),
			&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{URL: u, DirectPath: d, MediaKey: k, FileEncSHA256: e, FileSHA256: s, FileLength: l,
				Mimetype: proto.String("image/gif"), FileName: proto.String("dance.gif"), Title: proto.String("dance.gif")}}},
		{"webm video: a document", mediaMessage(&pb.Attachment{Name: "clip.webm", MimeType: "video/webm", DurationMs: 5500}, up, "", nil),
			&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{URL: u, DirectPath: d, MediaKey: k, FileEncSHA256: e, FileSHA256: s, FileLength: l,
				Mimetype: proto.String("video/webm"), FileName: proto.String("clip.webm"), Title: proto.String("clip.webm")}}},
		{"jpeg in capitals: a photo", mediaMessage(&pb.Attachment{MimeType: "Image/JPEG"}, up, "", nil),
			&waE2E.Message{ImageMessage: &waE2E.ImageMessage{URL: u, DirectPath: d, MediaKey: k, FileEncSHA256: e, FileSHA256: s, FileLength: l,
				Mimetype: proto.String("Image/JPEG")}}},
		// A file sent without a name: named from its type, as received
		// ones are (it went as "file", which the apps open as nothing).
		{"no name: named by its type", mediaMessage(&pb.Attachment{MimeType: "application/pdf"}, up, "", nil),
			&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{URL: u, DirectPath: d, MediaKey: k, FileEncSHA256: e, FileSHA256: s, FileLength: l,
				Mimetype: proto.String("application/pdf"), FileName: proto.String("file.pdf"), Title: proto.String("file.pdf")}}},
		{"no name, an office type", mediaMessage(&pb.Attachment{MimeType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}, up, "", nil),
			&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{URL: u, DirectPath: d, MediaKey: k, FileEncSHA256: e, FileSHA256: s, FileLength: l,
				Mimetype: proto.String("application/vnd.openxmlformats-officedocument.wordprocessingml.document"), FileName: proto.String("file.docx"), Title: proto.String("file.docx")}}},
		{"no name, a webp photo", mediaMessage(&pb.Attachment{MimeType: "image/webp"}, up, "", nil),
			&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{URL: u, DirectPath: d, MediaKey: k, FileEncSHA256: e, FileSHA256: s, FileLength: l,
				Mimetype: proto.String("image/webp"), FileName: proto.String("file.webp"), Title: proto.String("file.webp")}}},
		{"no type: a document", mediaMessage(&pb.Attachment{}, up, "", nil),
			&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{URL: u, DirectPath: d, MediaKey: k, FileEncSHA256: e, FileSHA256: s, FileLength: l,
				Mimetype: proto.String("application/octet-stream"), FileName: proto.String("file"), Title: proto.String("file")}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkProto(t, tc.want, tc.got) })
	}
}

func TestRenderOut(t *testing.T) {
	resolve := func(id string) (string, string) {
		if j, err := parseUserID(id); err == nil && j.Server == alice.Server {
			return j.User, j.String()
		}
		return "", ""
	}
	cases := []struct {
		name     string
		text     string
		spans    []*pb.Span
		want     string
		mentions []string
	}{
		{"plain", "hello", nil, "hello", nil},
		{"bold and nested italic", "hello world", []*pb.Span{{Start: 0, End: 11, Style: pb.Span_STYLE_BOLD}, {Start: 6, End: 11, Style: pb.Span_STYLE_ITALIC}}, "*hello _world_*", nil},
		{"strike, code, pre", "a b c", []*pb.Span{{Start: 0, End: 1, Style: pb.Span_STYLE_STRIKE}, {Start: 2, End: 3, Style: pb.Span_STYLE_CODE}, {Start: 4, End: 5, Style: pb.Span_STYLE_PRE}}, "~a~ `b` ```c```", nil},
		{"quote", "one\ntwo\nthree", []*pb.Span{{Start: 0, End: 7, Style: pb.Span_STYLE_QUOTE}}, "> one\n> two\nthree", nil},
		{"link", "see this", []*pb.Span{{Start: 4, End: 8, Style: pb.Span_STYLE_LINK, Url: "https://x.example"}}, "see this (https://x.example)", nil},
		{"mention", "hi Alice!", []*pb.Span{{Start: 3, End: 8, Style: pb.Span_STYLE_MENTION, UserId: "+33611111111"}}, "hi @33611111111!", []string{alice.String()}},
		{"mention of someone unknown stays text", "hi Zed", []*pb.Span{{Start: 3, End: 6, Style: pb.Span_STYLE_MENTION, UserId: "zed"}}, "hi Zed", nil},
		{"out of range ignored", "abc", []*pb.Span{{Start: 2, End: 9, Style: pb.Span_STYLE_BOLD}, {Start: 2, End: 1, Style: pb.Span_STYLE_BOLD}}, "abc", nil},
		{"UTF-8", "été là", []*pb.Span{{Start: 0, End: 5, Style: pb.Span_STYLE_BOLD}}, "*été* là", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, mentions := renderOut(tc.text, tc.spans, resolve)
			if got != tc.want || len(mentions) != len(tc.mentions) || (len(mentions) > 0 && mentions[0] != tc.mentions[0]) {
				t.Errorf("renderOut = %q %v, want %q %v", got, mentions, tc.want, tc.mentions)
			}
		})
	}
}

func TestIDs(t *testing.T) {
	for _, id := range []string{"+33611111111", "lid-111222333", "120363000000000001@g.us"} {
		j, err := parseUserID(id)
		if err != nil {
			t.Fatalf("parseUserID(%q): %v", id, err)
		}
		if back := chatIDOf(mapIDs{}, j); back != id {
			t.Errorf("%q -> %v -> %q", id, j, back)
		}
	}
	for _, bad := range []string{"", "+", "+33a", "lid-", "alice", "lid-x1"} {
		if j, err := parseUserID(bad); err == nil {
			t.Errorf("parseUserID(%q) = %v, want an error", bad, j)
		}
	}
	if got := normalizePhone("+33 6 12-34-56-78"); got != "33612345678" {
		t.Errorf("normalizePhone = %q", got)
	}
	for _, bad := range []string{"", "12", "+33 6 12 a", "33+6"} {
		if got := normalizePhone(bad); got != "" {
			t.Errorf("normalizePhone(%q) = %q, want none", bad, got)
		}
	}
	for _, m := range []msgMeta{{Sender: bob, FromMe: true}, {Sender: bob, FromMe: true, Parts: []types.MessageID{"3EB0A", "3EB0B"}}} {
		if got, err := decodeMeta(m.encode()); err != nil || !reflect.DeepEqual(got, m) {
			t.Errorf("meta round trip: %v %v", got, err)
		}
	}
	// Parts past the contract's 1 KiB are left out, the rest kept.
	many := msgMeta{Sender: bob, FromMe: true}
	for i := range 100 {
		many.Parts = append(many.Parts, fmt.Sprintf("3EB0%018d", i))
	}
	if b := many.encode(); len(b) > maxMeta {
		t.Errorf("meta of %d bytes", len(b))
	} else if got, err := decodeMeta(b); err != nil || len(got.Parts) < 40 || got.Parts[0] != many.Parts[0] {
		t.Errorf("many parts: %d, %v", len(got.Parts), err)
	}
	for _, bad := range []string{"", "x", "a@b|3", "|1", "a@b|1|X|Y"} {
		if got, err := decodeMeta([]byte(bad)); err == nil {
			t.Errorf("decodeMeta(%q) = %v, want an error", bad, got)
		}
	}
}
