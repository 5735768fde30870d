package telegram

import (
	"fmt"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// membersCapped tells the user, once a session for each group, that the
// room of group lists only its limit most recent of count members
// (MemberLimit): before, the others were left out with no word
// (TestMemberLimitNotice). The notice's event ID names the group and the
// limit, so the gateway shows it once, not at each connection.
func (s *Session) membersCapped(group *pb.Chat, limit, count int) {
	if _, told := s.cappedGroups.LoadOrStore(group.ChatId, true); told {
		return
	}
	s.n.log().Warn("telegram: more members than the gateway lists; the others are left out", "login", s.login.LoginID, "chat", group.ChatId, "members", count, "limit", limit)
	s.emit(sdk.Notice(s.login.LoginID, fmt.Sprintf("memberlimit-%s-%d", group.ChatId, limit),
		fmt.Sprintf(memberLimitText, group.Name, count, limit), pb.NoticeLevel_NOTICE_LEVEL_WARNING))
}

// memberLimitText is the notice of membersCapped: the group's name, its
// members, the limit.
const memberLimitText = "The Telegram group «%s» has %d members: only the %d most recent are listed in its room. The others are in Telegram's apps."
