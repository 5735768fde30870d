package media

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strconv"

	"passerelle.im/passerelle/bridge/wire"
)

// Namespaces of stateless file sharing and what it carries.
const (
	NSSFS      = "urn:xmpp:sfs:0"                      // XEP-0447
	NSFileMeta = "urn:xmpp:file:metadata:0"            // XEP-0446
	NSURLData  = "http://jabber.org/protocol/url-data" // XEP-0103, a source of XEP-0447
	NSHashes   = "urn:xmpp:hashes:2"                   // XEP-0300
	NSThumbs   = "urn:xmpp:thumbs:1"                   // XEP-0264
	NSBoB      = "urn:xmpp:bob"                        // XEP-0231
)

// BoBMaxAge is how long a client may cache a thumbnail sent as BoB data.
const BoBMaxAge = 86400

// MaxThumbnailBytes bounds the thumbnail a file message carries inline:
// a larger one is left out (the file goes without it). A network's
// thumbnail of megabytes, in base64, made the message larger than the
// server takes, and the file was lost.
const MaxThumbnailBytes = 64 << 10

// SharedFile is what a file message says of its file; zero fields are
// left out.
type SharedFile struct {
	URL      string // where to fetch it (the XEP-0363 GET URL)
	Name     string
	MIME     string
	Size     int64 // bytes; < 0 unknown
	Width    int
	Height   int
	Duration int64  // milliseconds
	SHA256   []byte // raw digest, nil when unknown
	Caption  string
	// Thumbnail, when set (and at most MaxThumbnailBytes), is sent
	// inline as XEP-0231 data and named by its cid in the XEP-0264
	// element.
	Thumbnail     []byte
	ThumbnailMIME string
	// Inline: the client may show the file in the conversation (an image,
	// audio, video), not only offer it as an attachment.
	Inline bool
}

// ThumbnailCID is the XEP-0231 content ID of data: its SHA-1, as the XEP
// requires ("sha1+<hex>@bob.xmpp.org").
func ThumbnailCID(data []byte) string {
	sum := sha1.Sum(data)
	return "sha1+" + hex.EncodeToString(sum[:]) + "@bob.xmpp.org"
}

// FileSharing writes the XEP-0447 element of a file message: the file's
// XEP-0446 metadata (with an XEP-0300 hash and an XEP-0264 thumbnail when
// known) and its URL as the one source. Clients that know XEP-0447 show
// the file from it; send XEP-0066 (OOB) too for the others. Write the
// thumbnail's data with BoB, as a sibling in the same message.
func FileSharing(w *wire.Writer, f SharedFile) {
	disposition := "attachment"
	if f.Inline {
		disposition = "inline"
	}
	w.Start("file-sharing", NSSFS).Attr("disposition", disposition)
	FileMetadata(w, f)
	w.Start("sources", "")
	w.Start("url-data", NSURLData).Attr("target", f.URL).End()
	w.End()
	w.End()
}

// FileMetadata writes the XEP-0446 <file/> element of f.
func FileMetadata(w *wire.Writer, f SharedFile) {
	w.Start("file", NSFileMeta)
	if f.MIME != "" {
		w.Leaf("media-type", "", f.MIME)
	}
	if f.Name != "" {
		w.Leaf("name", "", f.Name)
	}
	if f.Size >= 0 {
		w.Leaf("size", "", strconv.FormatInt(f.Size, 10))
	}
	if f.Width > 0 && f.Height > 0 {
		w.Leaf("width", "", strconv.Itoa(f.Width))
		w.Leaf("height", "", strconv.Itoa(f.Height))
	}
	if f.Duration > 0 {
		w.Leaf("length", "", strconv.FormatInt(f.Duration, 10))
	}
	if f.Caption != "" {
		w.Leaf("desc", "", f.Caption)
	}
	if len(f.SHA256) > 0 {
		w.Start("hash", NSHashes).Attr("algo", "sha-256").Text(base64.StdEncoding.EncodeToString(f.SHA256)).End()
	}
	if f.hasThumbnail() {
		mt := f.ThumbnailMIME
		if mt == "" {
			mt = "image/jpeg"
		}
		w.Start("thumbnail", NSThumbs).Attr("uri", "cid:"+ThumbnailCID(f.Thumbnail)).Attr("media-type", mt).End()
	}
	w.End()
}

// BoB writes the XEP-0231 data element of a thumbnail, which a message
// carries beside the element naming its cid.
func BoB(w *wire.Writer, data []byte, mimeType string) {
	if mimeType == "" {
		mimeType = "image/jpeg"
	}
	w.Start("data", NSBoB).Attr("cid", ThumbnailCID(data)).Attr("type", mimeType).
		Attr("max-age", strconv.Itoa(BoBMaxAge)).Text(base64.StdEncoding.EncodeToString(data)).End()
}

// FileMessage writes a file message's payload: the URL as the body (so
// that clients show it inline), XEP-0066 OOB, XEP-0447 with XEP-0446
// metadata, and the thumbnail's BoB data.
func FileMessage(w *wire.Writer, f SharedFile) {
	w.Leaf("body", "", f.URL)
	OOB(w, f.URL, f.Caption)
	FileSharing(w, f)
	if f.hasThumbnail() {
		BoB(w, f.Thumbnail, f.ThumbnailMIME)
	}
}

// hasThumbnail reports whether f has a thumbnail to send inline: one of
// at most MaxThumbnailBytes.
func (f SharedFile) hasThumbnail() bool {
	return len(f.Thumbnail) > 0 && len(f.Thumbnail) <= MaxThumbnailBytes
}
