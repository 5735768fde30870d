package sdk

import "testing"

func TestTxnDigest(t *testing.T) {
	c := Call{ChatID: "bob", TxnID: "origin-1"}
	d, ok := TxnDigest("alice", c, 0)
	if again, _ := TxnDigest("alice", c, 0); !ok || again != d {
		t.Fatalf("the same txn twice: %x, %x (ok %v)", d, again, ok)
	}
	for name, other := range map[string]func() ([32]byte, bool){
		"another part":  func() ([32]byte, bool) { return TxnDigest("alice", c, 1) },
		"another txn":   func() ([32]byte, bool) { return TxnDigest("alice", Call{ChatID: "bob", TxnID: "origin-2"}, 0) },
		"another chat":  func() ([32]byte, bool) { return TxnDigest("alice", Call{ChatID: "carol", TxnID: "origin-1"}, 0) },
		"another login": func() ([32]byte, bool) { return TxnDigest("dave", c, 0) },
	} {
		if o, ok := other(); !ok || o == d {
			t.Errorf("%s: %x, the same digest (ok %v)", name, o, ok)
		}
	}
	if _, ok := TxnDigest("alice", Call{ChatID: "bob"}, 0); ok {
		t.Error("a command without a txn has a digest")
	}
}
