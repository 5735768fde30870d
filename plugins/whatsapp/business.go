package whatsapp

import (
	"encoding/json"
	"strconv"
	"strings"

	"go.mau.fi/whatsmeow/proto/waE2E"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Business messages (a shop's, a bank's, a carrier's: buttons, lists,
// templates, interactive messages) as text, as mautrix-whatsapp shows
// them: their title, body and footer, then the choices they offer, to
// make on the phone; a product shared, its title and price; and the
// choice someone made (a button tapped, a row picked) as the text the
// apps show for it. Their media headers (a picture above the text) stay
// on the phone.

// business is a business message or an answer to one as a message of
// the chat, nil when msg is none or says nothing readable.
func (c inbound) business(msg *waE2E.Message) *pb.MessageEvent {
	var text string
	var ci *waE2E.ContextInfo
	switch {
	case msg.ButtonsMessage != nil:
		m := msg.GetButtonsMessage()
		var choices []string
		for _, b := range m.GetButtons() {
			choices = append(choices, b.GetButtonText().GetDisplayText())
		}
		text, ci = offerText(m.GetText(), m.GetContentText(), m.GetFooterText(), choices), m.GetContextInfo()
	case msg.TemplateMessage != nil:
		m := msg.GetTemplateMessage()
		h := m.GetHydratedTemplate()
		if h == nil {
			h = m.GetHydratedFourRowTemplate()
		}
		if h == nil && m.GetInteractiveMessageTemplate() != nil {
			text = interactiveText(m.GetInteractiveMessageTemplate())
			break
		}
		var choices []string
		for _, b := range h.GetHydratedButtons() {
			switch {
			case b.GetQuickReplyButton() != nil:
				choices = append(choices, b.GetQuickReplyButton().GetDisplayText())
			case b.GetUrlButton() != nil:
				choices = append(choices, mediatext.WithURL(b.GetUrlButton().GetDisplayText(), b.GetUrlButton().GetURL()))
			case b.GetCallButton() != nil:
				choices = append(choices, mediatext.WithURL(b.GetCallButton().GetDisplayText(), b.GetCallButton().GetPhoneNumber()))
			}
		}
		text, ci = offerText(h.GetHydratedTitleText(), h.GetHydratedContentText(), h.GetHydratedFooterText(), choices), m.GetContextInfo()
	case msg.ListMessage != nil:
		m := msg.GetListMessage()
		var choices []string
		for _, s := range m.GetSections() {
			for _, r := range s.GetRows() {
				choices = append(choices, r.GetTitle())
			}
		}
		text, ci = offerText(m.GetTitle(), m.GetDescription(), m.GetFooterText(), choices), m.GetContextInfo()
	case msg.InteractiveMessage != nil:
		text, ci = interactiveText(msg.GetInteractiveMessage()), msg.GetInteractiveMessage().GetContextInfo()
	case msg.ButtonsResponseMessage != nil:
		text, ci = msg.GetButtonsResponseMessage().GetSelectedDisplayText(), msg.GetButtonsResponseMessage().GetContextInfo()
	case msg.TemplateButtonReplyMessage != nil:
		text, ci = msg.GetTemplateButtonReplyMessage().GetSelectedDisplayText(), msg.GetTemplateButtonReplyMessage().GetContextInfo()
	case msg.ListResponseMessage != nil:
		m := msg.GetListResponseMessage()
		text, ci = joinLines(m.GetTitle(), m.GetDescription()), m.GetContextInfo()
	case msg.InteractiveResponseMessage != nil:
		text, ci = msg.GetInteractiveResponseMessage().GetBody().GetText(), msg.GetInteractiveResponseMessage().GetContextInfo()
	case msg.ProductMessage != nil && msg.GetProductMessage().GetProduct().GetTitle() != "":
		m := msg.GetProductMessage()
		text, ci = productText(m), m.GetContextInfo()
	}
	if text == "" {
		return nil
	}
	return c.withContext(&pb.MessageEvent{Text: text}, ci)
}

// productText is a product of a shop's catalog shared: its title, its
// price (its sale price first when lower), description and link, and
// the message's own text, as the apps' card shows them; buying stays on
// the phone.
func productText(m *waE2E.ProductMessage) string {
	p := m.GetProduct()
	price := ""
	if p.PriceAmount1000 != nil && p.GetCurrencyCode() != "" {
		price = "Price: " + amount(p.GetPriceAmount1000(), p.GetCurrencyCode())
		if sale := p.GetSalePriceAmount1000(); p.SalePriceAmount1000 != nil && sale < p.GetPriceAmount1000() {
			price = "Price: " + amount(sale, p.GetCurrencyCode()) + " (was " + amount(p.GetPriceAmount1000(), p.GetCurrencyCode()) + ")"
		}
	}
	return joinLines("Product: "+p.GetTitle(), price, p.GetDescription(), p.GetURL(), m.GetBody(), m.GetFooter())
}

// amount is a price WhatsApp gives in thousandths, with its currency.
func amount(thousandths int64, currency string) string {
	return strconv.FormatFloat(float64(thousandths)/1000, 'f', 2, 64) + " " + currency
}

// interactiveText is an interactive message's text and the buttons of
// its native flow (their label is in their JSON parameters).
func interactiveText(m *waE2E.InteractiveMessage) string {
	var choices []string
	for _, b := range m.GetNativeFlowMessage().GetButtons() {
		var p struct {
			DisplayText string `json:"display_text"`
		}
		if json.Unmarshal([]byte(b.GetButtonParamsJSON()), &p) == nil && p.DisplayText != "" {
			choices = append(choices, p.DisplayText)
		}
	}
	return offerText(m.GetHeader().GetTitle(), m.GetBody().GetText(), m.GetFooter().GetText(), choices)
}

// offerText is a business message's lines, then its choices and where
// to make one; "" when it says nothing.
func offerText(title, body, footer string, choices []string) string {
	text := joinLines(title, body, footer)
	var named []string
	for _, c := range choices {
		if c != "" {
			named = append(named, c)
		}
	}
	if len(named) > 0 {
		text = joinLines(text, "Choices: "+strings.Join(named, " / ")+" (choose "+onPhone+")")
	}
	return text
}

// joinLines is the non-empty parts, a line each.
func joinLines(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n")
}
