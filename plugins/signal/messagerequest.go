package signal

import (
	"context"
	"errors"
	"strings"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A message from someone the user never wrote to, nor has in their
// address book, nor accepted on the phone is a message request on
// Signal: the apps show it for the user to accept, and until then tell
// its sender nothing of the user (Signal: "they won't know you've seen
// their message until you accept"): no read receipt, no typing. A
// direct chat whose other one is such is told the same way here: a
// mark read sends them no receipt, and typing is not sent. The user
// accepts by writing to them (signal-cli then shares the user's profile
// with them, its profileSharing) or on the phone (signal-cli applies
// the phone's answer): what follows is told as in any chat. Before, a
// stranger's message marked read told them so, as no Signal app does.
//
// Signal's apps show such a chat as a request, with what accepting
// means, apart from the others; here it comes among the chats as any,
// so its first message is followed by a notice saying it is a request
// and how to answer it. Before, nothing told it from a contact's.

// accepted reports whether the contact is no message request: in the
// address book (name), written to or accepted (profileSharing), or from
// a signal-cli that does not say (before profileSharing was listed).
func (c contactEntry) accepted() bool {
	return c.Name != "" || c.ProfileSharing == nil || *c.ProfileSharing
}

// requestPending reports whether chatID is a direct chat whose other
// one's message request the user has not accepted, as signal-cli says
// now; false when it cannot be read (as before: receipts and typing
// go). Not waited for when signal-cli is down, and not long when it
// hangs: typing is not held (TypingWait), and what follows meets the
// same trouble.
func (s *Session) requestPending(ctx context.Context, chatID string) bool {
	pending, _ := s.requestBrief(ctx, chatID)
	return pending
}

// requestBrief is requestPending with the error that kept signal-cli
// from answering.
func (s *Session) requestBrief(ctx context.Context, chatID string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, TypingWait)
	defer cancel()
	return s.requestState(ctx, 0, chatID)
}

// requestState is requestPending's answer, or the error that kept
// signal-cli from giving it (waiting up to wait for a daemon that is
// down), for a caller that must not take it for no request (/accept).
// An accepted chat is remembered for the session: acceptance is not
// taken back.
func (s *Session) requestState(ctx context.Context, wait time.Duration, chatID string) (bool, error) {
	if groupIDOf(chatID) != "" || s.isSelfChat(chatID) {
		return false, nil
	}
	s.mu.Lock()
	known := s.acceptedChats[chatID]
	s.mu.Unlock()
	if known {
		return false, nil
	}
	var cs []contactEntry
	if err := s.callRawWaiting(ctx, "could not read the contact", wait, "listContacts",
		map[string]any{"recipient": []string{chatID}, "allRecipients": true}, &cs); err != nil {
		return false, err
	}
	for _, c := range cs {
		if deref(c.Number) != chatID && !strings.EqualFold(c.UUID, chatID) {
			continue
		}
		if !c.accepted() {
			return true, nil
		}
		s.noteAccepted(chatID)
		return false, nil
	}
	return false, nil
}

// noteAccepted remembers the direct chats of ids as no message requests.
func (s *Session) noteAccepted(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.acceptedChats == nil {
		s.acceptedChats = map[string]bool{}
	}
	for _, id := range ids {
		s.acceptedChats[id] = true
	}
}

// requestNotice follows the message of sender at ts (Unix ms) in the
// direct chat chatID with a notice, once, when the chat is a message
// request: looked at once a session per chat (requestPending asks
// signal-cli of one not known accepted), and named by the chat alone,
// so the host drops it when it told it before.
func (s *Session) requestNotice(ctx context.Context, chatID string, sender *pb.Sender, ts int64) {
	s.mu.Lock()
	seen := s.requestsNoticed[chatID] || s.acceptedChats[chatID]
	if s.requestsNoticed == nil {
		s.requestsNoticed = map[string]bool{}
	}
	s.requestsNoticed[chatID] = true
	s.mu.Unlock()
	if seen {
		return
	}
	pending, err := s.requestBrief(ctx, chatID)
	if err != nil {
		// Not known: the chat's next message looks again.
		s.mu.Lock()
		delete(s.requestsNoticed, chatID)
		s.mu.Unlock()
	}
	if !pending {
		return
	}
	who := chatID
	if name := sender.GetName(); name != "" && name != chatID {
		who = name + " (" + chatID + ")"
	}
	text := "💬 A message request: " + who + " is not in your contacts, and you never wrote to them. " +
		"They do not know you read their messages, nor see you type, until you accept. " +
		"Answering here accepts it, and so does /accept, which sends them nothing; /block yes refuses it (or block or delete the chat on your phone)."
	// Just after the message, so that it follows it.
	s.emit(ctx, &pb.Event{ChatId: chatID, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, Sender: sender,
		TimestampUnixMicro: ts*1000 + 1, EventId: "request-" + chatID,
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}}, true)
}

// acceptRequest is "/accept" typed in the direct chat chatID: its
// message request accepted without writing to them, as the apps'
// Accept does (signal-cli's sendMessageRequestResponse, which notes it
// and tells the user's other devices). A command, not a message:
// nothing goes to the contact, the answer is the user's alone.
func (s *Session) acceptRequest(ctx context.Context, chatID string) (sdk.Result, error) {
	const what = "could not accept the message request"
	// Whether it is one: a failure to read it is no answer (said, and
	// nothing accepted), not "no request".
	pending, err := s.requestState(ctx, SendWait, chatID)
	if err != nil {
		return sdk.Result{}, s.mapError(what, err)
	}
	if !pending {
		return sdk.Result{Command: true, Reply: "Your chat with " + chatID + " is no message request: there is nothing to accept."}, nil
	}
	err = s.callRaw(ctx, what, "sendMessageRequestResponse", map[string]any{"recipient": []string{chatID}, "type": "accept"}, nil)
	if err != nil {
		err = s.mapError(what, err)
		if se, ok := errors.AsType[*sdk.Error](err); ok && se.Code == pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
			return sdk.Result{}, sdk.Errorf(se.Code, "%s (this signal-cli cannot: accept it on your phone, or answer them here)", se.Text)
		}
		return sdk.Result{}, err
	}
	s.noteAccepted(chatID)
	s.n.host.Logger().Info("signal: the user accepted a message request", "login", s.loginID, "chat", chatID)
	return sdk.Result{Command: true, Reply: "✓ You accepted the message request of " + chatID +
		": they now see when you read their messages and when you type, as any contact."}, nil
}
