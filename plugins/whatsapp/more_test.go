package whatsapp

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// A contact known by LID only is "lid-<LID>"; when its number becomes
// known, an IdentityEvent moves it, before the message that names it by
// phone, and after a restart too.
func TestIdentityLIDToPhone(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: strangerL, Sender: strangerL}, ID: "L1", Timestamp: when}, &waE2E.Message{Conversation: proto.String("by lid")})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.Sender.UserId != "lid-444555666" || ev.ChatId != "lid-444555666" {
		t.Fatalf("LID-only sender: %v", ev)
	}
	if _, err := os.Stat(filepath.Join(s.login.Dir, exposedName)); err != nil {
		t.Errorf("the shown LID is not kept: %v", err)
	}

	// The same person, now with the phone number beside the LID.
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	from = r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: strangerL, Sender: strangerL, SenderAlt: carol, AddressingMode: types.AddressingModeLID},
		ID: "L2", Timestamp: when}, &waE2E.Message{Conversation: proto.String("by phone")})
	id, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetIdentity() != nil })
	if id.GetIdentity().OldUserId != "lid-444555666" || id.GetIdentity().Contact.UserId != "+33633333333" || id.ChatId != "" {
		t.Errorf("identity: %v", id)
	}
	msg, j := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if j < i || msg.Sender.UserId != "+33633333333" {
		t.Errorf("the message (at %d, identity at %d): %v", j, i, msg)
	}
	// Told once.
	from = r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: strangerL, Sender: strangerL, SenderAlt: carol}, ID: "L3", Timestamp: when}, &waE2E.Message{Conversation: proto.String("again")})
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	for _, ev := range r.host.since(from) {
		if ev.GetIdentity() != nil {
			t.Errorf("identity told twice: %v", ev)
		}
	}

	// A LID shown before a restart moves after it, when the store learns
	// its number.
	dave := types.NewJID("777888999", types.HiddenUserServer)
	s.ids.userID(dave)
	moved := ""
	ids := newIdentities(s.d.dev.LIDs, s.login.Dir, func(old string, pn types.JID) { moved = old + "->" + plainUserID(pn) }, nil)
	if err := s.d.dev.LIDs.PutLIDMapping(ctx, dave, types.NewJID("33644444444", types.DefaultUserServer)); err != nil {
		t.Fatal(err)
	}
	if got := ids.userID(dave); got != "+33644444444" || moved != "lid-777888999->+33644444444" {
		t.Errorf("after a restart: %q, moved %q", got, moved)
	}
}

