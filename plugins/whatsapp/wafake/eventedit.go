package wafake

import (
	"context"
	"crypto/rand"
	"fmt"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"go.mau.fi/whatsmeow/util/gcmutil"
	"go.mau.fi/whatsmeow/util/hkdfutil"
	"google.golang.org/protobuf/proto"
)

// EncEventEdit is the change an event's creator makes to it (its time,
// name, place, or its cancellation), as the apps send one: edited, the
// event's new content, encrypted with the event's message secret (which
// the device stored when target came through Receive) in a
// SecretEncryptedMessage of type EVENT_EDIT, under whatsmeow's "Event
// Edit" key, which whatsmeow offers to decrypt and not to make. Hand it
// to Receive as a message from target's sender in its chat.
func (c *Client) EncEventEdit(ctx context.Context, target *types.MessageInfo, edited *waE2E.Message) (*waE2E.Message, error) {
	base, origSender, err := c.dev.MsgSecrets.GetMessageSecret(ctx, target.Chat, target.Sender, target.ID)
	if err != nil {
		return nil, fmt.Errorf("wafake: the event's secret: %w", err)
	}
	if base == nil {
		return nil, whatsmeow.ErrOriginalMessageSecretNotFound
	}
	plain, err := proto.Marshal(edited)
	if err != nil {
		return nil, err
	}
	useCase := target.ID + origSender.ToNonAD().String() + target.Sender.ToNonAD().String() + string(whatsmeow.EncSecretEventEdit)
	key := hkdfutil.SHA256(base, nil, []byte(useCase), 32)
	iv := make([]byte, 12)
	_, _ = rand.Read(iv)
	enc, err := gcmutil.Encrypt(key, iv, plain, nil)
	if err != nil {
		return nil, err
	}
	k := &waCommon.MessageKey{RemoteJID: proto.String(target.Chat.String()), FromMe: proto.Bool(false), ID: proto.String(target.ID)}
	if target.Chat.Server == types.GroupServer {
		k.Participant = proto.String(target.Sender.ToNonAD().String())
	}
	return &waE2E.Message{SecretEncryptedMessage: &waE2E.SecretEncryptedMessage{TargetMessageKey: k, EncPayload: enc, EncIV: iv,
		SecretEncType: waE2E.SecretEncryptedMessage_EVENT_EDIT.Enum()}}, nil
}

// DecryptSecretEncryptedMessage is whatsmeow's own, as DecryptReaction.
func (c *Client) DecryptSecretEncryptedMessage(ctx context.Context, evt *events.Message) (*waE2E.Message, error) {
	return c.Real.DecryptSecretEncryptedMessage(ctx, evt)
}
