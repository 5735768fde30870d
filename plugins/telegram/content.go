package telegram

import (
	"bytes"
	"strings"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// messageText is a message's text as the contract's: what its media is
// when XMPP has no element for it (a location, a contact, a poll, dice, a
// game), then the message's own text or caption.
// inApp is where the user does what the gateway only shows: vote, play,
// pay, see a story.
const inApp = "in Telegram"

// voteWhere is where the user votes in a poll: a reply "/vote 2" is the
// gateway's command for Vote (vote.go); a bot's polls say inApp, as a
// bot cannot vote.
const voteWhere = "with a reply: /vote 1, or " + inApp

func (s *Session) messageText(m *tg.Message) (string, []*pb.Span) {
	text, spans := mediatext.WithCaption(mediaText(m.Media), m.Message, spansOf(m.Message, m.Entities, s.userByName))
	// After the text, so that the spans stay where they are.
	return mediatext.WithButtons(text, buttonsText(m.ReplyMarkup)), spans
}

// userByName is the user ID of a username the session knows, for an
// @username's mention; "" when none.
func (s *Session) userByName(name string) string {
	if id := s.peers.byUsername(name); id != 0 {
		return userID(id)
	}
	return ""
}

// mediaText is a message's media as text; "" for none, for a file (an
// attachment says it) and for a link's preview (the text has the link).
// What the gateway cannot show (a story, a giveaway...) is said, not left
// an empty message.
func mediaText(md tg.MessageMediaClass) string {
	if t := selfDestructText(md); t != "" {
		return t
	}
	switch md := md.(type) {
	case *tg.MessageMediaGeo:
		return mediatext.LocationText(location(md.Geo))
	case *tg.MessageMediaGeoLive:
		l := location(md.Geo)
		l.Live = true
		return mediatext.LocationText(l)
	case *tg.MessageMediaVenue:
		l := location(md.Geo)
		l.Title, l.Address = md.Title, md.Address
		return mediatext.LocationText(l)
	case *tg.MessageMediaContact:
		return mediatext.ContactText(mediatext.Contact{FirstName: md.FirstName, LastName: md.LastName, Phone: md.PhoneNumber, VCard: md.Vcard})
	case *tg.MessageMediaPoll:
		return pollText(md, false)
	case *tg.MessageMediaDice:
		return mediatext.DiceText(md.Emoticon, md.Value)
	case *tg.MessageMediaGame:
		return mediatext.GameText(md.Game.Title, md.Game.Description, inApp)
	case *tg.MessageMediaInvoice:
		return mediatext.InvoiceText(md.Title, md.Description, inApp)
	case *tg.MessageMediaStory:
		return mediatext.UnshownText("A story", inApp)
	case *tg.MessageMediaGiveaway:
		return mediatext.UnshownText("A giveaway", inApp)
	case *tg.MessageMediaGiveawayResults:
		return mediatext.UnshownText("A giveaway's results", inApp)
	case *tg.MessageMediaPaidMedia:
		return paidText(md) // paidmedia.go
	case *tg.MessageMediaToDo:
		return mediatext.UnshownText("A checklist", inApp)
	case *tg.MessageMediaVideoStream:
		return mediatext.UnshownText("A live stream", inApp)
	case *tg.MessageMediaUnsupported:
		// Content newer than this layer of the API.
		return mediatext.UnshownText("A message of a kind", inApp)
	}
	return ""
}

func location(g tg.GeoPointClass) mediatext.Location {
	p, ok := g.(*tg.GeoPoint)
	if !ok {
		return mediatext.Location{NoPoint: true}
	}
	return mediatext.Location{Lat: p.Lat, Long: p.Long}
}

// poll is a poll with its results, as far as Telegram told them.
func poll(md *tg.MessageMediaPoll) mediatext.Poll {
	p := mediatext.Poll{Question: md.Poll.Question.Text, Quiz: md.Poll.Quiz, Multiple: md.Poll.MultipleChoice, Closed: md.Poll.Closed}
	for _, a := range md.Poll.Answers {
		o := mediatext.Option{Text: a.GetText().Text}
		if pa, ok := a.(*tg.PollAnswer); ok {
			for _, r := range md.Results.Results {
				if bytes.Equal(r.Option, pa.Option) {
					o.Votes, o.Counted, o.Correct = r.Voters, true, r.Correct
				}
			}
		}
		p.Options = append(p.Options, o)
	}
	return p
}

// pollText is a poll as text (mediatext.PollText; live: its counts as
// they stand, for its corrections, polls.go), with what Telegram tells
// beyond it, before the closing line: for a quiz, the user's answer and
// whether it is right (Telegram marks the right one once the user
// answered or the quiz closed: ✓), and the explanation its author gave,
// which Telegram gives then too; for a poll whose votes are public, that
// they are (who voted for what Telegram tells only on request,
// messages.getPollVotes: it is not shown).
func pollText(md *tg.MessageMediaPoll, live bool) string {
	p := poll(md)
	p.Live = live
	text := mediatext.PollText(p, voteWhere)
	var extra []string
	if md.Poll.Quiz {
		if a := quizAnswer(md); a != "" {
			extra = append(extra, a)
		}
		if sol := strings.TrimSpace(md.Results.Solution); sol != "" {
			extra = append(extra, "Explanation: "+sol)
		}
	}
	if md.Poll.PublicVoters {
		extra = append(extra, "Votes are public: Telegram shows who voted for what.")
	}
	if len(extra) == 0 {
		return text
	}
	// The last line says where to vote, or that the poll is closed.
	i := strings.LastIndexByte(text, '\n')
	return text[:i+1] + strings.Join(extra, "\n") + text[i:]
}

// quizAnswer is the user's answer to a quiz, as its results tell it
// (chosen), and whether it is right when Telegram says which is: "Your
// answer: Paris (right)"; "" when the user has not answered.
func quizAnswer(md *tg.MessageMediaPoll) string {
	var chosen []string
	known, right := false, true
	for _, a := range md.Poll.Answers {
		pa, ok := a.(*tg.PollAnswer)
		if !ok {
			continue
		}
		for _, r := range md.Results.Results {
			if !bytes.Equal(r.Option, pa.Option) {
				continue
			}
			known = known || r.Correct
			if r.Chosen {
				chosen = append(chosen, pa.Text.Text)
			}
			if r.Chosen != r.Correct {
				right = false
			}
		}
	}
	if len(chosen) == 0 {
		return ""
	}
	out := "Your answer: " + strings.Join(chosen, ", ")
	switch {
	case known && right:
		out += " (right)"
	case known:
		out += " (wrong)"
	}
	return out
}

// selfDestructText stands for a self-destructing photo or file (view
// once, or a timer: ttl_seconds), which the sender meant to be seen in
// Telegram only, and for one already gone (Telegram gives its media
// without the photo or document); "" for any other media. Such media is
// not fetched: an XMPP archive would keep it for ever.
func selfDestructText(md tg.MessageMediaClass) string {
	what, gone, timed := "", false, false
	switch md := md.(type) {
	case *tg.MessageMediaPhoto:
		what = "photo"
		_, timed = md.GetTTLSeconds()
		_, gone = md.Photo.(*tg.PhotoEmpty)
		gone = gone || md.Photo == nil // the field, not its flag: a message made here sets no flags
	case *tg.MessageMediaDocument:
		what = "file"
		switch {
		case md.Voice:
			what = "voice message"
		case md.Round:
			what = "video message"
		case md.Video:
			what = "video"
		}
		_, timed = md.GetTTLSeconds()
		_, gone = md.Document.(*tg.DocumentEmpty)
		gone = gone || md.Document == nil
	default:
		return ""
	}
	switch {
	case gone:
		return "⚠ A self-destructing " + what + ": it is gone, Telegram no longer has it."
	case timed:
		return mediatext.UnshownText("A self-destructing "+what, inApp)
	}
	return ""
}
