package signal

import (
	"cmp"
	"regexp"
	"strconv"
	"strings"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Message content beyond text and files, as signal-cli's JSON gives it
// (its Json* records: JsonSticker, JsonSharedContact, JsonPollCreate,
// JsonPayment; a poll's votes and end in polls.go). The contract has no
// word for these, so each is shown: a sticker as the image it is, the
// others as text, in the words every transport uses for the same things
// (plugins/mediatext).

// sticker names a sticker of a pack: getSticker fetches its image.
type sticker struct {
	PackID    string `json:"packId"` // hex
	StickerID int    `json:"stickerId"`
}

// sharedContact is a contact card sent in a message.
type sharedContact struct {
	Name struct {
		Nickname string `json:"nickname"`
		Given    string `json:"given"`
		Middle   string `json:"middle"`
		Family   string `json:"family"`
		Prefix   string `json:"prefix"`
		Suffix   string `json:"suffix"`
	} `json:"name"`
	Phone        []contactValue `json:"phone"`
	Email        []contactValue `json:"email"`
	Organization string         `json:"organization"`
}

// contactValue is a card's phone number or email address.
type contactValue struct {
	Value string `json:"value"`
	Type  string `json:"type"` // HOME, MOBILE, WORK, CUSTOM
	Label string `json:"label"`
}

// pollCreate is a poll started in a message.
type pollCreate struct {
	Question      string   `json:"question"`
	AllowMultiple bool     `json:"allowMultiple"`
	Options       []string `json:"options"`
}

// payment is a payment notification (MobileCoin).
type payment struct {
	Note string `json:"note"`
}

// stickerRefPrefix marks a download reference as a sticker's rather than
// an attachment's (signal-cli's attachment IDs have no colon).
const stickerRefPrefix = "sticker:"

var hexPackID = regexp.MustCompile(`^[0-9a-fA-F]{1,64}$`)

// stickerAttachment is the file of a sticker, fetched by reference.
// Signal's stickers are WebP, or APNG when animated: the MIME type comes
// from the bytes when the gateway reads them.
func stickerAttachment(st *sticker) *pb.Attachment {
	return &pb.Attachment{Name: "sticker.webp", MimeType: "image/webp", Size: -1,
		Source: &pb.Attachment_Ref{Ref: stickerRefPrefix + st.PackID + ":" + strconv.Itoa(st.StickerID)}}
}

// parseStickerRef reads a reference made by stickerAttachment; ok is
// false for anything else.
func parseStickerRef(ref string) (packID string, stickerID int, ok bool) {
	rest, found := strings.CutPrefix(ref, stickerRefPrefix)
	if !found {
		return "", 0, false
	}
	packID, n, found := strings.Cut(rest, ":")
	id, err := strconv.Atoi(n)
	if !found || err != nil || id < 0 || !hexPackID.MatchString(packID) {
		return "", 0, false
	}
	return packID, id, true
}

// onPhone is where the user does what the gateway only shows: see a
// payment, answer a call.
const onPhone = "on your phone"

// pollWhere is where the user votes in a poll the plugin remembers: a
// reply "/vote 2" to its message (the gateway's command, Vote) or the
// phone.
const pollWhere = "with a reply: /vote 1, or " + onPhone

// contactText is a contact card as text: its name and organization, then
// each number and address with its kind.
func contactText(c sharedContact) string {
	n := c.Name
	name := strings.Join(nonEmpty(n.Prefix, n.Given, n.Middle, n.Family, n.Suffix), " ")
	if name == "" {
		name = n.Nickname
	}
	mc := mediatext.Contact{Name: name, Organization: c.Organization}
	for _, v := range c.Phone {
		mc.Phones = append(mc.Phones, mediatext.Value{Value: v.Value, Kind: v.kind()})
	}
	for _, v := range c.Email {
		mc.Emails = append(mc.Emails, mediatext.Value{Value: v.Value, Kind: v.kind()})
	}
	return mediatext.ContactText(mc)
}

// kind is how a value's type reads: its sender's label, else "mobile",
// "work"...; none for a custom type without a label.
func (v contactValue) kind() string {
	if v.Label != "" {
		return v.Label
	}
	if k := strings.ToLower(v.Type); k != "custom" {
		return k
	}
	return ""
}

// pollText is a poll as text: its question and options, and where to
// vote; live, with the counts of each option (polls.go), once a vote or
// the end came.
func pollText(p *pollCreate, live bool, counts []int, closed bool, where string) string {
	mp := mediatext.Poll{Question: p.Question, Multiple: p.AllowMultiple, Live: live, Closed: closed}
	for i, o := range p.Options {
		opt := mediatext.Option{Text: o}
		if i < len(counts) {
			opt.Votes, opt.Counted = counts[i], true
		}
		mp.Options = append(mp.Options, opt)
	}
	return mediatext.PollText(mp, where)
}

// extraText is the text standing for a data message's content beyond its
// body: contact cards, a poll, a payment (payer: who paid whom, "from
// Bob (+1555…)" or "to Bob (+1555…)"); "" when it has none.
func extraText(dm *dataMessage, payer string) string {
	var parts []string
	for _, c := range dm.Contacts {
		parts = append(parts, contactText(c))
	}
	if dm.PollCreate != nil {
		where := pollWhere
		if len(dm.Contacts) > 0 || dm.Payment != nil {
			where = onPhone // a poll not remembered (rememberPoll): no vote from XMPP
		}
		parts = append(parts, pollText(dm.PollCreate, false, nil, false, where))
	}
	if dm.Payment != nil {
		parts = append(parts, paymentText(dm.Payment.Note, payer))
	}
	return strings.Join(parts, "\n\n")
}

// paymentText is a payment as mediatext's, saying who paid whom (payer,
// as extraText has it), as Signal's apps do: the same words either way
// left the user's own payment from the phone naming no one.
func paymentText(note, payer string) string {
	t := mediatext.PaymentText(note, onPhone)
	if payer == "" {
		return t
	}
	return "Payment " + payer + strings.TrimPrefix(t, "Payment")
}

// viewOnceText stands for view-once media, which Signal shows once, on
// the phone only (its own linked devices show a notice too): what it is
// (a photo, a video) and where to open it; for the user's own, sent from
// the phone, that it stays there.
func viewOnceText(atts []attachment, mine bool) string {
	what := "file"
	switch t := atts[0].ContentType; {
	case strings.HasPrefix(t, "image/"):
		what = "photo"
	case strings.HasPrefix(t, "video/"):
		what = "video"
	}
	if mine {
		return "⚠ A view-once " + what + ", sent from your phone: it is not kept here."
	}
	return "⚠ A view-once " + what + ": open it " + onPhone + "."
}

// hasContent reports whether a data message has anything to show.
func (dm *dataMessage) hasContent() bool {
	return dm.Message != nil || len(dm.Attachments) > 0 || dm.Sticker != nil || len(dm.Contacts) > 0 ||
		dm.PollCreate != nil || dm.Payment != nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// payer says who paid whom in a payment of sender's in the direct chat
// peer: "from" the sender, or "to" peer for the user's own (sent from
// the phone), each by their name and ID.
func (s *Session) payer(sender *pb.Sender, peer string) string {
	if sender.IsFromMe {
		return "to " + s.named(peer, "")
	}
	return "from " + s.named(sender.UserId, sender.Name)
}

// named is id with its name, "Bob (+1555…)": the contact's name as told,
// else name (an envelope's), else id alone.
func (s *Session) named(id, name string) string {
	if n := cmp.Or(s.profiles.name(id), name); n != "" && n != id {
		return n + " (" + id + ")"
	}
	return id
}
