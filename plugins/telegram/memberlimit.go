package telegram

import (
	"fmt"
	"sync"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// membersCapped tells the user, once a session for each group, that the
// room of group lists only its limit most recent of count members
// (MemberLimit): before, the others were left out with no word
// (TestMemberLimitNotice). The notice's event ID names the group and the
// limit, so the gateway shows it once, not at each connection.
func (s *Session) membersCapped(group *pb.Chat, limit, count int) {
	s.tellCapped(&s.cappedGroups, group.ChatId, fmt.Sprintf("memberlimit-%s-%d", group.ChatId, limit),
		fmt.Sprintf(memberLimitText, group.Name, count, limit),
		"telegram: more members than the gateway lists; the others are left out", "members", count, "limit", limit)
}

// memberLimitText is the notice of membersCapped: the group's name, its
// members, the limit.
const memberLimitText = "The Telegram group «%s» has %d members: only the %d most recent are listed in its room. The others are in Telegram's apps."

// bansCapped tells the user, once a session for each group or channel,
// that its room's ban list holds only limit of its count bans (BanLimit):
// past it, each read of the list would ask Telegram again and again. As
// membersCapped, under one event ID for the group and the limit.
func (s *Session) bansCapped(group *pb.Chat, limit, count int) {
	s.tellCapped(&s.cappedBans, group.ChatId, fmt.Sprintf("banlimit-%s-%d", group.ChatId, limit),
		fmt.Sprintf(banLimitText, group.Name, count, limit),
		"telegram: more bans than the gateway lists; the others are left out", "bans", count, "limit", limit)
}

// banLimitText is the notice of bansCapped: the group's name, its bans,
// the limit.
const banLimitText = "The Telegram chat «%s» has banned %d people: only %d of them are in its room's ban list. The others are in Telegram's apps."

// tellCapped tells the user, once a session for each chat (told), that
// a list of chat holds only part of what Telegram has: text, a warning
// from the gateway under eventID, and msg with attrs in the log
// (membersCapped, bansCapped, topicsCapped).
func (s *Session) tellCapped(told *sync.Map, chat, eventID, text, msg string, attrs ...any) {
	if _, dup := told.LoadOrStore(chat, true); dup {
		return
	}
	s.n.log().Warn(msg, append([]any{"login", s.login.LoginID, "chat", chat}, attrs...)...)
	s.emit(sdk.Notice(s.login.LoginID, eventID, text, pb.NoticeLevel_NOTICE_LEVEL_WARNING))
}
