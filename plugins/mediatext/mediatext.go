// Package mediatext writes as text the message contents that XMPP has no
// element for: locations and venues, contact cards, polls, dice, games,
// invoices and payments, calls and disappearing-message timers. Every
// transport renders them here, so that a message reads the same whichever
// network it came from: a kind, a colon,
// what it is, then the details a line each ("Location: ...",
// "Contact: ...", "Poll: ...").
//
// What the user can only do in the network's own app (vote, play, pay)
// ends the text with where to do it, a phrase the transport gives:
// "in Telegram", "on your phone".
//
// It also reads the one such content XMPP clients write as text
// themselves: a location, as a geo: URI (GeoURI).
//
// Like plugins/sdk, it imports nothing of this module but the contract
// (plugins/proto): transports are separate processes.
package mediatext

import (
	"slices"
	"strconv"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Location is a point on the map, perhaps a named place (a venue).
type Location struct {
	Lat, Long float64
	// NoPoint: the network gave no coordinates (an empty geo point).
	NoPoint bool
	// Title and Address name a venue; both may be empty.
	Title, Address string
	// Live: a live location, which its sender's device keeps moving.
	Live bool
}

// LocationText is a location as readable text, then a geo: URI (RFC
// 5870) that clients turn into a map, then a map link for those that do
// not.
func LocationText(l Location) string {
	var b strings.Builder
	if l.Live {
		b.WriteString("Live location")
	} else {
		b.WriteString("Location")
	}
	if l.Title != "" {
		b.WriteString(": " + l.Title)
	}
	if l.Address != "" {
		b.WriteString("\n" + l.Address)
	}
	if !l.NoPoint {
		lat, long := coord(l.Lat), coord(l.Long)
		b.WriteString("\ngeo:" + lat + "," + long)
		b.WriteString("\nhttps://www.openstreetmap.org/?mlat=" + lat + "&mlon=" + long + "#map=16/" + lat + "/" + long)
	}
	return b.String()
}

func coord(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Contact is a shared contact card, given as fields (a structured card),
// as a vCard, or both: a vCard's numbers and addresses come after the
// fields', each number once.
type Contact struct {
	// Name is the whole name as the network gives it (a display name);
	// when empty, FirstName and LastName make it, else the vCard's FN.
	Name                string
	FirstName, LastName string
	// Organization follows the name in brackets, or is the name when
	// there is no other.
	Organization string
	// Phone is the card's main number; Phones and Emails are its
	// others, with their kinds.
	Phone  string
	Phones []Value
	Emails []Value
	// VCard is the card as its sender gave it, if any: its FN, ORG, TEL
	// and EMAIL count.
	VCard string
}

// Value is a card's phone number or e-mail address, with its kind if the
// card says one ("mobile", "work", a label of the sender's): shown as
// "Phone (work): ...".
type Value struct {
	Value, Kind string
}

// ContactText is a contact card as text: its name, then each number and
// e-mail address on its own line.
func ContactText(c Contact) string {
	vc := parseVCard(c.VCard)
	name := strings.TrimSpace(c.Name)
	if name == "" {
		name = strings.TrimSpace(c.FirstName + " " + c.LastName)
	}
	if name == "" {
		name = vc.fn
	}
	org := c.Organization
	if org == "" {
		org = vc.org
	}
	switch {
	case name == "":
		name = org
	case org != "":
		name += " (" + org + ")"
	}
	phones := append([]Value{{Value: c.Phone}}, c.Phones...)
	phones = append(phones, vc.tels...)
	if name == "" {
		for _, p := range phones {
			if p.Value != "" {
				name = p.Value
				break
			}
		}
	}
	lines := []string{"Contact: " + name}
	seen, seenMail := map[string]bool{}, map[string]bool{}
	for _, p := range phones {
		if d := digits(p.Value); p.Value != "" && !seen[d] {
			seen[d] = true
			lines = append(lines, labelled("Phone", p))
		}
	}
	for _, e := range slices.Concat(c.Emails, vc.emails) { // not the caller's array
		if k := strings.ToLower(e.Value); e.Value != "" && !seenMail[k] {
			seenMail[k] = true
			lines = append(lines, labelled("E-mail", e))
		}
	}
	return strings.Join(lines, "\n")
}

// labelled is "Phone (work): +33...".
func labelled(what string, v Value) string {
	if v.Kind == "" {
		return what + ": " + v.Value
	}
	return what + " (" + v.Kind + "): " + v.Value
}

// vcard is what ContactText shows of a vCard.
type vcard struct {
	fn, org      string
	tels, emails []Value
}

// parseVCard reads a vCard's FN, ORG, TEL and EMAIL lines; their types
// are not kept (TYPE=CELL, TYPE=INTERNET say little a reader needs).
func parseVCard(s string) vcard {
	var v vcard
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		key, val, ok := strings.Cut(l, ":")
		val = strings.TrimSpace(val)
		if !ok || val == "" {
			continue
		}
		prop := strings.ToUpper(key)
		if i := strings.IndexByte(prop, ';'); i >= 0 {
			prop = prop[:i]
		}
		if j := strings.LastIndexByte(prop, '.'); j >= 0 {
			prop = prop[j+1:] // item1.TEL
		}
		switch prop {
		case "TEL":
			v.tels = append(v.tels, Value{Value: strings.TrimPrefix(val, "tel:")})
		case "EMAIL":
			v.emails = append(v.emails, Value{Value: val})
		case "FN":
			v.fn = val
		case "ORG":
			// Organization, then its units, ';'-separated.
			var units []string
			for _, u := range strings.Split(val, ";") {
				if u = strings.TrimSpace(strings.ReplaceAll(u, `\,`, ",")); u != "" {
					units = append(units, u)
				}
			}
			v.org = strings.Join(units, ", ")
		}
	}
	return v
}

// digits keeps a phone number's digits, to tell the same number written
// two ways.
func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// Poll is a poll or a quiz.
type Poll struct {
	Question string
	Options  []Option
	// Quiz: one answer is the right one. Multiple: several answers may
	// be chosen.
	Quiz, Multiple bool
	// Closed: no more votes; the options' counts are the results.
	Closed bool
	// Live: the transport corrects the message as the votes change, so
	// an open poll's counts are current and shown too. Otherwise only a
	// closed poll's are: counts sent once would go stale.
	Live bool
}

// Option is one answer of a poll; Votes counts once the poll is closed
// (or Live) and Counted says the network gave the results.
type Option struct {
	Text    string
	Votes   int
	Counted bool
	// Correct: the quiz's right answer, when the network says it.
	Correct bool
}

// PollText is a poll as text: its question, what kind it is, its options
// (with the results once closed, or as they stand when Live), and where
// to vote ("in Telegram").
func PollText(p Poll, where string) string {
	var b strings.Builder
	b.WriteString("Poll: " + p.Question)
	switch {
	case p.Quiz:
		b.WriteString(" (quiz)")
	case p.Multiple:
		b.WriteString(" (several answers allowed)")
	}
	for i, o := range p.Options {
		// Numbered: "/vote 2" names the second (Vote).
		b.WriteString("\n" + strconv.Itoa(i+1) + ". " + o.Text)
		if (p.Closed || p.Live) && o.Counted {
			b.WriteString(": " + strconv.Itoa(o.Votes) + " vote")
			if o.Votes != 1 {
				b.WriteString("s")
			}
		}
		if o.Correct {
			b.WriteString(" ✓")
		}
	}
	if p.Closed {
		b.WriteString("\n(closed)")
	} else {
		b.WriteString("\n(vote " + where + ")")
	}
	return b.String()
}

// DiceText is an animated emoji with a random value (a die, darts, a
// slot machine...) as its emoji and the value it landed on.
func DiceText(emoji string, value int) string {
	if emoji == "" {
		emoji = "🎲"
	}
	return "Dice: " + emoji + " " + strconv.Itoa(value)
}

// GameText is a bot's HTML5 game as its title and description, and where
// to play it.
func GameText(title, description, where string) string {
	return titled("Game: "+title, description) + "\n(play it " + where + ")"
}

// InvoiceText is a payment asked for (a bot's invoice) as its title and
// description, and where to pay.
func InvoiceText(title, description, where string) string {
	return titled("Invoice: "+title, description) + "\n(pay " + where + ")"
}

// PaymentText is a payment made (money sent) as its note, if any, and
// where to see it.
func PaymentText(note, where string) string {
	t := "Payment"
	if note != "" {
		t += ": " + note
	}
	return t + "\n(see it " + where + ")"
}

func titled(head, description string) string {
	if description == "" {
		return head
	}
	return head + "\n" + description
}

// UnshownText stands for content the gateway cannot show (what: "A
// story"), so that it does not arrive as an empty message, and says
// where to see it.
func UnshownText(what, where string) string {
	return "⚠ " + what + " the gateway cannot show: see it " + where + "."
}

// WithCaption puts content before a message's own text (a caption), a
// blank line between, the caption's spans moved along with it (in place:
// they are the caller's, made for this text).
func WithCaption(content, caption string, spans []*pb.Span) (string, []*pb.Span) {
	if content == "" {
		return caption, spans
	}
	if caption == "" {
		return content, nil
	}
	head := content + "\n\n"
	for _, sp := range spans {
		sp.Start += uint32(len(head))
		sp.End += uint32(len(head))
	}
	return head + caption, spans
}

// WithHead puts a line before a message's text ("": none), such as
// "Forwarded from Carol:", the text's spans moved along with it (in
// place, as WithCaption's).
func WithHead(head, text string, spans []*pb.Span) (string, []*pb.Span) {
	if head == "" {
		return text, spans
	}
	if text == "" {
		return head, nil
	}
	head += "\n"
	for _, sp := range spans {
		sp.Start += uint32(len(head))
		sp.End += uint32(len(head))
	}
	return head + text, spans
}

// OptionList is a poll's options as PollText numbers them: "1. Pizza,
// 2. Sushi".
func OptionList(options []string) string {
	var b strings.Builder
	for i, o := range options {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(i+1) + ". " + o)
	}
	return b.String()
}

