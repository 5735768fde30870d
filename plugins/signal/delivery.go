package signal

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/rpc"
)

// sendResult is signal-cli's answer to a send (send, sendReaction,
// remoteDelete...): the message's timestamp and one result per
// recipient, each member of a group but the account itself.
type sendResult struct {
	Timestamp int64             `json:"timestamp"`
	Results   []recipientResult `json:"results"`
}

// recipientResult is how the send went for one recipient: Type is
// SUCCESS, UNREGISTERED_FAILURE, IDENTITY_FAILURE, NETWORK_FAILURE,
// RATE_LIMIT_FAILURE or INVALID_PRE_KEY_FAILURE.
type recipientResult struct {
	RecipientAddress struct {
		UUID   string `json:"uuid"`
		Number string `json:"number"`
	} `json:"recipientAddress"`
	Type              string `json:"type"`
	RetryAfterSeconds int64  `json:"retryAfterSeconds"`
	// Token is set on a RATE_LIMIT_FAILURE that is Signal's spam check
	// asking for a captcha (ProofRequiredException): the challenge's.
	Token string `json:"token"`
}

func (r recipientResult) who() string {
	return cmp.Or(r.RecipientAddress.Number, r.RecipientAddress.UUID, "a recipient")
}

// why says a failure's type in words.
func why(kind string) string {
	switch kind {
	case "UNREGISTERED_FAILURE":
		return "not on Signal"
	case "IDENTITY_FAILURE":
		return "safety number changed"
	case "RATE_LIMIT_FAILURE":
		return "rate limited"
	case "NETWORK_FAILURE":
		return "network failure"
	case "INVALID_PRE_KEY_FAILURE":
		return "invalid keys"
	}
	return strings.ToLower(strings.ReplaceAll(kind, "_", " "))
}

// delivered reports whether a recipient got the message. A send to no
// one (a group of the user alone) is delivered, as signal-cli says.
func (r sendResult) delivered() bool {
	return len(r.Results) == 0 || slices.ContainsFunc(r.Results, func(x recipientResult) bool { return x.Type == "SUCCESS" })
}

// failures says who did not get the message and why, as
// "+33612345678 (not on Signal)".
func (r sendResult) failures() []string {
	var out []string
	for _, x := range r.Results {
		if x.Type != "SUCCESS" {
			out = append(out, fmt.Sprintf("%s (%s)", x.who(), why(x.Type)))
		}
	}
	return out
}

// undelivered is the error for a send no recipient got: of the code
// its failures have in common (a number not on Signal: not found; a
// changed safety number: not allowed; a rate limit), else unavailable,
// naming each recipient and why.
func (r sendResult) undelivered(what string) error {
	var who []string
	var retry int64
	kind, proof := "", false
	for i, x := range r.Results {
		who = append(who, x.who())
		retry = max(retry, x.RetryAfterSeconds)
		proof = proof || x.Token != ""
		if i > 0 && x.Type != kind {
			kind = "mixed"
		} else {
			kind = x.Type
		}
	}
	names := strings.Join(who, ", ")
	switch kind {
	case "UNREGISTERED_FAILURE":
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s: %s not on Signal", what, isAre(names, len(who)))
	case "IDENTITY_FAILURE":
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "%s: the safety number of %s changed: %s, then send again", what, names, verifyHint)
	case "RATE_LIMIT_FAILURE":
		after := ""
		if retry > 0 {
			after = fmt.Sprintf(" (try again in %d s)", retry)
		}
		if proof {
			if retry > 0 {
				after = fmt.Sprintf(", or wait %d s", retry)
			}
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "%s: Signal wants a captcha solved before this account sends more (its spam check); no one got it. Send a message from Signal on your phone, which shows the captcha%s, then send again", what, after)
		}
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "%s: Signal asks to slow down%s; no one got it", what, after)
	}
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s: no one got it: %s", what, strings.Join(r.failures(), ", "))
}

// challenge is the token of the captcha Signal asked for, "" when none.
func (r sendResult) challenge() string {
	for _, x := range r.Results {
		if x.Token != "" {
			return x.Token
		}
	}
	return ""
}

