package bridge

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// The store, which imports nothing of ours, holds its own bounds; the
// SDKs refuse at emit what goes past the contract's (pb.Limit). They must
// be one: a store stricter than the contract drops, in its log alone,
// what the SDK let through; a looser one keeps what the SDK refused.
func TestContractLimitsAreTheStores(t *testing.T) {
	if got, want := int(pb.Limit_LIMIT_META_BYTES), store.MaxMeta; got != want {
		t.Errorf("contract's LIMIT_META_BYTES = %d, the store's MaxMeta = %d", got, want)
	}
	if got, want := int(pb.Limit_LIMIT_ID_BYTES), store.MaxKeyPart; got != want {
		t.Errorf("contract's LIMIT_ID_BYTES = %d, the store's MaxKeyPart = %d", got, want)
	}
}
