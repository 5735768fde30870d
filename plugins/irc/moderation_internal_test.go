package irc

import (
	"errors"
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// roleModes is the reverse of prefixes.role: what each role and
// affiliation asked of a member with these modes sends, and what it
// refuses.
func TestRoleModes(t *testing.T) {
	const (
		part, mod, vis       = pb.Role_ROLE_PARTICIPANT, pb.Role_ROLE_MODERATOR, pb.Role_ROLE_VISITOR
		member, admin, owner = pb.Affiliation_AFFILIATION_MEMBER, pb.Affiliation_AFFILIATION_ADMIN, pb.Affiliation_AFFILIATION_OWNER
	)
	for _, tc := range []struct {
		modes string
		role  pb.Role
		aff   pb.Affiliation
		want  string
		code  pb.ErrorCode // of the refusal; 0: none
	}{
		{"", mod, member, "+o", 0},
		{"v", mod, member, "+o", 0},
		{"", part, admin, "+o", 0},
		{"", mod, admin, "+o", 0},
		{"", part, member, "+v", 0},
		{"v", part, member, "", 0},
		{"v", vis, member, "-v", 0},
		{"", vis, member, "", 0},
		{"o", mod, admin, "", 0},
		{"o", part, admin, "-o", 0},
		{"ov", part, admin, "-o", 0},
		{"o", mod, member, "-o", 0},
		{"ov", vis, admin, "-ov", 0},
		{"h", part, member, "-h", 0},
		{"h", mod, admin, "+o", 0},
		{"h", vis, admin, "", pb.ErrorCode_ERROR_CODE_BAD_REQUEST},
		{"", mod, owner, "", pb.ErrorCode_ERROR_CODE_UNSUPPORTED},
		{"q", mod, owner, "", 0},
		{"q", part, owner, "", pb.ErrorCode_ERROR_CODE_UNSUPPORTED},
		{"q", mod, admin, "", pb.ErrorCode_ERROR_CODE_UNSUPPORTED},
		{"a", part, admin, "", pb.ErrorCode_ERROR_CODE_UNSUPPORTED},
		{"", part, pb.Affiliation_AFFILIATION_OUTCAST, "", pb.ErrorCode_ERROR_CODE_BAD_REQUEST},
		{"", part, pb.Affiliation_AFFILIATION_NONE, "", pb.ErrorCode_ERROR_CODE_BAD_REQUEST},
	} {
		got, err := roleModes(defaultPrefixes, tc.modes, &pb.SetRole{Role: tc.role, Affiliation: tc.aff})
		var code pb.ErrorCode
		if e := (*sdk.Error)(nil); errors.As(err, &e) {
			code = e.Code
		}
		if got != tc.want || code != tc.code {
			t.Errorf("%q asked %v/%v: %q, %v; want %q, %v", tc.modes, tc.role, tc.aff, got, err, tc.want, tc.code)
		}
	}
	// A server without voice cannot give it.
	if _, err := roleModes(prefixes{modes: "o", symbols: "@"}, "", &pb.SetRole{Role: part, Affiliation: member}); err == nil {
		t.Error("+v given on a server without v")
	}
}

// A ban mask matches as IRC servers match them: * any run, ? any one
// character, names casefolded (RFC 1459: [ is {).
// The bans lifted for someone are those naming them, not those naming
// everyone.
func TestBansOf(t *testing.T) {
	list := []string{"*!*@*", "*", "*!*@127.0.0.2", "*!*@*.0.0.2", "erin!*@*", "*!*@127.0.0.3", "*!*@*.invalid"}
	got := bansOf(cmRFC1459, list, "erin!~erin@127.0.0.2")
	if want := []string{"*!*@127.0.0.2", "*!*@*.0.0.2", "erin!*@*"}; !slices.Equal(got, want) {
		t.Errorf("bansOf = %q, want %q", got, want)
	}
}

func TestMaskMatches(t *testing.T) {
	for _, tc := range []struct {
		mask, subject string
		want          bool
	}{
		{"*!*@127.0.0.2", "erin!~erin@127.0.0.2", true},
		{"*!*@127.0.0.2", "erin!~erin@127.0.0.20", false},
		{"*!~fay@127.0.0.1", "fay2!~fay@127.0.0.1", true},
		{"*!~fay@127.0.0.1", "wes!~wes@127.0.0.1", false},
		{"gus!*@*", "gus!*@*", true},
		{"GUS!*@*", "gus!~g@host", true},
		{"*!*@127.0.0.2", "erin!*@*", false}, // a host ban does not match a nick alone
		{"[a]!*@*", "{A}!u@h", true},
		{"e?in!*@*", "erin!u@h", true},
		{"e?in!*@*", "ein!u@h", false},
		{"*a*b*", "xaxxbx", true},
		{"*a*b", "xaxxbx", false},
		{"*", "anything!at@all", true},
		{"", "x", false},
	} {
		if got := cmRFC1459.maskMatches(tc.mask, tc.subject); got != tc.want {
			t.Errorf("maskMatches(%q, %q) = %v, want %v", tc.mask, tc.subject, got, tc.want)
		}
	}
}
