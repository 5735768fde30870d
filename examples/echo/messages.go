package echo

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Reactions is what the echo network offers; others are refused, as some
// networks refuse reactions outside their set.
var Reactions = []string{"👍", "❤️", "😂", "😮", "😢", "🙏", "👎", "🎉"}

// SlowConfirm is how late the network confirms a "slow" send.
const SlowConfirm = 1500 * time.Millisecond

// event is an event in a chat, from the contact.
func (t *Transport) event(cmd *pb.Command) *pb.Event {
	return &pb.Event{LoginId: cmd.LoginId, ChatId: cmd.ChatId, Sender: &pb.Sender{UserId: cmd.ChatId},
		TimestampUnixMicro: time.Now().UnixMicro(), EventId: t.newID()}
}

// onSend echoes a message: same text (a reply stays a reply, to the
// user's message), same files, then the contact marks it delivered and
// read. A few texts do more, to show what a network can send:
//
//	from-phone TEXT   the user "sent" TEXT from their phone
//	backlog N         N old messages arrive late (history catch-up)
//	dup TEXT          the network delivers the echo twice
//	slow TEXT         the network confirms the send SlowConfirm late,
//	                  after its echo (a reply's echo then names a message
//	                  whose ID the gateway does not know yet)
//	kick              the network logs the account out
func (t *Transport) onSend(cmd *pb.Command, send *pb.SendMessage) (sdk.Result, error) {
	now := time.Now()
	// What is not echoed (the commands below) gets a plain ID, which no
	// echo answers: corrections and retractions of it are refused.
	sent := t.newID()
	text := send.Text
	switch word, rest, _ := strings.Cut(text, " "); word {
	case "from-phone":
		ev := t.event(cmd)
		ev.Sender = &pb.Sender{UserId: cmd.LoginId, IsFromMe: true}
		ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: rest}}
		t.host.Emit(ev)
		return sdk.Result{MessageID: sent, Time: now}, nil
	case "kick":
		// The network logs the account out, as a phone unlinking the
		// device would.
		t.mu.Lock()
		delete(t.logins, cmd.LoginId)
		t.mu.Unlock()
		ev := t.event(cmd)
		ev.ChatId, ev.Sender, ev.EventId = "", nil, ""
		ev.Payload = &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_LOGGED_OUT, Message: "kicked by the echo network"}}
		t.host.Emit(ev)
		return sdk.Result{MessageID: sent, Time: now}, nil
	case "backlog":
		n, _ := strconv.Atoi(rest)
		for i := 1; i <= min(n, 50); i++ {
			ev := t.event(cmd)
			ev.IsBackfill = true
			ev.TimestampUnixMicro = now.Add(-time.Duration(n-i+1) * time.Minute).UnixMicro()
			ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: fmt.Sprintf("backlog %d of %d", i, n)}}
			t.host.Emit(ev)
		}
		return sdk.Result{MessageID: sent, Time: now}, nil
	}
	atts, err := t.copyAttachments(send.Attachments)
	if err != nil {
		return sdk.Result{}, err
	}
	sent += sentSuffix
	echo := t.event(cmd)
	echo.EventId, _ = echoOf(sent)
	msg := &pb.MessageEvent{Text: text, Attachments: atts}
	if send.ReplyToId != "" {
		msg.ReplyToId = sent
	}
	echo.Payload = &pb.Event_Message{Message: msg}
	t.host.Emit(echo)
	if strings.HasPrefix(text, "dup ") {
		t.host.Emit(echo)
	}
	if strings.HasPrefix(text, "slow ") {
		time.Sleep(SlowConfirm)
	}
	t.contactCommand(cmd.LoginId, text)
	for _, kind := range []pb.ReceiptEvent_Kind{pb.ReceiptEvent_KIND_DELIVERED, pb.ReceiptEvent_KIND_READ} {
		r := t.event(cmd)
		r.EventId = ""
		r.Payload = &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: kind, MessageIds: []string{sent}}}
		t.host.Emit(r)
	}
	return sdk.Result{MessageID: sent, Time: now}, nil
}

