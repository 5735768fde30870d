package bridge

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/store"
)

// TestMAMDelayIsArchiveTime: a room archive result's <delay/> is the
// message's arrival, the time the query's start and end bound, so that
// what a query returns lies within the range the client asked, by the
// times it shows; a late message keeps the network's time in its own
// delay. Before, the result showed the network's time: a message that
// came an hour late, returned for a start after its network time, was
// stamped before that start.
func TestMAMDelayIsArchiveTime(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	room := store.RoomKey{Transport: "echo", UserJID: "alice@localhost", RoomID: "r"}
	arrived := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
	sent := arrived.Add(-time.Hour)
	payload := `<message from="r@echo.localhost/Bob" type="groupchat"><body>late</body><delay xmlns="urn:xmpp:delay" stamp="` + sent.Format(stampLayout) + `"/></message>`
	if _, err := db.AppendArchive(ctx, room, []store.ArchivedMessage{{Time: sent, Arrived: arrived, Nick: "Bob", RemoteID: "m1", Payload: []byte(payload)}}); err != nil {
		t.Fatal(err)
	}
	start := arrived.Add(-time.Second)
	page, err := db.QueryArchive(ctx, room, store.ArchiveQuery{Start: start})
	if err != nil || len(page.Messages) != 1 {
		t.Fatalf("query from before the arrival: %d messages, %v", len(page.Messages), err)
	}
	got, ok := mamResult("r@echo.localhost", "alice@localhost/phone", "m1", "q", &page.Messages[0], "")
	if !ok {
		t.Fatal("no result")
	}
	if want := `<forwarded xmlns="urn:xmpp:forward:0"><delay xmlns="urn:xmpp:delay" stamp="` + arrived.Format(stampLayout) + `"/>`; !strings.Contains(string(got), want) {
		t.Errorf("the result is not stamped with the arrival the query bounds (start %s):\n%s", start.Format(stampLayout), got)
	}
	if !strings.Contains(string(got), `stamp="`+sent.Format(stampLayout)+`"/></message>`) {
		t.Errorf("the late message lost its own delay with the network's time:\n%s", got)
	}
}
