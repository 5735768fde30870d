package whatsapp

import (
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/reflect/protoreflect"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Disappearing messages. A chat with them on has a timer (seconds; 0 is
// off) that every message sent in it carries (ContextInfo.Expiration):
// the apps delete a message that long after it was sent, and flag one
// sent without it as sent from a device that does not follow the chat's
// setting. WhatsApp tells a change of a one-to-one chat's timer as a
// ProtocolMessage of type EPHEMERAL_SETTING from whoever changed it, a
// group's as a group notification (events.GroupInfo.Ephemeral); a group's
// info says its timer, a history sync each chat's, and each message in
// such a chat its own. The plugin shows a change as a message from whoever
// made it (mediatext.TimerText) and keeps each chat's timer in the login's
// folder, for the user's messages to carry it. The user sets a chat's
// timer from XMPP too (SetChatTimer, settimer.go): kept and shown then,
// and WhatsApp's echo of it is not shown again.
//
// Each message that disappears says when (MessageEvent.expires_unix_micro,
// a send's sdk.Result.Expires): its time plus its timer, as WhatsApp
// counts (expiresAt); the gateway retracts it from the user's clients and
// its archive then. Someone keeping a message in the chat, or undoing
// that, changes its deadline: an ExpiryEvent (keepEvent).

// timersFile keeps each chat's timer, by the contract's chat ID.
const timersFile = "disappearing.json"

// chatTimer is a chat's timer as last known.
type chatTimer struct {
	Secs uint32 `json:"s"`
	// At is when it was set (unix seconds, WhatsApp's setting timestamp
	// or the time of what said it); 0 when not known. An older setting
	// does not replace a newer one: a message from before the timer
	// changed may come after the change (offline, history).
	At int64 `json:"at,omitempty"`
}

// timers is the chats' timers, kept in the login folder (in memory only
// without one). Written only when one changes: rarely.
type timers struct {
	path string
	log  *slog.Logger // a damaged file's line (sdk.LoadStateFile)

	mu     sync.Mutex
	loaded bool
	chats  map[string]chatTimer
	// own is the timers the user set from XMPP (SetChatTimer) whose
	// echo from WhatsApp has not come yet, in memory only: shown when
	// set, the echo says nothing more.
	own map[string]chatTimer
}

func newTimers(loginDir string, log *slog.Logger) *timers {
	t := &timers{log: log}
	if loginDir != "" {
		t.path = filepath.Join(loginDir, timersFile)
	}
	return t
}

func (t *timers) loadLocked() {
	if t.loaded {
		return
	}
	t.loaded, t.chats = true, map[string]chatTimer{}
	t.chats, _ = sdk.LoadStateFile[map[string]chatTimer](t.path, "the chats' disappearing timers are learnt again from their next messages", t.log)
	if t.chats == nil { // none, damaged, or the file said null
		t.chats = map[string]chatTimer{}
	}
}

// lookup is a chat's timer as known; ok false when not known.
func (t *timers) lookup(chatID string) (chatTimer, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.loadLocked()
	c, ok := t.chats[chatID]
	return c, ok
}

// get is a chat's timer in seconds; 0 when off or not known.
func (t *timers) get(chatID string) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.loadLocked()
	return t.chats[chatID].Secs
}

// set keeps a chat's timer set at at (0: not known), unless the one known
// was set later; it says whether the timer changed.
func (t *timers) set(chatID string, secs uint32, at int64) (bool, error) {
	if chatID == "" {
		return false, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.loadLocked()
	cur, known := t.chats[chatID]
	if !known && secs == 0 && at == 0 {
		return false, nil // off, as a chat not known is
	}
	if at < cur.At || (known && cur.Secs == secs && at == cur.At) {
		return false, nil
	}
	if known && cur.Secs == secs && cur.At != 0 && at-cur.At <= timerSkew {
		// The same change said again, seconds later (a group's
		// notification after its protocol message, the history's
		// conversation): its first time kept, which the change's event
		// ID was made of (groupTimerID), so that a copy of it in history
		// gets that ID again.
		return false, nil
	}
	t.chats[chatID] = chatTimer{Secs: secs, At: at}
	return cur.Secs != secs, t.saveLocked()
}

// nextSetting is the time of a setting the user makes now (unix
// seconds): now, or just after the setting known when that is later
// (WhatsApp's clock ahead of the local one), so that the user's setting
// wins over it.
func (t *timers) nextSetting(chatID string, now int64) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.loadLocked()
	if cur := t.chats[chatID]; now <= cur.At {
		return cur.At + 1
	}
	return now
}

