package botmode_test

import (
	"context"
	"fmt"
	"testing"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Pins as a bot: pinChatMessage (notifying, as Telegram's apps do by
// default) and unpinChatMessage, where the bot may pin (a private chat;
// a group where it is an admin with the right to pin), which ChatLimits
// says; the notice comes once, from the bot, replying to the message
// (the Bot API sends a bot no update of its own pin), by an event ID
// the same command sent again under its txn repeats, and a later pin of
// the same message does not. Telegram's
// refusals: not enough rights is not-allowed, an unknown message
// not-found. A pin by a member (a message with pinned_message) is their
// notice replying to the message pinned, by the service message's ID,
// an inaccessible message's too.
func TestPin(t *testing.T) {
	api := newFakeAPI(t)
	admin := func(pin bool) string {
		return fmt.Sprintf(`[{"status":"administrator","user":{"id":%d,"is_bot":true,"first_name":"Passerelle Test"},
			"can_be_edited":false,"is_anonymous":false,"can_manage_chat":true,"can_delete_messages":true,"can_manage_video_chats":false,
			"can_restrict_members":false,"can_promote_members":false,"can_change_info":false,"can_invite_users":true,"can_pin_messages":%t}]`, testBotID, pin)
	}
	api.admins["-100778"] = admin(true)
	api.admins["-100779"] = admin(false)
	msg := func(id int, chat int64, text, extra string) string {
		return fmt.Sprintf(`{"message":{"message_id":%d,"date":1700000100,"chat":{"id":%d,"type":"supergroup","title":"Group %d"},
			"from":{"id":601,"is_bot":false,"first_name":"Dave"},"text":%q%s}}`, id, chat, chat, text, extra)
	}
	api.push(msg(1, -100778, "pins", ""))
	api.push(msg(2, -100779, "no pins", ""))
	api.push(privateMsg(3, "private", ""))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	for _, text := range []string{"pins", "no pins", "private"} {
		h.waitFor(t, 0, text, isText(text))
	}
	ctx := context.Background()
	for chat, want := range map[string]bool{"-100778": true, "-100779": false, "501": true} {
		if l, err := s.ChatLimits(ctx, chat); err != nil || l.Features.Pin != want {
			t.Errorf("ChatLimits(%s): pin %v (%v), want %v", chat, l.Features.GetPin(), err, want)
		}
	}
	if f, _ := sdk.Features(s, nil); !f.Pin {
		t.Error("pin is not advertised")
	}

	pinned, unpinned := mediatext.PinText(false), mediatext.PinText(true)
	for _, c := range []struct {
		chat, target, method, text string
		unpin                      bool
	}{
		{"-100778", "1", "pinChatMessage", pinned, false},
		{"-100778", "1", "unpinChatMessage", unpinned, true},
		{"501", "3", "pinChatMessage", pinned, false},
	} {
		from := len(h.events())
		calls := len(api.callsOf(c.method))
		if err := s.Pin(ctx, sdk.Call{ChatID: c.chat}, &pb.Pin{TargetId: c.target, Unpin: c.unpin}); err != nil {
			t.Fatalf("%s %s in %s: %v", c.method, c.target, c.chat, err)
		}
		got := api.callsOf(c.method)
		if len(got) != calls+1 || got[calls].Params["chat_id"] != c.chat || got[calls].Params["message_id"] != c.target ||
			got[calls].Params["disable_notification"] == "true" {
			t.Errorf("%s calls %v, want one for message %s of %s, notifying", c.method, got, c.target, c.chat)
		}
		ev := h.waitEvent(t, from, c.text, isText(c.text))
		if ev.ChatId != c.chat || !ev.GetSender().GetIsFromMe() || ev.GetSender().GetUserId() != fmt.Sprint(testBotID) || ev.GetMessage().GetReplyToId() != c.target {
			t.Errorf("the notice of %s: %v, want one from the bot in %s replying to %s", c.method, ev, c.chat, c.target)
		}
		if n := len(messages(h.events()[from:])); n != 1 {
			t.Errorf("%s: %d messages after it, want the notice alone", c.method, n)
		}
	}

	// The notice's event ID: the same for the same command sent again
	// under its txn (the gateway's replay after a restart, which it then
	// drops as seen), another for a later pin of the same message (a new
	// txn), for an unpin, and for another message.
	notice := func(chat, target, txn string, unpin bool) string {
		t.Helper()
		from := len(h.events())
		if err := s.Pin(ctx, sdk.Call{ChatID: chat, TxnID: txn}, &pb.Pin{TargetId: target, Unpin: unpin}); err != nil {
			t.Fatalf("pin %s in %s (txn %s, unpin %v): %v", target, chat, txn, unpin, err)
		}
		return h.waitEvent(t, from, "the notice of txn "+txn, isText(mediatext.PinText(unpin))).EventId
	}
	first := notice("-100778", "1", "t1", false)
	if again := notice("-100778", "1", "t1", false); first == "" || again != first {
		t.Errorf("a pin's notice, its command sent again: event IDs %q then %q, want the same, not empty", first, again)
	}
	ids := map[string]string{first: "the first pin"}
	for _, c := range []struct {
		what, chat, target, txn string
		unpin                   bool
	}{
		{"a later pin of the message", "-100778", "1", "t2", false},
		{"its unpin", "-100778", "1", "t3", true},
		{"an unpin under the pin's txn", "-100778", "1", "t1", true},
		{"another message's pin", "-100778", "4", "t1", false},
		{"a pin in another chat", "501", "3", "t1", false},
	} {
		id := notice(c.chat, c.target, c.txn, c.unpin)
		if id == "" || ids[id] != "" {
			t.Errorf("%s: event ID %q, as %s's", c.what, id, ids[id])
		}
		ids[id] = c.what
	}

	// Telegram's refusals.
	api.setRefuse("pinChatMessage", "400", "Bad Request: not enough rights to manage pinned messages in the chat")
	err := s.Pin(ctx, sdk.Call{ChatID: "-100779"}, &pb.Pin{TargetId: "2"})
	if code := sdk.ToProto(err).GetCode(); code != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Errorf("a pin without the right: %v, want not allowed", err)
	}
	api.setRefuse("pinChatMessage", "400", "Bad Request: message to pin not found")
	err = s.Pin(ctx, sdk.Call{ChatID: "-100778"}, &pb.Pin{TargetId: "99"})
	if code := sdk.ToProto(err).GetCode(); code != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("a pin of an unknown message: %v, want not found", err)
	}
	if err := s.Pin(ctx, sdk.Call{ChatID: "-100778"}, &pb.Pin{TargetId: "x"}); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("a pin of no message ID: %v, want not found", err)
	}

	// Dave's pins on Telegram.
	from := len(h.events())
	api.push(msg(4, -100778, "", `,"pinned_message":{"message_id":1,"date":1700000100,"chat":{"id":-100778,"type":"supergroup","title":"G"},"text":"pins"}`))
	api.push(msg(5, -100778, "", `,"pinned_message":{"message_id":2,"date":0,"chat":{"id":-100778,"type":"supergroup","title":"G"}}`))
	for k, target := range []string{"1", "2"} {
		i := h.waitFor(t, from, "dave's pin of "+target, func(ev *pb.Event) bool {
			return ev.GetMessage().GetText() == pinned && ev.GetMessage().GetReplyToId() == target
		})
		ev := h.events()[i]
		if ev.ChatId != "-100778" || ev.GetSender().GetUserId() != "601" || ev.GetSender().GetIsFromMe() || ev.EventId != fmt.Sprint(4+k) {
			t.Errorf("dave's pin of %s: %v", target, ev)
		}
	}
}
