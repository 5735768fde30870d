package botmode_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/botmode"

	pb "passerelle.im/passerelle/plugins/proto"
)

const (
	alice   = 501 // a person who writes to the bot
	groupID = -100777
)

func privateMsg(id int, text string, extra string) string {
	return fmt.Sprintf(`{"message":{"message_id":%d,"date":1700000000,"chat":{"id":%d,"type":"private","first_name":"Alice","username":"alice"},
		"from":{"id":%d,"is_bot":false,"first_name":"Alice","username":"alice"},"text":%q%s}}`, id, alice, alice, text, extra)
}

func groupMsg(id int, fromID int, name, text string) string {
	return fmt.Sprintf(`{"message":{"message_id":%d,"date":1700000100,"chat":{"id":%d,"type":"supergroup","title":"Test group"},
		"from":{"id":%d,"is_bot":false,"first_name":%q},"text":%q}}`, id, groupID, fromID, name, text)
}

func TestLoginToken(t *testing.T) {
	api := newFakeAPI(t)
	ctx := context.Background()

	// Refused by Telegram (401): a clear error, and the form again.
	_, err := botmode.Login(ctx, "999:wrong-token", botmode.LoginOptions{ServerURL: api.URL()})
	if !errors.Is(err, botmode.ErrBadToken) || !contains(err.Error(), "Unauthorized") {
		t.Errorf("a refused token: %v, want ErrBadToken with Telegram's words", err)
	}
	p := botmode.NewLoginProcess(botmode.LoginOptions{ServerURL: api.URL()})
	step, err := p.(sdk.LoginSubmitter).Submit(ctx, map[string]string{botmode.FieldToken: "999:wrong-token"})
	if err != nil || step.GetForm() == nil || !contains(step.Error, "refused") {
		t.Errorf("a refused token: step %v, err %v; want the form again saying it was refused", step, err)
	}
	// Not a token at all: said without asking Telegram.
	before := len(api.callsOf("getMe"))
	step, _ = p.(sdk.LoginSubmitter).Submit(ctx, map[string]string{botmode.FieldToken: "hello"})
	if step.GetForm() == nil || !contains(step.Error, "looks like") || len(api.callsOf("getMe")) != before {
		t.Errorf("a malformed token: %v", step)
	}
	// A server that is down: UNAVAILABLE, not a refused token.
	down := newFakeAPI(t)
	down.srv.Close()
	p2 := botmode.NewLoginProcess(botmode.LoginOptions{ServerURL: down.URL()})
	if _, err := p2.(sdk.LoginSubmitter).Submit(ctx, map[string]string{botmode.FieldToken: testToken}); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("login with the Bot API down: %v, want UNAVAILABLE", err)
	}

	// The right token.
	done := login(t, api)
	if done.LoginId != "bot123456" || !botmode.IsLoginID(done.LoginId) || !contains(done.DisplayName, "@passerelle_test_bot") {
		t.Errorf("completed login %v", done)
	}
	if botmode.IsLoginID("33612345678") || botmode.IsLoginID("bot") {
		t.Error("IsLoginID takes a user account's ID for a bot's")
	}
}

