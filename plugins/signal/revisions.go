package signal

import "encoding/json"

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
	s.mu.Lock()
	defer s.mu.Unlock()
	if rev <= 0 {
		delete(s.groupRevs, chatID) // the next update's predecessor is not known
		return false
	}
	prev, known := s.groupRevs[chatID]
	if s.groupRevs == nil {
		s.groupRevs = map[string]int{}
	}
	if !known || rev > prev {
		s.groupRevs[chatID] = rev
	}
	return known && rev > prev+1
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
