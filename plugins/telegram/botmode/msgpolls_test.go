package botmode_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// lunchPoll is a poll update's or a message's poll, as the Bot API writes
// it.
func lunchPoll(id string, pizza, sushi int, closed bool) string {
	return fmt.Sprintf(`{"id":%q,"question":"Lunch?","options":[{"text":"Pizza","voter_count":%d},{"text":"Sushi","voter_count":%d}],
		"total_voter_count":%d,"is_closed":%t,"is_anonymous":true,"type":"regular","allows_multiple_answers":false}`, id, pizza, sushi, pizza+sushi, closed)
}

// A poll closed by hand comes to a bot as a poll update naming only the
// poll: it is a correction of the poll's message, in a private chat and
// in a group (from the poll's sender), with the final counts and
// "(closed)". An update of a poll the bot never saw makes nothing, and
// the session goes on.
func TestPollClosedBot(t *testing.T) {
	api := newFakeAPI(t)
	api.push(privateMsg(60, "", `,"poll":`+lunchPoll("p60", 0, 0, false)))
	api.push(fmt.Sprintf(`{"message":{"message_id":61,"date":1700000100,"chat":{"id":%d,"type":"supergroup","title":"Test group"},
		"from":{"id":601,"is_bot":false,"first_name":"Carol"},"poll":%s}}`, groupID, lunchPoll("p61", 0, 0, false)))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	msg := h.waitEvent(t, 0, "the poll", func(ev *pb.Event) bool { return ev.EventId == "60" && ev.GetMessage() != nil })
	if want := "Poll: Lunch?\n1. Pizza\n2. Sushi\n(vote in Telegram)"; msg.GetMessage().Text != want {
		t.Fatalf("poll %q, want %q", msg.GetMessage().Text, want)
	}
	h.waitFor(t, 0, "the group's poll", func(ev *pb.Event) bool { return ev.EventId == "61" && ev.GetMessage() != nil })

	from := len(h.events())
	api.push(`{"poll":` + lunchPoll("p60", 2, 1, true) + `}`)
	ev := h.waitEvent(t, from, "the closing", func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if e := ev.GetEdit(); e.TargetId != "60" || e.Text != "Poll: Lunch?\n1. Pizza: 2 votes\n2. Sushi: 1 vote\n(closed)" ||
		ev.ChatId != fmt.Sprint(alice) || ev.Sender.GetUserId() != fmt.Sprint(alice) {
		t.Errorf("closing %v: want alice's correction of 60 with the counts, closed", ev)
	}
	from = len(h.events())
	api.push(`{"poll":` + lunchPoll("p61", 0, 3, true) + `}`)
	ev = h.waitEvent(t, from, "the group's closing", func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if e := ev.GetEdit(); e.TargetId != "61" || e.Text != "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 3 votes\n(closed)" ||
		ev.ChatId != fmt.Sprint(groupID) || ev.Sender.GetUserId() != "601" {
		t.Errorf("group closing %v: want carol's correction of 61 in the group", ev)
	}

	from = len(h.events())
	api.push(`{"poll":` + lunchPoll("never-seen", 1, 0, true) + `}`)
	api.push(privateMsg(62, "after the unknown poll", ""))
	h.waitFor(t, from, "the message after", func(ev *pb.Event) bool { return ev.EventId == "62" })
	for _, ev := range h.events()[from:] {
		if ev.GetEdit() != nil {
			t.Errorf("an unknown poll's update made %v", ev)
		}
	}
}

// The polls seen are kept in the login's folder: a poll closed after a
// restart of the plugin is a correction of its message still, from its
// sender, in its chat.
func TestPollClosedAfterRestartBot(t *testing.T) {
	api := newFakeAPI(t)
	dir := t.TempDir()
	api.push(privateMsg(60, "", `,"poll":`+lunchPoll("p60", 0, 0, false)))
	last := api.push(fmt.Sprintf(`{"message":{"message_id":61,"date":1700000100,"chat":{"id":%d,"type":"supergroup","title":"Test group"},
		"from":{"id":601,"is_bot":false,"first_name":"Carol"},"poll":%s}}`, groupID, lunchPoll("p61", 0, 0, false)))
	h1 := newFakeHost()
	s1 := newSession(t, api, h1, dir)
	connect(t, s1, h1)
	h1.waitFor(t, 0, "the group's poll", func(ev *pb.Event) bool { return ev.EventId == "61" && ev.GetMessage() != nil })
	waitConfirmed(t, dir, last)
	s1.Disconnect(context.Background())

	h2 := newFakeHost()
	s2 := newSession(t, api, h2, dir)
	connect(t, s2, h2)
	from := len(h2.events())
	api.push(`{"poll":` + lunchPoll("p61", 0, 3, true) + `}`)
	ev := h2.waitEvent(t, from, "the group's closing", func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if e := ev.GetEdit(); e.TargetId != "61" || e.Text != "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 3 votes\n(closed)" ||
		ev.ChatId != fmt.Sprint(groupID) || ev.Sender.GetUserId() != "601" {
		t.Errorf("group closing after the restart %v: want carol's correction of 61 in the group", ev)
	}
	from = len(h2.events())
	api.push(`{"poll":` + lunchPoll("p60", 2, 1, true) + `}`)
	ev = h2.waitEvent(t, from, "the closing", func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if e := ev.GetEdit(); e.TargetId != "60" || e.Text != "Poll: Lunch?\n1. Pizza: 2 votes\n2. Sushi: 1 vote\n(closed)" ||
		ev.ChatId != fmt.Sprint(alice) || ev.Sender.GetUserId() != fmt.Sprint(alice) {
		t.Errorf("closing after the restart %v: want alice's correction of 60", ev)
	}
}

// A poll with an inline keyboard (a bot's, sent through an inline bot)
// keeps its buttons line when its update corrects it, as the message
// showed it; a keyboard edited since gives its new line. The
// corrections had the poll alone, the buttons gone (user-account mode's
// TestPollUpdateKeepsButtons).
func TestPollUpdateKeepsButtons(t *testing.T) {
	kb := func(label string) string {
		return fmt.Sprintf(`,"reply_markup":{"inline_keyboard":[[{"text":%q,"callback_data":"x"}]]}`, label)
	}
	api := newFakeAPI(t)
	api.push(privateMsg(60, "", `,"poll":`+lunchPoll("p60", 0, 0, false)+kb("Results")))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	msg := h.waitEvent(t, 0, "the poll", func(ev *pb.Event) bool { return ev.EventId == "60" && ev.GetMessage() != nil })
	if want := "Poll: Lunch?\n1. Pizza\n2. Sushi\n(vote in Telegram)\nButtons: Results (press them in Telegram)"; msg.GetMessage().Text != want {
		t.Fatalf("poll %q, want %q", msg.GetMessage().Text, want)
	}

	from := len(h.events())
	api.push(`{"poll":` + lunchPoll("p60", 1, 0, false) + `}`)
	ev := h.waitEvent(t, from, "the vote", func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if want := "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 0 votes\n(vote in Telegram)\nButtons: Results (press them in Telegram)"; ev.GetEdit().Text != want {
		t.Errorf("the vote's correction %q, want %q", ev.GetEdit().Text, want)
	}

	from = len(h.events())
	api.push(strings.Replace(privateMsg(60, "", `,"edit_date":1700000050,"poll":`+lunchPoll("p60", 1, 0, false)+kb("More")), `"message"`, `"edited_message"`, 1))
	h.waitEvent(t, from, "the keyboard's edit", func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	from = len(h.events())
	api.push(`{"poll":` + lunchPoll("p60", 1, 1, true) + `}`)
	ev = h.waitEvent(t, from, "the closing", func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if want := "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 1 vote\n(closed)\nButtons: More (press them in Telegram)"; ev.GetEdit().Text != want {
		t.Errorf("the closing's correction %q, want %q", ev.GetEdit().Text, want)
	}
}
