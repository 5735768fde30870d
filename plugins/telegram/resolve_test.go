package telegram

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// ResolveIdentifier: a username (with or without @) and a phone number
// find their person; the ID of a user the session has seen (carol, a
// member of alice's group) is that user, with no network call (read as a
// phone number it led nowhere); a channel's name, a name nobody holds
// and nothing at all are not people, each with its code.
func TestResolveIdentifier(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 630, Title: "Gophers", Username: "gophers", Members: []int64{bob.ID}, Creator: bob.ID})
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatInfo(ctx, "-77"); err != nil { // carol is seen
		t.Fatal(err)
	}
	for _, ident := range []string{"@bob", "bob", " @bob "} {
		if c, err := s.ResolveIdentifier(ctx, ident, false); err != nil || c.UserId != "1002" {
			t.Errorf("%q: %v, %v; want bob", ident, c, err)
		}
	}
	if c, err := s.ResolveIdentifier(ctx, "+"+carol.Phone, false); err != nil || c.UserId != "1003" {
		t.Errorf("carol's phone: %v, %v", c, err)
	}
	asked := srv.Requests("contacts.resolvePhone") + srv.Requests("contacts.resolveUsername")
	if c, err := s.ResolveIdentifier(ctx, "1003", false); err != nil || c.UserId != "1003" || c.Name != "Carol" {
		t.Errorf("carol's user ID: %v, %v", c, err)
	}
	if n := srv.Requests("contacts.resolvePhone") + srv.Requests("contacts.resolveUsername"); n != asked {
		t.Errorf("a user ID the session knows was looked up on Telegram (%d requests)", n-asked)
	}
	for ident, want := range map[string]pb.ErrorCode{
		"@gophers":     pb.ErrorCode_ERROR_CODE_NOT_FOUND,
		"@nobody":      pb.ErrorCode_ERROR_CODE_NOT_FOUND,
		"@":            pb.ErrorCode_ERROR_CODE_BAD_REQUEST,
		"+33699999999": pb.ErrorCode_ERROR_CODE_NOT_FOUND,
	} {
		_, err := s.ResolveIdentifier(ctx, ident, false)
		wantCode(t, ident, err, want)
	}
}