// Updates become events in order: a contact before its first message, a
// group with its admins before its first message, a member first seen
// before what they say; entities as spans, replies, edits, reactions.
func TestUpdatesBecomeEvents(t *testing.T) {
	api := newFakeAPI(t)
	api.admins[fmt.Sprint(groupID)] = fmt.Sprintf(`[
		{"status":"creator","user":{"id":600,"is_bot":false,"first_name":"Owner"},"is_anonymous":false},
		{"status":"administrator","user":{"id":%d,"is_bot":true,"first_name":"Passerelle Test"},"can_be_edited":false,
		 "is_anonymous":false,"can_manage_chat":true,"can_delete_messages":true,"can_manage_video_chats":false,
		 "can_restrict_members":false,"can_promote_members":false,"can_change_info":true,"can_invite_users":true}]`, testBotID)
	// "héllo 😀 *bold* link": bold and a text link after an emoji (two
	// UTF-16 units), an italic over the accented word.
	api.push(privateMsg(1, "héllo 😀 bold link", `,"entities":[
		{"type":"italic","offset":0,"length":5},{"type":"bold","offset":9,"length":4},
		{"type":"text_link","offset":14,"length":4,"url":"https://example.org/"},{"type":"code","offset":9,"length":4}]`))
	api.push(groupMsg(10, 600, "Owner", "hello group"))
	api.push(groupMsg(11, 601, "Bob", "hi, I am new here"))
	api.push(fmt.Sprintf(`{"message":{"message_id":12,"date":1700000200,"chat":{"id":%d,"type":"supergroup","title":"Test group"},
		"from":{"id":600,"is_bot":false,"first_name":"Owner"},"text":"a reply","reply_to_message":{"message_id":11,"date":1700000100,
		"chat":{"id":%d,"type":"supergroup","title":"Test group"},"text":"hi, I am new here"}}}`, groupID, groupID))
	api.push(fmt.Sprintf(`{"edited_message":{"message_id":1,"date":1700000000,"edit_date":1700000300,"chat":{"id":%d,"type":"private","first_name":"Alice","username":"alice"},
		"from":{"id":%d,"is_bot":false,"first_name":"Alice"},"text":"hello, corrected"}}`, alice, alice))
	api.push(fmt.Sprintf(`{"message_reaction":{"chat":{"id":%d,"type":"supergroup","title":"Test group"},"message_id":1001,
		"user":{"id":601,"is_bot":false,"first_name":"Bob"},"date":1700000400,"old_reaction":[],
		"new_reaction":[{"type":"emoji","emoji":"👍"}]}}`, groupID))
	api.push(fmt.Sprintf(`{"message":{"message_id":13,"date":1700000500,"chat":{"id":%d,"type":"supergroup","title":"Test group"},
		"from":{"id":600,"is_bot":false,"first_name":"Owner"},"new_chat_members":[{"id":602,"is_bot":false,"first_name":"Carol"}]}}`, groupID))
	// Alice changed her name: the contact says so.
	api.push(strings.Replace(privateMsg(2, "new name", ""), `"first_name":"Alice","username"`, `"first_name":"Alice B","username"`, 1))

	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	last := h.waitFor(t, 0, "Alice's new name", func(ev *pb.Event) bool { return ev.GetContact().GetContact().GetName() == "Alice B" })
	evs := h.events()[:last+1]

	conn := evs[h.waitFor(t, 0, "CONNECTED", isState(pb.LoginState_LOGIN_STATE_CONNECTED))]
	if msg := conn.GetLoginState().Message; !contains(msg, "@passerelle_test_bot") || !contains(msg, "cannot read a chat's history") ||
		!contains(msg, "cannot write first") || !contains(msg, "Privacy mode is on") {
		t.Errorf("CONNECTED message %q does not say what a bot cannot do", msg)
	}
	// The login's features: the gateway offers the bot's user no more.
	if f := conn.GetLoginState().Features; f == nil || !f.Reactions || !f.PollCreate || f.PollVote || f.ChatTimer || f.ChatSearch || f.CreateChat || f.Backfill {
		t.Errorf("CONNECTED features %v: want a bot's (reactions, polls started, no votes, timers, search, creation or history)", f)
	}

	var kinds []string
	for _, ev := range evs {
		switch p := ev.Payload.(type) {
		case *pb.Event_Contact:
			kinds = append(kinds, "contact "+p.Contact.Contact.UserId)
		case *pb.Event_Chat:
			kinds = append(kinds, "chat "+p.Chat.Chat.ChatId)
		case *pb.Event_Member:
			kinds = append(kinds, "joined "+p.Member.Member.UserId)
		case *pb.Event_Message:
			kinds = append(kinds, "message "+ev.ChatId+"/"+ev.EventId)
		case *pb.Event_Edit:
			kinds = append(kinds, "edit "+p.Edit.TargetId)
		case *pb.Event_Reaction:
			kinds = append(kinds, "reaction "+p.Reaction.TargetId+" "+strings.Join(p.Reaction.Emojis, ""))
		}
	}
	want := []string{"contact 501", "message 501/1", "chat -100777", "message -100777/10", "joined 601", "message -100777/11",
		"message -100777/12", "edit 1", "reaction 1001 👍", "joined 602", "contact 501"}
	if !slices.Equal(kinds, want) {
		t.Errorf("events\n got %q\nwant %q", kinds, want)
	}
	seen := map[string]bool{}
	for _, ev := range evs {
		if ev.GetLoginState() != nil {
			continue
		}
		if ev.EventId == "" || seen[ev.ChatId+"/"+ev.EventId] {
			t.Errorf("event without a unique event_id: %v", ev)
		}
		seen[ev.ChatId+"/"+ev.EventId] = true
	}

	for _, ev := range evs {
		switch {
		case ev.GetMessage() != nil && ev.EventId == "1" && ev.ChatId == "501":
			m := ev.GetMessage()
			// UTF-8 bytes: "héllo " is 7, "😀 " 5: bold at 12..16.
			got := fmt.Sprint(m.Spans)
			for _, w := range []string{"end:6 style:STYLE_ITALIC", "start:12 end:16", "start:17 end:21 style:STYLE_LINK url:\"https://example.org/\"", "style:STYLE_CODE"} {
				if !contains(strings.ReplaceAll(got, "  ", " "), w) {
					t.Errorf("spans %s lack %s", got, w)
				}
			}
			if ev.Sender.UserId != "501" || ev.Sender.Name != "Alice" || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || ev.TimestampUnixMicro != 1700000000_000000 {
				t.Errorf("private message %v", ev)
			}
		case ev.GetChat() != nil:
			c := ev.GetChat().Chat
			if c.Type != pb.ChatType_CHAT_TYPE_GROUP || c.Name != "Test group" || len(c.Members) != 2 ||
				!c.Members[0].IsSelf || c.Members[0].Affiliation != pb.Affiliation_AFFILIATION_ADMIN ||
				c.Members[1].UserId != "600" || c.Members[1].Affiliation != pb.Affiliation_AFFILIATION_OWNER {
				t.Errorf("group chat event %v: want the bot (admin) and the owner", c)
			}
			if !c.Features.GroupName || c.ReadOnly || c.Features.GroupKick {
				t.Errorf("group chat event %v: the bot may rename it and post, not kick", c)
			}
		case ev.GetMessage() != nil && ev.EventId == "12":
			if ev.GetMessage().ReplyToId != "11" {
				t.Errorf("reply %v", ev)
			}
		case ev.GetEdit() != nil:
			if ev.GetEdit().Text != "hello, corrected" || ev.TimestampUnixMicro != 1700000300_000000 {
				t.Errorf("edit %v", ev)
			}
		}
	}

	// The lists: Alice as a contact, the group with its members as seen.
	contacts, _ := s.ContactList(context.Background())
	if len(contacts) != 1 || contacts[0].UserId != "501" || contacts[0].Name != "Alice B" {
		t.Errorf("contacts %v", contacts)
	}
	chats, _ := s.ChatList(context.Background())
	if len(chats) != 1 || len(chats[0].Members) != 4 {
		t.Errorf("chat list %v: want the group with the bot, the owner, Bob and Carol", chats)
	}
}

// A restart resumes from the stored offset: nothing confirmed comes
// again, nothing unconfirmed is missed.
func TestRestartResumesFromOffset(t *testing.T) {
	api := newFakeAPI(t)
	dir := t.TempDir()
	for i := 1; i <= 3; i++ {
		api.push(privateMsg(i, fmt.Sprintf("before %d", i), ""))
	}
	h1 := newFakeHost()
	s1 := newSession(t, api, h1, dir)
	connect(t, s1, h1)
	h1.waitFor(t, 0, "message 3", isText("before 3"))
	// The offset is written once the batch is on disk; then Disconnect.
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, _ := os.ReadFile(filepath.Join(dir, "offset"))
		if string(data) == `{"asked":4}` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("offset file holds %q, want asked 4", data)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s1.Disconnect(context.Background())
	if got := messages(h1.events()); !slices.Equal(got, []string{"before 1", "before 2", "before 3"}) {
		t.Fatalf("first run: %q", got)
	}

	// While it is down, more comes.
	api.push(privateMsg(4, "while down", ""))
	polls := len(api.pollOffsets())

	h2 := newFakeHost()
	s2 := newSession(t, api, h2, dir)
	connect(t, s2, h2)
	h2.waitFor(t, 0, "the message sent while down", isText("while down"))
	api.push(privateMsg(5, "after", ""))
	h2.waitFor(t, 0, "a new message", isText("after"))
	if got := messages(h2.events()); !slices.Equal(got, []string{"while down", "after"}) {
		t.Errorf("after the restart: %q, want only what the first run did not have", got)
	}
	if first := api.pollOffsets()[polls]; first != 4 {
		t.Errorf("the restarted session asked from offset %d, want 4", first)
	}
	// The contact is known from the first run: no second contact event.
	for _, ev := range h2.events() {
		if ev.GetContact() != nil {
			t.Errorf("contact announced again after the restart: %v", ev)
		}
	}
	if contacts, _ := s2.ContactList(context.Background()); len(contacts) != 1 {
		t.Errorf("the chat list did not survive the restart: %v", contacts)
	}
}

