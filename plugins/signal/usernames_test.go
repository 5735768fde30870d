package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Someone who shares no phone number is added by their Signal username
// (or its link): signal-cli's getUserStatus finds their ACI, and the
// contact is theirs. Before, a username was refused as no phone number.
func TestResolveUsername(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	const erinACI = "e1e10000-0000-4000-8000-00000000000e" // shares no number
	d.SetUsername("erin.42", erinACI)
	link := "https://signal.me/#eu/Hx3kD9aQ_Zz"
	d.SetUsername(link, erinACI)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	resolve := func(id string) (*pb.Contact, error) {
		return s.p.Client().ResolveIdentifier(ctx, &pb.ResolveIdentifierRequest{LoginId: s.loginID, Identifier: id})
	}
	for _, typed := range []string{"erin.42", " @Erin.42", "u:erin.42"} {
		c, err := resolve(typed)
		if err != nil || c.UserId != erinACI || c.Username != "erin.42" {
			t.Fatalf("%q resolved as %v %v", typed, c, err)
		}
	}
	if c, err := resolve(link); err != nil || c.UserId != erinACI {
		t.Fatalf("the username link resolved as %v %v", c, err)
	}
	if req, _ := lastRequest(d, "getUserStatus"); strings.Join(anyStrings(req.Params["username"]), ",") != link {
		t.Fatalf("the link was looked up as %v", req.Params)
	}
	// A username no one has: not found, saying so.
	if _, err := resolve("nobody.99"); sdk.FromGRPC(err).Code != pb.ErrorCode_ERROR_CODE_NOT_FOUND || !strings.Contains(err.Error(), "nobody.99") {
		t.Fatalf("an unknown username: %v", err)
	}
	// What is neither a number nor a username is refused before Signal
	// is asked, naming both.
	n := d.Calls("getUserStatus")
	if _, err := resolve("erin"); sdk.FromGRPC(err).Code != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(err.Error(), "username") || d.Calls("getUserStatus") != n {
		t.Fatalf("no username: %v", err)
	}
	// The contact found is written to by their ACI.
	if res := s.do(erinACI, &pb.SendMessage{Text: "hi erin"}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if req, _ := lastRequest(d, "send"); strings.Join(anyStrings(req.Params["recipient"]), ",") != erinACI {
		t.Fatalf("sent to %v", req.Params)
	}
}