// partly is the error of a group message some members got and others
// did not: the message is sent (the user's, with its ID, the others
// have it), and the error names each member who did not get it and
// why, in what that means for them, as Signal's apps mark such a
// message. nil when every recipient got it. Its code is the reason's:
// a changed safety number (the one the user must act on, as they miss
// every message until it is verified) is not allowed, one no longer on
// Signal not found, a rate limit rate limited, else unavailable.
func (r sendResult) partly(what string) error {
	var parts []string
	kinds := map[string]bool{}
	for _, x := range r.Results {
		if x.Type == "SUCCESS" {
			continue
		}
		kinds[x.Type] = true
		parts = append(parts, x.partlyWhy())
	}
	if len(parts) == 0 {
		return nil
	}
	code := pb.ErrorCode_ERROR_CODE_UNAVAILABLE
	switch {
	case kinds["IDENTITY_FAILURE"]:
		code = pb.ErrorCode_ERROR_CODE_NOT_ALLOWED
	case len(kinds) > 1:
	case kinds["UNREGISTERED_FAILURE"]:
		code = pb.ErrorCode_ERROR_CODE_NOT_FOUND
	case kinds["RATE_LIMIT_FAILURE"]:
		code = pb.ErrorCode_ERROR_CODE_RATE_LIMITED
	}
	return sdk.Errorf(code, "%s went to the group, but not to everyone: %s", what, strings.Join(parts, "; "))
}

// partlyWhy says why a member did not get a group message the others
// got, and what to do.
func (x recipientResult) partlyWhy() string {
	who := x.who()
	switch x.Type {
	case "IDENTITY_FAILURE":
		return fmt.Sprintf("%s did not get it, as their safety number changed: %s, for them to get your messages", who, verifyHint)
	case "UNREGISTERED_FAILURE":
		return fmt.Sprintf("%s is not on Signal any more, and did not get it", who)
	case "RATE_LIMIT_FAILURE":
		if x.Token != "" {
			return fmt.Sprintf("%s did not get it: Signal wants a captcha solved before this account sends more (its spam check): send a message from Signal on your phone, which shows the captcha", who)
		}
		after := ""
		if x.RetryAfterSeconds > 0 {
			after = fmt.Sprintf(" (for %d s)", x.RetryAfterSeconds)
		}
		return fmt.Sprintf("%s did not get it: Signal asks to slow down%s", who, after)
	case "NETWORK_FAILURE":
		return fmt.Sprintf("%s did not get it: a network error on the way to them", who)
	}
	return fmt.Sprintf("%s did not get it (%s)", who, why(x.Type))
}

// tellPartly tells the user, in the group's room, who did not get
// what of theirs the other members got: an edit, a reaction, a
// deletion, a pin, a vote. These are answered as done (the gateway
// applies them, and reflects them in the room, only on success; an
// error would show the user's correction or deletion failed, while
// most of the group has it), so a notice from the room itself says
// who missed it and why, as an error says it of a message sent in
// part. Before, only the log said so.
func (s *Session) tellPartly(ctx context.Context, chatID string, r sendResult, what string) {
	err := r.partly(what)
	if err == nil || groupIDOf(chatID) == "" {
		return
	}
	text := err.Error()
	if se, ok := errors.AsType[*sdk.Error](err); ok {
		text = se.Text
	}
	s.emit(ctx, &pb.Event{ChatId: chatID, ChatType: pb.ChatType_CHAT_TYPE_GROUP, TimestampUnixMicro: r.Timestamp * 1000,
		EventId: "partly-" + strconv.FormatInt(r.Timestamp, 10),
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "⚠ " + upperFirst(text)}}}, true)
}

// upperFirst is s with its first letter a capital.
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func isAre(names string, n int) string {
	if n == 1 {
		return names + " is"
	}
	return names + " are"
}

// undeliveredError reads the error signal-cli (0.10.1 and later)
// answers a send no recipient got: -1, -4 or -5 with the results as
// data.response. It is nil for any other error.
func undeliveredError(what string, e *rpc.Error) error {
	r := responseOf(e)
	if r == nil || r.delivered() {
		return nil
	}
	return r.undelivered(what)
}

// responseOf is the send's results an error of signal-cli carries, nil
// when it has none.
func responseOf(e *rpc.Error) *sendResult {
	var data struct {
		Response *sendResult `json:"response"`
	}
	if len(e.Data) == 0 || json.Unmarshal(e.Data, &data) != nil {
		return nil
	}
	return data.Response
}

