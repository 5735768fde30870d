package signal

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"passerelle.im/passerelle/plugins/sdk"
)

// Signal names a message by its author and the timestamp its author's
// device gave it: two people may send in the same millisecond, so a
// message's ID is "<timestamp>:<author>", the author by their ACI (which
// a change of number does not change; their number when the ACI is not
// known, the account's own ACI or number for the user's messages). The
// gateway keeps the IDs it was given: messages of a login from before
// this form keep their bare timestamp, so that what names them later (a
// reaction, a reply, an edit, a deletion, a receipt) still finds them.
// The login's folder says since when the new form is given
// (message-ids.json); a login with nothing from before has it from the
// start.

// msgIDsFile holds the timestamp from which message IDs name the author.
const msgIDsFile = "message-ids.json"

type msgIDsState struct {
	// AuthorSince: messages of timestamps from it on (Unix ms) have
	// author IDs; those before, bare timestamps.
	AuthorSince int64 `json:"author_since"`
}

// loadAuthorSince reads (or, the first time, sets) the login's cutover.
func loadAuthorSince(dir string, log *slog.Logger) int64 {
	if dir == "" {
		return 0
	}
	path := filepath.Join(dir, msgIDsFile)
	_, err := os.Lstat(path)
	had := !errors.Is(err, fs.ErrNotExist)
	if st, ok := sdk.LoadStateFile[msgIDsState](path, "messages from before this start keep bare timestamps", log); ok {
		return st.AuthorSince
	}
	var st msgIDsState
	if had || hadMessages(dir) {
		// The gateway may hold bare timestamps of this login's
		// messages: those keep them.
		st.AuthorSince = time.Now().UnixMilli()
	}
	if err := sdk.SaveStateFile(path, st); err != nil {
		log.Warn("signal: the message ID form cannot be written", "file", path, "err", err)
	}
	return st.AuthorSince
}

// hadMessages reports whether the login folder holds state of a plugin
// before the author IDs.
func hadMessages(dir string) bool {
	for _, name := range []string{msgChatsFile, "identities.json", myReactionsFile, pinnedFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

func msgID(ts int64) string { return strconv.FormatInt(ts, 10) }

// idFor is the ID of the message of timestamp ts by the user uid (a
// user ID, "" when unknown).
func (s *Session) idFor(ts int64, uid string) string {
	if ts < s.authorSince || uid == "" {
		return msgID(ts)
	}
	return msgID(ts) + ":" + s.authorKey(uid)
}

// refID is the ID of the message of timestamp ts by the person of this
// number and ACI, as Signal names a message's author in a reaction, a
// quote or a read; by the author noted when neither is given.
func (s *Session) refID(ts int64, number, aci string) string {
	if number == "" && aci == "" {
		return s.idAt(ts)
	}
	return s.idFor(ts, s.ids.lookup(number, aci, s.account()))
}

// idAt is the ID of the message of timestamp ts, its author as noted
// (msgchats.go).
func (s *Session) idAt(ts int64) string { return s.idFor(ts, s.chats.author(ts)) }

// who is the forms of the user ID uid a message's author may have been
// noted by (the plugin's own records, msgchats.go, reactions.go,
// pins.go): uid first, then its ACI or number as known; the user's own
// ID, number and ACI for the user. None for no uid (author unknown).
func (s *Session) who(uid string) []string {
	if uid == "" {
		return nil
	}
	forms := []string{uid}
	add := func(f string) {
		if f != "" && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	switch {
	case uid == s.selfID() || s.isSelfNumber(uid):
		acc := s.account()
		add(s.selfID())
		add(acc.Number)
		add(acc.ACI)
		for _, f := range acc.Former {
			add(f)
		}
	case isUUID(uid):
		add(s.ids.lookup("", uid, s.account()))
		add(strings.ToLower(uid))
	default:
		add(s.ids.aciOf(uid))
	}
	return forms
}

// whoOf is who for the author Signal names by number and ACI.
func (s *Session) whoOf(number, aci string) []string {
	uid := s.ids.lookup(number, aci, s.account())
	forms := s.who(uid)
	for _, f := range []string{number, aci} {
		if f != "" && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	return forms
}

// authorKey is the part of a message ID that names its author uid: the
// ACI of the person, else their number; the account's own ACI (else
// number) for the user.
func (s *Session) authorKey(uid string) string {
	if uid == s.selfID() || s.isSelfNumber(uid) {
		acc := s.account()
		switch {
		case acc.IDNumber != "":
			return acc.IDNumber
		case acc.ACI != "":
			return strings.ToLower(acc.ACI)
		}
		return acc.Number
	}
	if isUUID(uid) {
		return strings.ToLower(uid)
	}
	if aci := s.ids.aciOf(uid); aci != "" {
		return strings.ToLower(aci)
	}
	return uid
}

// aciOf is the ACI known for number ("" when none).
func (ids *identities) aciOf(number string) string {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	found := ""
	for aci, n := range ids.st.Numbers {
		// A number that passed from one person to another names
		// several: the same one each time.
		if n == number && (found == "" || aci < found) {
			found = aci
		}
	}
	return found
}

// parseID reads a message ID: its timestamp, and its author's key ("" in
// an ID of the bare form).
func parseID(id string) (ts int64, author string, ok bool) {
	t, a, _ := strings.Cut(id, ":")
	ts, err := strconv.ParseInt(t, 10, 64)
	if err != nil || ts <= 0 {
		return 0, "", false
	}
	return ts, a, true
}
