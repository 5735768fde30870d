package whatsapp

import (
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

// Files received without a name, of a type beyond the few the plugin
// knew, get an extension from their MIME type (a client opens
// "document" and "video" with nothing: they had none), from the
// plugin's own table (a minimal machine has no /etc/mime.types), else
// the system's; a document named by its title alone gets one too; a
// type known nowhere gets none.
func TestMediaNameExtension(t *testing.T) {
	for _, tc := range []struct {
		msg  *waE2E.Message
		want string
	}{
		{&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("application/vnd.openxmlformats-officedocument.wordprocessingml.document")}}, "document.docx"},
		{&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("application/zip")}}, "document.zip"},
		{&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("text/plain; charset=utf-8")}}, "document.txt"},
		{&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("application/pdf"), Title: proto.String("Quarterly report")}}, "Quarterly report.pdf"},
		{&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("application/pdf"), FileName: proto.String("report.PDF")}}, "report.PDF"},
		{&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("application/x-passerelle-unknown")}}, "document"},
		{&waE2E.Message{VideoMessage: &waE2E.VideoMessage{Mimetype: proto.String("video/quicktime")}}, "video.mov"},
		{&waE2E.Message{VideoMessage: &waE2E.VideoMessage{Mimetype: proto.String("video/3gpp")}}, "video.3gp"},
		{&waE2E.Message{ImageMessage: &waE2E.ImageMessage{Mimetype: proto.String("image/heic")}}, "image.heic"},
		{&waE2E.Message{AudioMessage: &waE2E.AudioMessage{Mimetype: proto.String("audio/amr")}}, "audio.amr"},
	} {
		ev := testConv.message(&events.Message{Info: direct(alice, "X1"), Message: tc.msg})
		as := ev.GetMessage().GetAttachments()
		if len(as) != 1 || as[0].Name != tc.want {
			t.Errorf("%v: attachments %v, want named %q", tc.msg, as, tc.want)
		}
	}
}
