package irc_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// foundList is a search's finds in words, for comparisons.
func foundList(fs []*pb.FoundChat) string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s|%s|%d|%s|%v", f.ChatId, f.Name, f.MemberCount, f.Description, f.Type))
	}
	return strings.Join(out, "\n")
}

// Finding channels from XMPP on a real ngircd: channels other IRC users
// made are found by a part of their name, in any case, with their user
// counts and topics (formatting left out), the most populated first, no
// more than the limit; channels whose name lacks the query, and secret
// ones, are not; nothing found is no error; a query with a wildcard is
// BAD_REQUEST. Two searches at once each
// get their own answer. Disconnected, a search is UNAVAILABLE.
func TestSearchChats(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	erin := newClient(t, s, "erin")
	for _, ch := range []string{"#Gopher-Den", "#golang-fr", "#rust", "#go-hidden"} {
		dave.join(ch)
	}
	erin.join("#golang-fr")
	for _, l := range [][]string{
		{"TOPIC", "#Gopher-Den", "Gophers meet \x02here\x02"},
		{"TOPIC", "#golang-fr", "Go en français"},
		{"TOPIC", "#rust", "Crabs"},
	} {
		if err := dave.conn.Send(l[0], l[1:]...); err != nil {
			t.Fatal(err)
		}
		dave.await("TOPIC", l[2])
	}
	if err := dave.conn.Send("MODE", "#go-hidden", "+s"); err != nil {
		t.Fatal(err)
	}
	dave.await("MODE", "")

	p, _, login := loggedIn(t, s, "", "kim", "")
	cmds := p.Commands()
	search := func(chat, query string, limit uint32) *pb.CommandResult {
		t.Helper()
		return cmds.Send(plugintest.Act(login.LoginId, chat, "", &pb.SearchChats{Query: query, Limit: limit}))
	}
	group := pb.ChatType_CHAT_TYPE_GROUP
	both := foundList([]*pb.FoundChat{
		{ChatId: "#golang-fr", Name: "#golang-fr", MemberCount: 2, Description: "Go en français", Type: group},
		{ChatId: "#gopher-den", Name: "#Gopher-Den", MemberCount: 1, Description: "Gophers meet here", Type: group},
	})
	if r := search("", "GO", 0); r.Error != nil || foundList(r.FoundChats) != both {
		t.Errorf("search GO: %v\n%s\nwant\n%s", r.Error, foundList(r.FoundChats), both)
	}
	if r := search("", "go", 1); r.Error != nil || len(r.FoundChats) != 1 || r.FoundChats[0].ChatId != "#golang-fr" {
		t.Errorf("search go, limit 1: %v %s", r.Error, foundList(r.FoundChats))
	}
	if r := search("", "pher-d", 0); r.Error != nil || len(r.FoundChats) != 1 || r.FoundChats[0].ChatId != "#gopher-den" {
		t.Errorf("search pher-d: %v %s", r.Error, foundList(r.FoundChats))
	}
	if r := search("", "python", 0); r.Error != nil || len(r.FoundChats) != 0 {
		t.Errorf("search python: %v %s, want nothing and no error", r.Error, foundList(r.FoundChats))
	}
	// No channel name holds a space or a comma; wildcards are refused.
	if r := search("", "go fr", 0); r.Error != nil || len(r.FoundChats) != 0 {
		t.Errorf("search \"go fr\": %v %s, want nothing", r.Error, foundList(r.FoundChats))
	}
	if r := search("", "go*", 0); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("search go*: %v %s, want BAD_REQUEST", r.Error, foundList(r.FoundChats))
	}

	// At once (other chat IDs: the SDK runs them side by side).
	var wg sync.WaitGroup
	res := make([]*pb.CommandResult, 2)
	for i, q := range []string{"rust", "gopher"} {
		wg.Go(func() { res[i] = search(fmt.Sprintf("#x%d", i), q, 0) })
	}
	wg.Wait()
	if r := res[0]; r.Error != nil || foundList(r.FoundChats) != "#rust|#rust|1|Crabs|CHAT_TYPE_GROUP" {
		t.Errorf("rust at once: %v %s", r.Error, foundList(r.FoundChats))
	}
	if r := res[1]; r.Error != nil || len(r.FoundChats) != 1 || r.FoundChats[0].ChatId != "#gopher-den" {
		t.Errorf("gopher at once: %v %s", r.Error, foundList(r.FoundChats))
	}

	s.stop()
	if r := search("", "go", 0); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("search while disconnected: %v %s, want UNAVAILABLE", r.Error, foundList(r.FoundChats))
	}
}

