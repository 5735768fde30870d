package whatsapp

import (
	"context"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow/appstate"
	"go.mau.fi/whatsmeow/store"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// handle is the session's whatsmeow event handler. whatsmeow calls it
// from its connection's goroutine, one event at a time, and acknowledges
// a message to WhatsApp when it returns: messages are on disk by then.
func (s *Session) handle(evt any) {
	switch e := evt.(type) {
	case *events.Connected:
		s.state(pb.LoginState_LOGIN_STATE_CONNECTED, "connected as "+s.login.LoginID)
		s.mu.Lock()
		available := s.available
		s.refusedWait, s.refusals = 0, 0
		s.subscribed = nil
		s.mu.Unlock()
		s.syncReconnected()   // a sync's quiet period goes on (historyprogress.go)
		s.pullHistory()       // notices a plugin that died left (historynotice.go)
		go s.channelCatchUp() // the posts made while away (channelcatchup.go)
		if available {
			// A new connection knows neither the user's presence nor the
			// subscriptions: both again, off WhatsApp's event loop.
			s.presenceWork.Add(1)
			go func() {
				defer s.presenceWork.Done()
				s.resubscribe()
			}()
		} else {
			s.presentUnavailableLater() // with the account's name (messages.go)
		}
	case *events.KeepAliveTimeout:
		s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, fmt.Sprintf(
			"WhatsApp stopped answering (%d keep-alives missed, last answer %s); the connection comes back by itself",
			e.ErrorCount, e.LastSuccess.Format(time.RFC3339)))
	case *events.KeepAliveRestored:
		s.state(pb.LoginState_LOGIN_STATE_CONNECTED, "WhatsApp answers again")
	case *events.Disconnected:
		s.seen.connecting()  // the next connection catches up first
		s.onDemandCut()      // a request waiting for the phone (ondemand.go)
		s.syncDisconnected() // a sync's quiet period paused (historyprogress.go)
		s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, "disconnected from WhatsApp; reconnecting")
	case *events.LoggedOut:
		s.endForGood("logged out")
		s.state(pb.LoginState_LOGIN_STATE_LOGGED_OUT, loggedOutText(e))
	case *events.StreamReplaced:
		s.endForGood("stream replaced")
		s.state(pb.LoginState_LOGIN_STATE_STOPPED,
			"another program connected with this same WhatsApp device and took over (StreamReplaced); stop it, then use relogin to take the device back")
	case *events.TemporaryBan:
		s.endForGood("temporary ban")
		s.state(pb.LoginState_LOGIN_STATE_STOPPED, tempBanText(e, time.Now()))
	case *events.ClientOutdated:
		s.clientOutdated()
	case *events.ConnectFailure:
		s.connectRefused(e)
	case *events.CATRefreshError:
		// The connection's token could not be renewed: whatsmeow ends
		// the connection and does not reconnect.
		s.reconnectLater("WhatsApp's connection token could not be renewed (" + e.Error.Error() + ")")

	case *events.Message:
		s.message(e)
	case *events.UndecryptableMessage:
		s.undecryptable(e)
	case *events.MediaRetry:
		s.mediaRetried(e) // mediaretry.go
	case *events.Receipt:
		s.learnSource(&e.MessageSource)
		e = s.ownListRead(e)
		if ev := s.conv.receipt(e); ev != nil {
			s.emit(ev)
		}
	case *events.MarkChatAsRead:
		if ev := s.conv.chatMarkedRead(e); ev != nil {
			s.emit(ev)
		}
	case *events.ChatPresence:
		s.learnSource(&e.MessageSource)
		if ev := s.conv.chatPresence(e); ev != nil {
			s.emit(ev)
		}
	case *events.Presence:
		s.emit(s.conv.presence(e))

	case *events.PushName:
		if !e.JIDAlt.IsEmpty() {
			// First: a LID with its number beside is told by number.
			s.ids.learn(e.JID, e.JIDAlt)
		}
		s.contactChanged(e.JID)
		s.membersRenamed([]types.JID{e.JID, e.JIDAlt}, func(c types.ContactInfo) types.ContactInfo {
			c.PushName = e.OldPushName
			return c
		}, eventTime(e.Message))
	case *events.Contact:
		s.contactChanged(e.JID)
		if !e.FromFullSync { // a full sync's: at its end, all at once
			s.contactEdited(e.JID, e.Timestamp) // names.go
		}
	case *events.BusinessName:
		s.contactChanged(e.JID)
		s.membersRenamed([]types.JID{e.JID}, func(c types.ContactInfo) types.ContactInfo {
			c.BusinessName = e.OldBusinessName
			return c
		}, eventTime(e.Message))
	case *events.AppStateSyncComplete:
		switch e.Name {
		case appstate.WAPatchCriticalBlock: // the account's name, first synced
			s.pushNameKnown() // messages.go
		case appstate.WAPatchCriticalUnblockLow: // the address book, first synced
			s.contactsSynced()     // contacts.go
			s.savedContactsNamed() // names.go
		}
	case *events.PushNameSetting:
		s.pushNameKnown()
	case *events.Picture:
		s.pictureChanged(e)

	case *events.JoinedGroup:
		s.joinedGroup(e)
	case *events.NewsletterJoin:
		s.channelFollowed(&e.NewsletterMetadata) // channelfollow.go
	case *events.NewsletterLeave:
		s.channelUnfollowed(e.ID.ToNonAD())
	case *events.GroupInfo:
		s.groupChanged(e)

	case *events.HistorySync:
		s.historySync(e)
	case *events.IdentityChange:
		s.identityChanged(e) // identitychange.go

	case *events.CallOffer: // calls.go
		s.callOffered(e.BasicCallMeta, mediatext.Call{Video: isVideo(e.Data)})
	case *events.CallOfferNotice:
		s.callOffered(e.BasicCallMeta, mediatext.Call{Video: e.Media == "video", Group: e.Type == "group"})
	case *events.CallAccept:
		if err := s.calls.accepted(e.CallID, e.Timestamp, time.Now()); err != nil {
			s.log.Warn("calls not kept", "err", err)
		}
	case *events.CallReject:
		s.callEnded(e.BasicCallMeta, true, "rejected")
	case *events.CallTerminate:
		s.callEnded(e.BasicCallMeta, false, e.Reason)
	}
}

