package limits_test

import (
	"errors"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/limits"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestLimitsAreTheContracts: the bounds the SDK and the store enforce are
// those the contract (transport.proto's Limit) tells plugins in every
// language; a change to one side alone fails here.
func TestLimitsAreTheContracts(t *testing.T) {
	if got, want := limits.IDBytes, int(pb.Limit_LIMIT_ID_BYTES); got != want {
		t.Errorf("IDBytes = %d, the contract's LIMIT_ID_BYTES = %d", got, want)
	}
	if got, want := limits.MetaBytes, int(pb.Limit_LIMIT_META_BYTES); got != want {
		t.Errorf("MetaBytes = %d, the contract's LIMIT_META_BYTES = %d", got, want)
	}
}

func TestCheckID(t *testing.T) {
	for _, c := range []struct {
		id   string
		want error
	}{
		{"", nil},
		{"a", nil},
		{strings.Repeat("x", limits.IDBytes), nil},
		{strings.Repeat("x", limits.IDBytes+1), limits.ErrTooLong},
		{"a\x00b", limits.ErrNUL},
	} {
		if err := limits.CheckID(c.id); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("CheckID(%.20q... %d bytes) = %v, want %v", c.id, len(c.id), err, c.want)
		}
	}
}
