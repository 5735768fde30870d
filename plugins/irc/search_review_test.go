package irc_test

import (
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A busy server refuses a LIST with 263 RPL_LOAD2HI then 323 (Solanum
// paces LIST server-wide): the search is RATE_LIMITED, not "nothing
// found", and once the server is no longer busy a search finds.
func TestSearchChatsLoad2Hi(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.channels = []string{"#fast-one 3 :Quick"}
	srv.load2hi = true
	srv.mu.Unlock()
	p, _, _, _, login := histLogin(t, srv, []byte(`{"list_wait":"1500ms"}`), "")
	search := func() *pb.CommandResult {
		return p.Commands().Send(plugintest.Act(login.LoginId, "", "", &pb.SearchChats{Query: "fast"}))
	}
	if r := search(); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_RATE_LIMITED || !strings.Contains(r.Error.GetText(), "search again in a few seconds") {
		t.Errorf("263 RPL_LOAD2HI: %v, %d found; want RATE_LIMITED", r.Error, len(r.FoundChats))
	}
	srv.mu.Lock()
	srv.load2hi = false
	srv.mu.Unlock()
	// The 323 after the 263 may still be on its way: until it came, a
	// search is refused at once.
	deadline := time.Now().Add(time.Second)
	r := search()
	for r.Error.GetCode() == pb.ErrorCode_ERROR_CODE_UNAVAILABLE && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		r = search()
	}
	if r.Error != nil || foundList(r.FoundChats) != "#fast-one|#fast-one|3|Quick|CHAT_TYPE_GROUP" {
		t.Errorf("the search after: %v %s", r.Error, foundList(r.FoundChats))
	}
}