// updateText follows a refusal of the client (outdatedText,
// userAgentText), saying what to do about it.
const updateText = ": the WhatsApp library built into the gateway must be updated; " +
	"the administrator must install a newer passerelle. Logging in again does not help."

// userAgentText says what a refusal with 409 (BadUserAgent) means.
const userAgentText = "WhatsApp refuses this gateway's client (409, BadUserAgent: its version or platform is no longer accepted)"

// outdatedText says what ClientOutdated means.
const outdatedText = "WhatsApp refuses this client as too old (ClientOutdated)"

// clientOutdatedText says what ClientOutdated means and what to do.
const clientOutdatedText = outdatedText + updateText

// clientOutdated tries WhatsApp Web's current version once, else stops.
func (s *Session) clientOutdated() {
	s.clientRefused("ClientOutdated", outdatedText)
}

// clientRefused answers WhatsApp refusing the client itself (code names
// it; refusal says so, for the user): WhatsApp Web's current version is
// tried once, else the login stops, saying to update the gateway.
func (s *Session) clientRefused(code, refusal string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if s.n.tryNewerVersion(ctx) {
		s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT,
			"WhatsApp refused this client version ("+code+"); trying again as WhatsApp Web's current version "+store.GetWAVersion().String())
		s.mu.Lock()
		stop := s.stop
		s.mu.Unlock()
		go func() {
			s.d.cli.Disconnect()
			s.connectLoop(stop)
		}()
		return
	}
	s.endForGood("client refused (" + code + ")")
	s.state(pb.LoginState_LOGIN_STATE_STOPPED, refusal+updateText)
}

