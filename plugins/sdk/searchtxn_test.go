package sdk

import (
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A search with a txn_id answers a repeat of it the same, in the same
// process and after a restart: with what the network finds, searched
// again, since a search changes nothing. Before, the answer was
// remembered, and the journal keeps no found chats: after a restart the
// repeat was answered "none found".
func TestSearchTxnAfterRestart(t *testing.T) {
	dir := t.TempDir()
	find := func(_ context.Context, cmd *pb.Command) (Result, error) {
		return Result{FoundChats: []*pb.FoundChat{{ChatId: "#go", Name: "Go", Type: pb.ChatType_CHAT_TYPE_GROUP}}}, nil
	}
	search := &pb.Command{LoginId: "l", TxnId: "s1", Action: &pb.Command_SearchChats{SearchChats: &pb.SearchChats{Query: "go"}}}
	found := func(what string, r *pb.CommandResult) {
		t.Helper()
		if r.Error != nil || len(r.FoundChats) != 1 || r.FoundChats[0].ChatId != "#go" {
			t.Fatalf("%s: %v, want #go found", what, r)
		}
	}
	f := newFakeTransport()
	f.handle = find
	c, crash := startServerCrash(t, f, dir)
	cm := openCommands(t, c)
	found("search", cm.do(search))
	found("the search again", cm.do(search))
	crash()

	f2 := newFakeTransport()
	f2.handle = find
	found("the search again after a restart", openCommands(t, startServer(t, f2, dir)).do(search))
}