// copyAttachments makes the contact's copy of the user's files, in our
// data folder, for the gateway to take.
func (t *Transport) copyAttachments(in []*pb.Attachment) ([]*pb.Attachment, error) {
	var out []*pb.Attachment
	for _, a := range in {
		dir := filepath.Join(t.dataDir, "outgoing")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("echo: %w", err)
		}
		dst := filepath.Join(dir, t.newID()+"-"+filepath.Base(a.Name))
		if err := copyFrom(a, dst); err != nil {
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "cannot read the attachment: %v", err)
		}
		fi, err := os.Stat(dst)
		if err != nil {
			return nil, fmt.Errorf("echo: %w", err)
		}
		out = append(out, &pb.Attachment{Name: a.Name, MimeType: a.MimeType, Size: fi.Size(), Source: &pb.Attachment_Path{Path: dst}})
	}
	return out, nil
}

func copyFrom(a *pb.Attachment, dst string) error {
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	switch src := a.Source.(type) {
	case *pb.Attachment_Data:
		_, err = f.Write(src.Data)
	case *pb.Attachment_Path:
		var in *os.File
		if in, err = os.Open(src.Path); err == nil {
			_, err = io.Copy(f, in) // streamed, never whole in memory
			in.Close()
		}
	default:
		err = fmt.Errorf("attachment %q has no data or path", a.Name)
	}
	return err
}

// A message the user sends and its echo have IDs derived from each other
// ("<id>.sent", "<id>.echo"), so the network finds one from the other with
// no memory to keep, after a restart too. IDs are unique across logins and
// restarts (see newID); which login a message was sent from is not
// checked, a liberty a real network would not take.
const (
	sentSuffix = ".sent"
	echoSuffix = ".echo"
)

// echoOf is the echo of one of the user's messages.
func echoOf(sent string) (string, bool) {
	id, ok := strings.CutSuffix(sent, sentSuffix)
	if !ok || !isID(id) {
		return "", false
	}
	return id + echoSuffix, true
}

// sentOf is the user's message an echo answered.
func sentOf(echo string) (string, bool) {
	id, ok := strings.CutSuffix(echo, echoSuffix)
	if !ok || !isID(id) {
		return "", false
	}
	return id + sentSuffix, true
}

// isID reports whether id has newID's shape: hex digits, "-", digits.
func isID(id string) bool {
	prefix, n, ok := strings.Cut(id, "-")
	if !ok || prefix == "" || n == "" {
		return false
	}
	for _, c := range prefix {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// onEdit corrects the echo the same way.
func (t *Transport) onEdit(cmd *pb.Command, e *pb.EditMessage) (sdk.Result, error) {
	echo, ok := echoOf(e.TargetId)
	if !ok {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no message %q to correct", e.TargetId)
	}
	ev := t.event(cmd)
	ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: echo, Text: e.Text}}
	t.host.Emit(ev)
	return sdk.Result{}, nil
}

// onReact answers with the same reaction on the user's message.
func (t *Transport) onReact(cmd *pb.Command, r *pb.React) (sdk.Result, error) {
	for _, e := range r.Emojis {
		if !slices.Contains(Reactions, e) {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "the echo network has no reaction %s; it has %s", e, strings.Join(Reactions, " "))
		}
	}
	target := r.TargetId
	if sent, ok := sentOf(target); ok {
		target = sent
	} else if _, ok := echoOf(target); !ok {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no message %q to react to", target)
	}
	ev := t.event(cmd)
	ev.Payload = &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: target, Emojis: r.Emojis}}
	t.host.Emit(ev)
	return sdk.Result{}, nil
}

// onRetract retracts the echo of a retracted message.
func (t *Transport) onRetract(cmd *pb.Command, r *pb.Retract) (sdk.Result, error) {
	echo, ok := echoOf(r.TargetId)
	if !ok {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you can only retract your own messages")
	}
	ev := t.event(cmd)
	ev.Payload = &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: echo}}
	t.host.Emit(ev)
	return sdk.Result{}, nil
}

// onTyping answers composing with composing, then paused.
func (t *Transport) onTyping(cmd *pb.Command, s *pb.SetTyping) (sdk.Result, error) {
	if s.State != pb.TypingState_TYPING_STATE_COMPOSING {
		return sdk.Result{}, nil
	}
	for _, st := range []pb.TypingState{pb.TypingState_TYPING_STATE_COMPOSING, pb.TypingState_TYPING_STATE_PAUSED} {
		ev := t.event(cmd)
		ev.EventId = ""
		ev.Payload = &pb.Event_Typing{Typing: &pb.TypingEvent{State: st}}
		t.host.Emit(ev)
	}
	return sdk.Result{}, nil
}
