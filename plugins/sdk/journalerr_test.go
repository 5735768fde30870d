package sdk

import (
	"os"
	"strings"
	"testing"
	"time"
)

// A journal whose writes fail (a full disk) is logged once, then at most
// every journalWriteLogEvery with the failures not logged meanwhile, and
// once more when it writes again; the events kept for the retry reach
// the file then. It was logged at every flush: once or twice an event.
func TestJournalWriteFailureLoggedOnce(t *testing.T) {
	dir := t.TempDir()
	j, pending, acked, maxSeq := mustOpenJournal(t, dir)
	var logged logBuffer
	q := newEventQueue(j, pending, acked, maxSeq, logged.logger())
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	q.jerr.now = func() time.Time { return now }
	count := func(s string) int { return strings.Count(logged.String(), s) }

	good := j.f
	bad, err := os.Open(good.Name()) // read-only: every write fails
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	j.f = bad
	for range 5 {
		q.emit(msgEvent("x"))
		q.flush()
	}
	if n := count("event journal write failed"); n != 1 {
		t.Fatalf("5 failed writes: %d log lines, want 1:\n%s", n, logged.String())
	}

	now = now.Add(journalWriteLogEvery)
	q.emit(msgEvent("x"))
	q.flush()
	if n := count("event journal write failed"); n != 2 || !strings.Contains(logged.String(), `"suppressed":4`) {
		t.Fatalf("a minute on: %d log lines, want 2, the second with the 4 failures not logged:\n%s", n, logged.String())
	}

	j.f = good
	q.emit(msgEvent("x"))
	q.flush()
	if n := count("event journal writes again"); n != 1 {
		t.Fatalf("writing again: %d log lines saying so, want 1:\n%s", n, logged.String())
	}
	q.emit(msgEvent("x"))
	q.flush()
	if n := count("event journal writes again"); n != 1 {
		t.Fatalf("%d log lines saying the journal writes again, want still 1", n)
	}
	q.close()

	_, pending, _, _ = mustOpenJournal(t, dir)
	if len(pending) != 8 {
		t.Fatalf("the journal holds %d events, want all 8", len(pending))
	}
}
