package bridge

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestLoginWaitRunsOutTold: a login whose display step (a QR code) the
// user leaves until the wait gives up ends with the user told it failed.
// Before, the failure was written under the wait's own ended deadline,
// which the link refuses: the user heard nothing.
func TestLoginWaitRunsOutTold(t *testing.T) {
	tr, _, _, sent := occupantFixture(t) // no plugin: the wait runs out
	tr.procs = map[string]*loginProc{}
	p := &loginProc{t: tr, user: "alice@localhost", via: "chat", changed: make(chan struct{}), touched: time.Now(), answers: map[string]string{}, waiting: true}
	tr.procs[p.user] = p
	p.waitAtMost(context.Background(), "p1", 50*time.Millisecond)
	var told bool
	for _, o := range sent() {
		if b, ok := o.Body(); ok && o.Kind() == "message" && strings.HasPrefix(b, "The login failed") {
			told = true
		}
	}
	if !told {
		t.Error("the user was not told the login failed when its wait ran out")
	}
	if tr.procOf(p.user) != nil {
		t.Error("the login stayed open")
	}
}
