package whatsapp

import (
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A contact card the user sends from XMPP is a vCard file (Android's
// contacts share one as a .vcf, and XMPP clients send that as any
// file). WhatsApp's apps send a contact as a contactMessage (its name
// and the vCard's text) and several as a contactsArrayMessage, which
// they show as a card with buttons to message or save the contact; a
// .vcf document is only a file to open. So a vCard file goes as
// WhatsApp's card, its text (a card has no caption) as a message after
// it, as an audio file's does. A file that holds no vCard, or one too
// large for a message, goes as a document, as before.

// maxCardFile is the largest vCard file sent as a card (a photo inside
// makes one large); a larger one goes as a document.
const maxCardFile = 256 << 10

// vcardFile says whether a is a vCard file by its type, or by its name
// when its type says nothing more precise.
func vcardFile(a *pb.Attachment) bool {
	switch baseType(a.GetMimeType()) {
	case "text/vcard", "text/x-vcard", "text/directory":
		return true
	case "", "application/octet-stream", "text/plain":
		ext := strings.ToLower(path.Ext(a.GetName()))
		return ext == ".vcf" || ext == ".vcard"
	}
	return false
}

// contactCardMessage is the contact card (or cards) of the vCard file at
// file, with ci (reply, mentions); nil when it holds no vCard or is
// larger than maxCardFile.
func contactCardMessage(file string, ci *waE2E.ContextInfo) (*waE2E.Message, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, errf("open the file to send: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCardFile+1))
	if err != nil {
		return nil, errf("read the file to send: %w", err)
	}
	if len(b) > maxCardFile {
		return nil, nil
	}
	cards := splitVCards(string(b))
	switch len(cards) {
	case 0:
		return nil, nil
	case 1:
		return &waE2E.Message{ContactMessage: &waE2E.ContactMessage{
			DisplayName: proto.String(vcardName(cards[0])), Vcard: proto.String(cards[0]), ContextInfo: ci}}, nil
	}
	arr := &waE2E.ContactsArrayMessage{ContextInfo: ci}
	for _, c := range cards {
		arr.Contacts = append(arr.Contacts, &waE2E.ContactMessage{DisplayName: proto.String(vcardName(c)), Vcard: proto.String(c)})
	}
	others := "contacts"
	if len(cards) == 2 {
		others = "contact"
	}
	arr.DisplayName = proto.String(arr.Contacts[0].GetDisplayName() + " and " + strconv.Itoa(len(cards)-1) + " other " + others)
	return &waE2E.Message{ContactsArrayMessage: arr}, nil
}

// splitVCards is each BEGIN:VCARD … END:VCARD of text, as it is written
// (its line ends kept); a card not ended is left out.
func splitVCards(text string) []string {
	text = strings.TrimPrefix(text, "\uFEFF")
	var cards []string
	start, pos := -1, 0
	for _, line := range strings.SplitAfter(text, "\n") {
		l := strings.TrimSpace(line)
		switch {
		case strings.EqualFold(l, "BEGIN:VCARD"):
			start = pos
		case strings.EqualFold(l, "END:VCARD") && start >= 0:
			cards = append(cards, text[start:pos+len(line)])
			start = -1
		}
		pos += len(line)
	}
	return cards
}

// vcardName is the name a card shows: its FN, else its N (given then
// family name), its organisation, its first number; "Contact" without
// any.
func vcardName(card string) string {
	props := map[string]string{}
	for _, l := range unfoldVCard(card) {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(name, ";") // its parameters
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[i+1:] // a group ("item1.TEL")
		}
		name = strings.ToUpper(strings.TrimSpace(name))
		if _, seen := props[name]; !seen {
			props[name] = value
		}
	}
	if fn := vcardText(props["FN"]); fn != "" {
		return fn
	}
	n := strings.Split(props["N"], ";") // family;given;additional;prefixes;suffixes
	var parts []string
	for _, i := range []int{3, 1, 2, 0, 4} {
		if i < len(n) {
			if p := vcardText(n[i]); p != "" {
				parts = append(parts, p)
			}
		}
	}
	if len(parts) > 0 {
		return strings.Join(parts, " ")
	}
	org, _, _ := strings.Cut(props["ORG"], ";")
	for _, v := range []string{vcardText(org), vcardText(props["TEL"])} {
		if v != "" {
			return v
		}
	}
	return "Contact"
}

// unfoldVCard is a card's logical lines: a line that starts with a
// space or a tab continues the one before (RFC 6350 §3.2).
func unfoldVCard(card string) []string {
	var out []string
	for _, l := range strings.Split(card, "\n") {
		l = strings.TrimSuffix(l, "\r")
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(out) > 0 {
			out[len(out)-1] += l[1:]
			continue
		}
		out = append(out, l)
	}
	return out
}

// vcardText is a value unescaped (\, \; \\, and \n as a space), trimmed.
func vcardText(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
			switch v[i] {
			case 'n', 'N':
				b.WriteByte(' ')
			default:
				b.WriteByte(v[i])
			}
			continue
		}
		b.WriteByte(v[i])
	}
	return strings.TrimSpace(b.String())
}

// captionless says whether m, a file's message, has no caption: its text
// goes as a message after it (an audio file, a contact card, a sticker).
func captionless(m *waE2E.Message) bool {
	return m.AudioMessage != nil || m.ContactMessage != nil || m.ContactsArrayMessage != nil || m.StickerMessage != nil
}

// vcardWAIDs is the WhatsApp numbers a card names: the waid parameter
// WhatsApp's apps put on a number that is on WhatsApp
// ("TEL;type=CELL;waid=33612345678:+33 6 12 34 56 78"), each once.
func vcardWAIDs(card string) []string {
	var ids []string
	for _, l := range unfoldVCard(card) {
		name, _, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		params := strings.Split(name, ";")
		prop := params[0]
		if i := strings.LastIndexByte(prop, '.'); i >= 0 {
			prop = prop[i+1:]
		}
		if !strings.EqualFold(strings.TrimSpace(prop), "TEL") {
			continue
		}
		for _, p := range params[1:] {
			k, v, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(k), "waid") && isDigits(v) && !slices.Contains(ids, v) {
				ids = append(ids, v)
			}
		}
	}
	return ids
}
