package echo

import (
	"strconv"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// NoticeIDPrefix starts the event IDs of the notices noticeCommand emits.
const NoticeIDPrefix = "notice-"

// noticeCommand lets the user have the network tell them something that
// belongs to no chat (the contract's NoticeEvent), as a real network's
// lost catch-up would: "notice ID TEXT" emits TEXT under event ID
// NoticeIDPrefix+ID (the same ID twice is a replay), "notice-warn ID
// TEXT" as a warning, "notice-big ID N" a text of N bytes.
func (s *Session) noticeCommand(text string) {
	f := strings.Fields(text)
	if len(f) < 3 {
		return
	}
	level := pb.NoticeLevel_NOTICE_LEVEL_INFO
	body := strings.Join(f[2:], " ")
	switch f[0] {
	case "notice":
	case "notice-warn":
		level = pb.NoticeLevel_NOTICE_LEVEL_WARNING
	case "notice-big":
		n, err := strconv.Atoi(f[2])
		if err != nil || n <= 0 {
			return
		}
		body = strings.Repeat("n", n)
	default:
		return
	}
	s.n.host.Emit(sdk.Notice(s.loginID, NoticeIDPrefix+f[1], body, level))
}
