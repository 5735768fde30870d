package signal

import (
	"slices"
	"sync"
)

// Signal's apps send a receipt from each device of the recipient's that
// got the message (a phone and a desktop: two delivery receipts of each
// message), each in an envelope of its own. The user is told a message
// delivered to (or read by) a recipient once: receiptsTold remembers the
// last receipts told, in memory (a restart may tell one again, which
// the host's dedup by event takes only for the event replayed).

// receiptsKeep bounds the receipts remembered: a few per message sent
// and recipient, for the messages of the last while.
const receiptsKeep = 4096

// receiptsTold are the receipts told last, by kind, recipient and
// message ID.
type receiptsTold struct {
	mu    sync.Mutex
	seen  map[string]bool
	order []string
}

// fresh returns the message IDs of ids not told yet as receipts of kind
// from the recipient who, and records them told.
func (r *receiptsTold) fresh(kind, who string, ids []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	var out []string
	for _, id := range ids {
		key := kind + "\x00" + who + "\x00" + id
		if r.seen[key] {
			continue
		}
		r.seen[key] = true
		r.order = append(r.order, key)
		out = append(out, id)
	}
	if n := len(r.order) - receiptsKeep; n > 0 {
		for _, k := range r.order[:n] {
			delete(r.seen, k)
		}
		r.order = slices.Delete(r.order, 0, n)
	}
	return out
}
