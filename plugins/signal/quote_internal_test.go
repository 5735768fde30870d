package signal

import (
	"encoding/json"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/sdk"
)

// A reply's metadata keeps what it quoted within sdk.MaxMetaBytes: the
// message's own words first, then what it quoted, shortened or left
// out, never the reply itself.
func TestReplyMetaBounded(t *testing.T) {
	long := strings.Repeat("\x01", maxQuoteBytes) // six bytes each in JSON
	reply := &replyRef{Timestamp: 777, Author: "+15550000002", Quote: &quoted{Text: long, Type: "image/jpeg"}}
	b := quoteMeta("+15550000001", 1000, long, nil, "", reply)
	if len(b) > sdk.MaxMetaBytes {
		t.Fatalf("metadata of %d bytes, over %d", len(b), sdk.MaxMetaBytes)
	}
	if r := replyOfMeta(b); r == nil || r.Timestamp != 777 || r.Author != "+15550000002" {
		t.Fatalf("the reply is not kept: %s", b)
	}
	short := &replyRef{Timestamp: 777, Author: "+15550000002", Quote: &quoted{Text: "look", Type: "image/jpeg"}}
	if r := replyOfMeta(quoteMeta("+15550000001", 1000, "nice", nil, "", short)); r == nil || r.Quote == nil || r.Quote.Text != "look" {
		t.Fatalf("what a reply quoted is not kept: %+v", r)
	}
}

// When the message's own words and what it quoted do not both fit, its
// own words are kept whole (they are what a reply to it quotes) and
// what it quoted is left out, the reply itself kept. (Before: its own
// words were cut short to keep what it quoted.)
func TestReplyMetaKeepsOwnWordsFirst(t *testing.T) {
	own := strings.Repeat("&", 140)   // six bytes each in JSON: fits alone
	theirs := strings.Repeat("&", 60) // but not beside this
	reply := &replyRef{Timestamp: 777, Author: "+15550000002", Quote: &quoted{Text: theirs}}
	b := quoteMeta("+15550000001", 1000, own, nil, "", reply)
	var m msgMeta
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.Quote == nil || m.Quote.Text != own || m.Reply == nil || m.Reply.Timestamp != 777 || m.Reply.Quote != nil {
		t.Fatalf("metadata %s: want the message's own words whole, the reply without its quote", b)
	}
}
