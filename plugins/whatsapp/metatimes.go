package whatsapp

import (
	"encoding/json"
	"log/slog"
	"path/filepath"
	"time"

	"passerelle.im/passerelle/plugins/sdk"
)

// metaTimesFile keeps, in the login's folder, when a version that keeps
// every message's time in its meta (msgMeta.Time: the user's own, and
// others' as received) first ran for the login. A meta without a time,
// read later, is an older version's, so its message was sent before
// then: once that is past a window (editWindow, revokeWindow), so is
// the message, and the correction or deletion is refused as the
// windows' own refusals are. Before, such a message was corrected or
// deleted at any age, which WhatsApp's apps ignore while XMPP showed it
// done.
const metaTimesFile = "meta-times.json"

// metaTimes is metaTimesFile's content.
type metaTimes struct {
	Since time.Time `json:"since"`
}

// loadMetaTimesSince reads metaTimesFile in loginDir, writing it with
// the time now when there is none (the first run of this version for
// the login); zero when loginDir is "" or the file cannot be written,
// which is logged: metas without a time are then taken as of unknown
// age, as before.
func loadMetaTimesSince(loginDir string, log *slog.Logger) time.Time {
	if loginDir == "" {
		return time.Time{}
	}
	path := filepath.Join(loginDir, metaTimesFile)
	if m, ok := sdk.LoadStateFile[metaTimes](path, "metas of messages from before are taken as of unknown age", log); ok && !m.Since.IsZero() {
		return m.Since
	}
	m := metaTimes{Since: now().UTC()}
	b, err := json.Marshal(m)
	if err == nil {
		err = writeState(path, b) // as the other state files (disappearing.go)
	}
	if err != nil {
		log.Warn("whatsapp: cannot note since when messages' times are kept: corrections and deletions of older messages are not checked against WhatsApp's windows", "file", path, "err", err)
		return time.Time{}
	}
	return m.Since
}

// sentBefore is the latest time the message of meta m can have been sent
// at, as known: its own time, else, for a meta without one (an older
// version's), when this version first ran for the login; zero when
// neither is known.
func (s *Session) sentBefore(m msgMeta) time.Time {
	if !m.Time.IsZero() {
		return m.Time
	}
	return s.metaTimesSince
}
