package sdk

import (
	"context"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestSendHandledAsCommand: a send the plugin ran as a command (Result's
// Command and Reply) is answered with handled_as_command and the reply,
// and no message (the ID, metadata and expiry the plugin set are not
// sent: the gateway would map them); a repeat of its txn_id gets that
// answer, from memory and from the journal after a restart, without
// running the command again. Another command's Command flag is not
// sent.
func TestSendHandledAsCommand(t *testing.T) {
	dir := t.TempDir()
	f := newFakeTransport()
	f.handle = func(_ context.Context, cmd *pb.Command) (Result, error) {
		return Result{MessageID: "m-" + cmd.TxnId, Time: time.UnixMicro(42), Meta: []byte("meta"), Expires: time.UnixMicro(43),
			Command: true, Reply: "#chan +nt"}, nil
	}
	c, crash := startServerCrash(t, f, dir)
	cm := openCommands(t, c)
	want := cm.do(sendCmd("c", "t1", "/mode"))
	if !want.HandledAsCommand || want.CommandReply != "#chan +nt" || want.MessageId != "" || want.Meta != nil || want.ExpiresUnixMicro != 0 || want.Error != nil {
		t.Fatalf("answer %v, want handled as a command, its reply, and no message", want)
	}
	same := sameAnswer(t, want)
	same("again", cm.do(sendCmd("c", "t1", "/mode")))
	crash()
	f2 := newFakeTransport()
	cm2 := openCommands(t, startServer(t, f2, dir))
	same("after a restart", cm2.do(sendCmd("c", "t1", "/mode")))
	if n := f2.timesHandled("t1"); n != 0 {
		t.Errorf("the command ran %d times again after the restart, want 0", n)
	}
	// One without a reply, kept as well.
	f2.handle = func(context.Context, *pb.Command) (Result, error) { return Result{Command: true}, nil }
	if r := cm2.do(sendCmd("c", "t2", "/mode +o bob")); !r.HandledAsCommand || r.CommandReply != "" || r.MessageId != "" {
		t.Fatalf("answer %v, want handled as a command without a reply", r)
	}
	// Not a send: no command flag.
	r := cm2.do(&pb.Command{LoginId: "l1", ChatId: "c", TxnId: "t3", Action: &pb.Command_SetTopic{SetTopic: &pb.SetTopic{Topic: "x"}}})
	if r.HandledAsCommand {
		t.Errorf("a topic's answer %v says handled as a command", r)
	}
}

// TestTxnRecordOfCommand: a command's answer is written to the journal
// and read back whole, with or without an error, and a record before
// commands (ending at its error) reads as it did.
func TestTxnRecordOfCommand(t *testing.T) {
	for _, res := range []*pb.CommandResult{
		{HandledAsCommand: true, CommandReply: "bans:\n*!*@evil"},
		{HandledAsCommand: true},
		{TimestampUnixMicro: 7, HandledAsCommand: true, CommandReply: "x", Error: &pb.Error{Code: pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, Text: "no"}},
		{MessageId: "m", TimestampUnixMicro: 7, Error: &pb.Error{Code: pb.ErrorCode_ERROR_CODE_TOO_LARGE, Text: "part"}},
	} {
		got, ok := decodeTxn(encodeTxn(txnAnswer{key: "k", res: res}))
		if !ok || got.key != "k" || got.res.String() != res.String() {
			t.Errorf("record of %v read back as %v (%v)", res, got.res, ok)
		}
	}
}
