package signal_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// react sends alice's reaction (no emoji: its removal) to bob's message
// ts and returns the sendReaction request it made, or false when none.
func (s *session) react(ts int64, emojis ...string) (fakesignal.Request, bool) {
	s.t.Helper()
	meta, _ := json.Marshal(map[string]any{"a": bob, "t": ts})
	before := s.d.Calls("sendReaction")
	if res := s.do(bob, &pb.React{TargetId: itoa(ts), TargetMeta: meta, Emojis: emojis}); res.Error != nil {
		s.t.Fatalf("react %q: %v", emojis, res.Error)
	}
	if s.d.Calls("sendReaction") == before {
		return fakesignal.Request{}, false
	}
	return lastRequest(s.d, "sendReaction")
}

func wantRemoval(t *testing.T, req fakesignal.Request, ok bool, emoji string, ts int64) {
	t.Helper()
	if !ok || req.Params["emoji"] != emoji || req.Params["remove"] != true || req.Params["targetTimestamp"] != float64(ts) || req.Params["targetAuthor"] != bob {
		t.Fatalf("removal: %v (sent: %v), want %s removed from %d", req.Params, ok, emoji, ts)
	}
}

// Signal removes a reaction by its emoji: the user's reactions outlive
// the plugin (SIGKILL), so that a removal after a restart names the
// emoji set before, whether set from XMPP (then replaced) or on the
// phone; a damaged file is said in the log and the good lines kept.
func TestMyReactionsAfterRestart(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	first, second, third := d.Now(), d.Now(), d.Now()

	if _, ok := s.react(first, "❤️"); !ok {
		t.Fatal("no reaction sent")
	}
	s.react(second, "👍")
	s.react(second, "😂") // replaces 👍
	s.react(third, "🔥")
	s.react(third) // removed
	// One set on the phone, on bob's message the gateway had (one it
	// never had makes a notice: earlierreactions.go).
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: third,
		DataMessage: &fakesignal.DataMessage{Timestamp: third, Message: fakesignal.Text("third")}})
	s.next(isText("third"))
	fromPhone := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SourceDevice: 1, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DataMessage: fakesignal.DataMessage{Timestamp: fromPhone,
			Reaction: &fakesignal.Reaction{Emoji: "🙏", TargetAuthorNumber: bob, TargetAuthorUUID: bobACI, TargetSentTimestamp: third}}}}})
	s.next(func(ev *pb.Event) bool { return ev.GetReaction() != nil && ev.TimestampUnixMicro == fromPhone*1000 })

	s.crash()

	req, ok := s.react(first)
	wantRemoval(t, req, ok, "❤️", first)
	req, ok = s.react(second)
	wantRemoval(t, req, ok, "😂", second)
	req, ok = s.react(third)
	wantRemoval(t, req, ok, "🙏", third)
	if _, ok := s.react(first); ok {
		t.Fatal("a reaction removed twice was removed again")
	}

	// A damaged file: garbage and a line cut mid-write.
	s.react(first, "🎉")
	s.p.Kill()
	path := filepath.Join(s.dir, "my-reactions.jsonl")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(append([]byte("garbage\n"), b...), `{"t":12,"e":"x`...), 0o600); err != nil {
		t.Fatal(err)
	}
	s.crash()
	if log := s.p.Stderr(); !strings.Contains(log, "the map of the user's reactions has damaged lines") || !strings.Contains(log, `"damaged":2`) {
		t.Fatalf("no clear log line about the damaged file in:\n%s", log)
	}
	req, ok = s.react(first)
	wantRemoval(t, req, ok, "🎉", first)
	s.react(second, "👀") // written after the repair
	s.crash()
	req, ok = s.react(second)
	wantRemoval(t, req, ok, "👀", second)
}
