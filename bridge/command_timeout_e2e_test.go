package bridge_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// hangLimit is the echo plugin's command limit in TestHungSendAnswered.
const hangLimit = time.Second

// TestHungSendAnswered: a send whose network call never returns (echo's
// "hang", which ignores its context) is answered, once the SDK's limit
// passed, with service-unavailable saying the network did not answer and
// the message may or may not have been sent; the chat's next message,
// queued behind it on the same shard, is then delivered.
func TestHungSendAnswered(t *testing.T) {
	// The gateway passes the plugin only a few variables: a wrapper sets
	// the echo plugin's test knob.
	wrapper := filepath.Join(t.TempDir(), "echo-short-limit")
	script := "#!/bin/sh\n" + echo.CommandTimeoutEnv + "=" + hangLimit.String() + " exec '" + echoBin + "' \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	s := newStack(t, stackOptions{plugin: wrapper})
	alice := registered(t, s, "alice")

	start := time.Now()
	hung := sendChat(t, alice, "bob@"+domain, "hang")
	sendChat(t, alice, "bob@"+domain, "after the hang")
	// The error (a command's result) and the next message's echo (an
	// event) come on separate streams: in either order.
	var failed, echoed bool
	for !failed || !echoed {
		st := next(t, alice, "the hung send's error and the next echo", func(s xmpptest.Stanza) bool { return s.Type == "error" || s.Body != "" })
		took := time.Since(start)
		switch {
		case st.Type == "error" && st.ID == hung && !failed:
			if st.Err == nil || st.Err.Condition != "service-unavailable" ||
				!strings.Contains(st.Err.Text, "did not answer") || !strings.Contains(st.Err.Text, "may or may not have been sent") {
				t.Fatalf("want service-unavailable saying the network did not answer, got %s", st.XML)
			}
			failed = true
		case st.Type == "chat" && st.Body == "after the hang" && !echoed:
			echoed = true
		default:
			t.Fatalf("unexpected stanza: %s", st.XML)
		}
		// Each comes once the hung send was given up on: the next
		// message waited behind it, in order.
		if took < hangLimit {
			t.Fatalf("%s after %v, before the limit %v", st.XML, took, hangLimit)
		}
	}
}
