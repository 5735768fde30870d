package signal_test

import (
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// b64Group is the base64 group ID of a group's chat ID.
func b64Group(t *testing.T, chatID string) string {
	t.Helper()
	b, err := hex.DecodeString(chatID)
	if err != nil || len(b) == 0 {
		t.Fatalf("%q is no group chat ID: %v", chatID, err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// A group created from XMPP is signal-cli's updateGroup without a
// groupId: the result names the new group, its ChatEvent lists who is
// in, and a message then goes to it. A number not on Signal, which makes
// signal-cli refuse the whole group, is left out; a contact signal-cli
// can only invite stays out of the members; both are logged.
func TestCreateChat(t *testing.T) {
	d, _ := startFake(t)
	const stranger = "+15550000009" // not on Signal
	d.Fail(stranger, "UNREGISTERED_FAILURE")
	erin := fakesignal.NewUUID() // an ACI whose profile key signal-cli lacks
	d.NoProfileKey(erin)
	s := newSession(t, d)
	if !s.p.Caps.GetFeatures().GetCreateChat() {
		t.Fatal("create_chat is not advertised")
	}

	res := s.do("", &pb.CreateChat{Name: "Picnic", MemberIds: []string{bob, stranger, carolACI, erin, alice, bob}})
	if res.Error != nil || res.ChatId == "" {
		t.Fatalf("create: %v", res)
	}
	gid := b64Group(t, res.ChatId)
	g, ok := d.GetGroup(alice, gid)
	if !ok || g.Name != "Picnic" {
		t.Fatalf("the daemon has no group %s named Picnic: %v", gid, g)
	}
	req, _ := lastRequest(d, "updateGroup")
	if req.Params["groupId"] != nil || req.Params["name"] != "Picnic" ||
		!slices.Equal(anyStrings(req.Params["members"]), []string{bob, carolACI, erin}) {
		t.Fatalf("updateGroup params: %v", req.Params)
	}
	if n := d.Calls("updateGroup"); n != 2 {
		t.Fatalf("updateGroup asked %d times; want the refused one and the one without %s", n, stranger)
	}

	ev := s.next(func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == res.ChatId })
	chat := ev.GetChat().Chat
	var ids []string
	for _, m := range chat.Members {
		ids = append(ids, m.UserId)
		if (m.UserId == alice) != m.IsSelf || (m.UserId == alice) != (m.Affiliation == pb.Affiliation_AFFILIATION_ADMIN) {
			t.Errorf("member %v", m)
		}
	}
	slices.Sort(ids)
	if chat.Name != "Picnic" || chat.Type != pb.ChatType_CHAT_TYPE_GROUP || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP ||
		!slices.Equal(ids, []string{alice, bob, carol}) {
		t.Fatalf("ChatEvent: %v", ev)
	}
	log := s.p.Stderr()
	if !strings.Contains(log, "lacks members") || !strings.Contains(log, `"not_on_signal":"`+stranger+`"`) || !strings.Contains(log, `"invited":"`+erin+`"`) {
		t.Errorf("the members left out are not logged:\n%s", log)
	}

	if res := s.do(res.ChatId, &pb.SendMessage{Text: "bring cake"}); res.Error != nil {
		t.Fatalf("send to the new group: %v", res.Error)
	}
	if req, _ := lastRequest(d, "send"); req.Params["groupId"] != gid || req.Params["message"] != "bring cake" || req.Timestamp == 0 {
		t.Fatalf("send: %v", req)
	}
}

// A member that is no Signal user, or a group without a name, is
// refused before signal-cli is asked.
func TestCreateChatRefused(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	if res := s.do("", &pb.CreateChat{Name: "Picnic", MemberIds: []string{bob, "bob@example.org"}}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Fatalf("a member that is no Signal user: %v", res)
	}
	if res := s.do("", &pb.CreateChat{MemberIds: []string{bob}}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Fatalf("no name: %v", res)
	}
	if n := d.Calls("updateGroup"); n != 0 {
		t.Fatalf("updateGroup asked %d times", n)
	}
}
