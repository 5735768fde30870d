package whatsapp

import (
	"slices"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Calls. The gateway carries no call: it tells the user of one, in the
// caller's one-to-one chat (a group call in the group's room), as a
// message from the caller in the transports' shared words
// (mediatext.CallText). WhatsApp offers a call to every device of the
// user (events.CallOffer; a group call comes as events.CallOfferNotice),
// and the plugin neither answers nor rejects it: it rings on the phone.
// The offer is shown as ringing ("Incoming voice call: answer it on your
// phone"); when the call ends (events.CallTerminate, or CallReject: it
// was declined on another device) the same message is corrected
// (XEP-0308, an EditEvent): "Missed voice call" when no device accepted
// it (no CallAccept came), else the call's length. A correction rather
// than a second message, so that the chat keeps one line per call and
// no "answer it" is left standing once there is nothing to answer; a
// client without corrections shows the correction as a message of its
// own, which reads the same.
//
// The events' IDs come from WhatsApp's call ID ("call-<ID>" for the
// message, "call-<ID>-end" for its correction), so that the same call
// told again (WhatsApp delivers the calls of while the plugin was away
// when it connects again) is dropped by the host as a duplicate.
//
// An offer older than callRingMax when it comes (offline delivery) rings
// no more: nothing is shown until its end, then its message ("Missed
// voice call", or its length) and the same words as a correction of it,
// for a ringing message shown before a restart (callEnd). The calls are
// kept in the login's folder (callstore.go): one ringing when the plugin
// stops is corrected when its end comes after the restart.

// callRingMax is how old an offer may be and still ring: WhatsApp rings
// for a minute or so.
const callRingMax = 2 * time.Minute

// callLogSkew is how far from a call's end the phone's log of it may be
// dated and still be taken for it (the phone's clock, WhatsApp's).
const callLogSkew = 5 * time.Minute

// callLogged gives the phone's log of a call (a CallLogMessage, which
// names no call: the phone sends it to the linked devices once the call
// is over, and its history keeps it) the ID of the call's message shown
// live, so that the gateway drops it as a duplicate; ev is the log's
// event, from msg (nil, or any other message, is left as it is).
func (s *Session) callLogged(ev *pb.Event, info *types.MessageInfo, msg *waE2E.Message) {
	if ev.GetMessage() == nil || msg.GetCallLogMesssage() == nil {
		return
	}
	// Its chat's every ID: the phone may log under the caller's LID a
	// call that named their number, or the reverse.
	chats := append([]string{ev.ChatId}, s.aliasesOf(chatOf(info), info.RecipientAlt)...)
	id, err := s.calls.logged(chats, msg.GetCallLogMesssage().GetIsVideo(), time.UnixMicro(ev.TimestampUnixMicro), time.Now())
	if err != nil {
		s.log.Warn("calls not kept", "err", err)
	}
	if id != "" {
		ev.EventId = id
	}
	// The log names no direction; its key does (fromMe: the user
	// placed the call, from the phone), but for a call seen ringing here,
	// which was the other's: the user's unanswered call was "Missed". In
	// a group, a group call (it read as a one-to-one call).
	if m := callLogText(msg.GetCallLogMesssage(), info.IsFromMe && id == "", info.IsGroup); m != nil {
		ev.GetMessage().Text = m.Text
	}
}

// aliasesOf is the user IDs of jids (people's, not groups'): each
// one's own, and its LID's or number's the store knows.
func (s *Session) aliasesOf(jids ...types.JID) []string {
	var out []string
	add := func(j types.JID) {
		if j.IsEmpty() || (j.Server != types.DefaultUserServer && j.Server != types.HiddenUserServer) {
			return
		}
		if id := plainUserID(j.ToNonAD()); !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, j := range jids {
		add(j)
		switch j.Server {
		case types.HiddenUserServer:
			add(s.ids.phoneOf(j))
		case types.DefaultUserServer:
			add(s.ids.lidOf(j))
		}
	}
	return out
}

// callEventID is the ID of a call's message.
func callEventID(callID string) string { return "call-" + callID }

// callOffer is the ringing message of a call offered: from the caller
// (their phone number where WhatsApp gave it beside their LID), in their
// chat or the group's. Its meta is none: it is no WhatsApp message, so
// that a reply to it goes without a quote and a reaction is refused.
func (c inbound) callOffer(m types.BasicCallMeta, call mediatext.Call) *pb.Event {
	caller := preferPN(m.CallCreator, m.CallCreatorAlt).ToNonAD()
	if caller.IsEmpty() {
		caller = m.From.ToNonAD()
	}
	chat := caller
	if !m.GroupJID.IsEmpty() {
		chat = m.GroupJID.ToNonAD()
		call.Group = true
	}
	at := m.Timestamp
	if at.IsZero() {
		at = time.Now()
	}
	return &pb.Event{
		ChatId: chatIDOf(c.ids, chat), ChatType: chatTypeOf(chat),
		Sender:             &pb.Sender{UserId: c.ids.userID(caller)},
		TimestampUnixMicro: at.UnixMicro(),
		EventId:            callEventID(m.CallID),
		Payload:            &pb.Event_Message{Message: &pb.MessageEvent{Text: mediatext.CallText(call, onPhone)}},
	}
}

// callEnd is what the end of a call at end says: a correction of its
// ringing message; when that was not shown here (a late offer), the
// message itself too, before the correction. The ringing message may
// have been shown before a restart of the plugin (the offer then comes
// again, late): the host drops the message as a duplicate of it and
// the correction corrects it. Otherwise the message is new and the
// correction says the same words again (a client without corrections
// shows them twice); the host drops a correction of a message it never
// had, so the correction alone would show nothing.
func callEnd(r *callRec, end time.Time, declined bool) []*pb.Event {
	call := r.call()
	switch {
	case r.Answer == 0 || declined:
		call.Missed = true
	default:
		// Answered on one of the user's devices: its length, a second
		// at least (the times are WhatsApp's, to the second).
		call.Duration = max(end.Sub(time.UnixMilli(r.Answer)).Round(time.Second), time.Second)
	}
	text := mediatext.CallText(call, onPhone)
	ring := r.event()
	var out []*pb.Event
	if !r.Shown {
		ring.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}
		out = append(out, ring)
	}
	return append(out, &pb.Event{ChatId: ring.ChatId, ChatType: ring.ChatType, Sender: ring.Sender, TimestampUnixMicro: end.UnixMicro(),
		EventId: ring.EventId + "-end", Payload: &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: ring.EventId, Text: text}}})
}