// A batch whose events could not be made durable is not confirmed to
// Telegram (the offset asked for stays), and its events are not emitted
// twice meanwhile; once the journal works again, the loop moves on.
func TestUnstoredBatchIsNotConfirmed(t *testing.T) {
	api := newFakeAPI(t)
	api.push(privateMsg(1, "keep me", ""))
	h := newFakeHost()
	h.setDurable(errors.New("disk full"))
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	h.waitFor(t, 0, "the message", isText("keep me"))
	i := h.waitFor(t, 0, "a transient state", isState(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT))
	if msg := h.events()[i].GetLoginState().Message; !contains(msg, "could not be stored") {
		t.Errorf("transient state %q", msg)
	}
	for len(api.pollOffsets()) < 3 {
		time.Sleep(10 * time.Millisecond)
	}
	for _, o := range api.pollOffsets() {
		if o > 1 {
			t.Fatalf("offset %d asked while the batch was not stored: %v", o, api.pollOffsets())
		}
	}
	// Failing again and again is said once, with growing pauses, not as
	// a login that flaps between connected and not.
	for _, ev := range h.events()[i+1:] {
		if ev.GetLoginState() != nil {
			t.Errorf("login state %v while the journal still fails", ev.GetLoginState())
		}
	}
	h.setDurable(nil)
	h.waitFor(t, i, "CONNECTED again", isState(pb.LoginState_LOGIN_STATE_CONNECTED))
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(api.pollOffsets(), 2) {
		if time.Now().After(deadline) {
			t.Fatalf("the batch was never confirmed: offsets %v", api.pollOffsets())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := messages(h.events()); !slices.Equal(got, []string{"keep me"}) {
		t.Errorf("messages %q, want the one once", got)
	}
	// The gateway has the offset too, in the saved state.
	var saved string
	for _, ev := range h.events() {
		if st := ev.GetSavedState(); st != nil {
			saved = string(st.SavedState)
		}
	}
	if !contains(saved, `"offset":2`) || !contains(saved, testToken) {
		t.Errorf("saved state %s", saved)
	}
}

// A plugin killed after handing a batch to the SDK but before Telegram
// heard: the restarted one finds the batch again at Telegram and emits it
// again under the same event IDs, which the gateway drops (its chat list
// learns from it all the same). The offset file of an earlier version,
// which also said what was emitted, is read for its offset alone.
func TestKilledMidBatch(t *testing.T) {
	api := newFakeAPI(t)
	dir := t.TempDir()
	api.push(privateMsg(1, "emitted before the kill", ""))
	id, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	pos := fmt.Sprintf(`{"asked":1,"emitted":2,"boot":%q}`, strings.TrimSpace(string(id)))
	if err := os.WriteFile(filepath.Join(dir, "offset"), []byte(pos), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newFakeHost()
	s := newSession(t, api, h, dir)
	connect(t, s, h)
	api.push(privateMsg(2, "new", ""))
	h.waitFor(t, 0, "the new message", isText("new"))
	if ev := h.waitEvent(t, 0, "the batch again", isText("emitted before the kill")); ev.EventId != "1" {
		t.Errorf("emitted again with event_id %q, want 1 (the same as before the kill)", ev.EventId)
	}
	if got, want := messages(h.events()), []string{"emitted before the kill", "new"}; !slices.Equal(got, want) {
		t.Errorf("messages %q, want %q", got, want)
	}
	if contacts, _ := s.ContactList(context.Background()); len(contacts) != 1 || contacts[0].UserId != "501" {
		t.Errorf("contacts %v: the batch's contact is not known", contacts)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, "offset"))
		if string(b) == `{"asked":3}` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("offset file %s: want the offset alone, 3", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A server in trouble (5xx with HTML, broken JSON) is a transient state
// with a clear message, retried with growing pauses, and loses nothing;
// a revoked token is BAD_CREDENTIALS and ends polling.
func TestServerFailures(t *testing.T) {
	api := newFakeAPI(t)
	api.fail(badGateway, badGatewayBinary, badJSON, badGateway)
	api.push(privateMsg(1, "through the storm", ""))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h) // getMe works
	i := h.waitFor(t, 0, "TRANSIENT_DISCONNECT", isState(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT))
	if msg := h.events()[i].GetLoginState().Message; !contains(msg, "HTTP 502") || !contains(msg, "retrying in") || !contains(msg, "Nothing is lost") {
		t.Errorf("transient state message %q", msg)
	}
	j := h.waitFor(t, i, "broken JSON reported", func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT && contains(ev.GetLoginState().Message, "not the Bot API's JSON")
	})
	_ = j
	h.waitFor(t, i, "CONNECTED again", isState(pb.LoginState_LOGIN_STATE_CONNECTED))
	h.waitFor(t, 0, "the message", isText("through the storm"))
	if got := messages(h.events()); !slices.Equal(got, []string{"through the storm"}) {
		t.Errorf("messages %q", got)
	}
	// Pauses grow: 20, 40, 80, 160 ms (MinBackoff 20 ms).
	times := api.pollTimes()
	if len(times) < 5 {
		t.Fatalf("%d polls", len(times))
	}
	// (Lower bounds only: a loaded machine makes pauses longer.)
	if g1, g4 := times[1].Sub(times[0]), times[4].Sub(times[3]); g1 < 20*time.Millisecond || g4 < 160*time.Millisecond {
		t.Errorf("pauses between retries %v then %v: want at least 20 ms, then 160 ms", g1, g4)
	}

	// One update the library cannot read is skipped by its ID, with the
	// rest delivered.
	api.push(`{"message":{"message_id":"not a number"}}`)
	api.push(privateMsg(2, "after the bad one", ""))
	h.waitFor(t, 0, "the message after the bad update", isText("after the bad one"))

	// Another program polls the same bot.
	api.fail(func(w http.ResponseWriter) {
		apiFail(w, http.StatusConflict, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
	})
	c := h.waitEvent(t, 0, "the conflict said", func(ev *pb.Event) bool {
		return contains(ev.GetLoginState().GetMessage(), "another program is polling")
	})
	if c.GetLoginState().State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT {
		t.Errorf("conflict: %v", c)
	}
	api.push(privateMsg(3, "after the conflict", ""))
	h.waitFor(t, 0, "the message after the conflict", isText("after the conflict"))

	// The token is revoked.
	api.fail(unauthorized)
	api.push(privateMsg(4, "never", ""))
	k := h.waitFor(t, 0, "BAD_CREDENTIALS", isState(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS))
	if msg := h.events()[k].GetLoginState().Message; !contains(msg, "refused the bot token") || !contains(msg, "@BotFather") {
		t.Errorf("bad credentials message %q", msg)
	}
	n := len(api.pollOffsets())
	time.Sleep(300 * time.Millisecond)
	if len(api.pollOffsets()) != n {
		t.Error("polling went on after Telegram refused the token")
	}
}

// getMe failing at Connect (a 5xx) is a transient state, retried until
// it answers.
func TestGetMeRetried(t *testing.T) {
	api := newFakeAPI(t)
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	api.setRefuse("getMe", "502", "Bad Gateway \xff")
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev := h.waitEvent(t, 0, "TRANSIENT_DISCONNECT", isState(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT))
	if msg := ev.GetLoginState().Message; !contains(msg, "502") || !contains(msg, "getMe") {
		t.Errorf("transient state %q", msg)
	}
	for len(api.callsOf("getMe")) < 3 {
		time.Sleep(10 * time.Millisecond)
	}
	api.setRefuse("getMe", "", "")
	h.waitFor(t, 0, "CONNECTED", isState(pb.LoginState_LOGIN_STATE_CONNECTED))
	// Connect again on a running session: no harm, no second loop.
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	api.push(privateMsg(1, "once", ""))
	h.waitFor(t, 0, "the message", isText("once"))
	time.Sleep(100 * time.Millisecond)
	if got := messages(h.events()); !slices.Equal(got, []string{"once"}) {
		t.Errorf("messages %q", got)
	}
}

// Commands reach the Bot API with the right parameters; Telegram's
// refusals come back as typed errors that say what a bot may not do.
func TestCommands(t *testing.T) {
	api := newFakeAPI(t)
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	ctx := context.Background()
	call := sdk.Call{ChatID: "501"}

	// "😀 bold": bold at UTF-8 bytes 5..9 is UTF-16 units 3..7.
	res, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "😀 bold", ReplyToId: "7",
		Spans: []*pb.Span{{Start: 5, End: 9, Style: pb.Span_STYLE_BOLD}, {Start: 0, End: 4, Style: pb.Span_STYLE_LINK, Url: "https://example.org/"}}})
	if err != nil || res.MessageID != "1001" {
		t.Fatalf("send: %v %v", res, err)
	}
	p := api.callsOf("sendMessage")[0].Params
	if p["chat_id"] != "501" || p["text"] != "😀 bold" || !contains(p["entities"], `"type":"bold","offset":3,"length":4`) ||
		!contains(p["entities"], `"type":"text_link","offset":0,"length":2,"url":"https://example.org/"`) ||
		!contains(p["reply_parameters"], `"message_id":7`) {
		t.Errorf("sendMessage params %v", p)
	}

	// A location an XMPP client sends (a geo: URI) is Telegram's own.
	if res, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "geo:48.8584,2.2945;u=2000", ReplyToId: "7"}); err != nil || res.MessageID != "1002" {
		t.Fatalf("send a location: %v %v", res, err)
	}
	if p := api.callsOf("sendLocation"); len(p) != 1 || p[0].Params["latitude"] != "48.8584" || p[0].Params["longitude"] != "2.2945" ||
		p[0].Params["horizontal_accuracy"] != "1500" || !contains(p[0].Params["reply_parameters"], `"message_id":7`) {
		t.Errorf("sendLocation calls %v", p)
	}

	// A location corrected: Telegram changes a live location only.
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "1002", Text: "geo:48.86,2.3"}); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		t.Errorf("a location corrected: %v, want UNSUPPORTED", err)
	}
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "1001", Text: "fixed"}); err != nil {
		t.Fatal(err)
	}
	if p := api.callsOf("editMessageText")[0].Params; p["chat_id"] != "501" || p["message_id"] != "1001" || p["text"] != "fixed" {
		t.Errorf("editMessageText params %v", p)
	}
	if _, err := s.React(ctx, call, &pb.React{TargetId: "1001", Emojis: []string{"❤", "👍"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.React(ctx, call, &pb.React{TargetId: "1001"}); err != nil {
		t.Fatal(err)
	}
	reacts := api.callsOf("setMessageReaction")
	if p := reacts[0].Params; p["message_id"] != "1001" || p["reaction"] != `[{"type":"emoji","emoji":"👍"}]` {
		t.Errorf("setMessageReaction params %v", p)
	}
	if p := reacts[1].Params; p["reaction"] != `[]` {
		t.Errorf("removing a reaction: params %v", p)
	}
	if _, err := s.Retract(ctx, call, &pb.Retract{TargetId: "1001"}); err != nil {
		t.Fatal(err)
	}
	if p := api.callsOf("deleteMessage")[0].Params; p["chat_id"] != "501" || p["message_id"] != "1001" {
		t.Errorf("deleteMessage params %v", p)
	}
	// A kick is a ban lifted at once; a ban stays.
	group := sdk.Call{ChatID: fmt.Sprint(groupID)}
	if err := s.Kick(ctx, group, &pb.Kick{UserId: "601"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Kick(ctx, group, &pb.Kick{UserId: "602", Ban: true}); err != nil {
		t.Fatal(err)
	}
	bans, unbans := api.callsOf("banChatMember"), api.callsOf("unbanChatMember")
	if len(bans) != 2 || bans[0].Params["user_id"] != "601" || bans[1].Params["user_id"] != "602" ||
		len(unbans) != 1 || unbans[0].Params["user_id"] != "601" || unbans[0].Params["only_if_banned"] != "true" {
		t.Errorf("kick and ban: bans %v, unbans %v", bans, unbans)
	}
	if err := s.SetTyping(ctx, call, pb.TypingState_TYPING_STATE_COMPOSING); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTyping(ctx, call, pb.TypingState_TYPING_STATE_PAUSED); err != nil {
		t.Fatal(err)
	}
	if acts := api.callsOf("sendChatAction"); len(acts) != 1 || acts[0].Params["action"] != "typing" {
		t.Errorf("sendChatAction calls %v: want one, typing", acts)
	}

	// Telegram's refusals.
	api.setRefuse("sendMessage", "403", "Forbidden: bot can't initiate conversation with a user")
	_, err = s.SendMessage(ctx, sdk.Call{ChatID: "777"}, &pb.SendMessage{Text: "hello stranger"})
	if e := sdk.ToProto(err); e.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !contains(e.Text, "cannot write first") {
		t.Errorf("writing first: %v", err)
	}
	api.setRefuse("deleteMessage", "400", "Bad Request: message can't be deleted")
	if _, err := s.Retract(ctx, call, &pb.Retract{TargetId: "5"}); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Errorf("deleting someone's message without the right: %v", err)
	}
	// A file's caption is corrected with editMessageCaption.
	api.setRefuse("editMessageText", "400", "Bad Request: there is no text in the message to edit")
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "1002", Text: "new caption"}); err != nil {
		t.Errorf("correcting a caption: %v", err)
	}
	if c := api.callsOf("editMessageCaption"); len(c) != 1 || c[0].Params["caption"] != "new caption" || c[0].Params["message_id"] != "1002" {
		t.Errorf("editMessageCaption calls %v", c)
	}
	api.setRefuse("editMessageText", "400", "Bad Request: message to edit not found")
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "5", Text: "x"}); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("editing a message that is gone: %v", err)
	}
	api.setRefuse("setMessageReaction", "429", "Too Many Requests: retry after 3")
	if _, err := s.React(ctx, call, &pb.React{TargetId: "5", Emojis: []string{"👍"}}); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_RATE_LIMITED {
		t.Errorf("flood: %v", err)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "not-a-chat"}, &pb.SendMessage{Text: "x"}); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("a chat ID that is not Telegram's: %v", err)
	}
}