// A server slower than list_wait: the search is UNAVAILABLE; until the
// list it sends later ended, a search is UNAVAILABLE at once (no LIST
// sent); then the late list is no answer to the next search, which gets
// its own. Modes before a topic ("[+nt] ") are left out.
func TestSearchChatsTimeout(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.channels = []string{"#fast-one 3 :[+nt] Quick", "#fast-two 9 :Quicker"}
	srv.listHold = make(chan struct{})
	srv.mu.Unlock()
	p, _, _, _, login := histLogin(t, srv, []byte(`{"list_wait":"1500ms"}`), "")
	cmds := p.Commands()
	search := func(query string) *pb.CommandResult {
		t.Helper()
		return cmds.Send(plugintest.Act(login.LoginId, "", "", &pb.SearchChats{Query: query}))
	}
	if r := search("slow"); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(r.Error.GetText(), "did not list its channels within 1.5s") {
		t.Errorf("a slow list: %v %s, want UNAVAILABLE", r.Error, foundList(r.FoundChats))
	}
	srv.mu.Lock()
	srv.channels = []string{"#fast-three 1 :Late", "#other 5 :No"}
	srv.mu.Unlock()
	// Until the late list ended, no other LIST is sent.
	if r := search("fast"); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(r.Error.GetText(), "still sending its previous channel list") {
		t.Errorf("a search while the late list comes: %v %s, want UNAVAILABLE", r.Error, foundList(r.FoundChats))
	}
	srv.releaseList() // the late list comes
	if lists := srv.sent(0, "LIST"); len(lists) != 1 {
		t.Errorf("LISTs sent while the late list ran: %q", lists)
	}
	want := "#fast-three|#fast-three|1|Late|CHAT_TYPE_GROUP"
	if r := search("fast"); r.Error != nil || foundList(r.FoundChats) != want {
		t.Errorf("the search after it: %v\n%s\nwant\n%s", r.Error, foundList(r.FoundChats), want)
	}
	srv.mu.Lock()
	srv.channels = []string{"#fast-one 3 :[+nt] Quick", "#fast-two 9 :Quicker"}
	srv.mu.Unlock()
	want = "#fast-two|#fast-two|9|Quicker|CHAT_TYPE_GROUP\n#fast-one|#fast-one|3|Quick|CHAT_TYPE_GROUP"
	if r := search("FAST"); r.Error != nil || foundList(r.FoundChats) != want {
		t.Errorf("search FAST: %v\n%s\nwant\n%s", r.Error, foundList(r.FoundChats), want)
	}
}

// On ngircd, which folds A-Z only, a channel found is named by its ID
// there: #[Go] is #[go], not #{go} (another channel, which JoinChat of
// the result would have made). Before, found IDs folded as RFC 1459 says.
func TestSearchChatsCasemappingASCII(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	dave.join("#[Go]")
	p, _, login := loggedIn(t, s, "", "kim", "")
	r := p.Commands().Send(plugintest.Act(login.LoginId, "", "", &pb.SearchChats{Query: "[go"}))
	if r.Error != nil || foundList(r.FoundChats) != "#[go]|#[Go]|1||CHAT_TYPE_GROUP" {
		t.Errorf("search [go on ngircd: %v %s; want #[go]", r.Error, foundList(r.FoundChats))
	}
}