// isVideo says whether a call offer's data offers video.
func isVideo(data *waBinary.Node) bool {
	if data == nil {
		return false
	}
	_, ok := data.GetOptionalChildByTag("video")
	return ok
}

// callOffered shows a call that rings (or keeps an old one), and keeps
// it: after the message, so that a crash in between shows it again
// (the host drops the duplicate) rather than never.
func (s *Session) callOffered(m types.BasicCallMeta, call mediatext.Call) {
	if m.CallID == "" {
		return
	}
	if s.ownCall(m) {
		return // the user's own call, from the phone
	}
	if s.calls.known(m.CallID) {
		return
	}
	if !m.CallCreator.IsEmpty() && !m.CallCreatorAlt.IsEmpty() {
		// Her LID and number, so that the phone's log of the call under
		// the LID is in her number's chat too.
		s.ids.learn(m.CallCreator.ToNonAD(), m.CallCreatorAlt.ToNonAD())
	}
	ev := s.conv.callOffer(m, call)
	r := &callRec{ID: m.CallID, Chat: ev.ChatId, Sender: ev.Sender.GetUserId(), Video: call.Video, Group: call.Group,
		At: ev.TimestampUnixMicro, Shown: true}
	if m.GroupJID.IsEmpty() {
		r.Aliases = slices.DeleteFunc(s.aliasesOf(m.CallCreator, m.CallCreatorAlt), func(id string) bool { return id == r.Chat })
	}
	if !m.Timestamp.IsZero() && time.Since(m.Timestamp) > callRingMax {
		s.log.Debug("call offered a while ago: shown when it ends", "call", m.CallID, "at", m.Timestamp)
		r.Shown = false
	} else {
		s.emitDurable(ev)
	}
	if err := s.calls.add(r, time.Now()); err != nil {
		s.log.Warn("calls not kept", "err", err)
	}
}

// ownCall says whether the user placed the call (by phone number or LID).
func (s *Session) ownCall(m types.BasicCallMeta) bool {
	return s.isOwn(m.CallCreator, m.CallCreatorAlt)
}

