package signal

import (
	"context"
	"regexp"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Signal usernames (a nickname and digits, such as alice.12) find
// people who share no phone number: with phone number privacy, the
// default, a username or its link (https://signal.me/#eu/..., the
// app's QR code) is often all one is given. signal-cli's getUserStatus
// (0.13.2 and later) asks Signal's servers for the ACI it names; the
// contact is then that ACI's, as one who writes without their number.
// Before, a username given to add a contact was refused as no phone
// number.

// usernameForm is a Signal username as typed: a nickname of 3 to 32
// letters, digits and underscores, not starting with a digit, a dot and
// 2 to 9 digits (libsignal's Username). A case does not count.
var usernameForm = regexp.MustCompile(`^[a-z_][a-z0-9_]{2,31}\.[0-9]{2,9}$`)

// usernameLinkPrefix starts a username link, as the app shares it.
const usernameLinkPrefix = "https://signal.me/#eu/"

// parseUsername reads identifier as a username ("@" or "u:" before it
// taken off, lowercased) or a username link (as it is); ok is false
// for anything else.
func parseUsername(identifier string) (username string, ok bool) {
	s := strings.TrimSpace(identifier)
	if strings.HasPrefix(s, usernameLinkPrefix) && len(s) > len(usernameLinkPrefix) {
		return s, true
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "@"), "u:")
	s = strings.ToLower(s)
	return s, usernameForm.MatchString(s)
}

// resolveUsername finds the Signal user of a username or username link.
func (s *Session) resolveUsername(ctx context.Context, username string) (*pb.Contact, error) {
	var res []struct {
		UUID         string `json:"uuid"`
		IsRegistered bool   `json:"isRegistered"`
	}
	if err := s.call(ctx, "could not look the username up", "getUserStatus", map[string]any{"username": []string{username}}, &res); err != nil {
		return nil, err
	}
	if len(res) == 0 || !res[0].IsRegistered || !isUUID(res[0].UUID) {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no one on Signal has the username %q: check it, its digits too (the app shows it in their profile)", username)
	}
	id, _ := s.ids.userID("", strings.ToLower(res[0].UUID), "")
	if s.isSelfChat(id) {
		return s.noteToSelf(), nil // notetoself.go
	}
	c := &pb.Contact{UserId: id}
	if !strings.HasPrefix(username, usernameLinkPrefix) {
		c.Username = username // their name until their profile's comes (the gateway names a contact by it)
	}
	if strings.HasPrefix(id, "+") {
		c.Phone = id
	}
	return c, nil
}
