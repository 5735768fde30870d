package botmode_test

import (
	"fmt"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

const eiffelMap = "geo:48.8584,2.2945\nhttps://www.openstreetmap.org/?mlat=48.8584&mlon=2.2945#map=16/48.8584/2.2945"

// Locations, venues, contacts, polls, dice, games and invoices a bot
// receives read as text, in the words of user-account mode, what it
// cannot show (a story) as a notice; a live location that moves is a
// correction with its new position.
func TestRichContentAsText(t *testing.T) {
	const eiffel = `{"latitude":48.8584,"longitude":2.2945}`
	cases := []struct {
		name, extra, want string
	}{
		{"location", `,"location":` + eiffel, "Location\n" + eiffelMap},
		{"live location", `,"location":{"latitude":48.8584,"longitude":2.2945,"live_period":900,"heading":90}`, "Live location\n" + eiffelMap},
		{"venue", `,"location":` + eiffel + `,"venue":{"location":` + eiffel + `,"title":"Eiffel Tower","address":"Champ de Mars, Paris","foursquare_id":"4adcda"}`,
			"Location: Eiffel Tower\nChamp de Mars, Paris\n" + eiffelMap},
		{"contact", `,"contact":{"phone_number":"+33612345678","first_name":"Eve","last_name":"Example",
			"vcard":"BEGIN:VCARD\nVERSION:3.0\nTEL;TYPE=WORK:+33 1 23 45 67 89\nEMAIL:eve@example.org\nEND:VCARD"}`,
			"Contact: Eve Example\nPhone: +33612345678\nPhone: +33 1 23 45 67 89\nE-mail: eve@example.org"},
		{"poll", `,"poll":{"id":"p1","question":"Lunch?","options":[{"text":"Pizza","voter_count":0},{"text":"Sushi","voter_count":0}],
			"total_voter_count":0,"is_closed":false,"is_anonymous":true,"type":"regular","allows_multiple_answers":true}`,
			"Poll: Lunch? (several answers allowed)\n1. Pizza\n2. Sushi\n(vote in Telegram)"},
		{"closed quiz", `,"poll":{"id":"p2","question":"2+2?","options":[{"text":"4","voter_count":2},{"text":"5","voter_count":1}],
			"total_voter_count":3,"is_closed":true,"is_anonymous":true,"type":"quiz","allows_multiple_answers":false,"correct_option_id":0}`,
			"Poll: 2+2? (quiz)\n1. 4: 2 votes\n2. 5: 1 vote\n(closed)"},
		{"public quiz explained", `,"poll":{"id":"p3","question":"2+2?","options":[{"text":"4","voter_count":1},{"text":"5","voter_count":0}],
			"total_voter_count":1,"is_closed":true,"is_anonymous":false,"type":"quiz","allows_multiple_answers":false,"correct_option_id":0,"explanation":"Count them."}`,
			"Poll: 2+2? (quiz)\n1. 4: 1 vote\n2. 5: 0 votes\nExplanation: Count them.\nVotes are public: Telegram shows who voted for what.\n(closed)"},
		{"dice", `,"dice":{"emoji":"🎲","value":6}`, "Dice: 🎲 6"},
		{"darts", `,"dice":{"emoji":"🎯","value":3}`, "Dice: 🎯 3"},
		{"game", `,"game":{"title":"Lumberjack","description":"Chop the tree","photo":[{"file_id":"g1","file_unique_id":"u1","width":640,"height":360}]}`,
			"Game: Lumberjack\nChop the tree\n(play it in Telegram)"},
		{"invoice", `,"invoice":{"title":"Tea","description":"A cup of tea","start_parameter":"tea","currency":"EUR","total_amount":250}`,
			"Invoice: Tea\nA cup of tea\n(pay in Telegram)"},
		{"story", `,"story":{"chat":{"id":501,"type":"private","first_name":"Alice"},"id":3}`, "⚠ A story the gateway cannot show: see it in Telegram."},
	}
	api := newFakeAPI(t)
	for i, tc := range cases {
		api.push(privateMsg(40+i, "", tc.extra))
	}
	api.push(fmt.Sprintf(`{"edited_message":{"message_id":41,"date":1700000000,"edit_date":1700000060,
		"chat":{"id":%d,"type":"private","first_name":"Alice","username":"alice"},"from":{"id":%d,"is_bot":false,"first_name":"Alice"},
		"location":{"latitude":48.86,"longitude":2.3,"live_period":900}}}`, alice, alice))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	for i, tc := range cases {
		id := fmt.Sprint(40 + i)
		ev := h.waitEvent(t, 0, tc.name, func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.EventId == id })
		if m := ev.GetMessage(); m.Text != tc.want || len(m.Attachments) != 0 {
			t.Errorf("%s:\n got %q (attachments %v)\nwant %q", tc.name, m.Text, m.Attachments, tc.want)
		}
	}
	ev := h.waitEvent(t, 0, "the live location's move", func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if e := ev.GetEdit(); e.TargetId != "41" ||
		e.Text != "Live location\ngeo:48.86,2.3\nhttps://www.openstreetmap.org/?mlat=48.86&mlon=2.3#map=16/48.86/2.3" {
		t.Errorf("edit %v: want a correction of 41 with the new position", e)
	}
}
