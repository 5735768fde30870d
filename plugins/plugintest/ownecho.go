package plugintest

import (
	"fmt"
	"sync"

	pb "passerelle.im/passerelle/plugins/proto"
)

// ownEchoes checks the echoes of the kit's own sends as the gateway
// knows them (docs/plugins.md, txn_id): a message of the user's own
// (is_from_me) with the text of a send is that send's echo when it
// carries the send's txn_id, or the message_id the send's result gave as
// its event_id. Any other is shown to the user as a second copy, a
// message from another device.
type ownEchoes struct {
	mu   sync.Mutex
	sent map[sendKey][]*sentRecord
	// waiting are echoes of sends not all answered yet: judged once
	// they are.
	waiting []*pb.Event
}

type sendKey struct{ login, chat, text string }

// sentRecord is one send of the kit's, with a txn_id.
type sentRecord struct {
	txn       string
	messageID string
	answered  bool
}

// sending records cmd, a command about to be sent; nil for one that is
// no send of a text with a txn_id.
func (o *ownEchoes) sending(cmd *pb.Command) *sentRecord {
	text := cmd.GetSend().GetText()
	if text == "" || cmd.TxnId == "" {
		return nil
	}
	rec := &sentRecord{txn: cmd.TxnId}
	k := sendKey{cmd.LoginId, cmd.ChatId, text}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.sent == nil {
		o.sent = map[sendKey][]*sentRecord{}
	}
	o.sent[k] = append(o.sent[k], rec)
	return rec
}

// answered notes the result of a recorded send.
func (o *ownEchoes) answered(rec *sentRecord, r *pb.CommandResult) {
	o.mu.Lock()
	defer o.mu.Unlock()
	rec.messageID, rec.answered = r.MessageId, true
}

// messageIDs returns the message IDs the sends recorded in (login, chat)
// were answered with, each with its send's text.
func (o *ownEchoes) messageIDs(login, chat string) map[string]string {
	o.mu.Lock()
	defer o.mu.Unlock()
	ids := map[string]string{}
	for k, recs := range o.sent {
		if k.login != login || k.chat != chat {
			continue
		}
		for _, rec := range recs {
			if rec.answered && rec.messageID != "" {
				ids[rec.messageID] = k.text
			}
		}
	}
	return ids
}

// faults returns what is wrong with the echoes judged now: those waiting
// whose sends are now answered, and ev (nil: none), an event just read.
func (o *ownEchoes) faults(ev *pb.Event) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	judge := func(ev *pb.Event) (done bool) {
		m := ev.GetMessage()
		if m == nil || !ev.GetSender().GetIsFromMe() {
			return true
		}
		recs := o.sent[sendKey{ev.LoginId, ev.ChatId, m.Text}]
		if len(recs) == 0 {
			return true // not the echo of a send of the kit's
		}
		for _, rec := range recs {
			if ev.TxnId == rec.txn || (rec.answered && rec.messageID != "" && ev.EventId == rec.messageID) {
				return true
			}
			if !rec.answered {
				return false
			}
		}
		last := recs[len(recs)-1]
		out = append(out, fmt.Sprintf("event %d: the echo of the user's own message %q (is_from_me), sent with txn_id %q and answered with message_id %q, has event_id %q and txn_id %q: the gateway takes it for a message from another device and shows it a second time. Give it the send's txn_id, or as its event_id the message_id the send was answered with (the Go SDK then sets the txn_id); where the network lets the client pick a message's ID, derive it from the txn_id (sdk.TxnDigest) and answer with it",
			ev.Seq, m.Text, last.txn, last.messageID, ev.EventId, ev.TxnId))
		return true
	}
	waiting := o.waiting[:0]
	for _, w := range o.waiting {
		if !judge(w) {
			waiting = append(waiting, w)
		}
	}
	o.waiting = waiting
	if ev != nil && !judge(ev) {
		o.waiting = append(o.waiting, ev)
	}
	return out
}
