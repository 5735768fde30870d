package telegram

import (
	"strconv"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/mediatext"
)

// Paid media (a channel's photos or videos behind a price in Telegram
// Stars): before the user buys it Telegram gives a blurred preview only,
// so the message says what it costs and where to buy it; once bought
// (or the user's own post) it carries the media itself
// (messageExtendedMedia), which comes as the message's file, as any
// photo or video. The contract carries one file a message: of an album
// bought, the first comes and the text says how many more are in
// Telegram.

// paidInner is the media a bought paid media holds first, else md
// itself: what attachmentOf and a file's refresh read.
func paidInner(md tg.MessageMediaClass) tg.MessageMediaClass {
	p, ok := md.(*tg.MessageMediaPaidMedia)
	if !ok || len(p.ExtendedMedia) == 0 {
		return md
	}
	if e, ok := p.ExtendedMedia[0].(*tg.MessageExtendedMedia); ok {
		return e.Media
	}
	return md
}

// paidText is the text of paid media: its price before it is bought,
// what is not shown of an album bought, else "" (its file shows it).
func paidText(p *tg.MessageMediaPaidMedia) string {
	n := len(p.ExtendedMedia)
	if _, preview := paidInner(p).(*tg.MessageMediaPaidMedia); preview { // not bought: no media inside
		what := "Paid media"
		if p.StarsAmount > 0 {
			what += " (" + strconv.FormatInt(p.StarsAmount, 10) + " Telegram Stars)"
		}
		return mediatext.UnshownText(what, "and buy it "+inApp)
	}
	if n > 1 {
		return "Paid media of " + strconv.Itoa(n) + " files, bought: the first is here; see the others " + inApp + "."
	}
	return ""
}
