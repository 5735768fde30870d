package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
	pb "passerelle.im/passerelle/plugins/proto"
)

// heldStream is a Commands stream whose Send waits until release is
// closed (a plugin that does not read its stream), noting what is sent.
type heldStream struct {
	pb.Transport_CommandsClient
	release chan struct{}
	// broken, when closed, fails the Send waiting (the plugin died).
	broken    chan struct{}
	breakOnce sync.Once
	// entered gets a token as each Send begins.
	entered chan struct{}
	mu      sync.Mutex
	sent    []string
}

func newHeldStream() *heldStream {
	return &heldStream{release: make(chan struct{}), broken: make(chan struct{}), entered: make(chan struct{}, 64)}
}

// brk breaks the stream: the plugin died.
func (s *heldStream) brk() { s.breakOnce.Do(func() { close(s.broken) }) }

func (s *heldStream) Send(c *pb.Command) error {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	select {
	case <-s.release:
	case <-s.broken:
		return errors.New("the stream broke")
	}
	s.mu.Lock()
	s.sent = append(s.sent, c.GetSend().GetText())
	s.mu.Unlock()
	return nil
}

func (s *heldStream) has(text string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.sent, text)
}

// attach makes s the running plugin's Commands stream, as runOnce does,
// with its writer; the func returned breaks s and ends the writer.
func attach(h *Host, s *heldStream) func() {
	out := make(chan *pb.Command, h.cfg.CommandQueue)
	wctx, wcancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.writeCommands(wctx, s, out); close(done) }()
	h.mu.Lock()
	h.cmds, h.out = s, out
	close(h.ready)
	h.mu.Unlock()
	return func() { wcancel(); s.brk(); <-done }
}

