package whatsapp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waMmsRetry"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Files WhatsApp's servers no longer have. A file stays on WhatsApp's
// media servers for a few weeks; an older one (history brings many)
// answers 404 or 410. The phone still has it, and uploads it again when
// asked, as WhatsApp Web asks: a "server-error" receipt naming the
// message (whatsmeow's SendMediaRetryReceipt), answered, when the phone
// is online, by a notification with the file's new direct path,
// encrypted with its media key. Asking needs the message's chat,
// sender, ID and from-me flag: a file's reference carries them (a keyed
// reference, "k1." and a WebMessageInfo: the message's key and the
// media message), references made before keys were kept have none and
// are not asked again.

// keyedRefPrefix marks a reference with the message's key.
const keyedRefPrefix = "k1."

// mediaRetryWait bounds the wait for the phone's upload.
var mediaRetryWait = newSetting(30 * time.Second)

// keyedRef is ref (encodeMediaRef's) with the key of the message that
// carries the file, for asking the phone again.
func keyedRef(ref string, info *types.MessageInfo) string {
	m, err := decodeMediaRef(ref)
	if err != nil || info.ID == "" {
		return ref
	}
	chat := info.Chat
	if !info.IsGroup && info.IsFromMe && info.DeviceSentMeta != nil {
		chat = chatOf(info) // the user's own, from the phone: its destination
	}
	key := &waCommon.MessageKey{RemoteJID: proto.String(chat.ToNonAD().String()), FromMe: proto.Bool(info.IsFromMe), ID: proto.String(info.ID)}
	if info.IsGroup || info.Chat.IsBroadcastList() {
		key.Participant = proto.String(info.Sender.ToNonAD().String())
	}
	b, err := proto.Marshal(&waWeb.WebMessageInfo{Key: key, Message: m})
	if err != nil {
		return ref
	}
	return keyedRefPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// decodeRef reads a reference, keyed or not: the media message, and
// the info of the message carrying it (nil when not keyed).
func decodeRef(ref string) (*waE2E.Message, *types.MessageInfo, error) {
	rest, keyed := strings.CutPrefix(ref, keyedRefPrefix)
	if !keyed {
		m, err := decodeMediaRef(ref)
		return m, nil, err
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, nil, fmt.Errorf("media reference is not base64: %w", err)
	}
	var w waWeb.WebMessageInfo
	if err := proto.Unmarshal(b, &w); err != nil || w.GetMessage() == nil {
		return nil, nil, fmt.Errorf("media reference: not a keyed message (%v)", err)
	}
	k := w.GetKey()
	chat, err := types.ParseJID(k.GetRemoteJID())
	if err != nil {
		return nil, nil, fmt.Errorf("media reference: chat: %w", err)
	}
	info := &types.MessageInfo{MessageSource: types.MessageSource{Chat: chat, IsFromMe: k.GetFromMe(), IsGroup: chat.Server == types.GroupServer}, ID: k.GetID()}
	if p := k.GetParticipant(); p != "" {
		if info.Sender, err = types.ParseJID(p); err != nil {
			return nil, nil, fmt.Errorf("media reference: sender: %w", err)
		}
	}
	return w.GetMessage(), info, nil
}

// mediaGone says whether a download failed because WhatsApp's servers
// no longer have the file.
func mediaGone(err error) bool {
	return errors.Is(err, whatsmeow.ErrMediaDownloadFailedWith404) || errors.Is(err, whatsmeow.ErrMediaDownloadFailedWith410)
}

// errMediaGone is the answer for a file neither WhatsApp nor the phone
// gives again.
func errMediaGone(why string) error {
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: the file is no longer on WhatsApp's servers%s", why)
}

// reupload asks the phone to upload the file of m (the message of info)
// again and waits for its answer: m then names the new upload.
func (s *Session) reupload(ctx context.Context, info *types.MessageInfo, m *waE2E.Message, dm whatsmeow.DownloadableMessage) error {
	key := dm.GetMediaKey()
	if len(key) == 0 {
		return errMediaGone(" (the phone may still have it)")
	}
	answer := make(chan *events.MediaRetry, 1)
	s.mu.Lock()
	if s.retries == nil {
		s.retries = map[types.MessageID]chan *events.MediaRetry{}
	}
	s.retries[info.ID] = answer
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.retries[info.ID] == answer {
			delete(s.retries, info.ID)
		}
		s.mu.Unlock()
	}()
	if err := s.d.cli.SendMediaRetryReceipt(ctx, info, key); err != nil {
		s.log.Info("file not asked of the phone again", "id", info.ID, "err", err)
		return errMediaGone(" (the phone may still have it)")
	}
	wait := time.NewTimer(mediaRetryWait.get())
	defer wait.Stop()
	var evt *events.MediaRetry
	select {
	case evt = <-answer:
	case <-wait.C:
		return errMediaGone(", and your phone did not send it again (it must be online)")
	case <-ctx.Done():
		return ctx.Err()
	}
	n, err := whatsmeow.DecryptMediaRetryNotification(evt, key)
	switch {
	case errors.Is(err, whatsmeow.ErrMediaNotAvailableOnPhone):
		return errMediaGone(" nor on your phone")
	case err != nil:
		s.log.Info("phone's answer for a file not read", "id", info.ID, "err", err)
		return errMediaGone(" (the phone's answer could not be read)")
	case n.GetResult() == waMmsRetry.MediaRetryNotification_NOT_FOUND:
		return errMediaGone(" nor on your phone")
	case n.GetResult() != waMmsRetry.MediaRetryNotification_SUCCESS || n.GetDirectPath() == "":
		return errMediaGone(fmt.Sprintf(" (your phone could not send it again: %s)", n.GetResult()))
	}
	setDirectPath(m, n.GetDirectPath())
	return nil
}

// mediaRetried hands the phone's answer to the download waiting for it.
func (s *Session) mediaRetried(e *events.MediaRetry) {
	s.mu.Lock()
	answer := s.retries[e.MessageID]
	s.mu.Unlock()
	if answer == nil {
		return // no one waits: asked by an earlier process, or timed out
	}
	select {
	case answer <- e:
	default:
	}
}

// setDirectPath points a media message at a new upload of its file (its
// old URL, which a download would try first, dropped).
func setDirectPath(m *waE2E.Message, path string) {
	switch {
	case m.ImageMessage != nil:
		m.ImageMessage.DirectPath, m.ImageMessage.URL = proto.String(path), nil
	case m.VideoMessage != nil:
		m.VideoMessage.DirectPath, m.VideoMessage.URL = proto.String(path), nil
	case m.PtvMessage != nil:
		m.PtvMessage.DirectPath, m.PtvMessage.URL = proto.String(path), nil
	case m.AudioMessage != nil:
		m.AudioMessage.DirectPath, m.AudioMessage.URL = proto.String(path), nil
	case m.DocumentMessage != nil:
		m.DocumentMessage.DirectPath, m.DocumentMessage.URL = proto.String(path), nil
	case m.StickerMessage != nil:
		m.StickerMessage.DirectPath, m.StickerMessage.URL = proto.String(path), nil
	}
}
