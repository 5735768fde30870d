package sdk

import (
	"context"
	"errors"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// bare is a session whose every chat allows nothing.
type bare struct{ plain }

func (*bare) ChatLimits(context.Context, string) (ChatLimits, error) {
	return ChatLimits{Features: &pb.Features{}}, nil
}

// What a chat leaves out is refused saying what the user may not do
// there: before, "this chat does not allow disappearing messages" read
// as though the chat had no timer, when only its admins may set it.
func TestChatDenyTexts(t *testing.T) {
	tr := newConnectorTransport[*bare](&testNet[*bare]{})
	tr.feats.Store(AllFeatures())
	s := &bare{}
	for _, tc := range []struct {
		cmd  *pb.Command
		want string
	}{
		{&pb.Command{Action: &pb.Command_Send{Send: &pb.SendMessage{Attachments: []*pb.Attachment{{}}}}}, "you may not send files in this chat"},
		{&pb.Command{Action: &pb.Command_Send{Send: &pb.SendMessage{Poll: &pb.Poll{}}}}, "you may not start polls in this chat"},
		{&pb.Command{Action: &pb.Command_Edit{Edit: &pb.EditMessage{}}}, "you may not correct messages in this chat"},
		{&pb.Command{Action: &pb.Command_React{React: &pb.React{}}}, "you may not react to messages in this chat"},
		{&pb.Command{Action: &pb.Command_Retract{Retract: &pb.Retract{}}}, "you may not retract messages in this chat"},
		{&pb.Command{Action: &pb.Command_MarkRead{MarkRead: &pb.MarkRead{}}}, "you may not send read markers in this chat"},
		{&pb.Command{Action: &pb.Command_SetTyping{SetTyping: &pb.SetTyping{}}}, "you may not send typing notifications in this chat"},
		{&pb.Command{Action: &pb.Command_Leave{Leave: &pb.LeaveChat{}}}, "you may not leave this chat"},
		{&pb.Command{Action: &pb.Command_SetTopic{SetTopic: &pb.SetTopic{}}}, "you may not change the topic of this chat"},
		{&pb.Command{Action: &pb.Command_SetName{SetName: &pb.SetChatName{}}}, "you may not rename this chat"},
		{&pb.Command{Action: &pb.Command_SetAvatar{SetAvatar: &pb.SetChatAvatar{}}}, "you may not change the picture of this chat"},
		{&pb.Command{Action: &pb.Command_Invite{Invite: &pb.Invite{}}}, "you may not invite anyone to this chat"},
		{&pb.Command{Action: &pb.Command_Kick{Kick: &pb.Kick{}}}, "you may not remove members from this chat"},
		{&pb.Command{Action: &pb.Command_Unban{Unban: &pb.Unban{}}}, "you may not lift bans in this chat"},
		{&pb.Command{Action: &pb.Command_SetRole{SetRole: &pb.SetRole{}}}, "you may not change roles in this chat"},
		{&pb.Command{Action: &pb.Command_SetNick{SetNick: &pb.SetNick{}}}, "you may not change your nick in this chat"},
		{&pb.Command{Action: &pb.Command_SetTimer{SetTimer: &pb.SetChatTimer{}}}, "you may not change the disappearing-messages timer in this chat"},
		{&pb.Command{Action: &pb.Command_Vote{Vote: &pb.Vote{}}}, "you may not vote in polls in this chat"},
		{&pb.Command{Action: &pb.Command_Pin{Pin: &pb.Pin{}}}, "you may not pin messages in this chat"},
		{&pb.Command{Action: &pb.Command_Pin{Pin: &pb.Pin{Unpin: true}}}, "you may not unpin messages in this chat"},
		{&pb.Command{Action: &pb.Command_ClosePoll{ClosePoll: &pb.ClosePoll{}}}, "you may not close polls in this chat"},
	} {
		tc.cmd.LoginId, tc.cmd.ChatId = "l", "c"
		var e *Error
		err := tr.allowed(context.Background(), s, tc.cmd)
		if !errors.As(err, &e) || e.Code != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || e.Text != tc.want {
			t.Errorf("%T: %v, want NOT_ALLOWED %q", tc.cmd.Action, err, tc.want)
		}
	}
}
