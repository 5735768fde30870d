package irc

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// namesWaitDeadline bounds how long these tests wait for what should
// come at once: far less than namesWait made here, so that a ChatInfo
// not woken fails them (and not by any delay it took).
const namesWaitDeadline = 30 * time.Second

type chatInfoAnswer struct {
	chat *pb.Chat
	err  error
}

// namesWaitSession is a session whose ChatInfo waits for NAMES an hour,
// and tells on waiting of each wait it starts.
func namesWaitSession(t *testing.T) (*Session, <-chan string) {
	t.Helper()
	was := namesWait
	namesWait = time.Hour
	t.Cleanup(func() { namesWait = was })
	waiting := make(chan string, 8)
	s := &Session{n: &Network{host: &emitHost{}}, loginID: "login", self: "kit", channels: map[string]*channel{},
		shown: map[string]string{}, joins: map[string]chan error{}, pending: map[string]bool{}}
	s.people = newPeople(s.fold)
	s.namesWaiting = func(id string) { waiting <- id }
	return s, waiting
}

func chatInfoAsync(ctx context.Context, s *Session, chatID string) <-chan chatInfoAnswer {
	got := make(chan chatInfoAnswer, 1)
	go func() {
		c, err := s.ChatInfo(ctx, chatID)
		got <- chatInfoAnswer{c, err}
	}()
	return got
}

func await[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(namesWaitDeadline):
		t.Fatalf("%s never came", what)
		panic("unreachable")
	}
}

// joinSelf is the user's JOIN of channel id (its NAMES to come).
func joinSelf(s *Session, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.selfJoinedLocked(id, id)
}

// disconnect is the disconnect callback's drop of the channels.
func disconnect(s *Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropChannelsLocked()
}

func wantNotFound(t *testing.T, a chatInfoAnswer) {
	t.Helper()
	var e *sdk.Error
	if !errors.As(a.err, &e) || e.Code != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("ChatInfo of a channel gone: %v, %v; want NOT_FOUND", a.chat, a.err)
	}
}

// A ChatInfo waiting for a channel's NAMES is woken when the connection
// ends (the channels dropped): it answers NOT_FOUND then, not when its
// wait runs out.
func TestChatInfoWokenByDisconnect(t *testing.T) {
	s, waiting := namesWaitSession(t)
	joinSelf(s, "#c")
	got := chatInfoAsync(context.Background(), s, "#c")
	if id := await(t, waiting, "ChatInfo's wait"); id != "#c" {
		t.Fatalf("ChatInfo waits for %q, want #c", id)
	}
	disconnect(s)
	wantNotFound(t, await(t, got, "ChatInfo's answer after the disconnect"))
}

// A JOIN of a channel the user is in already (a bouncer replaying it)
// makes the channel anew: a ChatInfo waiting for the old one's NAMES
// waits for the new one's. Before, it went on waiting on the old one,
// which nothing woke: it answered only when NamesWait ran out.
func TestChatInfoWokenByRejoin(t *testing.T) {
	s, waiting := namesWaitSession(t)
	joinSelf(s, "#c")
	got := chatInfoAsync(context.Background(), s, "#c")
	await(t, waiting, "ChatInfo's wait")
	joinSelf(s, "#c")
	await(t, waiting, "ChatInfo's wait for the channel joined again")
	disconnect(s)
	wantNotFound(t, await(t, got, "ChatInfo's answer"))
}

// A ChatInfo waiting for a channel's NAMES answers when its context
// ends (or NamesWait runs out): the channel, without members (not the
// partial list: the gateway takes a list for the whole), and stale: its
// members are not known. Once NAMES ended, it is not stale. Before, the
// answer was not told from a channel described in full.
func TestChatInfoWaitEndsWithContext(t *testing.T) {
	s, waiting := namesWaitSession(t)
	s.mu.Lock()
	s.selfJoinedLocked("#c", "#c")
	s.channels["#c"].members["bob"] = &member{nick: "bob"} // NAMES under way
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	got := chatInfoAsync(ctx, s, "#c")
	await(t, waiting, "ChatInfo's wait")
	cancel()
	a := await(t, got, "ChatInfo's answer once its context ended")
	if a.err != nil || a.chat.GetChatId() != "#c" || len(a.chat.Members) != 0 || !a.chat.GetStale() {
		t.Errorf("ChatInfo with its context ended: %v, %v; want #c without members, stale", a.chat, a.err)
	}
	s.mu.Lock()
	ch := s.channels["#c"]
	ch.synced = true
	ch.settle()
	s.mu.Unlock()
	a = await(t, chatInfoAsync(context.Background(), s, "#c"), "ChatInfo's answer once NAMES ended")
	if a.err != nil || len(a.chat.Members) == 0 || a.chat.GetStale() {
		t.Errorf("ChatInfo once NAMES ended: %v, %v; want #c with its members, not stale", a.chat, a.err)
	}
}

// emitHost takes the events a session emits; it is no other part of a
// host.
type emitHost struct {
	sdk.Host
	mu  sync.Mutex
	evs []*pb.Event
}

func (h *emitHost) Emit(ev *pb.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.evs = append(h.evs, ev)
}

// A ChatInfo asked while a channel's NAMES are under way answers once
// they ended (joined), with the whole list, the user in it; the wait is
// awaited (namesWaiting), not slept.
func TestChatInfoAnswersOnceNamesEnd(t *testing.T) {
	s, waiting := namesWaitSession(t)
	line := func(l string) ircmsg.Message {
		m, err := ircmsg.ParseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	s.mu.Lock()
	s.selfJoinedLocked("#c", "#c")
	s.joins["#c"] = make(chan error, 1) // a JoinChat waits
	s.pending["#c"] = true
	s.mu.Unlock()
	s.onNames(line(":srv 353 kit = #c :op bob"))
	got := chatInfoAsync(context.Background(), s, "#c")
	await(t, waiting, "ChatInfo's wait")
	s.onNames(line(":srv 353 kit = #c :kit ren"))
	s.joined(line(":srv 366 kit #c :End of NAMES list"), "#c")
	a := await(t, got, "ChatInfo's answer once the NAMES ended")
	var ms []string
	for _, m := range a.chat.GetMembers() {
		n := m.Nick
		if m.IsSelf {
			n += " (self)"
		}
		ms = append(ms, n)
	}
	slices.Sort(ms)
	if want := []string{"bob", "kit (self)", "op", "ren"}; a.err != nil || !slices.Equal(ms, want) {
		t.Errorf("ChatInfo of #c asked before its NAMES ended: %v, members %v; want %v", a.err, ms, want)
	}
}

// A ChatInfo waiting for a channel's NAMES is woken when the user is
// out of it (parted from elsewhere, kicked): it answers NOT_FOUND then.
func TestChatInfoWokenByPartAndKick(t *testing.T) {
	for _, c := range []struct {
		line string
		kind pb.MemberEvent_Kind
	}{
		{":kit!u@h PART #c :bye", pb.MemberEvent_KIND_LEFT},
		{":op!o@h KICK #c kit :out", pb.MemberEvent_KIND_KICKED},
	} {
		t.Run(c.kind.String(), func(t *testing.T) {
			s, waiting := namesWaitSession(t)
			joinSelf(s, "#c")
			got := chatInfoAsync(context.Background(), s, "#c")
			await(t, waiting, "ChatInfo's wait")
			m, err := ircmsg.ParseLine(c.line)
			if err != nil {
				t.Fatal(err)
			}
			s.gone(m, "#c", "kit", c.kind, "")
			wantNotFound(t, await(t, got, "ChatInfo's answer"))
		})
	}
}