// tempBanText says what a temporary ban is and when it ends, from now:
// it said "for 0s" when WhatsApp gave no end, and only how long, which
// a user reading it later could not tell the end from.
func tempBanText(e *events.TemporaryBan, now time.Time) string {
	text := fmt.Sprintf("WhatsApp banned this account for a while (%s)", e.Code)
	if e.Expire > 0 {
		end := now.Add(e.Expire).UTC().Round(time.Minute)
		text += fmt.Sprintf(", for %s: until about %s", e.Expire.Round(time.Minute), end.Format("2006-01-02 15:04 UTC"))
	} else {
		text += ", for a time WhatsApp did not say"
	}
	return text + "; the gateway stopped connecting: use relogin once the ban is over (WhatsApp on the phone says more)"
}

// unlinkedWhy says who unlinks a device: WhatsApp itself does when the
// phone has not been online for 14 days (its help page "About linked
// devices"), which a user whose phone was off or away did not guess.
const unlinkedWhy = "on the phone (Settings, Linked devices), or by WhatsApp, which unlinks the linked devices of a phone that has not been online for 14 days"

func loggedOutText(e *events.LoggedOut) string {
	again := ": log in again (QR code or phone number) to link a new one"
	switch {
	case !e.OnConnect:
		return "this device was unlinked " + unlinkedWhy + again
	case e.Reason == events.ConnectFailureLoggedOut:
		return "WhatsApp refused the device on connecting (401): it was unlinked while the gateway was not connected, " + unlinkedWhy + again
	case e.Reason == events.ConnectFailureMainDeviceGone:
		// WhatsApp Web calls it LOCKED; whatsmeow sees it both for bans
		// and for an account moved to another phone.
		return fmt.Sprintf("WhatsApp ended this device on connecting (%d: the account moved to another phone, or WhatsApp locked or banned it); "+
			"open WhatsApp on the phone, and once it works there, log in again to link a new one", int(e.Reason))
	case e.Reason == events.ConnectFailureUnknownLogout:
		// WhatsApp Web calls it BANNED.
		return fmt.Sprintf("WhatsApp ended this device on connecting (%d, which WhatsApp Web reads as a ban of the account); "+
			"open WhatsApp on the phone to see what it says, and once it works there, log in again to link a new one", int(e.Reason))
	}
	return fmt.Sprintf("WhatsApp refused the device on connecting (%s)", e.Reason) + again
}

// learnSource learns a sender's LID and phone number given side by side
// (as message does), so that their chat is the number's; for the user's
// own (a read on the phone), the chat's, given beside it as the
// recipient's.
func (s *Session) learnSource(src *types.MessageSource) {
	if !src.SenderAlt.IsEmpty() {
		s.ids.learn(src.Sender.ToNonAD(), src.SenderAlt.ToNonAD())
	}
	if src.IsFromMe && !src.IsGroup && !src.RecipientAlt.IsEmpty() {
		s.ids.learn(src.Chat.ToNonAD(), src.RecipientAlt.ToNonAD())
	}
}

