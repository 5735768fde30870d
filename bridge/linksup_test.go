package bridge

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
)

// upFake is up once up is closed.
type upFake struct{ up chan struct{} }

func (f upFake) WaitUp(ctx context.Context) error {
	select {
	case <-f.up:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestLinksUpOneLine: once every transport's link is up, one INFO line
// names the server and the transports; before, the operator had to
// count "component link up" lines to know the start was done.
func TestLinksUpOneLine(t *testing.T) {
	logs := &syncbuf.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	a, b := upFake{make(chan struct{})}, upFake{make(chan struct{})}
	done := make(chan struct{})
	go func() {
		linksUp(context.Background(), log, "localhost:5347", map[string]upWaiter{"wa.example.org": a, "tg.example.org": b}, time.Hour)
		close(done)
	}()
	close(a.up)
	close(b.up)
	<-done
	want := `level=INFO msg="connected to localhost:5347 with transports tg.example.org, wa.example.org"`
	if n := strings.Count(logs.String(), "connected to"); n != 1 || !strings.Contains(logs.String(), want) {
		t.Fatalf("log:\n%s\nwant one line %s", logs, want)
	}
}

// TestLinksUpSaysWhichNot: a transport not up within the wait is named
// in a warning with those that are; the summary comes once it is up.
// In a synctest bubble, the wait ends once every goroutine is blocked:
// the link already up has been counted (with a real 1 ms timer, a
// loaded machine fired it first, and the warning said up=none).
func TestLinksUpSaysWhichNot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := &syncbuf.Buffer{}
		log := slog.New(slog.NewTextHandler(logs, nil))
		a, b := upFake{make(chan struct{})}, upFake{make(chan struct{})}
		close(a.up)
		done := make(chan struct{})
		go func() {
			linksUp(context.Background(), log, "localhost:5347", map[string]upWaiter{"wa.example.org": a, "tg.example.org": b}, time.Minute)
			close(done)
		}()
		synctest.Wait()
		if strings.Contains(logs.String(), "not every transport") {
			t.Fatalf("a warning before the wait ended:\n%s", logs)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if !strings.Contains(logs.String(), `msg="not every transport connected to localhost:5347 yet" up=wa.example.org not_up=tg.example.org`) {
			t.Fatalf("no warning saying which are up and which not:\n%s", logs)
		}
		close(b.up)
		<-done
		if !strings.Contains(logs.String(), "connected to localhost:5347 with transports tg.example.org, wa.example.org") {
			t.Fatalf("no summary once all are up:\n%s", logs)
		}
	})
}

// TestLinksUpStopEndsIt: a stop before the links are up ends the wait
// with no summary (it would claim a connection that never was).
func TestLinksUpStopEndsIt(t *testing.T) {
	logs := &syncbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	linksUp(ctx, slog.New(slog.NewTextHandler(logs, nil)), "s", map[string]upWaiter{"a": upFake{make(chan struct{})}}, time.Hour)
	if strings.Contains(logs.String(), "connected to") {
		t.Fatalf("a summary after a stop:\n%s", logs)
	}
}
