package mediatext

import (
	"errors"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Each kind of content reads the same for every transport: a kind, a
// colon, what it is, then the details a line each, then where to act.
func TestTexts(t *testing.T) {
	const osm = "https://www.openstreetmap.org/?mlat=48.8584&mlon=2.2945#map=16/48.8584/2.2945"
	vcard := "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Eve Example\r\nTEL;TYPE=CELL:+33 6 12 34 56 78\r\nitem1.TEL:+33 1 23 45 67 89\r\nEMAIL;TYPE=INTERNET:eve@example.org\r\nEND:VCARD\r\n"
	for _, tc := range []struct {
		name, got, want string
	}{
		{"location", LocationText(Location{Lat: 48.8584, Long: 2.2945}),
			"Location\ngeo:48.8584,2.2945\n" + osm},
		{"live location", LocationText(Location{Lat: 48.8584, Long: 2.2945, Live: true}),
			"Live location\ngeo:48.8584,2.2945\n" + osm},
		{"venue", LocationText(Location{Lat: 48.8584, Long: 2.2945, Title: "Eiffel Tower", Address: "Champ de Mars, Paris"}),
			"Location: Eiffel Tower\nChamp de Mars, Paris\ngeo:48.8584,2.2945\n" + osm},
		{"southern and western", LocationText(Location{Lat: -33.8568, Long: -70.5}),
			"Location\ngeo:-33.8568,-70.5\nhttps://www.openstreetmap.org/?mlat=-33.8568&mlon=-70.5#map=16/-33.8568/-70.5"},
		{"no point", LocationText(Location{NoPoint: true, Live: true}), "Live location"},
		{"contact", ContactText(Contact{FirstName: "Eve", LastName: "Example", Phone: "+33612345678"}),
			"Contact: Eve Example\nPhone: +33612345678"},
		{"contact with a vCard (its copy of the number once)", ContactText(Contact{FirstName: "Eve", Phone: "+33612345678", VCard: vcard}),
			"Contact: Eve\nPhone: +33612345678\nPhone: +33 1 23 45 67 89\nE-mail: eve@example.org"},
		{"contact named by its vCard only", ContactText(Contact{VCard: vcard}),
			"Contact: Eve Example\nPhone: +33 6 12 34 56 78\nPhone: +33 1 23 45 67 89\nE-mail: eve@example.org"},
		{"contact with a number only", ContactText(Contact{Phone: "+4915112345678"}),
			"Contact: +4915112345678\nPhone: +4915112345678"},
		{"poll", PollText(Poll{Question: "Lunch?", Options: []Option{{Text: "Pizza"}, {Text: "Sushi"}}}, "in Telegram"),
			"Poll: Lunch?\n1. Pizza\n2. Sushi\n(vote in Telegram)"},
		{"multiple answers", PollText(Poll{Question: "Which days?", Multiple: true, Options: []Option{{Text: "Mon"}, {Text: "Tue"}}}, "in Telegram"),
			"Poll: Which days? (several answers allowed)\n1. Mon\n2. Tue\n(vote in Telegram)"},
		{"open poll: no counts yet", PollText(Poll{Question: "Lunch?", Options: []Option{{Text: "Pizza", Votes: 2, Counted: true}}}, "in Telegram"),
			"Poll: Lunch?\n1. Pizza\n(vote in Telegram)"},
		{"open poll kept current: its counts so far", PollText(Poll{Question: "Lunch?", Live: true, Options: []Option{
			{Text: "Pizza", Votes: 2, Counted: true}, {Text: "Sushi", Votes: 1, Counted: true}, {Text: "Salad"}}}, "in Telegram"),
			"Poll: Lunch?\n1. Pizza: 2 votes\n2. Sushi: 1 vote\n3. Salad\n(vote in Telegram)"},
		{"closed quiz with its results", PollText(Poll{Question: "2+2?", Quiz: true, Closed: true, Options: []Option{
			{Text: "3", Votes: 1, Counted: true}, {Text: "4", Votes: 5, Counted: true, Correct: true}, {Text: "5", Counted: true}}}, "in Telegram"),
			"Poll: 2+2? (quiz)\n1. 3: 1 vote\n2. 4: 5 votes ✓\n3. 5: 0 votes\n(closed)"},
		{"closed, results not told", PollText(Poll{Question: "Lunch?", Closed: true, Options: []Option{{Text: "Pizza"}}}, "in Telegram"),
			"Poll: Lunch?\n1. Pizza\n(closed)"},
		{"dice", DiceText("🎲", 6), "Dice: 🎲 6"},
		{"darts", DiceText("🎯", 3), "Dice: 🎯 3"},
		{"dice without its emoji", DiceText("", 2), "Dice: 🎲 2"},
		{"game", GameText("Lumberjack", "Chop the tree", "in Telegram"), "Game: Lumberjack\nChop the tree\n(play it in Telegram)"},
		{"invoice", InvoiceText("Tea", "A cup of tea", "in Telegram"), "Invoice: Tea\nA cup of tea\n(pay in Telegram)"},
		{"unshown", UnshownText("A story", "in Telegram"), "⚠ A story the gateway cannot show: see it in Telegram."},
		{"poll voted on a phone", PollText(Poll{Question: "Lunch?", Options: []Option{{Text: "Pizza"}}}, "on your phone"),
			"Poll: Lunch?\n1. Pizza\n(vote on your phone)"},
		{"structured card: kinds, organization, no vCard", ContactText(Contact{Name: "Carol Smith", Organization: "ACME",
			Phones: []Value{{Value: "+33612345678", Kind: "mobile"}, {Value: "+33 1 23 45 67 89"}},
			Emails: []Value{{Value: "carol@example.org", Kind: "club"}}}),
			"Contact: Carol Smith (ACME)\nPhone (mobile): +33612345678\nPhone: +33 1 23 45 67 89\nE-mail (club): carol@example.org"},
		{"organization only", ContactText(Contact{Organization: "ACME", Phones: []Value{{Value: "+331", Kind: "work"}}}),
			"Contact: ACME\nPhone (work): +331"},
		{"card and vCard: each number and address once", ContactText(Contact{Name: "Carol", Phones: []Value{{Value: "+33612345678", Kind: "mobile"}},
			Emails: []Value{{Value: "Carol@example.org"}}, VCard: "BEGIN:VCARD\nTEL:+33 6 12 34 56 78\nEMAIL:carol@example.org\nEND:VCARD"}),
			"Contact: Carol\nPhone (mobile): +33612345678\nE-mail: Carol@example.org"},
		{"vCard's organization and units", ContactText(Contact{Name: "Dan", VCard: "BEGIN:VCARD\nORG:ACME\\, Inc.;Sales\nEND:VCARD"}),
			"Contact: Dan (ACME, Inc., Sales)"},
		{"payment", PaymentText("for lunch", "on your phone"), "Payment: for lunch\n(see it on your phone)"},
		{"payment without a note", PaymentText("", "on your phone"), "Payment\n(see it on your phone)"},
		{"unshown on a phone", UnshownText("A list", "on your phone"), "⚠ A list the gateway cannot show: see it on your phone."},
		{"game without a description", GameText("Lumberjack", "", "in Telegram"), "Game: Lumberjack\n(play it in Telegram)"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, tc.got, tc.want)
		}
	}
}

