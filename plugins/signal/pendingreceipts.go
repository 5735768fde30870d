package signal

import (
	"log/slog"
	"path/filepath"
	"slices"
	"sync"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The marks a rate limit refused wait for their retry in memory
// (receiptretry.go), which a restart lost: the receipts then waited for
// the chat's next mark, which may never come. So each is also kept in
// the login's folder until it goes through, and the login's next
// subscription makes it again.

// pendingReceiptsFile holds the marks waiting to be made again.
const pendingReceiptsFile = "receipt-retries.json"

// maxPendingReceipts bounds the marks kept: past it the oldest is
// dropped, saying so in the log (its chat's next mark sends it).
const maxPendingReceipts = 256

// pendingReceipt is a mark of a chat waiting to be made again.
type pendingReceipt struct {
	Chat     string `json:"chat"`
	UpToID   string `json:"up_to_id,omitempty"`
	UpToMeta []byte `json:"up_to_meta,omitempty"`
}

// pendingReceipts are the marks waiting to be made again, at most one a
// chat, oldest first, kept in the login's folder.
type pendingReceipts struct {
	path string // "" when kept in memory only
	log  *slog.Logger

	mu sync.Mutex
	l  []pendingReceipt
}

// loadPendingReceipts reads the marks of the login folder dir ("":
// memory only). A file that cannot be read is logged: those chats'
// next marks send their receipts.
func loadPendingReceipts(dir string, log *slog.Logger) *pendingReceipts {
	p := &pendingReceipts{log: log}
	if dir == "" {
		return p
	}
	p.path = filepath.Join(dir, pendingReceiptsFile)
	if l, ok := sdk.LoadStateFile[[]pendingReceipt](p.path, "read receipts waiting to be sent again after a rate limit wait for their chats' next marks", log); ok {
		p.l = l
	}
	return p
}

// put keeps m as chat's mark to make again, in place of an earlier one.
func (p *pendingReceipts) put(chat string, m *pb.MarkRead) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := pendingReceipt{Chat: chat, UpToID: m.GetUpToId(), UpToMeta: m.GetUpToMeta()}
	i := slices.IndexFunc(p.l, func(e pendingReceipt) bool { return e.Chat == chat })
	if i >= 0 && p.l[i].UpToID == e.UpToID && string(p.l[i].UpToMeta) == string(e.UpToMeta) {
		return // kept already (a retry refused again)
	}
	if i >= 0 {
		p.l = slices.Delete(p.l, i, i+1)
	}
	p.l = append(p.l, e)
	if n := len(p.l) - maxPendingReceipts; n > 0 {
		for _, d := range p.l[:n] {
			p.log.Warn("signal: too many chats' read receipts wait to be sent again after a rate limit; the oldest is dropped, its chat's next mark sends it", "chat", d.Chat, "kept", maxPendingReceipts)
		}
		p.l = slices.Delete(p.l, 0, n)
	}
	p.save()
}

// remove forgets chat's mark: it went through, or will never.
func (p *pendingReceipts) remove(chat string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.l)
	p.l = slices.DeleteFunc(p.l, func(e pendingReceipt) bool { return e.Chat == chat })
	if len(p.l) != n {
		p.save()
	}
}

// moved keeps the mark of a direct chat under its new ID (a contact's
// identity move, identity.go; the user's number change, ownnumber.go).
func (p *pendingReceipts) moved(oldChat, newChat string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := slices.IndexFunc(p.l, func(e pendingReceipt) bool { return e.Chat == oldChat })
	if oldChat == "" || newChat == "" || i < 0 {
		return
	}
	if slices.ContainsFunc(p.l, func(e pendingReceipt) bool { return e.Chat == newChat }) {
		p.l = slices.Delete(p.l, i, i+1) // the chat's own mark under its new ID is the later
	} else {
		p.l[i].Chat = newChat
	}
	p.save()
}

// all is a copy of the marks kept, oldest first.
func (p *pendingReceipts) all() []pendingReceipt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.l)
}

// stop forgets the marks and writes them no more: the login is logged
// out and its folder is being removed. A mark under way as it is (its
// answer comes before the connection is closed) would else write the
// file again after its removal.
func (p *pendingReceipts) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.path, p.l = "", nil
}

// save writes the marks, under mu. A write that fails is logged: the
// retries go on in memory.
func (p *pendingReceipts) save() {
	if p.path == "" {
		return
	}
	if err := sdk.SaveStateFile(p.path, p.l); err != nil {
		p.log.Warn("signal: the read receipts waiting to be sent again cannot be written; a restart loses them", "file", p.path, "err", err)
	}
}
