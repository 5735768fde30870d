package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestChatLoginIdleFormCancelled: a chat login's form left unanswered
// longer than loginIdle is cancelled at the user's next message, which
// is then read as a command. Before, it stayed the answer to the field
// asked long ago ("login" sent as the name) and the login never ended.
func TestChatLoginIdleFormCancelled(t *testing.T) {
	tr, _, _, sent := occupantFixture(t)
	form := &pb.LoginStep{ProcessId: "p1", Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
		{Id: "name", Label: "Name", Required: true},
		{Id: "note", Label: "Note"},
	}}}}
	p := chatProc(tr, form, time.Now().Add(-loginIdle-time.Minute))

	tr.handleGatewayChat(context.Background(), p.user, "help")
	if tr.procOf(p.user) != nil {
		t.Fatal("the idle login stayed open")
	}
	p.mu.Lock()
	answered := p.answers["name"]
	p.mu.Unlock()
	if answered != "" {
		t.Errorf("the message was taken as the name: %q", answered)
	}
	var told, helped bool
	for _, o := range sent() {
		b, _ := o.Body()
		told = told || strings.Contains(b, "waited too long")
		helped = helped || b == tr.chatHelp(p.user)
	}
	if !told || !helped {
		t.Errorf("told of the cancel: %v; the message answered as a command (help): %v", told, helped)
	}
}

// chatProc makes alice's chat login in progress at step, last touched
// at touched, tr's only one.
func chatProc(tr *transport, step *pb.LoginStep, touched time.Time) *loginProc {
	p := &loginProc{t: tr, user: "alice@localhost", via: "chat", changed: make(chan struct{}), step: step,
		touched: touched, answers: map[string]string{}}
	tr.procs = map[string]*loginProc{p.user: p}
	return p
}
