package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/store"
)

// TestRetractionTombstonesCorrections: a retracted room message's
// corrections, the network's (with a remote ID) and the user's (none),
// are tombstoned with it, so that neither a join's history nor MAM hands
// out the corrected words; a correction of another message is left.
// Before, only the original was tombstoned.
func TestRetractionTombstonesCorrections(t *testing.T) {
	tr, s, r := roomFixture(t)
	ctx := context.Background()
	for _, m := range []store.ArchivedMessage{
		{RemoteID: "m2", Nick: "One", Payload: []byte(`<message id="orig-2" to="alice@localhost" type="groupchat"><body>secret words</body></message>`)},
		{RemoteID: "e1", Nick: "One", Payload: []byte(`<message id="x-e1" to="alice@localhost" type="groupchat"><body>secret, corrected</body><replace xmlns="urn:xmpp:message-correct:0" id="orig-2"/></message>`)},
		{Nick: "Alice", Payload: []byte(`<message id="c3" to="alice@localhost" type="groupchat"><body>keep this</body><replace xmlns="urn:xmpp:message-correct:0" id="other"/></message>`)},
		{Nick: "One", Payload: []byte(`<message id="x-e2" to="alice@localhost" type="groupchat"><body>secret again</body><replace xmlns="urn:xmpp:message-correct:0" id="orig-2"/></message>`)},
	} {
		if _, dup := tr.archive(ctx, s.user, r, m); dup {
			t.Fatalf("%s archived as a duplicate", m.Payload)
		}
	}
	tr.tombstone(ctx, s.user, r, "m2", time.Now())
	page, err := tr.db.QueryArchive(ctx, tr.roomKey(s.user, r.chatID), store.ArchiveQuery{Max: store.MaxArchivePage})
	if err != nil {
		t.Fatal(err)
	}
	kept := false
	for _, m := range page.Messages {
		if strings.Contains(string(m.Payload), "secret") {
			t.Errorf("the retracted message's words are still in the archive: %s", m.Payload)
		}
		kept = kept || strings.Contains(string(m.Payload), "keep this")
	}
	if !kept {
		t.Error("a correction of another message was tombstoned too")
	}
	if n := len(page.Messages); n != 5 {
		t.Errorf("%d messages in the archive, want 5 (tombstones keep their places)", n)
	}
}
