package sdk

import (
	"context"
	"strings"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// HandleCommand routes a command to its login's session, after checking
// that the network and the chat allow it.
func (t *connectorTransport[S]) HandleCommand(ctx context.Context, cmd *pb.Command) (Result, error) {
	s, err := t.session(cmd.LoginId)
	if err != nil {
		return Result{}, err
	}
	if err := t.allowed(ctx, s, cmd); err != nil {
		return Result{}, err
	}
	c := Call{ChatID: cmd.ChatId, TxnID: cmd.TxnId}
	switch a := cmd.Action.(type) {
	case *pb.Command_Send:
		if a.Send.Poll != nil {
			return startPoll(ctx, s, c, a.Send.Poll)
		}
		return s.SendMessage(ctx, c, a.Send)
	case *pb.Command_Edit:
		if e, ok := any(s).(Editor); ok {
			return e.EditMessage(ctx, c, a.Edit)
		}
	case *pb.Command_React:
		if r, ok := any(s).(Reactor); ok {
			return r.React(ctx, c, a.React)
		}
	case *pb.Command_Retract:
		if r, ok := any(s).(Retractor); ok {
			return r.Retract(ctx, c, a.Retract)
		}
	case *pb.Command_MarkRead:
		if m, ok := any(s).(ReadMarker); ok {
			return Result{}, m.MarkRead(ctx, c, a.MarkRead)
		}
	case *pb.Command_SetTyping:
		if ty, ok := any(s).(Typer); ok {
			return Result{}, ty.SetTyping(ctx, c, a.SetTyping.State)
		}
	case *pb.Command_SetPresence:
		if p, ok := any(s).(PresenceSetter); ok {
			return Result{}, p.SetPresence(ctx, a.SetPresence.Presence)
		}
	case *pb.Command_SetProfileAvatar:
		if pa, ok := any(s).(ProfileAvatarSetter); ok {
			return Result{}, pa.SetProfileAvatar(ctx, a.SetProfileAvatar)
		}
	case *pb.Command_Leave:
		if l, ok := any(s).(ReasonLeaver); ok {
			return Result{}, l.LeaveChatReason(ctx, c, a.Leave.GetReason())
		}
		if l, ok := any(s).(Leaver); ok {
			return Result{}, l.LeaveChat(ctx, c)
		}
	case *pb.Command_SetTopic:
		if ts, ok := any(s).(TopicSetter); ok {
			return Result{}, ts.SetTopic(ctx, c, a.SetTopic.Topic)
		}
	case *pb.Command_SetName:
		if n, ok := any(s).(ChatNamer); ok {
			return Result{}, n.SetChatName(ctx, c, a.SetName.Name)
		}
	case *pb.Command_SetAvatar:
		if a2, ok := any(s).(ChatAvatarSetter); ok {
			return Result{}, a2.SetChatAvatar(ctx, c, a.SetAvatar)
		}
	case *pb.Command_Invite:
		if i, ok := any(s).(Inviter); ok {
			return Result{}, i.Invite(ctx, c, a.Invite.UserId)
		}
	case *pb.Command_Kick:
		if k, ok := any(s).(Kicker); ok {
			return Result{}, k.Kick(ctx, c, a.Kick)
		}
	case *pb.Command_Unban:
		if u, ok := any(s).(Unbanner); ok {
			return Result{}, u.Unban(ctx, c, a.Unban.UserId)
		}
	case *pb.Command_SearchChats:
		if cs, ok := any(s).(ChatSearcher); ok {
			return searchChats(ctx, cs, a.SearchChats)
		}
	case *pb.Command_SetTimer:
		if ts, ok := any(s).(ChatTimerSetter); ok {
			if a.SetTimer.Seconds < 0 {
				return Result{}, Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a timer of %d seconds", a.SetTimer.Seconds)
			}
			return Result{}, ts.SetChatTimer(ctx, c, time.Duration(min(a.SetTimer.Seconds, 1<<32))*time.Second)
		}
	case *pb.Command_Vote:
		if v, ok := any(s).(Voter); ok {
			if a.Vote.TargetId == "" {
				return Result{}, Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a vote names no poll")
			}
			return Result{}, v.Vote(ctx, c, a.Vote)
		}
	case *pb.Command_Pin:
		if pn, ok := any(s).(Pinner); ok {
			if a.Pin.TargetId == "" {
				return Result{}, Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a pin names no message")
			}
			return Result{}, pn.Pin(ctx, c, a.Pin)
		}
	case *pb.Command_ClosePoll:
		if pc, ok := any(s).(PollCloser); ok {
			if a.ClosePoll.TargetId == "" {
				return Result{}, Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "closing a poll names no poll")
			}
			return Result{}, pc.ClosePoll(ctx, c, a.ClosePoll)
		}
	case *pb.Command_SetRole:
		if r, ok := any(s).(RoleSetter); ok {
			return Result{}, r.SetRole(ctx, c, a.SetRole)
		}
	case *pb.Command_Join:
		if j, ok := any(s).(ChatJoiner); ok {
			joined, err := j.JoinChat(ctx, c, a.Join)
			return Result{ChatID: joined}, err
		}
	case *pb.Command_DeclineInvite:
		if d, ok := any(s).(InviteDecliner); ok {
			return Result{}, d.DeclineInvite(ctx, c, a.DeclineInvite)
		}
	case *pb.Command_DeleteChat:
		if d, ok := any(s).(ChatDeleter); ok {
			return Result{}, d.DeleteChat(ctx, c, a.DeleteChat)
		}
	case *pb.Command_SetNick:
		if n, ok := any(s).(NickSetter); ok {
			return Result{}, n.SetNick(ctx, c, a.SetNick.Nick)
		}
	case *pb.Command_Create:
		if cr, ok := any(s).(ChatCreator); ok {
			if a.Create.Name == "" {
				return Result{}, Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a new group needs a name")
			}
			made, err := cr.CreateChat(ctx, c, a.Create)
			if err == nil && made == "" {
				err = Errorf(pb.ErrorCode_ERROR_CODE_UNSPECIFIED, "the plugin created a group without saying its ID")
			}
			return Result{ChatID: made}, err
		}
	default:
		if len(cmd.ProtoReflect().GetUnknown()) > 0 {
			// An action the gateway's contract has and this plugin's
			// copy of it has not: not the gateway's mistake but an
			// older plugin, which the gateway reports as unsupported.
			return Result{}, Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "this plugin does not know this action: its SDK is older than the gateway's contract (rebuild the plugin with a newer SDK)")
		}
		return Result{}, Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "command without an action")
	}
	return Result{}, unsupported(actionName(cmd))
}

