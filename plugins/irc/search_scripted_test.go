package irc_test

import (
	"fmt"
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
	// The 323 after the 263 ends the refused list: once it came, a
	// search finds.
	srv.sync()
	if r := search(); r.Error != nil || foundList(r.FoundChats) != "#fast-one|#fast-one|3|Quick|CHAT_TYPE_GROUP" {
		t.Errorf("the search after: %v %s", r.Error, foundList(r.FoundChats))
	}
}

// A server that aborts a running LIST when another comes (Solanum: a
// "/LIST aborted" notice and one 323 for both, the new LIST dropped):
// after a search timed out, no LIST is sent until the late one ended or
// list_wait passed (a search meanwhile is UNAVAILABLE at once); then
// searches find again, rather than each timing out until reconnection.
func TestSearchChatsSolanumAbort(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.channels = []string{"#fast-one 3 :Quick"}
	srv.solanum = true
	srv.mu.Unlock()
	p, _, _, _, login := histLogin(t, srv, []byte(`{"list_wait":"1500ms"}`), "")
	cmds := p.Commands()
	search := func(q string) *pb.CommandResult {
		return cmds.Send(plugintest.Act(login.LoginId, "", "", &pb.SearchChats{Query: q}))
	}
	lists := func() int { return len(srv.sent(0, "LIST")) }
	if r := search("hang"); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Fatalf("a list that never ends: %v, %d found; want UNAVAILABLE", r.Error, len(r.FoundChats))
	}
	timedOut := time.Now()
	if r := search("fast"); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(r.Error.GetText(), "still sending its previous channel list") {
		t.Errorf("a search while the late list runs: %v, %d found; want UNAVAILABLE", r.Error, len(r.FoundChats))
	}
	srv.sync() // a LIST sent before would have come before the PONG
	if n := lists(); n != 1 {
		t.Errorf("%d LISTs sent while the first ran", n)
	}
	// list_wait after the timeout, the late list is taken as lost: the
	// next LIST, which the server drops as it aborts the late one, is
	// UNAVAILABLE (not "nothing found"); the one after finds.
	// (The plugin's own clock: a longer sleep only makes it surer.)
	time.Sleep(time.Until(timedOut.Add(1600 * time.Millisecond)))
	if r := search("fast"); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(r.Error.GetText(), "search again") {
		t.Errorf("the search that aborted the late list: %v %s; want UNAVAILABLE", r.Error, foundList(r.FoundChats))
	}
	srv.sync() // the abort's 323 came
	for i := range 2 {
		if r := search("fast"); r.Error != nil || foundList(r.FoundChats) != "#fast-one|#fast-one|3|Quick|CHAT_TYPE_GROUP" {
			t.Errorf("search %d after the abort: %v %s; want #fast-one", i, r.Error, foundList(r.FoundChats))
		}
	}
}

// A 416 (too many matches) ends a search with what came; the 323 a
// server sends after it does not end the next search: none is sent
// until it came.
func TestSearchChatsTooManyThenEnd(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.channels = []string{"#many-one 3 :Quick"}
	srv.listHold = make(chan struct{})
	srv.mu.Unlock()
	p, _, _, _, login := histLogin(t, srv, []byte(`{"list_wait":"1500ms"}`), "")
	cmds := p.Commands()
	search := func(q string) *pb.CommandResult {
		return cmds.Send(plugintest.Act(login.LoginId, "", "", &pb.SearchChats{Query: q}))
	}
	if r := search("many"); r.Error != nil || len(r.FoundChats) != 1 {
		t.Errorf("a list ended by 416: %v %s", r.Error, foundList(r.FoundChats))
	}
	srv.mu.Lock()
	srv.channels = []string{"#many-two 2 :Next"}
	srv.mu.Unlock()
	// Its 323 is held back: a search now would take it as its end.
	if r := search("many-two"); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(r.Error.GetText(), "still sending its previous channel list") {
		t.Errorf("a search before the 416's 323: %v %s; want UNAVAILABLE", r.Error, foundList(r.FoundChats))
	}
	srv.releaseList()
	if r := search("two"); r.Error != nil || foundList(r.FoundChats) != "#many-two|#many-two|2|Next|CHAT_TYPE_GROUP" {
		t.Errorf("a search after the 323: %v %s", r.Error, foundList(r.FoundChats))
	}
}

