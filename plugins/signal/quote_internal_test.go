package signal

import (
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