func TestGroups(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.SetGroup(&types.GroupInfo{
		JID: group, GroupName: types.GroupName{Name: "Friends"}, GroupTopic: types.GroupTopic{Topic: "weekend", TopicSetBy: bob},
		Participants: []types.GroupParticipant{
			{JID: phone, PhoneNumber: phone, IsAdmin: true},
			{JID: aliceLID, LID: aliceLID, PhoneNumber: alice, IsSuperAdmin: true},
			{JID: bob, PhoneNumber: bob},
		},
	})
	chats, err := s.ChatList(ctx)
	if err != nil || len(chats) != 1 {
		t.Fatalf("ChatList: %v, %v", chats, err)
	}
	c := chats[0]
	if c.ChatId != group.String() || c.Name != "Friends" || c.Topic != "weekend" || c.TopicSetterId != "+33622222222" || len(c.Members) != 3 {
		t.Fatalf("chat: %v", c)
	}
	if m := c.Members[0]; !m.IsSelf || m.UserId != "+33600000000" || m.Affiliation != pb.Affiliation_AFFILIATION_ADMIN {
		t.Errorf("self: %v", m)
	}
	if m := c.Members[1]; m.UserId != "+33611111111" || m.Affiliation != pb.Affiliation_AFFILIATION_OWNER || m.Role != pb.Role_ROLE_MODERATOR {
		t.Errorf("owner by LID: %v", m)
	}
	if _, err := s.ChatInfo(ctx, "120363999@g.us"); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("unknown group: %v", err)
	}

	// Changes, through whatsmeow's dispatch.
	from := r.host.count()
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	fake.Emit(&events.GroupInfo{JID: group, Sender: &alice, Timestamp: when,
		Name: &types.GroupName{Name: "Best friends"}, Topic: &types.GroupTopic{Topic: "sunday", TopicSetBy: alice},
		Join: []types.JID{carol}, Leave: []types.JID{bob}, Promote: []types.JID{carol}})
	fake.Emit(&events.GroupInfo{JID: group, Sender: &carol, Timestamp: when, Leave: []types.JID{carol}})
	fake.Emit(&events.GroupInfo{JID: group, Sender: &alice, Timestamp: when, Leave: []types.JID{phone}})
	want := []func(*pb.Event) bool{
		func(ev *pb.Event) bool {
			return ev.GetChat().GetChat().GetName() == "Best friends" && ev.Sender.UserId == "+33611111111"
		},
		func(ev *pb.Event) bool {
			return ev.GetTopic().GetTopic() == "sunday" && ev.Sender.UserId == "+33611111111"
		},
		func(ev *pb.Event) bool {
			return ev.GetMember().GetKind() == pb.MemberEvent_KIND_JOINED && ev.GetMember().GetMember().GetUserId() == "+33633333333"
		},
		func(ev *pb.Event) bool {
			return ev.GetMember().GetKind() == pb.MemberEvent_KIND_KICKED && ev.GetMember().GetMember().GetUserId() == "+33622222222" && ev.Sender.UserId == "+33611111111"
		},
		func(ev *pb.Event) bool {
			return ev.GetMember().GetKind() == pb.MemberEvent_KIND_ROLE_CHANGED && ev.GetMember().GetMember().GetAffiliation() == pb.Affiliation_AFFILIATION_ADMIN
		},
		func(ev *pb.Event) bool {
			return ev.GetMember().GetKind() == pb.MemberEvent_KIND_LEFT && ev.GetMember().GetMember().GetUserId() == "+33633333333"
		},
		func(ev *pb.Event) bool { return ev.GetChatRemoved().GetReason() == pb.ChatRemovedEvent_REASON_KICKED },
	}
	at := from
	for k, w := range want {
		ev, i := r.host.next(t, at, w)
		if ev.ChatId != group.String() || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP {
			t.Errorf("change %d: %v", k, ev)
		}
		at = i + 1
	}

	// Actions.
	if err := s.SetTopic(ctx, sdk.Call{ChatID: group.String()}, "new topic"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetChatName(ctx, sdk.Call{ChatID: group.String()}, "Renamed"); err != nil {
		t.Fatal(err)
	}
	if err := s.Invite(ctx, sdk.Call{ChatID: group.String()}, "+33655555555"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRole(ctx, sdk.Call{ChatID: group.String()}, &pb.SetRole{UserId: "+33655555555", Affiliation: pb.Affiliation_AFFILIATION_ADMIN}); err != nil {
		t.Fatal(err)
	}
	g := fake.Group(group)
	if g.Topic != "new topic" || g.Name != "Renamed" || !g.Participants[len(g.Participants)-1].IsAdmin {
		t.Errorf("group after the actions: %+v", g)
	}
	if err := s.Kick(ctx, sdk.Call{ChatID: group.String()}, &pb.Kick{UserId: "+33655555555"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Invite(ctx, sdk.Call{ChatID: "+33611111111"}, "+33655555555"); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("invite into a direct chat: %v", err)
	}
	if err := s.LeaveChat(ctx, sdk.Call{ChatID: group.String()}); err != nil || fake.Group(group) != nil {
		t.Errorf("leave: %v", err)
	}
}

func webMsg(chat types.JID, id string, fromMe bool, at time.Time, text string) *waHistorySync.HistorySyncMsg {
	return &waHistorySync.HistorySyncMsg{Message: &waWeb.WebMessageInfo{
		Key:              &waCommon.MessageKey{RemoteJID: proto.String(chat.String()), ID: proto.String(id), FromMe: proto.Bool(fromMe)},
		MessageTimestamp: proto.Uint64(uint64(at.Unix())),
		Message:          &waE2E.Message{Conversation: proto.String(text)},
	}}
}

func TestHistorySync(t *testing.T) {
	r := newRig(t, `{"history_days": 7}`)
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{
		SyncType: waHistorySync.HistorySync_INITIAL_BOOTSTRAP.Enum(),
		Conversations: []*waHistorySync.Conversation{
			{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{ // newest first, as WhatsApp sends them
				webMsg(alice, "H3", true, now.Add(-time.Hour), "mine"),
				webMsg(alice, "H2", false, now.Add(-2*time.Hour), "theirs"),
				webMsg(alice, "H1", false, now.AddDate(0, 0, -8), "too old"),
			}},
			{ID: proto.String(types.StatusBroadcastJID.String()), Messages: []*waHistorySync.HistorySyncMsg{webMsg(types.StatusBroadcastJID, "S1", true, now, "status")}},
		},
	}})
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.host.mu.Lock()
		n := len(r.host.history)
		r.host.mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.host.mu.Lock()
	hist := r.host.history
	r.host.mu.Unlock()
	if len(hist) != 1 {
		t.Fatalf("history batches: %v", hist)
	}
	b := hist[0]
	if b.ChatId != "+33611111111" || b.Done || len(b.Events) != 2 || b.Events[0].EventId != "H2" || b.Events[1].EventId != "H3" ||
		!b.Events[1].Sender.IsFromMe || b.Events[0].GetMessage().Text != "theirs" || b.Cursor == "" {
		t.Errorf("batch: %v", b)
	}
	// WhatsApp may send more: a running count, no total (historyprogress_test.go).
	ev, _ := r.host.next(t, 0, func(ev *pb.Event) bool { return ev.GetProgress() != nil })
	if p := ev.GetProgress(); p.Done != 1 || p.Total != 0 || p.Text != "history: 1 chat so far; WhatsApp is still sending" {
		t.Errorf("progress: %v", p)
	}
	// The spool is empty once sent: nothing is sent again after a restart.
	deadline = time.Now().Add(5 * time.Second)
	for len(s.hist.files()) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if f := s.hist.files(); len(f) != 0 {
		t.Errorf("spool left: %v", f)
	}
}

