package whatsapp

import (
	"strconv"
	"strings"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
)

// withQuote puts in m, a reply, what WhatsApp carries of the message it
// answers (ContextInfo's QuotedMessage and Participant): its text or a
// file's caption, else the file's name, and its author, "from me" for
// the user's own. The gateway shows them for a message it never had:
// one from before the login, whose history WhatsApp gave only in part.
// Before, such a reply came with no context.
//
// The quoted message keeps its wrappers (a view-once photo's, a
// spoiler's, a document's with a caption): taken off, a view-once quote
// says it was one and a spoiler's stays hidden, where the reply came
// with no quote.
func (c inbound) withQuote(m *pb.MessageEvent, ci *waE2E.ContextInfo) {
	quoted, w := unwrapped(ci.GetQuotedMessage())
	q := c.content(quoted)
	if a := quoted.GetAlbumMessage(); a != nil && q == nil {
		// A reply to an album as a whole: its announcement, which
		// shows nothing of its own (its items come as messages of
		// their own), quoted.
		q = &pb.MessageEvent{Text: albumText(a)}
	}
	if q == nil {
		return
	}
	text := q.Text
	if text == "" && len(q.Attachments) > 0 {
		text = q.Attachments[0].Name
	}
	switch {
	case w.spoiler:
		text = "Spoiler"
	case w.viewOnce || flaggedViewOnce(quoted):
		text = strings.TrimSpace("View once: " + text)
	}
	if text == "" {
		return
	}
	m.QuoteText = text
	author, err := types.ParseJID(ci.GetParticipant())
	if err != nil || author.User == "" {
		return
	}
	if id := c.ids.userID(author.ToNonAD()); id == c.self {
		m.QuoteFromMe = true
	} else {
		m.QuoteAuthorId = id
	}
}

// albumText is an album's announcement as a quote names it: how many
// photos and videos it holds.
func albumText(a *waE2E.AlbumMessage) string {
	var parts []string
	for _, n := range []struct {
		count       uint32
		one, plural string
	}{{a.GetExpectedImageCount(), "photo", "photos"}, {a.GetExpectedVideoCount(), "video", "videos"}} {
		switch {
		case n.count == 1:
			parts = append(parts, "1 "+n.one)
		case n.count > 1:
			parts = append(parts, strconv.FormatUint(uint64(n.count), 10)+" "+n.plural)
		}
	}
	if len(parts) == 0 {
		return "Album"
	}
	return "Album: " + strings.Join(parts, " and ")
}