// expectEcho waits for WhatsApp's echo of the timer the user sets
// (SetChatTimer) at at (nextSetting): from before WhatsApp is asked,
// since the echo may be handled before the answer comes back.
func (t *timers) expectEcho(chatID string, secs uint32, at int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.own == nil {
		t.own = map[string]chatTimer{}
	}
	t.own[chatID] = chatTimer{Secs: secs, At: at}
}

// forgetEcho stops waiting for the echo of a setting WhatsApp refused.
func (t *timers) forgetEcho(chatID string, at int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.own[chatID].At == at {
		delete(t.own, chatID)
	}
}

// setOwn keeps the timer the user set at at (nextSetting), over any.
func (t *timers) setOwn(chatID string, secs uint32, at int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.loadLocked()
	t.chats[chatID] = chatTimer{Secs: secs, At: at}
	return t.saveLocked()
}

// echo says whether a change the user made is WhatsApp's echo of the
// timer they set from XMPP (the same timer, set at about the same time),
// which it forgets then: the change was shown when set.
func (t *timers) echo(chatID string, secs uint32, at int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	o, ok := t.own[chatID]
	if !ok || o.Secs != secs || abs(at-o.At) > timerSkew {
		return false
	}
	delete(t.own, chatID)
	return true
}

// fetched keeps chats' timers as WhatsApp answers them now (a group's
// info, which says no time of setting): only those that differ from the
// ones known, saved once. Such a timer is taken as set just after the
// one it replaces (At+1): no later than WhatsApp's time of the change,
// which a notification of it may still bring (a local time could be
// ahead of it and have the notification ignored), and after the setting
// an older message still carries.
func (t *timers) fetched(secs map[string]uint32) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.loadLocked()
	changed := false
	for chatID, n := range secs {
		if cur := t.chats[chatID]; chatID != "" && cur.Secs != n {
			t.chats[chatID] = chatTimer{Secs: n, At: cur.At + 1}
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return t.saveLocked()
}

// moved keeps a LID chat's timer under its phone number's chat ID.
func (t *timers) moved(oldID, newID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.loadLocked()
	old, ok := t.chats[oldID]
	if !ok {
		return nil
	}
	delete(t.chats, oldID)
	if cur, has := t.chats[newID]; !has || old.At > cur.At {
		t.chats[newID] = old
	}
	return t.saveLocked()
}

// writeState replaces a state file of the login's folder durably
// (synced, file and folder): disappearing.json and history-oldest.json
// are written before whatsmeow acknowledges what said them. Tests fail
// it (stateWriter, a setting).
func writeState(path string, b []byte) error { return stateWriter.get()(path, b) }

// stateWriter is what writeState writes with.
var stateWriter = newSetting(sdk.WriteFileDurably)

func (t *timers) saveLocked() error {
	if t.path == "" {
		return nil
	}
	b, err := json.Marshal(t.chats)
	if err != nil {
		return err
	}
	return writeState(t.path, b)
}

// noteTimer keeps a chat's timer; a failure to write it is logged (the
// user's next messages may then go without it after a restart).
func (s *Session) noteTimer(chatID string, secs uint32, at int64) bool {
	changed, err := s.timers.set(chatID, secs, at)
	if err != nil {
		s.log.Warn("disappearing-messages timer not kept", "chat", chatID, "err", err)
	}
	return changed
}

// groupTimers keeps the timers of groups as a fetch of their info says
// them (the current ones), written once for them all; a failure to write
// is logged as noteTimer's.
func (s *Session) groupTimers(gs ...*types.GroupInfo) {
	secs := make(map[string]uint32, len(gs))
	for _, g := range gs {
		if g == nil || g.IsParent {
			continue
		}
		secs[g.JID.ToNonAD().String()] = 0
		if g.IsEphemeral {
			secs[g.JID.ToNonAD().String()] = g.DisappearingTimer
		}
	}
	if err := s.timers.fetched(secs); err != nil {
		s.log.Warn("disappearing-messages timers not kept", "err", err)
	}
}

// timerSetting is the timer an EPHEMERAL_SETTING protocol message sets,
// and when; ok false for any other message.
func timerSetting(msg *waE2E.Message, info *types.MessageInfo) (secs uint32, at int64, ok bool) {
	pm := msg.GetProtocolMessage()
	if pm == nil || pm.GetType() != waE2E.ProtocolMessage_EPHEMERAL_SETTING {
		return 0, 0, false
	}
	at = pm.GetEphemeralSettingTimestamp()
	if at == 0 {
		at = info.Timestamp.Unix()
	}
	return pm.GetEphemeralExpiration(), at, true
}

// messageTimer is the timer a message carries (its ContextInfo's
// Expiration), and when it was set; 0 when it carries none.
func messageTimer(msg *waE2E.Message) (uint32, int64) {
	ci := contextOf(msg)
	return ci.GetExpiration(), ci.GetEphemeralSettingTimestamp()
}

// contextOf is the ContextInfo of a message's content, nil when none.
func contextOf(msg *waE2E.Message) *waE2E.ContextInfo {
	ci, _ := contentContext(msg)
	return ci
}

// contentContext is the ContextInfo of a message's content (nil when it
// has none), and whether the content is of a kind that has one: the kinds
// the plugin sends (contextSlot), else whichever content of the message
// has one (buttons, lists, events, video notes...), found by its field's
// name, as every content of WhatsApp's calls it.
func contentContext(msg *waE2E.Message) (*waE2E.ContextInfo, bool) {
	if p := contextSlot(msg); p != nil {
		return *p, true
	}
	if msg == nil {
		return nil, false
	}
	var ci *waE2E.ContextInfo
	kind := false
	msg.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() {
			return true
		}
		content := v.Message()
		f := content.Descriptor().Fields().ByName("contextInfo")
		if f == nil || f.Kind() != protoreflect.MessageKind || f.IsList() {
			return true
		}
		kind = true
		if content.Has(f) {
			ci, _ = content.Get(f).Message().Interface().(*waE2E.ContextInfo)
		}
		return false
	})
	return ci, kind
}