// message handles a message event: the sender's LID and phone number
// learnt first, so that a contact shown by LID moves before this
// message names it by phone.
func (s *Session) message(e *events.Message) {
	if isChannel(e.Info.Chat) {
		s.channelPost(e) // channels.go
		return
	}
	if ownBroadcast(&e.Info) {
		s.ownBroadcastMessage(e)
		return
	}
	if e.Info.Chat.Server == types.BroadcastServer && !incomingBroadcast(&e.Info) {
		return // statuses, and the user's own lists' without recipients
	}
	if n := e.Message.GetProtocolMessage().GetHistorySyncNotification(); n != nil {
		if e.Info.IsFromMe { // whatsmeow heeds the user's own devices' only
			s.historyNotice(e.Info.ID, n) // historynotice.go
		}
		return
	}
	if !e.Info.SenderAlt.IsEmpty() {
		s.ids.learn(e.Info.Sender.ToNonAD(), e.Info.SenderAlt.ToNonAD())
	}
	if !unwrap(e) {
		s.log.Debug("a copy of a message shown already (HD, motion photo)", "id", e.Info.ID, "chat", e.Info.Chat)
		return
	}
	if !e.Info.RecipientAlt.IsEmpty() {
		s.ids.learn(e.Info.Chat.ToNonAD(), e.Info.RecipientAlt.ToNonAD())
	}
	if !s.decryptSecret(e) { // secretmsg.go
		return
	}
	s.albumReply(e) // album.go
	if pu := e.Message.GetPollUpdateMessage(); pu != nil {
		s.pollVote(e, pu) // polls.go
		return
	}
	chatID := chatIDOf(s.ids, chatOf(&e.Info))
	if k := e.Message.GetKeepInChatMessage(); k != nil {
		// A disappearing message kept in the chat, or no longer: its
		// new deadline (disappearing.go).
		if ev := s.conv.keepEvent(e, k, s.timers.get(chatID)); ev != nil {
			s.emitDurable(ev)
		}
		return
	}
	if e.Message.GetPinInChatMessage() != nil {
		// A pin's notice (pin.go): no content, no timer, and no message
		// of the chat's to ask history from.
		if ev := s.conv.message(e); ev != nil {
			s.notePin(chatID, e) // pinstate.go: which messages are pinned now
			s.emitDurable(ev)
		}
		return
	}
	ev := s.conv.message(e)
	s.callLogged(ev, &e.Info, e.Message)
	s.nameSender(ev, &e.Info) // names.go
	if secs, at, ok := timerSetting(e.Message, &e.Info); ok {
		// The chat's timer changed: kept, then shown (kept first, so
		// that the user's answer to what is shown carries it; should the
		// plugin die in between, WhatsApp delivers the message again).
		// A group's comes as its notification too: said once (not
		// again after it, and under the notification's ID before it).
		if e.Info.IsFromMe && s.timers.echo(chatID, secs, at) {
			return // set from XMPP, kept and shown then (SetChatTimer)
		}
		same := secs == s.timers.get(chatID)
		if cur, ok := s.timers.lookup(chatID); e.Info.IsGroup && ok && cur.Secs == secs && cur.At != 0 && abs(at-cur.At) <= timerSkew {
			at = cur.At
		}
		s.noteTimer(chatID, secs, at)
		if ev != nil && e.Info.IsGroup {
			ev.EventId = groupTimerID(at, secs)
		}
		if ev != nil && !(e.Info.IsGroup && same) {
			s.emitDurable(ev)
		}
		return
	}
	if secs, at := messageTimer(e.Message); secs > 0 {
		s.noteTimer(chatID, secs, at)
	}
	if m := ev.GetMessage(); m != nil && m.ExpiresUnixMicro == 0 && e.IsEphemeral {
		// Wrapped as disappearing without saying its timer: the chat's.
		cur, _ := s.timers.lookup(chatID)
		m.ExpiresUnixMicro = expiresAt(e, cur)
	}
	if ev == nil {
		s.log.Debug("message with nothing to show", "id", e.Info.ID, "chat", e.Info.Chat)
		return
	}
	if r := ev.GetRetraction(); r != nil {
		s.dropPin(chatID, r.TargetId, e.Info.Timestamp) // pinstate.go
	}
	if p := firstPoll(e.Message); p != nil && ev.GetMessage() != nil {
		s.polls.remember(&e.Info, p) // for its votes, before they come
	}
	s.emitDurable(ev)
	if gi := e.Message.GetGroupInviteMessage(); gi != nil {
		if inv := s.invitedEvent(e, gi, ev); inv != nil {
			s.emitDurable(inv) // invited.go: the room's invitation
		}
	}
	if ev.GetMessage() != nil && !e.Info.IsFromMe {
		m := unreadMsg{id: ev.EventId, sender: e.Info.Sender.ToNonAD()} // readmarks.go
		if incomingBroadcast(&e.Info) {
			m.list = e.Info.Chat.ToNonAD()
		}
		s.unread.noteMsg(ev.ChatId, m)
	}
	if ev.GetMessage() != nil {
		// A chat's first message, or one older, is where history on
		// demand asks from.
		s.noteOldest(map[string]anchor{ev.ChatId: anchorOf(chatOf(&e.Info), &e.Info)})
	}
}