// actionName is what a command does, for error texts.
func actionName(cmd *pb.Command) string {
	switch cmd.Action.(type) {
	case *pb.Command_Send:
		return "sending messages"
	case *pb.Command_Edit:
		return "corrections"
	case *pb.Command_React:
		return "reactions"
	case *pb.Command_Retract:
		return "retractions"
	case *pb.Command_MarkRead:
		return "read markers"
	case *pb.Command_SetTyping:
		return "typing notifications"
	case *pb.Command_SetPresence:
		return "setting your presence"
	case *pb.Command_Leave:
		return "leaving chats"
	case *pb.Command_SetTopic:
		return "setting the topic"
	case *pb.Command_SetName:
		return "renaming chats"
	case *pb.Command_SetAvatar:
		return "setting a group's picture"
	case *pb.Command_SetProfileAvatar:
		return "setting your profile picture"
	case *pb.Command_Invite:
		return "invitations"
	case *pb.Command_Kick:
		return "removing members"
	case *pb.Command_Unban:
		return "lifting bans"
	case *pb.Command_SetRole:
		return "changing roles"
	case *pb.Command_SearchChats:
		return "finding groups"
	case *pb.Command_SetTimer:
		return "disappearing messages"
	case *pb.Command_Vote:
		return "voting in polls"
	case *pb.Command_Pin:
		return "pinning messages"
	case *pb.Command_ClosePoll:
		return "closing polls"
	case *pb.Command_Join:
		return "joining chats"
	case *pb.Command_DeclineInvite:
		return "declining invitations"
	case *pb.Command_DeleteChat:
		return "deleting groups"
	case *pb.Command_SetNick:
		return "changing your nick"
	case *pb.Command_Create:
		return "creating groups"
	}
	return "this action"
}