// contextSlot is where a message's content keeps its ContextInfo; nil
// for a content that has none (a plain Conversation, a protocol message).
func contextSlot(msg *waE2E.Message) **waE2E.ContextInfo {
	switch {
	case msg == nil:
		return nil
	case msg.ExtendedTextMessage != nil:
		return &msg.ExtendedTextMessage.ContextInfo
	case msg.ImageMessage != nil:
		return &msg.ImageMessage.ContextInfo
	case msg.VideoMessage != nil:
		return &msg.VideoMessage.ContextInfo
	case msg.AudioMessage != nil:
		return &msg.AudioMessage.ContextInfo
	case msg.DocumentMessage != nil:
		return &msg.DocumentMessage.ContextInfo
	case msg.DocumentWithCaptionMessage != nil: // a captioned document sent
		return contextSlot(msg.DocumentWithCaptionMessage.GetMessage())
	case msg.StickerMessage != nil:
		return &msg.StickerMessage.ContextInfo
	case msg.LocationMessage != nil:
		return &msg.LocationMessage.ContextInfo
	case msg.LiveLocationMessage != nil:
		return &msg.LiveLocationMessage.ContextInfo
	case msg.ContactMessage != nil:
		return &msg.ContactMessage.ContextInfo
	case msg.ContactsArrayMessage != nil:
		return &msg.ContactsArrayMessage.ContextInfo
	case msg.GroupInviteMessage != nil:
		return &msg.GroupInviteMessage.ContextInfo
	}
	if p := firstPoll(msg); p != nil {
		return &p.ContextInfo
	}
	return nil
}

// withTimer makes a message the user sends carry the chat's timer (secs;
// 0 leaves it as it is), as the apps send theirs: a plain text becomes
// an extended one, which has a ContextInfo.
func withTimer(msg *waE2E.Message, secs uint32) *waE2E.Message {
	if secs == 0 || msg == nil {
		return msg
	}
	if msg.Conversation != nil {
		msg = &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: msg.Conversation}}
	}
	slot := contextSlot(msg)
	if slot == nil {
		return msg
	}
	if *slot == nil {
		*slot = &waE2E.ContextInfo{}
	}
	(*slot).Expiration = &secs
	return msg
}

