package signal

import (
	"encoding/json"
	"log/slog"
	"path/filepath"
	"sync"

	"passerelle.im/passerelle/plugins/sdk"
)

// signal-cli's update envelope says which group revision it brings
// (groupInfo.revision) but not what changed, and listGroups gives the
// group as signal-cli has it now, with no revision: a change is found
// by comparing that read with what the room was last told, and credited
// to the update's author. The read is that update's alone only when it
// follows the last update handled (no revision between never came) and
// no later envelope of the group was read already (signal-cli applies
// each update before it writes its envelope, so a later one written
// means the read may hold its change too). Otherwise the settings and
// invitations found are told without an author, rather than credited
// to someone who did not make them, and a timer the update does not
// carry is left to the later update, which carries its own.

// revisionGap notes rev, the revision of a group update of chatID being
// handled (0: not known, the user's own from XMPP, which signal-cli
// answers with none), and reports whether an update between it and the
// last one handled never came.
func (s *Session) revisionGap(chatID string, rev int) bool {
	return s.revs.note(chatID, rev)
}

// groupRevsFile keeps the groups' revisions of the last update handled
// in the login's folder: after a restart, an update missed while the
// plugin was down is still seen as missed.
const groupRevsFile = "group-revisions.json"

// maxGroupRevs bounds the groups whose revision is kept; past it one is
// dropped, whose next update is then credited as the first after a
// start is.
const maxGroupRevs = 5000

// groupRevisions are the groups' revisions of the last update handled,
// for those known, by chat ID.
type groupRevisions struct {
	path string // "" when kept in memory only
	log  *slog.Logger

	mu sync.Mutex
	m  map[string]groupRev
}

// groupRev is a group's last update handled: its revision, and whether
// one before it never came (told again when it is handled again).
type groupRev struct {
	Rev int  `json:"r"`
	Gap bool `json:"g,omitempty"`
}

// loadGroupRevisions reads the revisions kept in the login folder dir
// ("": memory only).
func loadGroupRevisions(dir string, log *slog.Logger) *groupRevisions {
	r := &groupRevisions{log: log, m: map[string]groupRev{}}
	if dir == "" {
		return r
	}
	r.path = filepath.Join(dir, groupRevsFile)
	if m, ok := sdk.LoadStateFile[map[string]groupRev](r.path, "the first update of each group is credited to its author even past a missed one", log); ok {
		r.m = m
	}
	return r
}

// note is revisionGap, on disk before it returns. An update handled
// again (its envelope left in the inbox by a crash) gets the same
// answer; an older one changes nothing.
func (r *groupRevisions) note(chatID string, rev int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	prev, known := r.m[chatID]
	gap := known && rev > prev.Rev+1
	switch {
	case rev <= 0:
		if !known {
			return false
		}
		delete(r.m, chatID) // the next update's predecessor is not known
	case known && rev == prev.Rev:
		return prev.Gap
	case known && rev < prev.Rev:
		return false
	default:
		for id := range r.m {
			if known || len(r.m) < maxGroupRevs {
				break
			}
			delete(r.m, id)
		}
		r.m[chatID] = groupRev{Rev: rev, Gap: gap}
	}
	if r.path != "" {
		if err := sdk.SaveStateFile(r.path, r.m); err != nil {
			r.log.Warn("signal: the groups' revisions cannot be written; after a restart an update missed may be credited to the next one's author", "file", r.path, "err", err)
		}
	}
	return gap
}

// laterOfGroup reports whether an envelope of group gid (signal-cli's
// base64 ID) with a revision past rev was read and not yet handled
// (past), and whether one of them is an update. It asks what the inbox
// noted of each envelope as it came in (groupOf): a backlog after a
// restart holds thousands, and each group update among them asks.
func (in *inbox) laterOfGroup(gid string, rev int) (past, update bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, m := range in.groups[gid] {
		if m.rev > rev {
			past = true
			update = update || m.update
		}
	}
	return past, update
}

// groupMark is what laterOfGroup needs of an envelope: the group its
// message names (signal-cli's base64 ID; "" when none), the revision,
// and whether it is an update.
type groupMark struct {
	gid    string
	rev    int
	update bool
}

// groupOf is the group mark of a receive notification's params
// (envelopeGroup).
func groupOf(params json.RawMessage) groupMark {
	gid, rev, typ := envelopeGroup(params)
	return groupMark{gid: gid, rev: rev, update: typ == "UPDATE"}
}

// envelopeGroup is the group ID, revision and type (UPDATE, DELIVER) a
// receive notification's message names (its data message's, or the
// user's sent one's); "" when it names none.
func envelopeGroup(params json.RawMessage) (gid string, rev int, typ string) {
	type msg struct {
		GroupInfo *struct {
			GroupID  string `json:"groupId"`
			Revision int    `json:"revision"`
			Type     string `json:"type"`
		} `json:"groupInfo"`
	}
	type env struct {
		DataMessage *msg `json:"dataMessage"`
		SyncMessage *struct {
			SentMessage *msg `json:"sentMessage"`
		} `json:"syncMessage"`
	}
	var p struct {
		Result *struct {
			Envelope env `json:"envelope"`
		} `json:"result"`
		Envelope env `json:"envelope"`
	}
	if json.Unmarshal(params, &p) != nil {
		return "", 0, ""
	}
	e := p.Envelope
	if p.Result != nil {
		e = p.Result.Envelope
	}
	m := e.DataMessage
	if m == nil && e.SyncMessage != nil {
		m = e.SyncMessage.SentMessage
	}
	if m == nil || m.GroupInfo == nil {
		return "", 0, ""
	}
	return m.GroupInfo.GroupID, m.GroupInfo.Revision, m.GroupInfo.Type
}
