package echo

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// infoAsks counts the ChatInfo calls by chat ID, for the gateway's tests
// of what it asks the network (WhatsApp answers each with a query):
//
//	chat-info-wait ID N  waits until ChatInfo was asked about ID N times
//	                     (at most 20 s), then the chat the command was
//	                     sent in says "chat-info ID asked K"
type infoAsks struct {
	mu sync.Mutex
	n  map[string]int
}

// asked counts a ChatInfo call about chatID.
func (a *infoAsks) asked(chatID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n == nil {
		a.n = map[string]int{}
	}
	a.n[chatID]++
}

func (a *infoAsks) count(chatID string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n[chatID]
}

// infoWait runs chat-info-wait.
func (s *Session) infoWait(c sdk.Call, rest string) error {
	id, num, _ := strings.Cut(rest, " ")
	want, err := strconv.Atoi(num)
	if id == "" || err != nil || want < 0 {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "chat-info-wait takes a chat ID and a count")
	}
	go func() { // the send's result comes first, as a network's would
		deadline := time.Now().Add(20 * time.Second)
		for s.n.infoAsks.count(id) < want && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		ev := s.event(c)
		ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: fmt.Sprintf("chat-info %s asked %d", id, s.n.infoAsks.count(id))}}
		s.emit(ev)
	}()
	return nil
}
