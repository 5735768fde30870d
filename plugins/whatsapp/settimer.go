package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// offeredTimers is what WhatsApp's apps offer (0 is off); they ignore
// any other length in a one-to-one chat, and WhatsApp refuses it in a
// group.
var offeredTimers = []time.Duration{0, whatsmeow.DisappearingTimer24Hours, whatsmeow.DisappearingTimer7Days, whatsmeow.DisappearingTimer90Days}

// offeredText names the lengths WhatsApp offers, for a refusal.
const offeredText = "WhatsApp offers disappearing messages after 24 hours, 7 days or 90 days (0 turns them off)"

// SetChatTimer sets a chat's disappearing-messages timer from XMPP
// (sdk.ChatTimerSetter), as the apps do: a one-to-one chat's as an
// EPHEMERAL_SETTING message to it, a group's by asking WhatsApp; where
// only admins may change the group's settings and the user is none, it
// is refused before WhatsApp is asked (WhatsApp's own refusal, an IQ
// error, says nothing of admins). Once WhatsApp took it, the chat's timer is kept at
// once, for the next message sent to carry it, and the change is shown
// in the chat as the user's, once: WhatsApp's echo of it (a group's
// notification) says nothing more (disappearing.go).
func (s *Session) SetChatTimer(ctx context.Context, c sdk.Call, ttl time.Duration) error {
	offered := false
	for _, d := range offeredTimers {
		offered = offered || ttl == d
	}
	if !offered {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: %s, not %s", offeredText, lengthText(ttl))
	}
	jid, err := parseChatID(c.ChatID)
	if err != nil {
		return err
	}
	if err := s.reachable(ctx, jid); err != nil {
		return err
	}
	if s.settingsKeptFromUser(ctx, jid) {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: only the group's admins may change its disappearing-messages timer")
	}
	secs := uint32(ttl / time.Second)
	// The setting's time: after the one known, so that nothing older
	// delivered late undoes it, and the same in the protocol message
	// sent (which the phone and the contact keep).
	at := s.timers.nextSetting(c.ChatID, time.Now().Unix())
	s.timers.expectEcho(c.ChatID, secs, at)
	// The ID of a group's change, which WhatsApp's notification of it
	// gets too (groupTimerEvent): should the plugin restart before the
	// echo, the gateway drops it as a duplicate. A one-to-one chat's is
	// the message's own, sent under it, which the phone keeps and its
	// history brings back.
	id := groupTimerID(at, secs)
	switch jid.Server {
	case types.DefaultUserServer, types.HiddenUserServer:
		id, err = s.sendTimer(ctx, c, jid, secs, at)
	default: // a group's; whatsmeow refuses other chats
		err = s.d.cli.SetDisappearingTimer(ctx, jid, ttl, time.Unix(at, 0))
	}
	if err != nil {
		s.timers.forgetEcho(c.ChatID, at)
		return timerErr(err)
	}
	if err := s.timers.setOwn(c.ChatID, secs, at); err != nil {
		s.log.Warn("disappearing-messages timer not kept", "chat", c.ChatID, "err", err)
	}
	ev := &pb.Event{ChatId: c.ChatID, ChatType: chatTypeOf(jid), Sender: &pb.Sender{UserId: s.login.LoginID, IsFromMe: true},
		TimestampUnixMicro: time.Unix(at, 0).UnixMicro(), EventId: id}
	s.emitDurable(timerEvent(ev, secs))
	return nil
}

// sendTimer sends a one-to-one chat's timer, set at at, as whatsmeow's
// SetDisappearingTimer does (an EPHEMERAL_SETTING protocol message), but
// returns the message's ID, which SetDisappearingTimer does not give:
// the change is shown under it, so that the history's copy of the
// message (the phone's) is the same event. The ID is the command's
// (sendID: a resend of it sends nothing twice), else the one SendMessage
// makes.
func (s *Session) sendTimer(ctx context.Context, c sdk.Call, jid types.JID, secs uint32, at int64) (string, error) {
	resp, err := s.d.cli.SendMessage(ctx, jid, &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
		Type:                      waE2E.ProtocolMessage_EPHEMERAL_SETTING.Enum(),
		EphemeralExpiration:       proto.Uint32(secs),
		EphemeralSettingTimestamp: proto.Int64(at),
	}}, s.sendID(c, 0))
	if err != nil {
		return "", err
	}
	return resp.ID, nil
}

// timerErr is a refusal of SetDisappearingTimer as a typed error.
func timerErr(err error) error {
	const what = "set the disappearing-messages timer"
	switch {
	case errors.Is(err, whatsmeow.ErrInvalidDisappearingTimer):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: %s: %s", what, offeredText)
	case errors.Is(err, whatsmeow.ErrIQNotAuthorized):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: %s: WhatsApp does not let you (the group may let only its admins do it)", what)
	}
	return sendErr(what, err)
}

// lengthText is a timer's length in days, hours or seconds, for a
// refusal.
func lengthText(d time.Duration) string {
	n, unit := int64(d/time.Second), "second"
	switch {
	case d%(24*time.Hour) == 0:
		n, unit = int64(d/(24*time.Hour)), "day"
	case d%time.Hour == 0:
		n, unit = int64(d/time.Hour), "hour"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", n, unit)
}
