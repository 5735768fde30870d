package whatsapp

import (
	"bytes"
	"io"
	"os"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"golang.org/x/image/webp"
	"google.golang.org/protobuf/proto"
)

// A sticker from XMPP: XMPP has no sticker of its own, so a file is one
// when it is what WhatsApp's apps send as one, a WebP image of exactly
// 512 by 512 pixels, at most 100 KB (500 KB animated): WhatsApp's rules
// for stickers (its stickers sample app's README). A sticker received
// from WhatsApp and sent back is one again. Any other WebP still goes as
// a document, which the apps open (as a photo they drop one).

const (
	// stickerSide is the width and height of WhatsApp's stickers.
	stickerSide = 512
	// stickerMaxBytes and animatedStickerMaxBytes bound a sticker's file.
	stickerMaxBytes         = 100 << 10
	animatedStickerMaxBytes = 500 << 10
)

// sticker is what a WebP file says of itself.
type sticker struct {
	width, height int
	animated      bool
}

// stickerOf reads the file at path: a sticker when it is a WebP (of MIME
// type mime, or none given) of a sticker's size; false otherwise, and
// for anything it cannot read (it then goes as before).
func stickerOf(path, mime string) (sticker, bool) {
	if b := baseType(mime); b != "image/webp" && b != "" && b != "application/octet-stream" {
		return sticker{}, false
	}
	f, err := os.Open(path)
	if err != nil {
		return sticker{}, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return sticker{}, false
	}
	var head [32]byte
	n, _ := io.ReadFull(f, head[:])
	st, ok := webpSticker(head[:n])
	if !ok || st.width != stickerSide || st.height != stickerSide {
		return sticker{}, false
	}
	limit := int64(stickerMaxBytes)
	if st.animated {
		limit = animatedStickerMaxBytes
	}
	return st, fi.Size() <= limit
}

// webpSticker reads a WebP file's size and whether it is animated from
// its first bytes: the RIFF header, then a VP8X chunk (whose flags say
// animation, its canvas the size), or a still VP8 or VP8L one.
func webpSticker(head []byte) (sticker, bool) {
	if len(head) < 21 || string(head[0:4]) != "RIFF" || string(head[8:12]) != "WEBP" {
		return sticker{}, false
	}
	cfg, err := webp.DecodeConfig(bytes.NewReader(head))
	if err != nil {
		return sticker{}, false
	}
	const animationFlag = 1 << 1 // VP8X's flags, the chunk's first byte
	animated := string(head[12:16]) == "VP8X" && head[20]&animationFlag != 0
	return sticker{width: cfg.Width, height: cfg.Height, animated: animated}, true
}

// stickerMessage is the message of an uploaded sticker (uploaded as an
// image: whatsmeow, and the apps, take a sticker's keys as a photo's).
func stickerMessage(st sticker, up whatsmeow.UploadResponse, ci *waE2E.ContextInfo) *waE2E.Message {
	return &waE2E.Message{StickerMessage: &waE2E.StickerMessage{
		URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
		FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength),
		Mimetype: proto.String("image/webp"), Width: proto.Uint32(uint32(st.width)), Height: proto.Uint32(uint32(st.height)),
		IsAnimated: proto.Bool(st.animated), ContextInfo: ci,
	}}
}