// Channels: read-only without the right to post; groups: renaming only
// with the right to change the info; private chats: no group actions.
func TestChatLimits(t *testing.T) {
	api := newFakeAPI(t)
	api.member["-100900"] = fmt.Sprintf(`{"status":"administrator","user":{"id":%d,"is_bot":true,"first_name":"Passerelle Test"},
		"can_be_edited":false,"is_anonymous":false,"can_manage_chat":true,"can_delete_messages":false,"can_manage_video_chats":false,
		"can_restrict_members":false,"can_promote_members":false,"can_change_info":false,"can_invite_users":false,"can_post_messages":false}`, testBotID)
	api.push(`{"channel_post":{"message_id":1,"date":1700000000,"chat":{"id":-100900,"type":"channel","title":"News"},
		"sender_chat":{"id":-100900,"type":"channel","title":"News"},"text":"read this"}}`)
	api.push(fmt.Sprintf(`{"my_chat_member":{"chat":{"id":-100901,"type":"channel","title":"Mine"},"from":{"id":600,"is_bot":false,"first_name":"Owner"},
		"date":1700000000,"old_chat_member":{"status":"left","user":{"id":%d,"is_bot":true,"first_name":"T"}},
		"new_chat_member":{"status":"administrator","user":{"id":%d,"is_bot":true,"first_name":"T"},"can_be_edited":false,"is_anonymous":false,
		"can_manage_chat":true,"can_delete_messages":true,"can_manage_video_chats":false,"can_restrict_members":false,"can_promote_members":false,
		"can_change_info":false,"can_invite_users":false,"can_post_messages":true}}}`, testBotID, testBotID))
	api.push(privateMsg(1, "hi", ""))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	h.waitFor(t, 0, "the private message", isText("hi"))
	i := h.waitFor(t, 0, "the channel post", isText("read this"))
	if ev := h.events()[i]; ev.ChatType != pb.ChatType_CHAT_TYPE_CHANNEL || ev.Sender.UserId != "-100900" || ev.Sender.Name != "News" {
		t.Errorf("channel post %v", ev)
	}
	ctx := context.Background()
	if l, _ := s.ChatLimits(ctx, "-100900"); !l.ReadOnly {
		t.Error("a channel where the bot may not post is not read-only")
	}
	if l, _ := s.ChatLimits(ctx, "-100901"); l.ReadOnly || l.Features.GroupName || l.Features.GroupAvatar {
		t.Errorf("a channel where the bot posts: %+v", l)
	}
	if l, _ := s.ChatLimits(ctx, "501"); l.ReadOnly || l.Features.LeaveChat || !l.Features.Edits {
		t.Errorf("a private chat: %+v", l)
	}
	// Removed from a chat: the room ends.
	api.push(fmt.Sprintf(`{"my_chat_member":{"chat":{"id":-100901,"type":"channel","title":"Mine"},"from":{"id":600,"is_bot":false,"first_name":"Owner"},
		"date":1700000001,"old_chat_member":{"status":"administrator","user":{"id":%d,"is_bot":true,"first_name":"T"},"can_be_edited":false,
		"is_anonymous":false,"can_manage_chat":true,"can_delete_messages":true,"can_manage_video_chats":false,"can_restrict_members":false,
		"can_promote_members":false,"can_change_info":false,"can_invite_users":false},
		"new_chat_member":{"status":"kicked","user":{"id":%d,"is_bot":true,"first_name":"T"},"until_date":0}}}`, testBotID, testBotID))
	j := h.waitFor(t, 0, "the chat removed", func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil })
	if ev := h.events()[j]; ev.ChatId != "-100901" || ev.GetChatRemoved().Reason != pb.ChatRemovedEvent_REASON_BANNED {
		t.Errorf("chat removed %v", ev)
	}
	chats, _ := s.ChatList(ctx)
	if len(chats) != 1 || chats[0].ChatId != "-100900" || !chats[0].ReadOnly {
		t.Errorf("chat list %v", chats)
	}
	// The user leaves the channel: Telegram is told, and its own word
	// of it is a leave, not a kick.
	if err := s.LeaveChat(ctx, sdk.Call{ChatID: "-100900"}); err != nil {
		t.Fatal(err)
	}
	if c := api.callsOf("leaveChat"); len(c) != 1 || c[0].Params["chat_id"] != "-100900" {
		t.Errorf("leaveChat calls %v", c)
	}
	api.push(fmt.Sprintf(`{"my_chat_member":{"chat":{"id":-100900,"type":"channel","title":"News"},"from":{"id":%d,"is_bot":true,"first_name":"T"},
		"date":1700000002,"old_chat_member":{"status":"member","user":{"id":%d,"is_bot":true,"first_name":"T"}},
		"new_chat_member":{"status":"left","user":{"id":%d,"is_bot":true,"first_name":"T"}}}}`, testBotID, testBotID, testBotID))
	left := h.waitEvent(t, j+1, "the leave", func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil })
	if left.ChatId != "-100900" || left.GetChatRemoved().Reason != pb.ChatRemovedEvent_REASON_LEFT {
		t.Errorf("leave %v", left)
	}
}

