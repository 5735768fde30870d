// Package mediatext writes as text the Telegram message contents that
// XMPP has no element for: locations, venues, shared contacts, polls,
// dice and games. User accounts (MTProto) and bot mode (the Bot API) both
// use it, so a message reads the same whichever way the login came, and
// in the words the WhatsApp and Signal transports use for the same things
// ("Location: ...", "Contact: ...", "Poll: ...").
package mediatext

import (
	"strconv"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Location is a point on the map, perhaps a named place (a venue).
type Location struct {
	Lat, Long float64
	// NoPoint: Telegram gave no coordinates (an empty geo point).
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

// Contact is a shared contact card.
type Contact struct {
	FirstName, LastName, Phone string
	// VCard is the card as its sender gave it, if any: its numbers and
	// e-mail addresses are shown too.
	VCard string
}

// ContactText is a contact card as text: its name, its phone number, then
// the vCard's other numbers and e-mail addresses.
func ContactText(c Contact) string {
	name := strings.TrimSpace(c.FirstName + " " + c.LastName)
	tels, emails, fn := vcardLines(c.VCard)
	if name == "" {
		name = fn
	}
	if name == "" {
		name = c.Phone
	}
	lines := []string{"Contact: " + name}
	seen := map[string]bool{}
	for _, p := range append([]string{c.Phone}, tels...) {
		if d := digits(p); p != "" && !seen[d] {
			seen[d] = true
			lines = append(lines, "Phone: "+p)
		}
	}
	for _, e := range emails {
		lines = append(lines, "E-mail: "+e)
	}
	return strings.Join(lines, "\n")
}

// vcardLines are a vCard's TEL and EMAIL values and its FN.
func vcardLines(vcard string) (tels, emails []string, fn string) {
	for _, l := range strings.Split(strings.ReplaceAll(vcard, "\r\n", "\n"), "\n") {
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
			tels = append(tels, strings.TrimPrefix(val, "tel:"))
		case "EMAIL":
			emails = append(emails, val)
		case "FN":
			fn = val
		}
	}
	return tels, emails, fn
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
}

// Option is one answer of a poll; Votes counts only once the poll is
// closed and Counted says Telegram gave the results.
type Option struct {
	Text    string
	Votes   int
	Counted bool
	// Correct: the quiz's right answer, when Telegram says it.
	Correct bool
}

// PollText is a poll as text: its question, what kind it is, its options
// (with the results once closed), and where to vote.
func PollText(p Poll) string {
	var b strings.Builder
	b.WriteString("Poll: " + p.Question)
	switch {
	case p.Quiz:
		b.WriteString(" (quiz)")
	case p.Multiple:
		b.WriteString(" (several answers allowed)")
	}
	for _, o := range p.Options {
		b.WriteString("\n- " + o.Text)
		if p.Closed && o.Counted {
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
		b.WriteString("\n(vote in Telegram)")
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

// GameText is a bot's HTML5 game as its title and description.
func GameText(title, description string) string {
	t := "Game: " + title
	if description != "" {
		t += "\n" + description
	}
	return t + "\n(play it in Telegram)"
}

// InvoiceText is a payment asked for (a bot's invoice) as its title and
// description; paying is for Telegram's apps.
func InvoiceText(title, description string) string {
	t := "Invoice: " + title
	if description != "" {
		t += "\n" + description
	}
	return t + "\n(pay in Telegram)"
}

// UnshownText stands for content the gateway cannot show (what: "A
// story"), so that it does not arrive as an empty message.
func UnshownText(what string) string {
	return "⚠ " + what + " the gateway cannot show: see Telegram."
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
