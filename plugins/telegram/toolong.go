package telegram

import (
	"context"
	"strconv"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// tooLongText is the notice of a catch-up Telegram answered with
// updates.differenceTooLong: the gap's messages of private chats and
// basic groups are not recovered (supergroups and channels are, gap.go).
const tooLongText = "Some messages from while the gateway was away could not be caught up (Telegram: too many updates); they are in Telegram's apps."

// tooLong is gotd's OnTooLong for the connection whose update state st
// keeps (read under the session's lock at its start): it tells the user, as a notice from the
// gateway, that the gap's messages are lost here. gotd has stored the
// difference's new pts just before, so the notice's event ID names that
// pts: the same occurrence replayed (the SDK's journal after a restart)
// has the same ID, which the gateway drops; another gap later has a newer
// pts. (A pts that failed to save, the store frozen at a stop, leaves the
// old one in the ID, and the catch-up at the next start may tell the same
// gap again under the new one.)
func (s *Session) tooLong(st *store) func() {
	return func() { s.tellTooLong(st) }
}

func (s *Session) tellTooLong(st *store) {
	s.n.log().Warn("telegram: the gap in updates is too long to recover; messages of the gap are only in the history", "login", s.login.LoginID)
	pts := 0
	if state, found, err := st.GetState(context.Background(), 0); err == nil && found {
		pts = state.Pts
	}
	s.emit(sdk.Notice(s.login.LoginID, "toolong-"+strconv.Itoa(pts), tooLongText, pb.NoticeLevel_NOTICE_LEVEL_WARNING))
}
