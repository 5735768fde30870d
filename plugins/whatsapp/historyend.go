package whatsapp

import "go.mau.fi/whatsmeow/proto/waHistorySync"

// The end of a chat's history, as the phone says it. A conversation of
// a history sync blob, pushed or on demand, may say how its transfer
// ended (its EndOfHistoryTransferType): complete with nothing more on
// the phone (the chat's start: its batch is done, and history on demand
// asks no more of it), or with more on the phone, which on demand the
// phone may say it does not give linked devices (done too, and told to
// the user with the history lost, historylost.go: the chat is shown only
// in part). A conversation that does not say, the field unset, is read
// as before: the chat's start is an answer with nothing older, or
// history_days. "More remains" that the phone gives, pushed
// (COMPLETE_BUT_MORE_MESSAGES_REMAIN_ON_PRIMARY) or on demand
// (COMPLETE_ON_DEMAND_SYNC_BUT_MORE_MSG_REMAIN_ON_PRIMARY), changes
// nothing and is not told: history on demand goes on asking, and brings
// them. A real phone's sync sends a window (about three months) and ends
// nearly every chat with older messages so, which WhatsApp Web shows as
// older messages to fetch from the phone; told, it named most chats
// after each sync, of messages the gateway asks for at its next start.
//
// A chat sent in several blobs says "complete, nothing more" on its last
// only, so that blob's batch alone is done, and history on demand marks
// the start only at the chat's oldest message seen (ondemand.go): WhatsApp
// Web sets the chat's end from each blob it applies, and drops a chat's
// later blobs once its end says complete, so a phone that said it on an
// earlier blob would cost WhatsApp Web the rest of the chat. whatsmeow
// passes the field on untouched.

// chatEnd is what a conversation says of its chat's end; endUnsaid when
// it does not.
type chatEnd int32

const endUnsaid chatEnd = -1

// endOf is what conv says of its end. The type's first value, "more
// remains", is also its default: taken only with the flag saying the
// transfer ended (endOfHistoryTransfer), not from a type set on every
// conversation as a matter of course.
func endOf(conv *waHistorySync.Conversation) chatEnd {
	if conv.EndOfHistoryTransferType == nil ||
		conv.GetEndOfHistoryTransferType() == waHistorySync.Conversation_COMPLETE_BUT_MORE_MESSAGES_REMAIN_ON_PRIMARY && !conv.GetEndOfHistoryTransfer() {
		return endUnsaid
	}
	return chatEnd(conv.GetEndOfHistoryTransferType())
}

// final says that nothing older is to be had of the phone.
func (e chatEnd) final() bool {
	switch waHistorySync.Conversation_EndOfHistoryTransferType(e) {
	case waHistorySync.Conversation_COMPLETE_AND_NO_MORE_MESSAGE_REMAIN_ON_PRIMARY,
		waHistorySync.Conversation_COMPLETE_ON_DEMAND_SYNC_WITH_MORE_MSG_ON_PRIMARY_BUT_NO_ACCESS:
		return e != endUnsaid
	}
	return false
}

// moreOnPhone says that the phone holds older messages it does not give
// linked devices, the user to be told; not those it gives on demand.
func (e chatEnd) moreOnPhone() bool {
	return e != endUnsaid && waHistorySync.Conversation_EndOfHistoryTransferType(e) == waHistorySync.Conversation_COMPLETE_ON_DEMAND_SYNC_WITH_MORE_MSG_ON_PRIMARY_BUT_NO_ACCESS
}

// morePart is chatID's part left on the phone, by its key.
func morePart(chatID string) (string, lostPart) {
	return moreKeyPrefix + chatID, lostPart{More: chatID, NoAccess: true}
}

// moreOnPhone notes the chats (parts, morePart's) whose older messages
// remain on the phone, written once, to tell with the history lost (at
// the sync's end, or at once outside one).
func (s *Session) moreOnPhone(parts map[string]lostPart) {
	if len(parts) == 0 {
		return
	}
	if err := s.lost.noteAll(parts); err != nil {
		s.log.Warn("older history on the phone not noted; not told", "chats", len(parts), "err", err)
	}
}

// moreKeyPrefix names a chat's part left on the phone.
const moreKeyPrefix = "more-"