// send makes a request that sends something to the chat c names: an
// error when no recipient got it (signal-cli before 0.10.1 answered it
// as a success), and the log says who did not when some did (the user
// is told too: sendResult.partly for a message, tellPartly else).
func (s *Session) send(ctx context.Context, c sdk.Call, what, method string, p map[string]any) (sendResult, error) {
	var res sendResult
	if groupIDOf(c.ChatID) == "" && s.blockedUser(c.ChatID) {
		// signal-cli would send it, and drop every answer: Signal's
		// apps let nothing be sent to someone blocked.
		return res, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "%s: you blocked %s on your phone; unblock them there to write to them", what, c.ChatID)
	}
	if groupIDOf(c.ChatID) != "" && s.blockedGroup(c.ChatID) {
		// signal-cli would send it, and drop what the group answers: a
		// client that kept the room would write into a silent group.
		return res, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "%s: you blocked this Signal group on your phone; unblock it there to write there", what)
	}
	if err := s.callRaw(ctx, what, method, p, &res); err != nil {
		var rerr *rpc.Error
		if errors.As(err, &rerr) {
			if r := responseOf(rerr); r != nil {
				s.tellChallenge(ctx, *r)
			}
		}
		if notMember(err) {
			s.outOfGroup(ctx, c.ChatID)
		}
		s.untrustedSend(ctx, c.ChatID, err) // safety.go
		return res, s.mapError(what, err)
	}
	if !res.delivered() {
		s.tellChallenge(ctx, res)
		return res, res.undelivered(what)
	}
	if failed := res.failures(); len(failed) > 0 {
		s.tellChallenge(ctx, res)
		s.n.host.Logger().Warn("signal: some recipients did not get the message", "login", s.loginID, "chat", c.ChatID,
			"method", method, "timestamp", res.Timestamp, "failed", strings.Join(failed, ", "))
	}
	return res, nil
}

// refusal reads the user errors signal-cli (-1) answers with a cause the
// user can act on, which its words, meant for its command line, do not
// say: a number not on Signal, a group the account is no longer in or
// may not post to, the last admin leaving. It is nil for any other
// error.
func refusal(what string, e *rpc.Error) error {
	if e.Code != rpc.CodeUserError {
		return nil
	}
	msg := e.Message
	switch {
	case strings.HasPrefix(msg, "The user ") && strings.HasSuffix(msg, " is not registered."):
		// UnregisteredRecipientException, a number no account has.
		who := strings.TrimSuffix(strings.TrimPrefix(msg, "The user "), " is not registered.")
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s: %s is not on Signal", what, who)
	case strings.HasPrefix(msg, "Unregistered user: "):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s: %s is not on Signal", what, strings.TrimPrefix(msg, "Unregistered user: "))
	case strings.Contains(msg, notMemberText):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "%s: you are no longer in this Signal group", what)
	case strings.Contains(msg, groupNotFoundText):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s: you are in no such Signal group", what)
	case strings.HasPrefix(msg, "User is not allowed to send message to group: "):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "%s: only the group's admins may send messages there", what)
	case strings.Contains(msg, "User is last admin in group: "):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "%s: you are the group's only admin: make another member an admin first, then leave", what)
	}
	return nil
}

// notMemberText starts signal-cli's NotAGroupMemberException: a group it
// keeps that the account left or was removed from.
const notMemberText = "User is not a member in group: "

// groupNotFoundText starts signal-cli's GroupNotFoundException: a group
// it does not keep.
const groupNotFoundText = "Group not found: "

// notMember reports whether err is signal-cli's refusal of a request in
// a group the account is no longer in.
func notMember(err error) bool {
	msg, ok := userErrorMessage(err)
	return ok && strings.Contains(msg, notMemberText)
}

// userErrorMessage is the message of err when it is signal-cli's user
// error (-1), which says in its words what it refused; ok is false for
// any other error.
func userErrorMessage(err error) (msg string, ok bool) {
	var rerr *rpc.Error
	if errors.As(err, &rerr) && rerr.Code == rpc.CodeUserError {
		return rerr.Message, true
	}
	return "", false
}