// Files both ways: one from Telegram by reference, downloaded through
// getFile; one to Telegram through UploadMedia and a multipart sendPhoto,
// and inline data as a document.
func TestFilesBothWays(t *testing.T) {
	api := newFakeAPI(t)
	photo := []byte("\x89PNG fake photo bytes")
	api.addFile("photo-big", photo)
	api.push(fmt.Sprintf(`{"message":{"message_id":3,"date":1700000000,"chat":{"id":%d,"type":"private","first_name":"Alice"},
		"from":{"id":%d,"is_bot":false,"first_name":"Alice"},"caption":"look","photo":[
		{"file_id":"photo-small","file_unique_id":"s","width":90,"height":60,"file_size":100},
		{"file_id":"photo-big","file_unique_id":"b","width":900,"height":600,"file_size":%d}]}}`, alice, alice, len(photo)))
	api.push(fmt.Sprintf(`{"message":{"message_id":4,"date":1700000000,"chat":{"id":%d,"type":"private","first_name":"Alice"},
		"from":{"id":%d,"is_bot":false,"first_name":"Alice"},"sticker":{"file_id":"stk","file_unique_id":"k","type":"regular",
		"width":512,"height":512,"is_animated":true,"is_video":false,"emoji":"😺",
		"thumbnail":{"file_id":"stk-thumb","file_unique_id":"t","width":128,"height":128,"file_size":10}}}}`, alice, alice))
	h := newFakeHost()
	dir := t.TempDir()
	s := newSession(t, api, h, dir)
	connect(t, s, h)
	ev := h.waitEvent(t, 0, "the photo", isText("look"))
	atts := ev.GetMessage().Attachments
	if len(atts) != 1 || atts[0].GetRef() != "photo-big" || atts[0].MimeType != "image/jpeg" || atts[0].Width != 900 || atts[0].Size != int64(len(photo)) {
		t.Fatalf("photo attachment %v", atts)
	}
	stk := h.waitEvent(t, 0, "the sticker", func(ev *pb.Event) bool { return ev.EventId == "4" })
	if a := stk.GetMessage().GetAttachments(); len(a) != 1 || a[0].GetRef() != "stk-thumb" || a[0].MimeType != "image/webp" {
		t.Errorf("an animated sticker as an image: %v", stk)
	}

	ctx := context.Background()
	info, r, err := s.DownloadMedia(ctx, "501", "photo-big")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 100)
	n, _ := r.Read(got)
	r.Close()
	if string(got[:n]) != string(photo) || info.Size != int64(len(photo)) {
		t.Errorf("downloaded %q (info %v), want %q", got[:n], info, photo)
	}
	if _, _, err := s.DownloadMedia(ctx, "501", "no-such-file"); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("an unknown file_id: %v", err)
	}

	// Out: through UploadMedia, then SendMessage names it.
	img := []byte("an image to send")
	id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "cat.jpg", MimeType: "image/jpeg", Size: int64(len(img))}, strings.NewReader(string(img)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: "501"}, &pb.SendMessage{Text: "my cat",
		Spans:       []*pb.Span{{Start: 3, End: 6, Style: pb.Span_STYLE_BOLD}},
		Attachments: []*pb.Attachment{{Name: "cat.jpg", MimeType: "image/jpeg", Source: &pb.Attachment_UploadId{UploadId: id}}}})
	if err != nil || res.MessageID == "" {
		t.Fatalf("send a photo: %v %v", res, err)
	}
	c := api.callsOf("sendPhoto")[0]
	if string(c.Files["photo"]) != string(img) || c.Params["caption"] != "my cat" || c.Params["chat_id"] != "501" ||
		!contains(c.Params["caption_entities"], `"type":"bold","offset":3,"length":3`) {
		t.Errorf("sendPhoto: params %v, file %q", c.Params, c.Files["photo"])
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "uploads", "*")); len(left) != 0 {
		t.Errorf("the spooled upload is still there: %v", left)
	}
	// Inline data, not an image: a document.
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "501"}, &pb.SendMessage{Attachments: []*pb.Attachment{{Name: "notes.txt",
		MimeType: "text/plain", Source: &pb.Attachment_Data{Data: []byte("hello")}}}}); err != nil {
		t.Fatal(err)
	}
	if c := api.callsOf("sendDocument")[0]; string(c.Files["document"]) != "hello" || c.Params["document.filename"] != "notes.txt" {
		t.Errorf("sendDocument: %v", c)
	}
	// A second file refused: the error says the first part went out.
	api.setRefuse("sendDocument", "400", "Bad Request: file must be non-empty")
	_, err = s.SendMessage(ctx, sdk.Call{ChatID: "501"}, &pb.SendMessage{Text: "two files", Attachments: []*pb.Attachment{
		{Name: "a.png", MimeType: "image/png", Source: &pb.Attachment_Data{Data: []byte("png")}},
		{Name: "b.txt", MimeType: "text/plain", Source: &pb.Attachment_Data{Data: []byte("")}}}})
	if e := sdk.ToProto(err); e.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !contains(e.Text, "only part") || !contains(e.Text, "b.txt") {
		t.Errorf("a send that went out in part: %v", err)
	}
}

