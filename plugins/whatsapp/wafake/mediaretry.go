package wafake

import (
	"context"
	"crypto/rand"
	"slices"
	"strconv"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waMmsRetry"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/util/gcmutil"
	"go.mau.fi/whatsmeow/util/hkdfutil"
	"google.golang.org/protobuf/proto"
)

// The phone's side of files WhatsApp's servers no longer have: asked
// (SendMediaRetryReceipt), the phone uploads the file again and answers
// with WhatsApp's "mediaretry" notification, its new direct path
// encrypted with the file's media key as the phone does, which whatsmeow
// parses (HandleMediaRetryNotification) into the events.MediaRetry the
// plugin gets. Attributes are strings, as whatsmeow decodes them from
// the wire.

type reuploads struct {
	onPhone map[types.MessageID][]byte // the phone has the file
	gone    map[types.MessageID]bool   // the phone has it no longer
	asked   []types.MessageID
}

// PhoneHasFile makes the phone upload data again for message id when
// asked.
func (c *Client) PhoneHasFile(id types.MessageID, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reuploads.onPhone == nil {
		c.reuploads.onPhone = map[types.MessageID][]byte{}
	}
	c.reuploads.onPhone[id] = data
}

// PhoneLostFile makes the phone answer that it has the file of message
// id no longer (WhatsApp's error code 2).
func (c *Client) PhoneLostFile(id types.MessageID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reuploads.gone == nil {
		c.reuploads.gone = map[types.MessageID]bool{}
	}
	c.reuploads.gone[id] = true
}

// ReuploadsAsked is the messages whose files the phone was asked for.
func (c *Client) ReuploadsAsked() []types.MessageID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.reuploads.asked)
}

// SendMediaRetryReceipt asks the phone for a file again: it answers as
// PhoneHasFile or PhoneLostFile said, later (off the caller), or not at
// all (offline).
func (c *Client) SendMediaRetryReceipt(_ context.Context, info *types.MessageInfo, mediaKey []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reuploads.asked = append(c.reuploads.asked, info.ID)
	rmr := waBinary.Node{Tag: "rmr", Attrs: waBinary.Attrs{"jid": info.Chat, "from_me": strconv.FormatBool(info.IsFromMe)}}
	if info.IsGroup {
		rmr.Attrs["participant"] = info.Sender
	}
	node := waBinary.Node{Tag: "notification", Attrs: waBinary.Attrs{"id": info.ID, "type": "mediaretry", "t": strconv.FormatInt(time.Now().Unix(), 10)}}
	switch data, ok := c.reuploads.onPhone[info.ID]; {
	case c.reuploads.gone[info.ID]:
		node.Content = []waBinary.Node{rmr, {Tag: "error", Attrs: waBinary.Attrs{"code": "2"}}}
	case ok:
		path := "/v/reupload/" + info.ID
		c.media[path] = data
		plain, err := proto.Marshal(&waMmsRetry.MediaRetryNotification{
			StanzaID: proto.String(info.ID), DirectPath: proto.String(path), Result: waMmsRetry.MediaRetryNotification_SUCCESS.Enum()})
		if err != nil {
			return err
		}
		iv := make([]byte, 12)
		rand.Read(iv)
		key := hkdfutil.SHA256(mediaKey, nil, []byte("WhatsApp Media Retry Notification"), 32)
		enc, err := gcmutil.Encrypt(key, iv, plain, []byte(info.ID))
		if err != nil {
			return err
		}
		node.Content = []waBinary.Node{rmr, {Tag: "encrypt", Content: []waBinary.Node{{Tag: "enc_p", Content: enc}, {Tag: "enc_iv", Content: iv}}}}
	default:
		return nil // the phone is offline: no answer
	}
	go c.Real.DangerousInternals().HandleMediaRetryNotification(context.Background(), &node)
	return nil
}
