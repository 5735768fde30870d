package whatsapp

import (
	"context"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A number typed with the international prefix most countries dial
// ("0033 6 22…", ITU's 00) is the number after it: it was looked up as
// "+0033…" and said not to be on WhatsApp. A number in its national form
// ("06 22…") is refused as lacking its country code, where it too was
// said not to be on WhatsApp (no number starts with 0 after a +).
func TestResolveInternationalPrefix(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.AddUser(bob)
	c, err := s.ResolveIdentifier(ctx, "0033 6 22 22 22 22", false)
	if err != nil || c.UserId != "+33622222222" {
		t.Errorf("0033 6 22 22 22 22: %v, %v", c, err)
	}
	_, err = s.ResolveIdentifier(ctx, "06 22 22 22 22", false)
	if codeOf(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(err.Error(), "country code") {
		t.Errorf("06 22 22 22 22: %v, want a request for the country code", err)
	}
	if got := normalizePhone("+0033612345678"); got != "" {
		t.Errorf("+0033612345678 normalized to %q, want none", got)
	}
}