// ErrChoice is a vote's choice that names no option of the poll, or
// several choices in a poll of one answer; its text names the options.
type ErrChoice struct{ Text string }

func (e *ErrChoice) Error() string { return e.Text }

// PollChoices resolves a vote's choices (pb.Vote.choices: each a 1-based
// number in the order PollText lists the options, or an option's text,
// in any case) to the options' indexes, in the poll's order, each once.
// An error is an *ErrChoice naming the options.
func PollChoices(options []string, choices []string, multiple bool) ([]int, error) {
	named := func() string { return OptionList(options) }
	chosen := make([]bool, len(options))
	for _, c := range choices {
		c = strings.TrimSpace(c)
		i := -1
		if n, err := strconv.Atoi(c); err == nil && n >= 1 && n <= len(options) {
			i = n - 1
		} else {
			for j, o := range options {
				if strings.EqualFold(strings.TrimSpace(o), c) {
					i = j
					break
				}
			}
		}
		if i < 0 {
			return nil, &ErrChoice{Text: "the poll has no option " + strconv.Quote(c) + ": " + named()}
		}
		chosen[i] = true
	}
	var out []int
	for i, ok := range chosen {
		if ok {
			out = append(out, i)
		}
	}
	if len(out) > 1 && !multiple {
		return nil, &ErrChoice{Text: "the poll takes one answer: " + named()}
	}
	return out, nil
}
