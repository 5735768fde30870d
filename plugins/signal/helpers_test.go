package signal_test

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// hexGroup is the chat ID of a base64 group ID.
func hexGroup(gid string) string {
	b, _ := base64.StdEncoding.DecodeString(gid)
	return hex.EncodeToString(b)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// mid is the ID of the message of timestamp ts by author (an ACI, or
// the number of an account without one known).
func mid(ts int64, author string) string { return itoa(ts) + ":" + author }

// keyOf is the author part of the IDs of the messages of the user ID
// who: the ACI of bob and carol, alice's number (her account has no ACI
// known in the existing flow).
func keyOf(who string) string {
	switch who {
	case bob:
		return bobACI
	case carol:
		return carolACI
	}
	return who
}

// stamp is the timestamp of a message ID.
func stamp(id string) string { return stamps([]string{id})[0] }

// stamps are the timestamps of message IDs.
func stamps(ids []string) []string {
	out := []string{}
	for _, id := range ids {
		ts, _, _ := strings.Cut(id, ":")
		out = append(out, ts)
	}
	return out
}

// atoi is the number s, or the timestamp of the message ID s.
func atoi(t *testing.T, s string) int64 {
	t.Helper()
	s, _, _ = strings.Cut(s, ":")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// groupKnown starts a fake daemon and a session of alice's that knows a
// group, gid (group: its chat ID), from bob's first message in it.
func groupKnown(t *testing.T) (d *fakesignal.Daemon, gid string, s *session, group string) {
	t.Helper()
	d, gid = startFake(t)
	s = newSession(t, d)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("hi all"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	s.next(isText("hi all"))
	return d, gid, s, hexGroup(gid)
}

// waitLogged waits until the plugin's log says each of says: its stderr
// is read as the plugin writes it, so a line logged just before a
// command's answer may come after it. It fails the test, naming what,
// after 10 s.
func waitLogged(t *testing.T, s *session, what string, says ...string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		log := s.p.Stderr()
		all := true
		for _, x := range says {
			all = all && strings.Contains(log, x)
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not logged:\n%s", what, log)
		}
	}
}

// waitGroupsRead waits until the session has read its groups at its
// connection (signal-cli's listGroups asked once), so that a test counts
// or breaks only the reads that come after. It fails the test after 10 s.
func waitGroupsRead(t *testing.T, d *fakesignal.Daemon) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); d.Calls("listGroups") == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the session never read its groups")
		}
	}
}
