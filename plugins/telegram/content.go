package telegram

import (
	"bytes"

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

func messageText(m *tg.Message) (string, []*pb.Span) {
	return mediatext.WithCaption(mediaText(m.Media), m.Message, spansOf(m.Message, m.Entities))
}

// mediaText is a message's media as text; "" for none, for a file (an
// attachment says it) and for a link's preview (the text has the link).
// What the gateway cannot show (a story, a giveaway...) is said, not left
// an empty message.
func mediaText(md tg.MessageMediaClass) string {
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
		return mediatext.PollText(poll(md), voteWhere)
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
		return mediatext.UnshownText("Paid media", inApp)
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
