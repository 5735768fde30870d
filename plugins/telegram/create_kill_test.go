package telegram_test

import (
	"strconv"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// The plugin process killed (SIGKILL) while Telegram makes a group, the
// answer never reaching it: the command sent again under its txn ID to
// the restarted plugin, as the gateway does for a command in flight when
// its plugin died, answers with the group made, and Telegram is asked to
// make it once.
func TestCreateGroupPluginKilled(t *testing.T) {
	srv, p, done := doraPlugin(t)
	connect := func() {
		t.Helper()
		p.Connect(done.LoginId, done.SavedState)
		ctx, cancel := p.CallContext()
		defer cancel()
		// As the gateway does: the members are contacts.
		if _, err := p.Client().ContactList(ctx, &pb.LoginRef{LoginId: done.LoginId}); err != nil {
			t.Fatal(err)
		}
	}
	connect()
	create := plugintest.Act(done.LoginId, "", "create-group-1", &pb.CreateChat{Name: "Expedition", MemberIds: []string{strconv.FormatInt(eve.ID, 10)}})

	lost := srv.DropAnswer("messages.createChat")
	first := p.Commands().Go(create)
	ctx, cancel := p.CallContext()
	defer cancel()
	select {
	case <-lost:
	case r := <-first:
		t.Fatalf("the create answered %v before Telegram made the group", r)
	case <-ctx.Done():
		t.Fatal("no messages.createChat")
	}
	p.Restart() // kills the process first
	connect()
	res := p.Commands().Send(create)
	if res.Error != nil {
		t.Fatalf("the create sent again: %v", res.Error)
	}
	if n := len(srv.Creates()); n != 1 {
		t.Fatalf("%d messages.createChat for one txn, want 1", n)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(res.ChatId, "-"), 10, 64)
	if err != nil || !strings.HasPrefix(res.ChatId, "-") {
		t.Fatalf("the create sent again answered chat %q: want a basic group's -N", res.ChatId)
	}
	if g := srv.GroupInfo(id); g.Title != "Expedition" || g.Creator != dora.ID {
		t.Errorf("the group answered: %+v; want Expedition by dora", g)
	}
}
