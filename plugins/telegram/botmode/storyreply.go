package botmode

import (
	"encoding/json"
	"strings"

	"github.com/go-telegram/bot/models"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A message answering a story comes with the story it answers, the Bot
// API's reply_to_story. go-telegram/bot v1.19.0 reads that field as
// "reply_to_store" (models.Message.ReplyToStore), so it was never set and
// such a message came as its text alone, answering nothing. The update
// is read raw here (poll.go has it), the field taken by its right name
// into the library's; the message then starts with a line saying which
// story it answers, in user-account mode's words.

// storyReplyJSON is what is read of each message of a raw update.
type storyReplyJSON struct {
	ReplyToStory *models.Story `json:"reply_to_story"`
}

// withStoryReplies sets, in each message of upd, the story it answers,
// from raw: the update as the Bot API gave it.
func withStoryReplies(raw json.RawMessage, upd *models.Update) {
	if !strings.Contains(string(raw), `"reply_to_story"`) {
		return // the common case, without a second decoding
	}
	var r struct {
		Message               *storyReplyJSON `json:"message"`
		EditedMessage         *storyReplyJSON `json:"edited_message"`
		ChannelPost           *storyReplyJSON `json:"channel_post"`
		EditedChannelPost     *storyReplyJSON `json:"edited_channel_post"`
		BusinessMessage       *storyReplyJSON `json:"business_message"`
		EditedBusinessMessage *storyReplyJSON `json:"edited_business_message"`
	}
	if json.Unmarshal(raw, &r) != nil {
		return
	}
	for _, p := range []struct {
		m  *models.Message
		sr *storyReplyJSON
	}{
		{upd.Message, r.Message}, {upd.EditedMessage, r.EditedMessage},
		{upd.ChannelPost, r.ChannelPost}, {upd.EditedChannelPost, r.EditedChannelPost},
		{upd.BusinessMessage, r.BusinessMessage}, {upd.EditedBusinessMessage, r.EditedBusinessMessage},
	} {
		if p.m != nil && p.sr != nil && p.sr.ReplyToStory != nil && p.m.ReplyToStore == nil {
			p.m.ReplyToStore = p.sr.ReplyToStory
		}
	}
}

// storyReplyLine is the first line of a message answering a story; ""
// for one answering none.
func (s *Session) storyReplyLine(m *models.Message) string {
	st := m.ReplyToStore
	if st == nil {
		return ""
	}
	whose := "your"
	if st.Chat.ID != s.identity().ID {
		name := st.Chat.Title
		if name == "" {
			name = userName(&models.User{ID: st.Chat.ID, FirstName: st.Chat.FirstName, LastName: st.Chat.LastName, Username: st.Chat.Username})
		}
		whose = name + "'s"
	}
	return "Replying to " + whose + " story (see it in Telegram):"
}

// withStoryReply puts a story reply's line before its text, moving the
// text's formatting after it.
func (s *Session) withStoryReply(m *models.Message, text string, spans []*pb.Span) (string, []*pb.Span) {
	return mediatext.WithHead(s.storyReplyLine(m), text, spans)
}
