package fakesignal

import (
	"regexp"
	"strings"
)

// SetUsername gives the user of ACI uuid a Signal username (such as
// "alice.12"), or a username link (https://signal.me/#eu/...) naming
// them: getUserStatus finds them by it.
func (d *Daemon) SetUsername(username, uuid string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !strings.HasPrefix(username, "https://") {
		username = strings.ToLower(username) // a username's case does not count; a link's does
	}
	d.usernames[username] = uuid
}

// usernameForm is what signal-cli parses as a username (libsignal's
// Username: a nickname and its digits); anything else, and no link, it
// fails to parse, answering a RuntimeException.
var usernameForm = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{2,31}\.[0-9]{2,9}$`)

// userStatus answers getUserStatus for usernames as signal-cli does
// (GetUserStatusCommand since 0.13.2): one entry each, its ACI when
// Signal knows it, isRegistered false without one. (Numbers, its
// recipient, are not asked by the plugin: not answered.)
func (d *Daemon) userStatus(p map[string]any) (any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []map[string]any{}
	for _, u := range list(p, "username") {
		key := u
		if !strings.HasPrefix(u, "https://signal.me/") {
			if !usernameForm.MatchString(u) {
				return nil, &rpcError{Code: -32603, Message: "Failed to invoke command: org.signal.libsignal.usernames.BadNicknameCharacterException"}
			}
			key = strings.ToLower(u)
		}
		uuid, ok := d.usernames[key]
		out = append(out, map[string]any{"recipient": u, "username": u, "uuid": nullable(uuid), "isRegistered": ok})
	}
	return out, nil
}
