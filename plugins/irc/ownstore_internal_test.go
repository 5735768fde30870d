package irc

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// History's copy of a line the user sent without an echo is the
// user's line to the same target with the same words (formatting
// aside), within ownLineWindow of the send, once; one of the same words
// long before (from another client of theirs) is not taken for it. The
// record is on disk once a batch was read (flushOwn), and a session
// loaded again reads it.
func TestUnechoedLineTakenOnce(t *testing.T) {
	dir := t.TempDir()
	n := &Network{host: &stateHost{}, dataDir: dir}
	s := newSession(n, "kit@irc.test:6667/x", Account{})
	sent := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	s.mu.Lock()
	s.own.Lines = append(s.own.Lines, ownLine{Digest: s.lineDigest("#Room", false, "ok"), Sent: sent, Nick: "kit"})
	d := s.lineDigest("#room", false, "\x02ok\x02") // folded target, bold: the same line
	switch {
	case s.takeUnechoedLineLocked(d, "Kit", sent.Add(-time.Hour), "old-1"):
		t.Error("a line of the same words an hour before the send was taken for it")
	case s.takeUnechoedLineLocked(s.lineDigest("#room", true, "ok"), "kit", sent, "act-1"):
		t.Error("a /me of the same words was taken for the line")
	case s.takeUnechoedLineLocked(d, "zoe", sent.Add(time.Minute), "zoe-1"):
		t.Error("zoe's line of the same words was taken for the line sent under kit")
	case !s.takeUnechoedLineLocked(d, "Kit", sent.Add(time.Minute), "srv-1"):
		t.Error("history's copy a minute after the send was not taken")
	case s.takeUnechoedLineLocked(d, "kit", sent.Add(time.Minute), "srv-2"):
		t.Error("a second copy was taken for the one line")
	}
	s.mu.Unlock()
	s.flushOwn()
	again := newSession(n, "kit@irc.test:6667/x", Account{})
	if !again.ownMsgidLocked("srv-1") || again.ownMsgidLocked("old-1") || len(again.own.Lines) != 0 {
		t.Errorf("the record read again: %+v; want srv-1 kept and the line taken", again.own.ownRecord)
	}
	if got, want := again.own.path, filepath.Join(dir, filepath.Base(again.own.path)); got != want {
		t.Errorf("the record's file %s is not in the data folder %s", got, dir)
	}
}

// A reaction kept before it goes and then not sent (forgetUnechoedReaction)
// is gone from disk at once: left there, a plugin killed before the
// next write read it back, and history's copy of the same reaction
// made later, from another client, was taken for it and hidden.
func TestUnsentReactionForgottenOnDisk(t *testing.T) {
	n := &Network{host: &stateHost{}, dataDir: t.TempDir()}
	s := newSession(n, "kit@irc.test:6667/x", Account{})
	const key = "react\x00👍\x00h-1"
	s.mu.Lock()
	s.own.Reactions, s.own.dirty = append(s.own.Reactions, key), true
	s.mu.Unlock()
	s.flushOwn() // as React does before the send
	s.forgetUnechoedReaction(key)
	again := newSession(n, "kit@irc.test:6667/x", Account{}) // after a kill
	if len(again.own.Reactions) != 0 {
		t.Errorf("the record read again keeps the unsent reaction: %q", again.own.Reactions)
	}
}

// The user's reactions taken back are kept on disk bounded, as the
// other lists are (the last ownKept), and a session loaded again knows
// them as taken back (a REDACT of one is no retraction); one that
// stands again (its REDACT could not go) is taken out of the list.
func TestWithdrawnReactionsKeptBounded(t *testing.T) {
	n := &Network{host: &stateHost{}, dataDir: t.TempDir()}
	s := newSession(n, "kit@irc.test:6667/x", Account{})
	s.mu.Lock()
	s.caps = map[string]bool{redactCap: true, "message-tags": true}
	for i := range ownKept + 1 {
		s.noteWithdrawnLocked(fmt.Sprintf("t-%d", i), "#room", true)
	}
	s.noteReactionIDLocked("t-7", reactRef{k: reactKey{msgid: "h-1", who: s.loginID}, emoji: "👍", chat: "#room"})
	s.mu.Unlock()
	s.flushOwn()
	again := newSession(n, "kit@irc.test:6667/x", Account{})
	if got := len(again.own.Withdrawn); got != ownKept-1 {
		t.Errorf("%d reactions taken back read again; want %d (the last %d, but t-7, standing)", got, ownKept-1, ownKept)
	}
	for id, want := range map[string]bool{"t-0": false, "t-1": true, "t-7": false, fmt.Sprintf("t-%d", ownKept): true} {
		if _, got := again.withdrawnReacts[id]; got != want {
			t.Errorf("%s known taken back after a load: %v; want %v", id, got, want)
		}
	}
}

// A Logout's record stays gone: what the session notes after it (the
// connection's end, which comes later, reads the reactions a cut
// Backfill held) is written nowhere. Before, that flush made the file
// again, and a login made again under the same ID read it back.
func TestRemovedOwnRecordNotWrittenAgain(t *testing.T) {
	n := &Network{host: &stateHost{}, dataDir: t.TempDir()}
	s := newSession(n, "kit@irc.test:6667/x", Account{})
	s.mu.Lock()
	s.keepOwnMsgidLocked("m-1")
	s.mu.Unlock()
	s.flushOwn()
	s.removeOwn()
	s.mu.Lock()
	s.keepOwnMsgidLocked("m-2") // read after the Logout
	s.mu.Unlock()
	s.flushOwn()
	again := newSession(n, "kit@irc.test:6667/x", Account{})
	if len(again.own.Msgids) != 0 {
		t.Errorf("the record after the Logout: %v; want none", again.own.Msgids)
	}
}