// No channel name holds a space or a comma: such a query finds nothing
// at once, no LIST sent. A wildcard is refused (BAD_REQUEST), not taken
// as a character of the name.
func TestSearchChatsQueryNoName(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.channels = []string{"#fast-one 3 :Quick", "#fast*two 2 :Star"}
	srv.mu.Unlock()
	p, _, _, _, login := histLogin(t, srv, []byte(`{"list_wait":"1500ms"}`), "")
	search := func(q string) *pb.CommandResult {
		return p.Commands().Send(plugintest.Act(login.LoginId, "", "", &pb.SearchChats{Query: q}))
	}
	for _, q := range []string{"fast one", "fast,one"} {
		if r := search(q); r.Error != nil || len(r.FoundChats) != 0 {
			t.Errorf("search %q: %v %s, want nothing", q, r.Error, foundList(r.FoundChats))
		}
	}
	for _, q := range []string{"fast*", "f?st"} {
		if r := search(q); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(r.Error.GetText(), "wildcards are not supported") {
			t.Errorf("search %q: %v %s, want BAD_REQUEST", q, r.Error, foundList(r.FoundChats))
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for _, l := range srv.lines {
		if strings.HasPrefix(l, "LIST") {
			t.Errorf("sent %q", l)
		}
	}
}

// A search waiting for another's turn gives up when its context ends
// (the command stream closed), sending no LIST.
func TestSearchChatsWaitGivesUp(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.channels = []string{"#slow-one 3 :Quick"}
	srv.listHold = make(chan struct{})
	srv.mu.Unlock()
	p, _, _, _, login := histLogin(t, srv, []byte(`{"list_wait":"30s"}`), "")
	cmds, other := p.Commands(), p.Commands()
	first := cmds.Go(plugintest.Act(login.LoginId, "", "", &pb.SearchChats{Query: "slow"}))
	srv.got("LIST")
	other.Go(plugintest.Act(login.LoginId, "", "", &pb.SearchChats{Query: "one"}))
	waitLog(t, p, "search waits for another's list")
	other.Close()
	waitLog(t, p, "search given up waiting for another's list")
	close(srv.listHold)
	if r := cmds.Wait(first); r.Error != nil || len(r.FoundChats) != 1 {
		t.Errorf("the first search: %v %s", r.Error, foundList(r.FoundChats))
	}
	// A search after: the given-up one's LIST would have come before.
	if r := cmds.Send(plugintest.Act(login.LoginId, "", "", &pb.SearchChats{Query: "quick"})); r.Error != nil {
		t.Errorf("the search after: %v", r.Error)
	}
	if lists := srv.sent(0, "LIST"); strings.Join(lists, "|") != "LIST *slow*|LIST *quick*" {
		t.Errorf("LISTs sent: %q; want the first search's and the last's", lists)
	}
}

// A list longer than the channels a search could keep: the most
// populated are found, wherever they come in the list.
func TestSearchChatsKeepsMostPopulated(t *testing.T) {
	srv := startScripted(t, "", "")
	chans := make([]string, 0, 20101)
	for i := range 20100 {
		chans = append(chans, fmt.Sprintf("#fast-%05d 1 :Small", i))
	}
	chans = append(chans, "#fast-big 99 :Big")
	srv.mu.Lock()
	srv.channels = chans
	srv.mu.Unlock()
	p, _, _, _, login := histLogin(t, srv, []byte(`{"list_wait":"30s"}`), "")
	r := p.Commands().Send(plugintest.Act(login.LoginId, "", "", &pb.SearchChats{Query: "fast", Limit: 2}))
	want := "#fast-big|#fast-big|99|Big|CHAT_TYPE_GROUP\n#fast-00000|#fast-00000|1|Small|CHAT_TYPE_GROUP"
	if r.Error != nil || foundList(r.FoundChats) != want {
		t.Errorf("search: %v\n%s\nwant\n%s", r.Error, foundList(r.FoundChats), want)
	}
}

// A search folds as the server does: where it folds as RFC 1459 says
// (the scripted server announces no CASEMAPPING), "[GO" finds #{go},
// which the server's mask matched; where it folds ASCII only (ngircd),
// #[Go] found is the chat #[go], not #{go}, another channel there that
// joining the result would have made (TestSearchChatsCasemappingASCII).
// Before, the filter folded with strings.ToLower only, and the IDs as
// RFC 1459 says on every server.
func TestSearchChatsCasemapping(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.channels = []string{"#{go} 3 :Braces"}
	srv.mu.Unlock()
	p, _, _, _, login := histLogin(t, srv, nil, "")
	r := p.Commands().Send(plugintest.Act(login.LoginId, "", "", &pb.SearchChats{Query: "[GO"}))
	if r.Error != nil || foundList(r.FoundChats) != "#{go}|#{go}|3|Braces|CHAT_TYPE_GROUP" {
		t.Errorf("search [GO on an RFC 1459 server: %v %s", r.Error, foundList(r.FoundChats))
	}
}