// allowed refuses what the network's features leave out of a message
// (attachments, a reply) and what the chat does not allow.
func (t *connectorTransport[S]) allowed(ctx context.Context, s S, cmd *pb.Command) error {
	f := t.features()
	if send := cmd.GetSend(); send != nil {
		if len(send.Attachments) > 0 && !f.Attachments {
			return unsupported("files")
		}
		if send.Poll != nil && !f.PollCreate {
			return unsupported("polls")
		}
		if !f.Replies {
			// A reply goes out as a plain message.
			send.ReplyToId, send.ReplyToMeta = "", nil
		}
		if !f.Formatting {
			send.Spans = nil
		}
	}
	if e := cmd.GetEdit(); e != nil && !f.Formatting {
		e.Spans = nil
	}
	lim, ok := any(s).(ChatLimiter)
	// A chat being joined, or whose invitation is declined, is not the
	// user's: nothing to narrow.
	if !ok || cmd.ChatId == "" || cmd.GetSetPresence() != nil || cmd.GetSetProfileAvatar() != nil || cmd.GetJoin() != nil || cmd.GetCreate() != nil || cmd.GetDeclineInvite() != nil {
		return nil
	}
	l, err := lim.ChatLimits(ctx, cmd.ChatId)
	if err != nil {
		return err
	}
	chat := f
	if l.Features != nil {
		chat = IntersectFeatures(f, l.Features)
	}
	// Only what the network has can be refused per chat: the rest is
	// UNSUPPORTED, after this. The text says what the user may not do
	// there, not that the chat has none of it (a timer set by an admin).
	deny := func(network, here bool, what string) error {
		if network && !here {
			return Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you may not %s", what)
		}
		return nil
	}
	switch cmd.Action.(type) {
	case *pb.Command_Send:
		if l.ReadOnly {
			return Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "this chat is read-only")
		}
		if !chat.Replies {
			cmd.GetSend().ReplyToId, cmd.GetSend().ReplyToMeta = "", nil
		}
		if len(cmd.GetSend().Attachments) > 0 {
			return deny(f.Attachments, chat.Attachments, "send files in this chat")
		}
		if cmd.GetSend().Poll != nil {
			return deny(f.PollCreate, chat.PollCreate, "start polls in this chat")
		}
	case *pb.Command_Edit:
		if l.ReadOnly {
			return deny(f.Edits, false, "correct messages in this chat")
		}
		return deny(f.Edits, chat.Edits, "correct messages in this chat")
	case *pb.Command_React:
		return deny(f.Reactions, chat.Reactions, "react to messages in this chat")
	case *pb.Command_Retract:
		return deny(f.Retractions, chat.Retractions, "retract messages in this chat")
	case *pb.Command_MarkRead:
		return deny(f.ReadReceipts, chat.ReadReceipts, "send read markers in this chat")
	case *pb.Command_SetTyping:
		return deny(f.Typing, chat.Typing, "send typing notifications in this chat")
	case *pb.Command_Leave:
		return deny(f.LeaveChat, chat.LeaveChat, "leave this chat")
	case *pb.Command_SetTopic:
		return deny(f.GroupTopic, chat.GroupTopic, "change the topic of this chat")
	case *pb.Command_SetName:
		return deny(f.GroupName, chat.GroupName, "rename this chat")
	case *pb.Command_SetAvatar:
		return deny(f.GroupAvatar, chat.GroupAvatar, "change the picture of this chat")
	case *pb.Command_Invite:
		return deny(f.GroupInvite, chat.GroupInvite, "invite anyone to this chat")
	case *pb.Command_Kick:
		return deny(f.GroupKick, chat.GroupKick, "remove members from this chat")
	case *pb.Command_Unban:
		return deny(f.GroupUnban, chat.GroupUnban, "lift bans in this chat")
	case *pb.Command_SetRole:
		return deny(f.GroupRoles, chat.GroupRoles, "change roles in this chat")
	case *pb.Command_SetNick:
		return deny(f.SetNick, chat.SetNick, "change your nick in this chat")
	case *pb.Command_SetTimer:
		return deny(f.ChatTimer, chat.ChatTimer, "change the disappearing-messages timer in this chat")
	case *pb.Command_Vote:
		return deny(f.PollVote, chat.PollVote, "vote in polls in this chat")
	case *pb.Command_Pin:
		if cmd.GetPin().GetUnpin() {
			return deny(f.Pin, chat.Pin, "unpin messages in this chat")
		}
		return deny(f.Pin, chat.Pin, "pin messages in this chat")
	case *pb.Command_ClosePoll:
		return deny(f.PollClose, chat.PollClose, "close polls in this chat")
	}
	return nil
}

// startPoll starts the poll p if the session can and p is one.
func startPoll[S Session](ctx context.Context, s S, c Call, p *pb.Poll) (Result, error) {
	ps, ok := any(s).(PollStarter)
	if !ok {
		return Result{}, unsupported("polls")
	}
	if err := CheckPoll(p); err != nil {
		return Result{}, err
	}
	return ps.StartPoll(ctx, c, p)
}

// Bounds of a poll, the most any network takes: a network with lower
// ones refuses past them.
const (
	MaxPollOptions = 12
	minPollOptions = 2
)

// CheckPoll refuses, with BAD_REQUEST naming why, a poll without a
// question, with fewer than 2 or more than MaxPollOptions options, an
// empty one, or one twice (in any case).
func CheckPoll(p *pb.Poll) error {
	if strings.TrimSpace(p.Question) == "" {
		return Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a poll needs a question")
	}
	if n := len(p.Options); n < minPollOptions || n > MaxPollOptions {
		return Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a poll of %d options: it takes %d to %d", n, minPollOptions, MaxPollOptions)
	}
	seen := make(map[string]bool, len(p.Options))
	for _, o := range p.Options {
		k := strings.ToLower(strings.TrimSpace(o))
		if k == "" {
			return Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a poll's option is empty")
		}
		if seen[k] {
			return Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "the poll has the option %q twice", o)
		}
		seen[k] = true
	}
	return nil
}

// searchChats runs a search, refusing an empty query, and keeps at most
// the limit asked of what the session found.
func searchChats(ctx context.Context, cs ChatSearcher, q *pb.SearchChats) (Result, error) {
	if strings.TrimSpace(q.Query) == "" {
		return Result{}, Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a search needs a query")
	}
	found, err := cs.SearchChats(ctx, q)
	if err != nil {
		return Result{}, err
	}
	if q.Limit > 0 && len(found) > int(q.Limit) {
		found = found[:q.Limit]
	}
	return Result{FoundChats: found}, nil
}