// A spool left by a crash is sent at the next Connect.
func TestHistorySpoolResent(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	h := newHistoryState(dir, nil, nil)
	if err := h.spool([]*pb.HistoryBatch{{LoginId: done.LoginId, ChatId: "+33611111111", Cursor: "wa:1:X", Done: true,
		Events: []*pb.Event{{EventId: "X", Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "left over"}}}}}}); err != nil {
		t.Fatal(err)
	}
	s, err := r.n.LoadLogin(context.Background(), sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect(context.Background())
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.host.next(t, 0, func(ev *pb.Event) bool { return ev.GetProgress().GetDone() == 1 })
	r.host.mu.Lock()
	defer r.host.mu.Unlock()
	if len(r.host.history) != 1 || r.host.history[0].Events[0].EventId != "X" {
		t.Errorf("resent: %v", r.host.history)
	}
}

func TestContacts(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	if err := s.d.dev.Contacts.PutContactName(ctx, alice, "Alice", "Alice Liddell"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.d.dev.Contacts.PutPushName(ctx, bob, "bobby"); err != nil {
		t.Fatal(err)
	}
	cs, err := s.ContactList(ctx)
	if err != nil || len(cs) != 1 || cs[0].UserId != "+33611111111" || cs[0].Name != "Alice Liddell" || cs[0].Phone != "+33611111111" {
		t.Fatalf("contacts: %v, %v", cs, err)
	}
	fake.AddUser(bob)
	c, err := s.ResolveIdentifier(ctx, "+33 6 22 22 22 22", false)
	if err != nil || c.UserId != "+33622222222" || c.Nickname != "bobby" {
		t.Errorf("resolve: %v, %v", c, err)
	}
	fake.NotOnWhatsApp(types.NewJID("33699999999", types.DefaultUserServer))
	if _, err := s.ResolveIdentifier(ctx, "+33699999999", false); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("not on WhatsApp: %v", err)
	}
	if _, err := s.ResolveIdentifier(ctx, "bob", false); codeOf(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("not a number: %v", err)
	}
	// Presence subscriptions follow the user's availability.
	if err := s.SetPresence(ctx, &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}); err != nil {
		t.Fatal(err)
	}
	if subs := fake.Subscriptions(); len(subs) != 1 || subs[0] != alice {
		t.Errorf("subscriptions: %v", subs)
	}
	// A new connection subscribes again.
	fake.Emit(&events.Connected{})
	deadline := time.Now().Add(5 * time.Second)
	for len(fake.Subscriptions()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if subs := fake.Subscriptions(); len(subs) != 2 || countOf(fake.Presences(), types.PresenceAvailable) != 2 {
		t.Errorf("after reconnecting: subscriptions %v, presences %v", subs, fake.Presences())
	}
	from := r.host.count()
	fake.Emit(&events.PushName{JID: alice, NewPushName: "Ali"})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetContact() != nil })
	if ev.GetContact().Contact.Nickname != "" && ev.GetContact().Contact.UserId != "+33611111111" {
		t.Errorf("contact event: %v", ev)
	}
}