// Membership as Telegram reports it: service messages (joins, leaves, a
// new title) and chat_member updates (where the bot is an admin: joins,
// kicks, bans, promotions).
func TestMembership(t *testing.T) {
	api := newFakeAPI(t)
	g := fmt.Sprintf(`"chat":{"id":%d,"type":"supergroup","title":"Test group"}`, groupID)
	member := func(id int, status string) string {
		return fmt.Sprintf(`{"status":%q,"user":{"id":%d,"is_bot":false,"first_name":"U%d"}}`, status, id, id)
	}
	admin := func(id int) string {
		return fmt.Sprintf(`{"status":"administrator","user":{"id":%d,"is_bot":false,"first_name":"U%d"},"can_be_edited":false,
			"is_anonymous":false,"can_manage_chat":true,"can_delete_messages":true,"can_manage_video_chats":false,"can_restrict_members":true,
			"can_promote_members":false,"can_change_info":false,"can_invite_users":true}`, id, id)
	}
	chatMember := func(from int, old, new string) string {
		return fmt.Sprintf(`{"chat_member":{%s,"from":{"id":%d,"is_bot":false,"first_name":"U%d"},"date":1700000000,
			"old_chat_member":%s,"new_chat_member":%s}}`, g, from, from, old, new)
	}
	api.push(groupMsg(1, 700, "U700", "first"))
	api.push(groupMsg(7, 701, "U701", "bye"))
	api.push(fmt.Sprintf(`{"message":{"message_id":2,"date":1700000000,%s,"from":{"id":701,"is_bot":false,"first_name":"U701"},
		"left_chat_member":{"id":701,"is_bot":false,"first_name":"U701"}}}`, g))
	api.push(fmt.Sprintf(`{"message":{"message_id":3,"date":1700000000,%s,"from":{"id":700,"is_bot":false,"first_name":"U700"},
		"new_chat_title":"Renamed group"}}`, g))
	api.push(fmt.Sprintf(`{"message":{"message_id":5,"date":1700000000,%s,"from":{"id":704,"is_bot":false,"first_name":"U704"},
		"new_chat_members":[{"id":704,"is_bot":false,"first_name":"U704"}]}}`, g))
	api.push(chatMember(702, member(702, "left"), member(702, "member")))
	// The same join as a service message: no second event.
	api.push(fmt.Sprintf(`{"message":{"message_id":8,"date":1700000000,%s,"from":{"id":702,"is_bot":false,"first_name":"U702"},
		"new_chat_members":[{"id":702,"is_bot":false,"first_name":"U702"}]}}`, g))
	// One never seen leaves: no news.
	api.push(chatMember(705, member(705, "member"), member(705, "left")))
	api.push(chatMember(700, member(702, "member"), admin(702)))
	api.push(chatMember(700, admin(702), member(702, "left")))
	api.push(chatMember(700, member(703, "member"), fmt.Sprintf(`{"status":"kicked","user":{"id":703,"is_bot":false,"first_name":"U703"},"until_date":0}`)))
	api.push(strings.Replace(groupMsg(6, 700, "U700 Renamed", "renamed"), "Test group", "Renamed group", 1))
	api.push(strings.Replace(groupMsg(4, 700, "U700 Renamed", "last"), "Test group", "Renamed group", 1))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	last := h.waitFor(t, 0, "the last message", isText("last"))
	var got []string
	for _, ev := range h.events()[:last] {
		switch p := ev.Payload.(type) {
		case *pb.Event_Member:
			m := p.Member
			got = append(got, fmt.Sprintf("%s %s %s by %s", m.Kind, m.Member.UserId, m.Member.Affiliation, ev.Sender.UserId))
		case *pb.Event_Chat:
			got = append(got, "chat "+p.Chat.Chat.Name)
		}
	}
	want := []string{
		"chat Test group",
		"KIND_JOINED 700 AFFILIATION_MEMBER by 700",
		"KIND_JOINED 701 AFFILIATION_MEMBER by 701",
		"KIND_LEFT 701 AFFILIATION_NONE by 701",
		"chat Renamed group",
		"KIND_JOINED 704 AFFILIATION_MEMBER by 704",
		"KIND_JOINED 702 AFFILIATION_MEMBER by 702",
		"KIND_ROLE_CHANGED 702 AFFILIATION_ADMIN by 700",
		"KIND_KICKED 702 AFFILIATION_NONE by 700",
		"KIND_BANNED 703 AFFILIATION_OUTCAST by 700",
		"KIND_RENAMED 700 AFFILIATION_MEMBER by 700",
	}
	if !slices.Equal(got, want) {
		t.Errorf("membership events\n got %q\nwant %q", got, want)
	}
	c, err := s.ChatInfo(context.Background(), fmt.Sprint(groupID))
	if err != nil || c.Name != "Renamed group" || len(c.Members) != 3 || c.Members[1].UserId != "700" || c.Members[2].UserId != "704" {
		t.Errorf("chat info %v %v: want the bot, U700 and U704", c, err)
	}
}

