package media

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
)

// sfsMessage is what a client reads of a file message.
type sfsMessage struct {
	Body string `xml:"body"`
	OOB  struct {
		URL  string `xml:"jabber:x:oob url"`
		Desc string `xml:"jabber:x:oob desc"`
	} `xml:"jabber:x:oob x"`
	SFS *struct {
		Disposition string `xml:"disposition,attr"`
		File        struct {
			MediaType string `xml:"media-type"`
			Name      string `xml:"name"`
			Size      string `xml:"size"`
			Width     string `xml:"width"`
			Height    string `xml:"height"`
			Length    string `xml:"length"`
			Desc      string `xml:"desc"`
			Hash      *struct {
				Algo  string `xml:"algo,attr"`
				Value string `xml:",chardata"`
			} `xml:"urn:xmpp:hashes:2 hash"`
			Thumb *struct {
				URI       string `xml:"uri,attr"`
				MediaType string `xml:"media-type,attr"`
			} `xml:"urn:xmpp:thumbs:1 thumbnail"`
		} `xml:"urn:xmpp:file:metadata:0 file"`
		URL struct {
			Target string `xml:"target,attr"`
		} `xml:"sources>url-data"`
	} `xml:"urn:xmpp:sfs:0 file-sharing"`
	BoB []struct {
		CID    string `xml:"cid,attr"`
		Type   string `xml:"type,attr"`
		MaxAge string `xml:"max-age,attr"`
		Data   string `xml:",chardata"`
	} `xml:"urn:xmpp:bob data"`
}

func parseFileMessage(t *testing.T, f SharedFile) (sfsMessage, string) {
	t.Helper()
	var w wire.Writer
	w.Start("message", "jabber:component:accept")
	FileMessage(&w, f)
	raw := w.String()
	var m sfsMessage
	if err := xml.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return m, raw
}

func TestFileMessageFull(t *testing.T) {
	content := []byte("the file's content")
	sum := sha256.Sum256(content)
	thumb := []byte{0xff, 0xd8, 0xff, 0xe0, 1, 2, 3}
	f := SharedFile{URL: "https://up.example/x/summit <1>.jpg", Name: "summit <1>.jpg", MIME: "image/jpeg", Size: int64(len(content)),
		Width: 4096, Height: 3072, Duration: 1500, SHA256: sum[:], Caption: "the top & the view",
		Thumbnail: thumb, ThumbnailMIME: "image/jpeg", Inline: true}
	m, raw := parseFileMessage(t, f)
	if m.Body != f.URL || m.OOB.URL != f.URL || m.OOB.Desc != f.Caption {
		t.Errorf("body/OOB: %s", raw)
	}
	if m.SFS == nil {
		t.Fatalf("no file-sharing: %s", raw)
	}
	fm := m.SFS.File
	if m.SFS.Disposition != "inline" || m.SFS.URL.Target != f.URL || fm.Name != f.Name || fm.MediaType != "image/jpeg" ||
		fm.Size != "18" || fm.Width != "4096" || fm.Height != "3072" || fm.Length != "1500" || fm.Desc != f.Caption {
		t.Errorf("metadata: %+v\n%s", *m.SFS, raw)
	}
	if fm.Hash == nil || fm.Hash.Algo != "sha-256" || fm.Hash.Value != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("hash: %s", raw)
	}
	tsum := sha1.Sum(thumb)
	cid := "sha1+" + hex.EncodeToString(tsum[:]) + "@bob.xmpp.org"
	if fm.Thumb == nil || fm.Thumb.URI != "cid:"+cid || fm.Thumb.MediaType != "image/jpeg" {
		t.Errorf("thumbnail: %s", raw)
	}
	if len(m.BoB) != 1 || m.BoB[0].CID != cid || m.BoB[0].Type != "image/jpeg" || m.BoB[0].MaxAge != "86400" {
		t.Fatalf("BoB: %s", raw)
	}
	if got, err := base64.StdEncoding.DecodeString(m.BoB[0].Data); err != nil || !bytes.Equal(got, thumb) {
		t.Errorf("BoB data: %v %x", err, got)
	}
}

// TestFileMessageMinimal: what is unknown is left out, not sent empty or
// zero.
func TestFileMessageMinimal(t *testing.T) {
	m, raw := parseFileMessage(t, SharedFile{URL: "https://up.example/f", Size: -1})
	if m.SFS == nil || m.SFS.Disposition != "attachment" || m.SFS.URL.Target != "https://up.example/f" {
		t.Fatalf("file-sharing: %s", raw)
	}
	for _, absent := range []string{"<size", "<width", "<height", "<length", "<hash", "<thumbnail", "<name", "<media-type", "<desc", "urn:xmpp:bob"} {
		if strings.Contains(raw, absent) {
			t.Errorf("%s written though unknown: %s", absent, raw)
		}
	}
	// A size of zero is a known size (an empty file).
	_, raw = parseFileMessage(t, SharedFile{URL: "https://up.example/f", Size: 0, Width: 10})
	if !strings.Contains(raw, "<size>0</size>") || strings.Contains(raw, "<width") {
		t.Errorf("empty file, width without height: %s", raw)
	}
}