// undecryptable tells the user a message came that could not be read.
// whatsmeow asks for it again, and a copy it decrypts comes as a message
// of the same ID: the notice has an ID of its own (undecryptableID), or
// the gateway would drop that message as the notice's duplicate.
func (s *Session) undecryptable(e *events.UndecryptableMessage) {
	if e.DecryptFailMode == events.DecryptFailHide || (e.Info.Chat.Server == types.BroadcastServer && !incomingBroadcast(&e.Info)) {
		return
	}
	ev := s.conv.base(&e.Info)
	ev.EventId = undecryptableID(e.Info.ID)
	text := "⚠ A message could not be decrypted: it follows if WhatsApp sends it again, else WhatsApp on your phone has it."
	if e.IsUnavailable {
		text = "⚠ A message is only on your phone (view once, or not sent to linked devices)."
	}
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}
	s.emitDurable(ev)
}

// undecryptableID is the event ID of the notice of a message not
// decrypted: its own (the same notice again is dropped), not the
// message's, which its decrypted copy keeps.
func undecryptableID(id types.MessageID) string {
	return "undecryptable-" + string(id)
}

// ownListRead is e, the user's own receipt (read on the phone) of a
// message a contact sent to one of their broadcast lists, in the chat
// with the contact, where the message is shown; the receipt names the
// list alone (as a group's names the group), and whose message it was
// is known from the read marks kept. Any other receipt is e.
func (s *Session) ownListRead(e *events.Receipt) *events.Receipt {
	if !e.IsFromMe || !e.Chat.IsBroadcastList() || len(e.MessageIDs) == 0 {
		return e
	}
	sender, ok := s.unread.listSender(e.Chat.ToNonAD(), e.MessageIDs[0])
	if !ok {
		return e
	}
	cp := *e
	cp.Chat, cp.IsGroup = sender, false
	return &cp
}

// ownBroadcast says whether info is of a message the user sent from the
// phone to one of their broadcast lists, naming its recipients, as
// whatsmeow parses WhatsApp's <participants> of it
// (MessageSource.BroadcastRecipients).
func ownBroadcast(info *types.MessageInfo) bool {
	return info.IsFromMe && info.Chat.IsBroadcastList() && len(info.BroadcastRecipients) > 0
}

// ownBroadcastMessage shows the user's message to a broadcast list in
// each recipient's chat, as the user's own there, as the recipients'
// apps show it (a list has no chat of its own on their side, nor one
// that could take an answer here). Before, it was dropped. A recipient
// named by LID and phone number is learnt so, and shown by number.
func (s *Session) ownBroadcastMessage(e *events.Message) {
	for _, r := range e.Info.BroadcastRecipients {
		to := r.PN
		if to.IsEmpty() {
			to = r.LID
		}
		if to.IsEmpty() {
			continue
		}
		if !r.LID.IsEmpty() && !r.PN.IsEmpty() {
			s.ids.learn(r.LID.ToNonAD(), r.PN.ToNonAD())
		}
		cp := *e
		cp.Info.Chat, cp.Info.IsGroup = to.ToNonAD(), false
		cp.Info.BroadcastListOwner, cp.Info.BroadcastRecipients, cp.Info.DeviceSentMeta = types.EmptyJID, nil, nil
		s.message(&cp)
	}
}