// Logout forgets the login's state; the token is not logged out at
// Telegram (that would take the bot off the Bot API for 10 minutes).
func TestLogout(t *testing.T) {
	api := newFakeAPI(t)
	dir := t.TempDir()
	api.push(privateMsg(1, "hi", ""))
	h := newFakeHost()
	s := newSession(t, api, h, dir)
	connect(t, s, h)
	h.waitFor(t, 0, "the message", isText("hi"))
	for {
		if _, err := os.Stat(filepath.Join(dir, "chats.json")); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left in the login's folder: %v", left)
	}
	if len(api.callsOf("logOut")) != 0 || len(api.callsOf("close")) != 0 {
		t.Error("Logout logged the bot out of the Bot API")
	}
	// Without saved state (a Logout of a login not connected).
	s2, err := botmode.NewSession(botmode.Config{Host: h, LoginID: "bot123456", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s2.Connect(context.Background()); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Errorf("Connect without a token: %v", err)
	}
}

// Damaged files in the login's folder do not stop the login: they are
// set aside, and nothing is lost (Telegram hands what was not confirmed).
func TestDamagedFiles(t *testing.T) {
	api := newFakeAPI(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "offset"), []byte("{not json"), 0o600)
	os.WriteFile(filepath.Join(dir, "chats.json"), []byte("[{"), 0o600)
	api.push(privateMsg(1, "still here", ""))
	h := newFakeHost()
	s := newSession(t, api, h, dir)
	connect(t, s, h)
	h.waitFor(t, 0, "the message", isText("still here"))
	if offs := api.pollOffsets(); offs[0] != 0 {
		t.Errorf("first offset asked %d, want 0", offs[0])
	}
	for _, name := range []string{"offset.damaged", "chats.json.damaged"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if contacts, _ := s.ContactList(context.Background()); len(contacts) != 1 {
		t.Errorf("contacts %v", contacts)
	}
}

// A forum's topics are rooms: a topic created comes as a room of its
// own ("Forum / Plans"), its messages in it as written; a topic created
// before the bot came too, named by the reply to its first message; the
// General topic is the forum's room. What the user sends to a topic's
// room goes with its message_thread_id; a topic the bot never saw is a
// clear error.
func TestForumTopics(t *testing.T) {
	api := newFakeAPI(t)
	chatJSON := fmt.Sprintf(`"chat":{"id":%d,"type":"supergroup","title":"Forum","is_forum":true}`, groupID)
	from := `"from":{"id":600,"is_bot":false,"first_name":"Owner"}`
	api.push(fmt.Sprintf(`{"message":{"message_id":20,"date":1700000000,%s,%s,"message_thread_id":20,"is_topic_message":true,"forum_topic_created":{"name":"Plans","icon_color":0}}}`, chatJSON, from))
	api.push(fmt.Sprintf(`{"message":{"message_id":21,"date":1700000001,%s,%s,"message_thread_id":20,"is_topic_message":true,
		"reply_to_message":{"message_id":20,"date":1700000000,%s,"forum_topic_created":{"name":"Plans","icon_color":0}},
		"text":"go bold","entities":[{"type":"bold","offset":3,"length":4}]}}`, chatJSON, from, chatJSON))
	// A topic created before the bot came: named by the reply to its root.
	api.push(fmt.Sprintf(`{"message":{"message_id":31,"date":1700000002,%s,%s,"message_thread_id":30,"is_topic_message":true,
		"reply_to_message":{"message_id":30,"date":1700000000,%s,"forum_topic_created":{"name":"Old","icon_color":0}},
		"text":"still here"}}`, chatJSON, from, chatJSON))
	api.push(fmt.Sprintf(`{"message":{"message_id":32,"date":1700000003,%s,%s,"text":"in general"}}`, chatJSON, from))
	api.push(fmt.Sprintf(`{"message_reaction":{%s,"message_id":21,"user":{"id":600,"is_bot":false,"first_name":"Owner"},"date":1700000004,
		"old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"👍"}]}}`, chatJSON))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	plans, old, forum := fmt.Sprintf("%d_20", groupID), fmt.Sprintf("%d_30", groupID), fmt.Sprint(groupID)
	ev := h.waitEvent(t, 0, "the new topic's room", func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == plans })
	if c := ev.GetChat().Chat; c.ChatId != plans || c.Name != "Forum / Plans" || c.Type != pb.ChatType_CHAT_TYPE_GROUP || c.Features.LeaveChat {
		t.Errorf("topic room %v", c)
	}
	ev = h.waitEvent(t, 0, "the topic message", isText("go bold"))
	if sp := ev.GetMessage().Spans; ev.ChatId != plans || len(sp) != 1 || sp[0].Start != 3 || sp[0].End != 7 || ev.GetMessage().ReplyToId != "" {
		t.Errorf("topic message %v in %s: want it in %s, the bold span at 3..7, no reply to the topic's root", ev.GetMessage(), ev.ChatId, plans)
	}
	ev = h.waitEvent(t, 0, "the old topic's room", func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == old })
	if c := ev.GetChat().Chat; c.Name != "Forum / Old" {
		t.Errorf("old topic's room %v", c)
	}
	if ev = h.waitEvent(t, 0, "the old topic's message", isText("still here")); ev.ChatId != old {
		t.Errorf("old topic's message in %s", ev.ChatId)
	}
	if ev = h.waitEvent(t, 0, "the General message", isText("in general")); ev.ChatId != forum {
		t.Errorf("General message in %s, want the forum's room", ev.ChatId)
	}
	if ev = h.waitEvent(t, 0, "the reaction", func(ev *pb.Event) bool { return ev.GetReaction() != nil }); ev.ChatId != plans {
		t.Errorf("reaction in %s, want the topic's room", ev.ChatId)
	}
	ctx := context.Background()
	chats, err := s.ChatList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range chats {
		ids = append(ids, c.ChatId+"="+c.Name)
	}
	if want := []string{forum + "=Forum", plans + "=Forum / Plans", old + "=Forum / Old"}; !slices.Equal(ids, want) {
		t.Errorf("chat list %q, want %q", ids, want)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: plans}, &pb.SendMessage{Text: "on it", ReplyToId: "21"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: forum}, &pb.SendMessage{Text: "to all"}); err != nil {
		t.Fatal(err)
	}
	sent := api.callsOf("sendMessage")
	if p := sent[0].Params; p["chat_id"] != forum || p["message_thread_id"] != "20" || !contains(p["reply_parameters"], `"message_id":21`) {
		t.Errorf("sent to the topic: %v", p)
	}
	if p := sent[1].Params; p["chat_id"] != forum || p["message_thread_id"] != "" {
		t.Errorf("sent to General: %v", p)
	}
	if err := s.SetTyping(ctx, sdk.Call{ChatID: plans}, pb.TypingState_TYPING_STATE_COMPOSING); err != nil {
		t.Fatal(err)
	}
	if p := api.callsOf("sendChatAction")[0].Params; p["message_thread_id"] != "20" {
		t.Errorf("typing in the topic: %v", p)
	}
	for _, bad := range []string{forum + "_99", forum + "_1", "501_2"} {
		if _, err := s.ChatInfo(ctx, bad); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
			t.Errorf("ChatInfo(%s): %v, want not found", bad, err)
		}
	}
	if err := s.LeaveChat(ctx, sdk.Call{ChatID: plans}); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("leaving a topic: %v", err)
	}
}

