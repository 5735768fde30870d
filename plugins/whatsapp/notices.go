package whatsapp

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Notices to the user (the contract's NoticeEvent, shown as a message
// from the gateway): what is lost or incomplete here that the user would
// otherwise not know of, where it was only logged. Each event ID names
// the occurrence, so that the same one told again (a blob downloaded
// again after a restart) shows once.

// tell emits a warning notice, durably: it says something is missing,
// and must not go missing itself.
func (s *Session) tell(eventID, text string) {
	s.emitDurable(sdk.Notice(s.login.LoginID, eventID, text, pb.NoticeLevel_NOTICE_LEVEL_WARNING))
}

// tellErr is tell, saying whether the notice is durable (the gateway
// confirmed it, or the SDK's journal holds it): what it tells of may be
// dropped only then.
func (s *Session) tellErr(eventID, text string) error {
	if err := s.emitDurableErr(sdk.Notice(s.login.LoginID, eventID, text, pb.NoticeLevel_NOTICE_LEVEL_WARNING)); err != nil {
		return fmt.Errorf("notice %s: %w", eventID, err)
	}
	return nil
}

// historyLost tells that a history sync blob could not be had (gone from
// WhatsApp's servers, damaged, or its notice unreadable): key names the
// blob's notice.
func (s *Session) historyLost(key string, err error) {
	s.tell("history-lost-"+key, fmt.Sprintf(
		"Part of your WhatsApp history could not be downloaded (%v): its messages are not shown here; WhatsApp on your phone has them.", err))
}

// unreadTally gathers messages of history that could not be read
// (whatsmeow could not parse them), for one notice: a hash of their IDs,
// which names it (the same messages told again show once), their count,
// and the IDs, each counted once (a blob delivered twice in a sync).
type unreadTally struct {
	h   hash.Hash
	n   int
	ids []types.MessageID
	// seen: ids as a set. A count kept by an earlier build has none:
	// only the messages counted since are known.
	seen map[types.MessageID]bool
}

// add counts ids, those not counted yet.
func (t *unreadTally) add(ids []types.MessageID) {
	for _, id := range ids {
		if t.seen[id] {
			continue
		}
		if t.h == nil {
			t.h = sha256.New()
		}
		if t.seen == nil {
			t.seen = map[types.MessageID]bool{}
		}
		t.seen[id] = true
		t.ids = append(t.ids, id)
		t.h.Write([]byte(id))
		t.h.Write([]byte{0})
		t.n++
	}
}

// noticeID names the notice of the messages counted.
func (t *unreadTally) noticeID() string {
	return "history-unreadable-" + hex.EncodeToString(t.h.Sum(nil)[:12])
}

// unreadText is the notice of n messages not read.
func unreadText(n int) string {
	if n == 1 {
		return "A message of your WhatsApp history could not be read and is not shown here; WhatsApp on your phone has it."
	}
	return strconv.Itoa(n) + " messages of your WhatsApp history could not be read and are not shown here; WhatsApp on your phone has them."
}

// historyUnreadable tells that messages of a page of history on demand
// (or of a history blob outside a sync, or an answer on demand come too
// late) could not be read and are left out: ids are theirs. Those
// counted already are told where they were: in the sync's notice, or in
// a notice tried before, told again under its ID; the others in a
// notice of their own, kept until confirmed (historyunread.go). An error
// (logged): a notice of these messages was not confirmed, and what moves
// past them must not.
func (s *Session) historyUnreadable(ids []types.MessageID) error {
	if len(ids) == 0 {
		return nil
	}
	r := &s.hist.run
	r.mu.Lock()
	var fresh unreadTally
	var again []string
	for _, id := range ids {
		if r.unread.seen[id] || r.wasTold(id) {
			continue // the sync's, told at its end; or told already
		}
		if n := r.untoldWith(id); n != "" {
			if !slices.Contains(again, n) {
				again = append(again, n)
			}
			continue
		}
		fresh.add([]types.MessageID{id})
	}
	if fresh.n > 0 {
		again = append(again, r.freezeLocked(fresh))
		r.saveUnreadLocked(s.log)
	}
	r.mu.Unlock()
	if err := s.tellUntold(false, again...); err != nil {
		s.log.Warn("the notice of history not read not confirmed; told again later", "err", err)
		return err
	}
	return nil
}

// groupUnread tells that the group jid (title: how the user knows it) was
// joined but WhatsApp did not give its details: its room shows what was
// known (shown: what that is).
func (s *Session) groupUnread(jid types.JID, title, shown string, err error) {
	s.tell("group-unread-"+jid.User+"-"+strconv.FormatInt(time.Now().UnixNano(), 36), fmt.Sprintf(
		"You joined %s, but WhatsApp did not give the group's details (%v): its room shows %s until WhatsApp next tells of the group.",
		title, err, shown))
}

// voteUnread tells that a vote in the poll pollID (question) could not
// be read: the poll's counts here leave it out. Once per poll, not per
// vote: a poll whose votes cannot be decrypted (its secret wrong) fails
// every vote, each member's and each change, and the user needs to be
// told once that its counts are off.
func (s *Session) voteUnread(pollID types.MessageID, question string, err error) {
	q := strings.TrimSpace(question)
	if q == "" {
		q = "a poll"
	} else {
		q = "the poll «" + q + "»"
	}
	s.tell("vote-unread-"+string(pollID), fmt.Sprintf(
		"A vote in %s could not be read (%v): the counts shown here leave out the votes that cannot be read; WhatsApp on your phone has them.", q, err))
}