// A caption comes after the content, a blank line between, its spans
// moved with it; without content the text and spans stay as they were.
func TestWithCaption(t *testing.T) {
	spans := []*pb.Span{{Start: 0, End: 4, Style: pb.Span_STYLE_BOLD}}
	text, got := WithCaption("Dice: 🎲 6", "beat that", spans)
	if text != "Dice: 🎲 6\n\nbeat that" {
		t.Errorf("text %q", text)
	}
	head := uint32(len("Dice: 🎲 6\n\n"))
	if len(got) != 1 || got[0].Start != head || got[0].End != head+4 || text[got[0].Start:got[0].End] != "beat" {
		t.Errorf("spans %v: want the bold on \"beat\"", got)
	}
	if text, got := WithCaption("Dice: 🎲 6", "", nil); text != "Dice: 🎲 6" || got != nil {
		t.Errorf("no caption: %q %v", text, got)
	}
	plain := []*pb.Span{{Start: 0, End: 2, Style: pb.Span_STYLE_ITALIC}}
	if text, got := WithCaption("", "hi", plain); text != "hi" || len(got) != 1 || got[0].End != 2 {
		t.Errorf("no content: %q %v", text, got)
	}
}

// WithHead: a line before the text, its spans moved after it; no line
// leaves both alone; no text is the line alone, no spans.
func TestWithHead(t *testing.T) {
	spans := []*pb.Span{{Start: 0, End: 2, Style: pb.Span_STYLE_BOLD}}
	text, got := WithHead("Forwarded from Carol:", "hi there", spans)
	if text != "Forwarded from Carol:\nhi there" || len(got) != 1 || text[got[0].Start:got[0].End] != "hi" {
		t.Errorf("%q %v: want the line, then the text with the bold on \"hi\"", text, got)
	}
	plain := []*pb.Span{{Start: 0, End: 2, Style: pb.Span_STYLE_ITALIC}}
	if text, got := WithHead("", "hi", plain); text != "hi" || len(got) != 1 || got[0].End != 2 {
		t.Errorf("no line: %q %v", text, got)
	}
	if text, got := WithHead("Forwarded message:", "", nil); text != "Forwarded message:" || got != nil {
		t.Errorf("no text: %q %v", text, got)
	}
}

// PollChoices: numbers and texts (any case) name options, in the poll's
// order, each once; a choice naming none, a number out of range and
// several in a poll of one answer are refused naming the options; no
// choice is none.
func TestPollChoices(t *testing.T) {
	opts := []string{"Pizza", "Sushi", "Salad"}
	for _, c := range []struct {
		choices  []string
		multiple bool
		want     []int
		err      string
	}{
		{[]string{"2"}, false, []int{1}, ""},
		{[]string{"pizza"}, false, []int{0}, ""},
		{[]string{"3", "sushi", "3"}, true, []int{1, 2}, ""},
		{nil, false, nil, ""},
		{[]string{"4"}, false, nil, `no option "4": 1. Pizza, 2. Sushi, 3. Salad`},
		{[]string{"Soup"}, true, nil, `no option "Soup"`},
		{[]string{"1", "2"}, false, nil, "takes one answer: 1. Pizza"},
	} {
		got, err := PollChoices(opts, c.choices, c.multiple)
		if c.err != "" {
			var ec *ErrChoice
			if !errors.As(err, &ec) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: err %v, want one saying %q", c.choices, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%v = %v, %v; want %v", c.choices, got, err, c.want)
		}
	}
}
