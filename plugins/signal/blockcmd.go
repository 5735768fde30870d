package signal

import (
	"context"
	"errors"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/rpc"
)

// "/block" typed in a direct chat blocks its other one, as the apps'
// Block does (a message request's refusal too): signal-cli's block,
// which keeps it and tells the user's phone (its block list synced).
// signal-cli echoes nothing to the gateway's device, so the plugin
// applies it as a block from the phone: the contact leaves the
// contacts, and nothing goes to them until they are unblocked on the
// phone (contacts.go). A signal-cli that blocks only on the primary
// device refuses it, which is said with what to do.

// blockUser is "/block" in the direct chat chatID, arg what follows
// the word. A command, not a message: nothing goes to them, the answer
// is the user's alone. Only the phone unblocks, so a bare "/block" (or
// one with another word) blocks nothing: it says what "/block yes"
// would do, and how to send "/block" as text.
func (s *Session) blockUser(ctx context.Context, chatID, arg string) (sdk.Result, error) {
	const what = "could not block them"
	if s.blockedUser(chatID) {
		return sdk.Result{Command: true, Reply: chatID + " is blocked already: unblock them on your phone."}, nil
	}
	if !strings.EqualFold(arg, "yes") {
		return sdk.Result{Command: true, Reply: "Nothing done yet. Send \"/block yes\" to block " + chatID +
			": Signal then drops what they send, nothing goes to them, and only your phone can unblock them. To send them \"/block\" as a message, type \"//block\"."}, nil
	}
	if err := s.callRaw(ctx, what, "block", map[string]any{"recipient": []string{chatID}}, nil); err != nil {
		var rerr *rpc.Error
		if errors.As(err, &rerr) && rerr.Code == rpc.CodeUserError && strings.Contains(rerr.Message, "linked device") {
			// Older signal-cli: NotPrimaryDeviceException.
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED,
				"%s: this signal-cli blocks only on the primary device: block them on your phone (their name, Block)", what)
		}
		return sdk.Result{}, s.mapError(what, err)
	}
	s.mu.Lock()
	if s.blockedUsers == nil {
		s.blockedUsers = map[string]bool{}
	}
	s.blockedUsers[chatID] = true
	s.mu.Unlock()
	s.n.host.Logger().Info("signal: the user blocked a contact", "login", s.loginID, "chat", chatID)
	s.emit(ctx, &pb.Event{ChatId: chatID, Payload: &pb.Event_ContactRemoved{ContactRemoved: &pb.ContactRemovedEvent{UserId: chatID}}}, true)
	return sdk.Result{Command: true, Reply: "✓ You blocked " + chatID + ": Signal drops what they send, and nothing goes to them. Unblock them on your phone."}, nil
}