// TestExpiredInQueueNotSent: a command that timed out while it waited in
// the queue behind one the plugin does not take is told, once, that it
// was not sent, and is then dropped, not sent once the plugin reads
// again. Before, its caller heard it failed ("may or may not have been
// done") and the plugin got it anyway later: a message the user was told
// failed reached the network, twice if they sent it again.
func TestExpiredInQueueNotSent(t *testing.T) {
	logs := &syncbuf.Buffer{}
	// "held" carries a file: its limit (FileCommandTimeout) is not met
	// in the test, and the test expires it once it is on the stream;
	// "queued" has the short limit.
	h := New(Config{Name: "echo", Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		CommandTimeout: 50 * time.Millisecond, FileCommandTimeout: time.Hour})
	s := newHeldStream()
	defer attach(h, s)()

	results := make(chan *pb.CommandResult, 2)
	cmd := func(chat, text string) *pb.Command {
		return &pb.Command{LoginId: "u", ChatId: chat, TxnId: text, Action: &pb.Command_Send{Send: &pb.SendMessage{Text: text}}}
	}
	// "held" is taken by the writer, whose Send waits; "queued" waits
	// behind it (another chat: each is timed).
	held := cmd("a", "held")
	held.GetSend().Attachments = []*pb.Attachment{{}}
	h.Send(held, func(r *pb.CommandResult) { results <- r })
	<-s.entered
	h.Send(cmd("b", "queued"), func(r *pb.CommandResult) { results <- r })
	h.expire(held.CorrelationId, time.Hour) // what its timer does at last
	got := map[string]*pb.CommandResult{}
	for range 2 {
		select {
		case r := <-results:
			if r.CorrelationId == 1 {
				got["held"] = r
			} else {
				got["queued"] = r
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("results %v, want both commands timed out", got)
		}
	}
	if txt := got["queued"].GetError().GetText(); !strings.Contains(txt, "this was not sent") {
		t.Errorf("the queued command's result %v, want that it was not sent", got["queued"])
	}
	if txt := got["held"].GetError().GetText(); !strings.Contains(txt, "may or may not") {
		t.Errorf("the command on the stream's result %v, want that it may or may not have been done", got["held"])
	}
	close(s.release) // the plugin reads again
	deadline := time.Now().Add(30 * time.Second)
	for !s.has("queued") && !strings.Contains(logs.String(), "given up on before it was sent is dropped") {
		if time.Now().After(deadline) {
			t.Fatalf("the queued command was neither sent nor dropped:\n%s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s.has("queued") {
		t.Fatal("a command its caller was told had timed out was sent to the plugin afterwards")
	}
	if !s.has("held") {
		t.Error("the command on the stream was not sent")
	}
}

// TestRefusalWarnedAgainAfterRestart: a plugin that does not read its
// Commands stream is warned of once per process: a restarted one that
// does not read its stream either is warned of again. Before, the count
// of refusals outlived the process (only a queue emptied by its writer
// reset it), so the second plugin's full queue went unlogged, and a
// restarted plugin that read was logged as taking commands "again" with
// the dead one's count.
func TestRefusalWarnedAgainAfterRestart(t *testing.T) {
	logs := &syncbuf.Buffer{}
	h := New(Config{Name: "echo", Log: slog.New(slog.NewTextHandler(logs, nil)), CommandTimeout: time.Hour, CommandQueue: 2})
	refused := make(chan struct{}, 16)
	fill := func() {
		t.Helper()
		// The writer takes one and waits in its Send; the queue holds
		// two; the next is refused.
		for i := range 4 {
			h.Send(&pb.Command{LoginId: "u", ChatId: fmt.Sprint(i), Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "m"}}},
				func(r *pb.CommandResult) {
					if strings.Contains(r.GetError().GetText(), "is not taking commands") {
						refused <- struct{}{}
					}
				})
		}
		select {
		case <-refused:
		case <-time.After(30 * time.Second):
			t.Fatal("no command refused")
		}
	}
	s := newHeldStream()
	stop := attach(h, s)
	fill()
	stop() // the plugin dies
	h.down()
	defer attach(h, newHeldStream())()
	fill()
	if c := strings.Count(logs.String(), "is not taking commands"); c != 2 {
		t.Errorf("the warning is logged %d times, want once for each of the two plugin processes:\n%s", c, logs)
	}
	if strings.Contains(logs.String(), "takes commands again") {
		t.Errorf("a plugin that took no command is logged as taking commands again:\n%s", logs)
	}
}

// resultStream is heldStream whose Recv yields the results put in
// results, then waits for the stream's end.
type resultStream struct {
	*heldStream
	results chan *pb.CommandResult
}

func (s *resultStream) Recv() (*pb.CommandResult, error) {
	select {
	case r := <-s.results:
		return r, nil
	case <-s.broken:
		return nil, errors.New("the stream broke")
	}
}

// TestAnswerForUnsentCommandIsStray: a result naming a command the
// plugin cannot have got yet (still in the queue: the plugin made its
// correlation_id up, or took another's) is dropped as stray; the
// command's caller does not hear of a send that never was, and the
// command goes out when its turn comes. Before, its caller got the
// made-up result, and the plugin the command later, its answer then
// stray.
func TestAnswerForUnsentCommandIsStray(t *testing.T) {
	h := New(Config{Name: "echo", Log: slog.New(slog.DiscardHandler), CommandTimeout: time.Hour})
	s := &resultStream{heldStream: newHeldStream(), results: make(chan *pb.CommandResult, 1)}
	defer attach(h, s.heldStream)()
	reading := make(chan error, 1)
	go func() { reading <- h.readResults(s) }()
	results := make(chan *pb.CommandResult, 2)
	send := func(text string) {
		h.Send(&pb.Command{LoginId: "u", ChatId: text, Action: &pb.Command_Send{Send: &pb.SendMessage{Text: text}}},
			func(r *pb.CommandResult) { results <- r })
	}
	send("held")   // correlation 1, on the stream, its Send waiting
	send("queued") // correlation 2, in the queue
	s.results <- &pb.CommandResult{CorrelationId: 2, MessageId: "made up"}
	deadline := time.Now().Add(30 * time.Second)
	for h.StrayResults() == 0 {
		select {
		case r := <-results:
			t.Fatalf("the queued command's caller got a result the plugin could not give: %v", r)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the made-up result was neither stray nor given to the command")
		}
	}
	close(s.release)
	for !s.has("queued") {
		if time.Now().After(deadline) {
			t.Fatal("the queued command was not sent once the plugin read again")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDownSaysWhatWasNotSent: when the plugin stops, a command that
// still waited in the queue (never on the stream) fails saying it was
// not sent; one on the stream, that it may or may not have been. Before,
// both said "may or may not", and the user could not tell a message
// safe to send again from one perhaps delivered.
func TestDownSaysWhatWasNotSent(t *testing.T) {
	h := New(Config{Name: "echo", Log: slog.New(slog.DiscardHandler), CommandTimeout: time.Hour})
	s := newHeldStream()
	defer attach(h, s)()
	results := make(chan *pb.CommandResult, 2)
	send := func(text string) *pb.Command {
		c := &pb.Command{LoginId: "u", ChatId: text, Action: &pb.Command_Send{Send: &pb.SendMessage{Text: text}}}
		h.Send(c, func(r *pb.CommandResult) { results <- r })
		return c
	}
	held := send("held")
	<-s.entered // on the stream, its Send waiting
	send("queued")
	h.down() // the plugin died
	for range 2 {
		r := <-results
		txt := r.GetError().GetText()
		if r.CorrelationId == held.CorrelationId {
			if !strings.Contains(txt, "may or may not") {
				t.Errorf("the command on the stream: %q, want that it may or may not have been sent", txt)
			}
		} else if !strings.Contains(txt, "was not sent") || strings.Contains(txt, "may or may not") {
			t.Errorf("the command still queued: %q, want that it was not sent", txt)
		}
	}
}