// A login whose folder holds no device answers LOGIN_REQUIRED, never a
// nil client's panic.
func TestNoDevice(t *testing.T) {
	r := newRig(t, "")
	s, err := r.n.LoadLogin(context.Background(), sdk.LoginInfo{LoginID: "+33600000000", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect(context.Background())
	ctx := context.Background()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	r.host.next(t, 0, isState(pb.LoginState_LOGIN_STATE_LOGGED_OUT))
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.SendMessage{Text: "x"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Errorf("send: %v", err)
	}
	if _, err := s.ContactList(ctx); codeOf(err) != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Errorf("contacts: %v", err)
	}
	if _, err := s.ChatList(ctx); codeOf(err) != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Errorf("groups: %v", err)
	}
	ref := encodeMediaRef(&waE2E.Message{ImageMessage: &waE2E.ImageMessage{DirectPath: proto.String("/v/x")}})
	if _, _, err := s.DownloadMedia(ctx, "+33611111111", ref); codeOf(err) != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Errorf("download: %v", err)
	}
	if err := s.Logout(ctx); err != nil {
		t.Errorf("logout: %v", err)
	}
	// With no folder at all (a Logout of a login not connected).
	s2, err := r.n.LoadLogin(ctx, sdk.LoginInfo{LoginID: "+33600000000"})
	if err != nil || s2.Logout(ctx) != nil {
		t.Errorf("logout without a folder: %v", err)
	}
}

// An announcement group is read-only for a member who is not an admin,
// and becomes so when it turns into one.
func TestAnnouncementGroup(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.SetGroup(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "News"},
		Participants: []types.GroupParticipant{{JID: phone}, {JID: bob, IsAdmin: true}}})
	c, err := s.ChatInfo(ctx, group.String())
	if err != nil || c.ReadOnly {
		t.Fatalf("before: %v, %v", c, err)
	}
	if l, _ := s.ChatLimits(ctx, group.String()); l.ReadOnly {
		t.Error("read-only before the change")
	}
	from := r.host.count()
	fake.Emit(&events.GroupInfo{JID: group, Sender: &bob, Timestamp: when, Announce: &types.GroupAnnounce{IsAnnounce: true}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetChat() != nil })
	if !ev.GetChat().Chat.ReadOnly {
		t.Errorf("chat after the change: %v", ev)
	}
	if l, _ := s.ChatLimits(ctx, group.String()); !l.ReadOnly {
		t.Error("not read-only after the change")
	}
	if l, _ := s.ChatLimits(ctx, "+33611111111"); l.ReadOnly {
		t.Error("a direct chat is read-only")
	}
}

func TestAvatars(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.SetPicture(alice, "pic1", "https://pps.invalid/alice.jpg")
	fake.SetPicture(bob, "pic2", "https://pps.invalid/gone.jpg")
	c, err := s.UserInfo(ctx, "+33611111111")
	if err != nil || c.AvatarId != "pic1" || string(c.Avatar) != "JPEG alice" || c.AvatarMime != "image/jpeg" {
		t.Errorf("with a picture: %v, %v", c, err)
	}
	c, err = s.UserInfo(ctx, "+33622222222")
	if err != nil || c.AvatarId != "" || c.UserId != "+33622222222" {
		t.Errorf("picture not downloadable: %v, %v", c, err)
	}
	c, err = s.UserInfo(ctx, "+33633333333")
	if err != nil || c.AvatarId != "" {
		t.Errorf("no picture: %v, %v", c, err)
	}
	if _, err := s.UserInfo(ctx, "nobody"); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("not a user: %v", err)
	}
	// A saved contact's picture: someone not saved is no contact.
	if err := s.d.dev.Contacts.PutContactName(ctx, alice, "Alice", "Alice Liddell"); err != nil {
		t.Fatal(err)
	}
	from := r.host.count()
	fake.Emit(&events.Picture{JID: alice, Author: alice, Timestamp: when, PictureID: "pic3"})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetContact() != nil })
	if ev.GetContact().Contact.AvatarId != "pic3" || ev.GetContact().Contact.UserId != "+33611111111" {
		t.Errorf("picture changed: %v", ev)
	}
	// Removed: a new avatar ID, so that the host fetches the profile
	// and clears the photo; it sent "", which says nothing, and the old
	// picture stayed shown.
	from = r.host.count()
	fake.Emit(&events.Picture{JID: alice, Author: alice, Timestamp: when, Remove: true})
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetContact() != nil })
	if id := ev.GetContact().Contact.AvatarId; id == "" || id == "pic3" {
		t.Errorf("picture removed: avatar_id %q, want a new one", id)
	}
}