// timerEvent is a change of a chat's timer as a message from whoever
// changed it: the base event of the message that said it, or of a group
// notification.
func timerEvent(ev *pb.Event, secs uint32) *pb.Event {
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: mediatext.TimerText(time.Duration(secs) * time.Second)}}
	return ev
}

// timerSkew is how far apart the times of a group's timer change may be
// as its protocol message (the phone's clock) and its notification
// (WhatsApp's) say them, and still be the same change.
const timerSkew = 60 // seconds

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// groupTimerID is the event ID of a group's timer change, from the
// change's time and the timer: its notification and its protocol message
// (which may come first) both have it, and the host drops the second, as
// it drops the same notification again after a restart.
func groupTimerID(at int64, secs uint32) string {
	return "timer-" + strconv.FormatInt(at, 10) + "-" + strconv.FormatUint(uint64(secs), 10)
}

// stubTimer is the timer a history's stub of a timer change says: its
// first parameter, in seconds (as other clients of the protocol read
// it); false for another stub, or one without it, which says nothing
// sure.
func stubTimer(web *waWeb.WebMessageInfo) (uint32, bool) {
	p := web.GetMessageStubParameters()
	if web.GetMessageStubType() != waWeb.WebMessageInfo_CHANGE_EPHEMERAL_SETTING || len(p) == 0 {
		return 0, false
	}
	secs, err := strconv.ParseUint(p[0], 10, 32)
	if err != nil {
		return 0, false
	}
	return uint32(secs), true
}

// historyGroupTimerID is the event ID of a group's timer change in
// history (a member's protocol message, or WhatsApp Web's stub of the
// notification): groupTimerID, as the change had live, so that the
// gateway drops the copy of one seen live (the phone's pushes after
// linking hold what came live meanwhile), its time matched to the
// setting kept as live (the protocol message's time is the phone's, the
// notification's WhatsApp's). false for anything else.
func (s *Session) historyGroupTimerID(chatID string, chat types.JID, evt *events.Message) (string, bool) {
	if chat.Server != types.GroupServer {
		return "", false
	}
	secs, at, ok := timerSetting(evt.Message, &evt.Info)
	if !ok {
		if secs, ok = stubTimer(evt.SourceWebMsg); !ok {
			return "", false
		}
		at = evt.Info.Timestamp.Unix()
	}
	if cur, known := s.timers.lookup(chatID); known && cur.Secs == secs && cur.At != 0 && abs(at-cur.At) <= timerSkew {
		at = cur.At
	}
	return groupTimerID(at, secs), true
}

// groupTimerEvent is a group's timer changed, from its notification; nil
// when the notification changes no timer. Its ID is groupTimerID: the
// same notification again after a restart, or after the change's
// protocol message, is dropped by the host as a duplicate.
func (s *Session) groupTimerEvent(e *events.GroupInfo, by *pb.Sender) *pb.Event {
	if e.Ephemeral == nil {
		return nil
	}
	secs := uint32(0)
	if e.Ephemeral.IsEphemeral {
		secs = e.Ephemeral.DisappearingTimer
	}
	chat := e.JID.ToNonAD().String()
	at := e.Timestamp.Unix()
	own := e.Sender != nil && s.isOwn(*e.Sender, ptrJID(e.SenderPN))
	if own && s.timers.echo(chat, secs, at) {
		return nil // set from XMPP, kept and shown then (SetChatTimer)
	}
	if cur, ok := s.timers.lookup(chat); ok && cur.Secs == secs && cur.At != 0 && abs(at-cur.At) <= timerSkew {
		// The same change, kept from its protocol message, whose time is
		// the changing phone's: shown under that message's ID.
		at = cur.At
	}
	s.noteTimer(chat, secs, at)
	ev := &pb.Event{ChatId: chat, ChatType: pb.ChatType_CHAT_TYPE_GROUP, Sender: by, TimestampUnixMicro: e.Timestamp.UnixMicro(),
		EventId: groupTimerID(at, secs)}
	if own {
		ev.Sender = &pb.Sender{UserId: s.login.LoginID, IsFromMe: true}
	}
	return timerEvent(ev, secs)
}