// isOwn says whether any of jids is the user: their phone number or
// their device's LID (the empty JIDs are none).
func (s *Session) isOwn(jids ...types.JID) bool {
	own := s.ownJID()
	if own.IsEmpty() {
		return false
	}
	lid := s.d.dev.LID
	for _, j := range jids {
		if !j.IsEmpty() && (j.User == own.User || (!lid.IsEmpty() && j.User == lid.User)) {
			return true
		}
	}
	return false
}

// callEnded corrects a call's message once it ended; then notes it
// ended, so that its end delivered again after a crash in between says
// it again (the host drops the duplicate) rather than never.
func (s *Session) callEnded(m types.BasicCallMeta, declined bool, reason string) {
	r := s.calls.ringing(m.CallID)
	if r == nil {
		s.log.Debug("end of a call not seen ringing", "call", m.CallID, "reason", reason)
		return
	}
	end := m.Timestamp
	if end.IsZero() {
		end = time.Now()
	}
	for _, ev := range callEnd(r, end, declined) {
		s.emitDurable(ev)
	}
	if err := s.calls.ended(m.CallID, end, time.Now()); err != nil {
		s.log.Warn("calls not kept", "err", err)
	}
}

// callLogText is a call log message (one the phone sends the other
// devices once a call is over): missed, declined or silenced calls as
// missed (unanswered when outgoing, the user's own), answered ones with
// their length; nil for a call going on or one whose outcome says
// nothing to show.
func callLogText(m *waE2E.CallLogMessage, outgoing, group bool) *pb.MessageEvent {
	call := mediatext.Call{Video: m.GetIsVideo(), Outgoing: outgoing, Group: group}
	switch m.GetCallOutcome() {
	case waE2E.CallLogMessage_MISSED, waE2E.CallLogMessage_REJECTED, waE2E.CallLogMessage_FAILED,
		waE2E.CallLogMessage_SILENCED_BY_DND, waE2E.CallLogMessage_SILENCED_UNKNOWN_CALLER:
		call.Missed = true
	case waE2E.CallLogMessage_CONNECTED, waE2E.CallLogMessage_ACCEPTED_ELSEWHERE:
		if m.GetDurationSecs() <= 0 {
			return nil
		}
		call.Duration = time.Duration(m.GetDurationSecs()) * time.Second
	default:
		return nil
	}
	return &pb.MessageEvent{Text: mediatext.CallText(call, onPhone)}
}

// stub converts a message of history that is only a stub (WhatsApp's
// system lines, no message): missed calls, changes of the
// disappearing-messages timer and pins; nil for the others. A missed
// call's line is keyed by the call's ID (WhatsApp Web, and Baileys after
// it, make it from the call with the call's ID as its key): it gets the
// ID the call had live (callEventID), so that the gateway drops the
// line of a call it showed ringing or missed.
func (c inbound) stub(evt *events.Message) *pb.Event {
	web := evt.SourceWebMsg
	if web == nil {
		return nil
	}
	var text string
	call := false
	switch web.GetMessageStubType() {
	case waWeb.WebMessageInfo_CALL_MISSED_VOICE:
		text, call = mediatext.CallText(mediatext.Call{Missed: true}, onPhone), true
	case waWeb.WebMessageInfo_CALL_MISSED_VIDEO:
		text, call = mediatext.CallText(mediatext.Call{Missed: true, Video: true}, onPhone), true
	case waWeb.WebMessageInfo_CALL_MISSED_GROUP_VOICE:
		text, call = mediatext.CallText(mediatext.Call{Missed: true, Group: true}, onPhone), true
	case waWeb.WebMessageInfo_CALL_MISSED_GROUP_VIDEO:
		text, call = mediatext.CallText(mediatext.Call{Missed: true, Video: true, Group: true}, onPhone), true
	case waWeb.WebMessageInfo_CHANGE_EPHEMERAL_SETTING:
		secs, ok := stubTimer(web)
		if !ok {
			return nil
		}
		text = mediatext.TimerText(time.Duration(secs) * time.Second)
	case waWeb.WebMessageInfo_PINNED_MESSAGE_IN_CHAT:
		return c.pinStub(&evt.Info, web.GetPinInChat())
	default:
		return nil
	}
	ev := c.base(&evt.Info)
	if call && ev.EventId != "" {
		ev.EventId = callEventID(ev.EventId)
	}
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}
	return ev
}
