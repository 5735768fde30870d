package bridge

import (
	"log/slog"
	"testing"

	"passerelle.im/passerelle/bridge/pluginhost"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestUploadLostNotWhenPartlySent: an answer NOT_FOUND to a send naming
// an upload made before a plugin restart is a lost upload, to stream
// again; but one that carries a message ID went in part (Signal's
// item-not-found: to the group, not to every member): what went must
// not be sent again, nor the file streamed again for it.
func TestUploadLostNotWhenPartlySent(t *testing.T) {
	tr := &transport{host: pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)})}
	cmd := &pb.Command{Action: &pb.Command_Send{Send: &pb.SendMessage{Attachments: []*pb.Attachment{{Source: &pb.Attachment_UploadId{UploadId: "u1"}}}}}}
	a := attached{gen: tr.host.Generation() + 1} // made in another process
	lost := &pb.CommandResult{Error: &pb.Error{Code: pb.ErrorCode_ERROR_CODE_NOT_FOUND, Text: "unknown upload"}}
	if !tr.uploadLost(lost, cmd, a) {
		t.Fatal("an unknown upload after a restart is not taken as lost")
	}
	partly := &pb.CommandResult{MessageId: "m1", Error: &pb.Error{Code: pb.ErrorCode_ERROR_CODE_NOT_FOUND, Text: "sent to the group but not to everyone"}}
	if tr.uploadLost(partly, cmd, a) {
		t.Fatal("a partly-sent answer is taken as a lost upload: the message would be sent again")
	}
}