// The pairing code dies with the login connection: when WhatsApp's QR
// codes run out, the number is asked again.
func TestLoginPhoneCodeConnectionEnds(t *testing.T) {
	r := newRig(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, _ := r.n.StartLogin(ctx, sdk.LoginRequest{FlowID: flowPhone, Dir: t.TempDir()})
	p.Start(ctx)
	if _, err := p.(sdk.LoginSubmitter).Submit(ctx, map[string]string{"phone": "+33600000000"}); err != nil {
		t.Fatal(err)
	}
	fake, _ := r.made.Wait(0, time.Second)
	fake.RotateQR("2@ignored")
	fake.ExpireQR()
	step, err := p.(sdk.LoginWaiter).Wait(ctx)
	if err != nil || step.GetForm() == nil || !strings.Contains(step.Error, "not typed in time") {
		t.Fatalf("after the connection ended: %v, %v", step, err)
	}
	p.Cancel()
}

// What WhatsApp sends between the end of the login and the session's
// Connect (the first history sync, messages) is kept for the session.
func TestEventsBetweenLoginAndConnect(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	fake, _ := r.made.Wait(len(r.made.All())-1, time.Second)
	ctx := context.Background()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "EARLY", Timestamp: when}, &waE2E.Message{Conversation: proto.String("early")})
	// A group event held too: its handling takes the session's lock,
	// which Connect must not hold while handing the held events over.
	fake.Emit(&events.JoinedGroup{GroupInfo: types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Early group"}}})
	if n := r.host.count(); n != 0 {
		t.Fatalf("events before the session: %v", r.host.since(0))
	}
	s, err := r.n.LoadLogin(ctx, sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect(ctx)
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	ev, _ := r.host.next(t, 0, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.EventId != "EARLY" {
		t.Errorf("kept message: %v", ev)
	}
	r.host.next(t, 0, func(ev *pb.Event) bool { return ev.GetChat().GetChat().GetName() == "Early group" })
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "LATER", Timestamp: when}, &waE2E.Message{Conversation: proto.String("later")})
	r.host.next(t, 0, func(ev *pb.Event) bool { return ev.EventId == "LATER" })
}

// A first connection that fails is retried with backoff, until WhatsApp
// says the device is logged out: then the state stays logged out.
func TestConnectRetriesUntilLoggedOut(t *testing.T) {
	setFor(t, firstRetry, 20*time.Millisecond)
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	// After a restart, from the folder; WhatsApp is out of reach.
	r2 := newRig(t, "")
	r2.made.Setup = func(c *wafake.Client) { c.ConnectErr = errors.New("dial tcp: no route") }
	s, err := r2.n.LoadLogin(context.Background(), sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect(context.Background())
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, i := r2.host.next(t, 0, isState(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT))
	r2.host.next(t, i+1, isState(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT)) // tried again
	fake, _ := r2.made.Wait(0, time.Second)
	fake.Emit(&events.LoggedOut{OnConnect: true, Reason: events.ConnectFailureLoggedOut})
	_, j := r2.host.next(t, 0, isState(pb.LoginState_LOGIN_STATE_LOGGED_OUT))
	time.Sleep(200 * time.Millisecond) // several retry delays
	r2.host.mu.Lock()
	defer r2.host.mu.Unlock()
	for _, ev := range r2.host.events[j+1:] {
		if ev.GetLoginState() != nil {
			t.Errorf("a state after logged out: %v", ev)
		}
	}
}

// A device WhatsApp unlinked (whatsmeow clears its ID) is not connected
// again: that would start a new pairing.
func TestUnlinkedDeviceNotReconnected(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.Emit(&events.LoggedOut{Reason: events.ConnectFailureLoggedOut})
	if err := s.d.dev.Delete(ctx); err != nil { // as whatsmeow does
		t.Fatal(err)
	}
	s.Disconnect(ctx)
	from := r.host.count()
	s2 := newSession(r.n, s.login, &device{dev: s.d.dev, cli: fake, container: nil})
	if err := s2.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	r.host.next(t, from, isState(pb.LoginState_LOGIN_STATE_LOGGED_OUT))
	if fake.IsConnected() {
		t.Error("an unlinked device was connected")
	}
}

// ClientOutdated: WhatsApp Web's current version is tried once, then the
// login stops with a message saying what to do.
func TestClientOutdatedTriesWebVersion(t *testing.T) {
	before := store.GetWAVersion()
	t.Cleanup(func() { store.SetWAVersion(before) })
	newer := store.WAVersionContainer{before[0], before[1], before[2] + 1000}
	r := newRig(t, "")
	lookups := 0
	r.n.SetVersionLookup(func(context.Context) (store.WAVersionContainer, error) {
		lookups++
		return newer, nil
	})
	_, fake := r.connected(t)
	from := r.host.count()
	fake.Emit(&events.ClientOutdated{})
	ev, at := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetLoginState() != nil })
	if ev.GetLoginState().State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || !strings.Contains(ev.GetLoginState().Message, newer.String()) {
		t.Errorf("first ClientOutdated: %v", ev)
	}
	if store.GetWAVersion() != newer {
		t.Errorf("version announced: %v, want %v", store.GetWAVersion(), newer)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !fake.IsConnected() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !fake.IsConnected() {
		t.Error("not connected again")
	}
	// The reconnection's CONNECTED may come after IsConnected: awaited,
	// so that it is not taken for the answer to the second ClientOutdated.
	_, at = r.host.next(t, at+1, func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	fake.Emit(&events.ClientOutdated{})
	ev, _ = r.host.next(t, at+1, func(ev *pb.Event) bool { return ev.GetLoginState() != nil })
	if ev.GetLoginState().State != pb.LoginState_LOGIN_STATE_STOPPED || lookups != 1 {
		t.Errorf("second ClientOutdated: %v after %d look-ups", ev, lookups)
	}
}

func TestWebVersionPinned(t *testing.T) {
	before := store.GetWAVersion()
	t.Cleanup(func() { store.SetWAVersion(before) })
	r := newRig(t, `{"web_version": "2.3000.1234567890"}`)
	if got := store.GetWAVersion(); got != (store.WAVersionContainer{2, 3000, 1234567890}) {
		t.Errorf("pinned version: %v", got)
	}
	if r.n.tryNewerVersion(context.Background()) {
		t.Error("a pinned version was replaced")
	}
	n := NewWithClient(nil)
	if _, err := n.Init(context.Background(), sdk.InitRequest{ConfigJSON: []byte(`{"web_version": "2.x.1"}`)}, newTestHost(t)); codeOf(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("a bad version: %v", err)
	}
}

// A group's picture: fetched on the host's asking (ChatInfo with_avatar
// through sdk.ChatAvatarer), and its changes and removal told as the
// group's chat with the new picture ID and nothing else changed.
func TestGroupPicture(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	r.n.SetFetch(func(_ context.Context, url string) ([]byte, error) {
		if url == "https://pps.invalid/group.jpg" {
			return []byte("JPEG group"), nil
		}
		return nil, errors.New("no such picture")
	})
	fake.SetGroup(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Friends"}, GroupTopic: types.GroupTopic{Topic: "weekend"},
		Participants: []types.GroupParticipant{{JID: phone, PhoneNumber: phone}, {JID: bob, PhoneNumber: bob}}})
	if b, mime, err := s.ChatAvatar(ctx, group.String()); err != nil || b != nil || mime != "" {
		t.Fatalf("a group without a picture: %q %s %v", b, mime, err)
	}
	fake.SetPicture(group, "gp1", "https://pps.invalid/group.jpg")
	if b, mime, err := s.ChatAvatar(ctx, group.String()); err != nil || string(b) != "JPEG group" || mime != "image/jpeg" {
		t.Fatalf("the group's picture: %q %s %v", b, mime, err)
	}
	if _, _, err := s.ChatAvatar(ctx, "+33611111111"); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("a user's ID as a group: %v", err)
	}

	isGroupChat := func(ev *pb.Event) bool { return ev.GetChat().GetChat().GetChatId() == group.String() }
	fake.Emit(&events.Picture{JID: group, Author: bob, PictureID: "gp2", Timestamp: time.Now()})
	ev, i := r.host.next(t, 0, isGroupChat)
	c := ev.GetChat().GetChat()
	if c.AvatarId != "gp2" || c.NoAvatar || c.Name != "Friends" || c.Topic != "weekend" || len(c.Members) != 0 || c.Type != pb.ChatType_CHAT_TYPE_GROUP {
		t.Fatalf("picture changed: %v", c)
	}
	fake.Emit(&events.Picture{JID: group, Author: bob, Remove: true, Timestamp: time.Now()})
	ev, _ = r.host.next(t, i+1, isGroupChat)
	if c := ev.GetChat().GetChat(); !c.NoAvatar || c.AvatarId != "" || c.Topic != "weekend" {
		t.Fatalf("picture removed: %v", c)
	}
}
