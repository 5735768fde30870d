package botmode

import (
	"strings"

	"github.com/go-telegram/bot/models"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// messageText is a message's text as the contract's: what it carries when
// XMPP has no element for it (a location, a venue, a contact, a poll,
// dice, a game), in the words user-account mode uses, then its own text
// or caption.
// inApp is where the user does what the gateway only shows: vote, play,
// pay, see a story.
const inApp = "in Telegram"

func (s *Session) messageText(m *models.Message) (string, []*pb.Span) {
	text, ents := m.Text, m.Entities
	if text == "" {
		text, ents = m.Caption, m.CaptionEntities
	}
	content := contentText(m)
	if content == "" {
		content = s.serviceText(m) // servicetext.go
	}
	out, spans := mediatext.WithCaption(content, text, spansOf(text, ents, s.userByName(m.Chat.ID)))
	out, spans = withForward(m, out, spans)      // forward.go
	out, spans = s.withStoryReply(m, out, spans) // storyreply.go
	// After the text, so that the spans stay where they are.
	return mediatext.WithButtons(out, buttonsText(m.ReplyMarkup)), spans
}

// userByName looks a username up among the users the bot has seen,
// those of chat first, for an @username's mention.
func (s *Session) userByName(chat int64) func(string) int64 {
	return func(name string) int64 { return s.chats.byUsername(chat, name) }
}

// contentText is what a message carries besides text and files, as text;
// "" for none. What the gateway cannot show (a story, a giveaway...) is
// said, not left out.
func contentText(m *models.Message) string {
	switch {
	case m.Venue != nil:
		// A venue's message has its location too: the venue says more.
		v := m.Venue
		return mediatext.LocationText(mediatext.Location{Lat: v.Location.Latitude, Long: v.Location.Longitude, Title: v.Title, Address: v.Address})
	case m.Location != nil:
		l := m.Location
		return mediatext.LocationText(mediatext.Location{Lat: l.Latitude, Long: l.Longitude, Live: l.LivePeriod > 0})
	case m.Contact != nil:
		c := m.Contact
		return mediatext.ContactText(mediatext.Contact{FirstName: c.FirstName, LastName: c.LastName, Phone: c.PhoneNumber, VCard: c.VCard})
	case m.Poll != nil:
		return pollText(m.Poll, false)
	case m.Dice != nil:
		return mediatext.DiceText(m.Dice.Emoji, m.Dice.Value)
	case m.Game != nil:
		return mediatext.GameText(m.Game.Title, m.Game.Description, inApp)
	case m.Invoice != nil:
		return mediatext.InvoiceText(m.Invoice.Title, m.Invoice.Description, inApp)
	case m.Story != nil:
		return mediatext.UnshownText("A story", inApp)
	case m.Giveaway != nil:
		return mediatext.UnshownText("A giveaway", inApp)
	case m.GiveawayWinners != nil:
		return mediatext.UnshownText("A giveaway's results", inApp)
	case m.PaidMedia != nil:
		return mediatext.UnshownText("Paid media", inApp)
	case m.Checklist != nil:
		return mediatext.UnshownText("A checklist", inApp)
	}
	return ""
}

// pollText is a poll as text; live when its later states correct it
// (msgpolls.go), so that its counts so far are worth showing.
func pollText(p *models.Poll, live bool) string {
	mp := mediatext.Poll{Question: p.Question, Quiz: p.Type == "quiz", Multiple: p.AllowsMultipleAnswers, Closed: p.IsClosed, Live: live}
	for _, o := range p.Options {
		// The Bot API always counts the votes; which answer is a
		// quiz's right one it says only to the quiz's sender, as an
		// index that reads 0 when absent: not shown.
		mp.Options = append(mp.Options, mediatext.Option{Text: o.Text, Votes: o.VoterCount, Counted: true})
	}
	text := mediatext.PollText(mp, inApp)
	// Said before the closing line, as user mode does: a quiz's
	// explanation (the Bot API gives it once the quiz is closed, or to
	// its sender), and that the votes are public.
	var extra []string
	if sol := strings.TrimSpace(p.Explanation); p.Type == "quiz" && sol != "" {
		extra = append(extra, "Explanation: "+sol)
	}
	if !p.IsAnonymous {
		extra = append(extra, "Votes are public: Telegram shows who voted for what.")
	}
	if len(extra) == 0 {
		return text
	}
	i := strings.LastIndexByte(text, '\n')
	return text[:i+1] + strings.Join(extra, "\n") + text[i:]
}