// expiresAt is when WhatsApp deletes the message evt, in Unix
// microseconds; 0 when it does not disappear. A message in a chat with a
// timer carries it (its ContextInfo's Expiration, seconds; whatsmeow has
// unwrapped the EphemeralMessage around it) and disappears that long
// after its time. One of history comes as WhatsApp Web keeps it
// (WebMessageInfo): its own timer may be there (ephemeralDuration) and
// the time it counts from (ephemeralStartTimestamp); one kept in the
// chat (keepInChat) does not disappear. chat is the chat's timer: as a
// history sync's conversation says it, with the time it was set, or as
// the session knows it for a live message (zero when the caller knows
// none). A message of history after that time that says nothing of its
// own disappears with it, unless WhatsApp marked it as sent against the
// chat's setting (ephemeralOutOfSync); so does one that came wrapped as
// a disappearing message (evt.IsEphemeral) and says no timer, live or
// not, sent after the chat's timer was set or when that is not known.
// What is no message of the sender's (a timer's change, a stub, a
// protocol message) never disappears.
func expiresAt(evt *events.Message, chat chatTimer) int64 {
	msg := evt.Message
	if msg == nil || msg.ProtocolMessage != nil {
		return 0
	}
	ci, kind := contentContext(msg)
	if !kind && msg.Conversation == nil {
		return 0 // a call log, a reaction...: nothing that disappears
	}
	secs := ci.GetExpiration()
	start := evt.Info.Timestamp
	web := evt.SourceWebMsg
	if web != nil {
		if web.GetKeepInChat().GetKeepType() == waE2E.KeepType_KEEP_FOR_ALL {
			return 0
		}
		if secs == 0 {
			secs = web.GetEphemeralDuration()
		}
		if secs == 0 && !web.GetEphemeralOutOfSync() && chat.Secs > 0 && chat.At > 0 && start.Unix() >= chat.At {
			secs = chat.Secs
		}
		if st := web.GetEphemeralStartTimestamp(); st > 0 {
			start = time.Unix(int64(st), 0)
		}
	}
	if secs == 0 && evt.IsEphemeral && !web.GetEphemeralOutOfSync() && evt.Info.Timestamp.Unix() >= chat.At {
		// Sent as a disappearing message (an EphemeralMessage around
		// it) but saying no timer of its own (a plain text has no
		// ContextInfo to say it in): the chat's, if set before it.
		secs = chat.Secs
	}
	if secs == 0 || start.IsZero() {
		return 0
	}
	return start.Add(time.Duration(secs) * time.Second).UnixMicro()
}

// keepID is the event ID of a keep in the chat or its undo, from the
// KeepInChatMessage's own ID: the same message again (after a restart)
// is dropped by the host as a duplicate, and never taken for a message.
func keepID(id types.MessageID) string {
	return "keep-" + string(id)
}

// keepEvent is someone keeping a disappearing message in the chat
// (WhatsApp's "keep", a KeepInChatMessage) or undoing that, as the
// ExpiryEvent from whoever did it: a kept message never disappears (no
// deadline); the undo gives it the chat's timer back (secs, the chat's
// current one), counted by the host from the message's own time. nil
// for an undo in a chat without a timer (the message stays), and for a
// keep of a kind not known. History brings a message kept as such
// (expiresAt): only a live keep changes a deadline.
func (c inbound) keepEvent(evt *events.Message, k *waE2E.KeepInChatMessage, secs uint32) *pb.Event {
	target := k.GetKey().GetID()
	if target == "" {
		return nil
	}
	x := &pb.ExpiryEvent{TargetId: target}
	switch k.GetKeepType() {
	case waE2E.KeepType_KEEP_FOR_ALL:
	case waE2E.KeepType_UNDO_KEEP_FOR_ALL:
		if secs == 0 {
			return nil
		}
		x.ExpiresAfterSeconds = int64(secs)
	default:
		return nil
	}
	ev := c.base(&evt.Info)
	ev.EventId = keepID(evt.Info.ID)
	ev.Payload = &pb.Event_Expiry{Expiry: x}
	return ev
}
