package whatsapp

import (
	"sync"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

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
// for a ringing message shown before a restart (callEnd). The calls are kept in memory only, at
// most callsMax: a call whose end comes after a restart of the plugin
// keeps its ringing message (its end is logged and dropped).

// callRingMax is how old an offer may be and still ring: WhatsApp rings
// for a minute or so.
const callRingMax = 2 * time.Minute

// callsMax bounds the calls remembered until they end.
const callsMax = 64

// callLogSkew is how far from a call's end the phone's log of it may be
// dated and still be taken for it (the phone's clock, WhatsApp's).
const callLogSkew = 5 * time.Minute

// callState is a call offered and not ended.
type callState struct {
	id     string
	ev     *pb.Event // the ringing message's event; its payload nil when not shown
	call   mediatext.Call
	answer time.Time // when a device accepted it; zero: none did
	logged bool      // the phone's log of it came (before its end)
}

// endedCall is a call shown that ended, until the phone's log of it.
type endedCall struct {
	chatID, eventID string
	video           bool
	end             time.Time
}

// calls is the calls ringing, by call ID, and the latest ended.
type calls struct {
	mu    sync.Mutex
	m     map[string]*callState
	order []string    // oldest first
	ended []endedCall // oldest first, at most callsMax
}

func (c *calls) add(st *callState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*callState{}
	}
	if _, ok := c.m[st.id]; ok {
		return // the same offer again (its notice and its offer)
	}
	c.m[st.id] = st
	c.order = append(c.order, st.id)
	for len(c.order) > callsMax {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
}

func (c *calls) get(id string) *callState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[id]
}

func (c *calls) accepted(id string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.m[id]; st != nil && st.answer.IsZero() {
		st.answer = at
	}
}

// end forgets a call and returns it; nil when not known.
func (c *calls) end(id string) *callState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.m[id]
	if st == nil {
		return nil
	}
	delete(c.m, id)
	for i, o := range c.order {
		if o == id {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	return st
}

// over keeps a call that ended for the phone's log of it; one whose log
// came already is not kept.
func (c *calls) over(st *callState, end time.Time) {
	if st.logged {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended = append(c.ended, endedCall{chatID: st.ev.ChatId, eventID: st.ev.EventId, video: st.call.Video, end: end})
	if len(c.ended) > callsMax {
		c.ended = c.ended[1:]
	}
}

// logged is the event ID of the call a log in chatID dated at is of:
// one of its kind (video or not) ringing there, else the ended one
// nearest in time, within callLogSkew; "" when none. The call is
// taken: a second log is another call's.
func (c *calls) logged(chatID string, video bool, at time.Time) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range c.order {
		if st := c.m[id]; !st.logged && st.ev.ChatId == chatID && st.call.Video == video {
			st.logged = true
			return st.ev.EventId
		}
	}
	best := -1
	for i, e := range c.ended {
		d := at.Sub(e.end).Abs()
		if e.chatID == chatID && e.video == video && d <= callLogSkew && (best < 0 || d < at.Sub(c.ended[best].end).Abs()) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	id := c.ended[best].eventID
	c.ended = append(c.ended[:best], c.ended[best+1:]...)
	return id
}

// callLogged gives the phone's log of a call (a CallLogMessage, which
// names no call: the phone sends it to the linked devices once the call
// is over, and its history keeps it) the ID of the call's message shown
// live, so that the gateway drops it as a duplicate; ev is the log's
// event, from msg (nil, or any other message, is left as it is).
func (s *Session) callLogged(ev *pb.Event, msg *waE2E.Message) {
	if ev.GetMessage() == nil || msg.GetCallLogMesssage() == nil {
		return
	}
	if id := s.calls.logged(ev.ChatId, msg.GetCallLogMesssage().GetIsVideo(), time.UnixMicro(ev.TimestampUnixMicro)); id != "" {
		ev.EventId = id
	}
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
func callEnd(st *callState, end time.Time, declined bool) []*pb.Event {
	call := st.call
	switch {
	case st.answer.IsZero() || declined:
		call.Missed = true
	default:
		// Answered on one of the user's devices: its length, a second
		// at least (the times are WhatsApp's, to the second).
		call.Duration = max(end.Sub(st.answer).Round(time.Second), time.Second)
	}
	text := mediatext.CallText(call, onPhone)
	var out []*pb.Event
	if st.ev.Payload == nil {
		out = append(out, &pb.Event{ChatId: st.ev.ChatId, ChatType: st.ev.ChatType, Sender: st.ev.Sender,
			TimestampUnixMicro: st.ev.TimestampUnixMicro, EventId: st.ev.EventId,
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}})
	}
	return append(out, &pb.Event{ChatId: st.ev.ChatId, ChatType: st.ev.ChatType, Sender: st.ev.Sender, TimestampUnixMicro: end.UnixMicro(),
		EventId: st.ev.EventId + "-end", Payload: &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: st.ev.EventId, Text: text}}})
}

// isVideo says whether a call offer's data offers video.
func isVideo(data *waBinary.Node) bool {
	if data == nil {
		return false
	}
	_, ok := data.GetOptionalChildByTag("video")
	return ok
}

// callOffered shows a call that rings (or remembers an old one).
func (s *Session) callOffered(m types.BasicCallMeta, call mediatext.Call) {
	if m.CallID == "" {
		return
	}
	if s.ownCall(m) {
		return // the user's own call, from the phone
	}
	if s.calls.get(m.CallID) != nil {
		return
	}
	ev := s.conv.callOffer(m, call)
	st := &callState{id: m.CallID, ev: ev, call: call}
	if !m.Timestamp.IsZero() && time.Since(m.Timestamp) > callRingMax {
		s.log.Debug("call offered a while ago: shown when it ends", "call", m.CallID, "at", m.Timestamp)
		st.ev = &pb.Event{ChatId: ev.ChatId, ChatType: ev.ChatType, Sender: ev.Sender, TimestampUnixMicro: ev.TimestampUnixMicro, EventId: ev.EventId}
		s.calls.add(st)
		return
	}
	s.calls.add(st)
	s.emitDurable(proto.Clone(ev).(*pb.Event)) // emit sets its login; the state keeps it as it is
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

// callEnded corrects a call's message once it ended.
func (s *Session) callEnded(m types.BasicCallMeta, declined bool, reason string) {
	st := s.calls.end(m.CallID)
	if st == nil {
		s.log.Debug("end of a call not seen ringing", "call", m.CallID, "reason", reason)
		return
	}
	end := m.Timestamp
	if end.IsZero() {
		end = time.Now()
	}
	for _, ev := range callEnd(st, end, declined) {
		s.emitDurable(ev)
	}
	s.calls.over(st, end)
}

// callLogText is a call log message (one the phone sends the other
// devices once a call is over): missed, declined or silenced calls as
// missed, answered ones with their length; nil for a call going on or
// one whose outcome says nothing to show.
func callLogText(m *waE2E.CallLogMessage) *pb.MessageEvent {
	call := mediatext.Call{Video: m.GetIsVideo()}
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
