package whatsapp

import (
	"bytes"
	"image/png"

	"go.mau.fi/whatsmeow/proto/waE2E"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// WhatsApp's animated stickers of its own packs are Lottie animations
// (a zip of the animation's JSON, "application/was", wrapped in
// lottieStickerMessage), which no XMPP client opens: the file came as
// an unreadable download. Unlike Telegram's, their message carries no
// still of its own to fetch, only, at times, a small PNG preview
// (pngThumbnail), which goes as the sticker; without one, a line says
// what came.

// lottieMime is the MIME type of WhatsApp's Lottie stickers.
const lottieMime = "application/was"

// lottie says whether a sticker is a Lottie animation.
func lottie(m *waE2E.StickerMessage) bool {
	return m.GetIsLottie() || baseType(m.GetMimetype()) == lottieMime
}

// lottieSticker is a Lottie sticker as its PNG preview, or as text.
func (c inbound) lottieSticker(m *waE2E.StickerMessage) *pb.MessageEvent {
	if still := m.GetPngThumbnail(); len(still) > 0 {
		if cfg, err := png.DecodeConfig(bytes.NewReader(still)); err == nil {
			a := &pb.Attachment{Name: "sticker.png", MimeType: "image/png", Size: int64(len(still)),
				Width: int32(cfg.Width), Height: int32(cfg.Height), Source: &pb.Attachment_Data{Data: still}}
			return c.withContext(&pb.MessageEvent{Attachments: []*pb.Attachment{a}}, m.GetContextInfo())
		}
	}
	what := "An animated sticker"
	if label := m.GetAccessibilityLabel(); label != "" {
		what += " («" + label + "»)"
	}
	return c.withContext(&pb.MessageEvent{Text: mediatext.UnshownText(what, onPhone)}, m.GetContextInfo())
}