// A person's profile photo is their avatar: its ID with the contact, the
// picture from UserInfo.
func TestAvatar(t *testing.T) {
	api := newFakeAPI(t)
	api.addFile("avatar-501", []byte("jpeg of alice"))
	api.push(privateMsg(1, "hi", ""))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	ev := h.waitEvent(t, 0, "the contact", func(ev *pb.Event) bool { return ev.GetContact() != nil })
	if id := ev.GetContact().Contact.AvatarId; id != "uavatar-501" {
		t.Errorf("avatar_id %q, want the 320-pixel size's unique ID", id)
	}
	c, err := s.UserInfo(context.Background(), "501")
	if err != nil || string(c.Avatar) != "jpeg of alice" || c.AvatarMime != "image/jpeg" {
		t.Errorf("UserInfo %v %v", c, err)
	}
}

// A public group's ChatInfo gives its t.me link (anyone may share it); a
// private one's, none.
func TestInviteLinkOfPublicGroup(t *testing.T) {
	api := newFakeAPI(t)
	api.push(`{"message":{"message_id":1,"date":1700000100,"chat":{"id":-100888,"type":"supergroup","title":"Gophers","username":"gophers"},
		"from":{"id":700,"is_bot":false,"first_name":"Ann"},"text":"public"}}`)
	api.push(groupMsg(2, 700, "Ann", "private"))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	h.waitFor(t, 0, "the private group's message", isText("private"))
	if c, err := s.ChatInfo(context.Background(), "-100888"); err != nil || c.InviteLink != "https://t.me/gophers" {
		t.Errorf("public group: %v %v, want its t.me link", c, err)
	}
	if c, err := s.ChatInfo(context.Background(), fmt.Sprint(groupID)); err != nil || c.InviteLink != "" {
		t.Errorf("private group: %v %v, want no link", c, err)
	}
}

// A file over the 50 MB a bot may send is refused as it comes, not
// spooled to the login's folder to be refused at the send and left
// there: said too large by its announced size before a byte is read,
// or once 50 MB came when the size was not said; nothing stays in the
// uploads folder.
func TestUploadTooLargeForBot(t *testing.T) {
	api := newFakeAPI(t)
	h := newFakeHost()
	dir := t.TempDir()
	s := newSession(t, api, h, dir)
	connect(t, s, h)
	ctx := context.Background()
	_, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "big.mkv", MimeType: "video/x-matroska", Size: 60 << 20}, unreadable{t})
	if sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_TOO_LARGE {
		t.Errorf("an upload announced over 50 MB: %v, want TOO_LARGE", err)
	}
	id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "big.bin", Size: -1}, io.LimitReader(zeros{}, 50<<20+1))
	if err == nil {
		// Refused at the send instead: what must not be left behind.
		_, err = s.SendMessage(ctx, sdk.Call{ChatID: "501"}, &pb.SendMessage{Attachments: []*pb.Attachment{
			{Name: "big.bin", Source: &pb.Attachment_UploadId{UploadId: id}}}})
	}
	if sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_TOO_LARGE {
		t.Errorf("an upload of more than 50 MB: %v, want TOO_LARGE", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "uploads", "*")); len(left) != 0 {
		t.Errorf("left in the uploads folder: %v", left)
	}
}

// unreadable fails the test when read.
type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Error("a file refused by its size was read")
	return 0, io.EOF
}

// zeros reads as zero bytes, for ever.
type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}
