package signal

import (
	"context"
	"errors"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Pinned messages (signal-cli 0.14.0 and later): a pin or an unpin is a
// data message of its own (JsonPinMessage, JsonUnpinMessage), naming the
// message by its author and timestamp; the user's own, made on the
// phone, come as a sync message's sent message. Each is a notice of the
// chat from whoever pinned, replying to the message pinned.

// pinMessage pins the message of TargetSentTimestamp (JsonPinMessage);
// its duration (-1 forever, 0 unspecified, else seconds) is not shown:
// the pin's end comes as no message.
type pinMessage struct {
	TargetSentTimestamp int64 `json:"targetSentTimestamp"`
}

// unpinMessage takes the pin off the message of TargetSentTimestamp
// (JsonUnpinMessage).
type unpinMessage struct {
	TargetSentTimestamp int64 `json:"targetSentTimestamp"`
}

// pinNotice is the notice of the pin (or unpin) of the message at target
// by sender in chat, made at ts: the pin's own timestamp is its event
// ID, so that a replay is dropped.
func (s *Session) pinNotice(ctx context.Context, chat string, sender *pb.Sender, ts int64, target string, unpin bool) {
	s.emit(ctx, &pb.Event{ChatId: chat, ChatType: chatType(chat), Sender: sender, TimestampUnixMicro: ts * 1000, EventId: msgID(ts),
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: mediatext.PinText(unpin), ReplyToId: target}}}, true)
}

var _ sdk.Pinner = (*Session)(nil)

// pinForever is sendPinMessage's pinDuration for a pin without end, as
// Signal's apps offer by default: signal-cli's argparse default, which
// JSON-RPC does not apply (a missing one fails there).
const pinForever = -1

// Pin pins the message for everyone in the chat, or unpins it, by
// signal-cli's sendPinMessage or sendUnpinMessage (0.14.0 and later),
// naming it by its author and timestamp. signal-cli checks no group
// permission for it. It does not echo the pin to the gateway's device:
// the notice is emitted here, as for a pin made on the phone.
func (s *Session) Pin(ctx context.Context, c sdk.Call, pin *pb.Pin) error {
	p, err := target(c.ChatID)
	if err != nil {
		return err
	}
	ts, author, err := msgRef(pin.TargetId, pin.TargetMeta)
	if err != nil {
		return err
	}
	if author == "" {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "the author of message %s is not known: Signal cannot name it", pin.TargetId)
	}
	p["targetAuthor"], p["targetTimestamp"] = author, ts
	method, what := "sendPinMessage", "could not pin the message"
	if pin.Unpin {
		method, what = "sendUnpinMessage", "could not unpin the message"
	} else {
		p["pinDuration"] = pinForever
	}
	res, err := s.send(ctx, c, what, method, p)
	if se, ok := errors.AsType[*sdk.Error](err); ok && se.Code == pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		return sdk.Errorf(se.Code, "%s (pinning needs signal-cli 0.14.0 or later; pin it on your phone)", se.Text)
	}
	if err != nil {
		return err
	}
	s.pinNotice(ctx, c.ChatID, &pb.Sender{UserId: s.selfID(), IsFromMe: true}, res.Timestamp, pin.TargetId, pin.Unpin)
	return nil
}
