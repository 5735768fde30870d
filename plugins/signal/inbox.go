package signal

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/rpc"
)

// signal-cli's JSON-RPC daemon has no acknowledgement of an envelope: it
// stores each one from Signal in its message cache, confirms it to
// Signal's servers, writes it to the subscribed socket and then deletes
// it from its cache (ReceiveHelper: the handler's return is the end of
// it). Neither --receive-mode manual (subscribeReceive, or the receive
// method, which collects envelopes the same way) nor any other option
// lets a client confirm an envelope it handled. So the plugin keeps each
// envelope on disk the moment it reads it off the socket, before it is
// queued, turned into events and those are journalled: a plugin killed
// meanwhile handles it at its next start. What stays unprotected is only
// what sits in the socket's buffers when the plugin dies: signal-cli
// already forgot it, and nothing on this side has read it.

// inboxFile is the envelopes read and not yet handled, in the login's
// folder.
const inboxFile = "inbox.jsonl"

// inbox is the envelopes read from signal-cli and not yet handled: JSON
// lines, one per envelope ({"n":seq,"p":params}) written and synced as
// read, then one per envelope handled ({"d":seq}, not synced: a crash
// before the next sync handles it again, which the host's dedup takes).
// A mark carries the dedup's note of the envelope ("k", "s";
// dedupfile.go): a machine crash keeps both or neither, and the next
// start gives the dedup the notes it finds. The file is emptied (and
// synced) once nothing is pending; that and a rewrite, which drop the
// marks, first call beforeForget, which makes the dedup's notes durable.
type inbox struct {
	path string // "" when kept in memory only
	log  *slog.Logger

	mu      sync.Mutex
	next    uint64
	pending map[uint64]pendingEnv // by seq
	// groups are the pending envelopes naming a group, by its ID and
	// seq: what laterOfGroup asks, noted as each comes in (revisions.go).
	groups map[string]map[uint64]groupMark
	// adopted are the pending envelopes another session's subscription
	// read (strays.go): the dedup tells them from the session's own
	// copies at the next start too.
	adopted map[uint64]bool
	lines   int // lines in the file
	dirSync bool
	// beforeForget, when set, is called (with mu held) before the file
	// is emptied or rewritten, which drops the marks.
	beforeForget func()
	// cut: a write failed part way and could not be cut back, so the
	// file may end in a cut line; it is rewritten before the next.
	cut bool
}

// inboxCompactAt is how many lines the file may hold beyond twice the
// envelopes pending before it is rewritten with those only: an envelope
// left pending (its event could not be journalled) keeps the file from
// being emptied.
const inboxCompactAt = 1000

type inboxLine struct {
	N uint64          `json:"n,omitempty"`
	P json.RawMessage `json:"p,omitempty"`
	D uint64          `json:"d,omitempty"`
	K string          `json:"k,omitempty"` // with D: the dedup's key
	S bool            `json:"s,omitempty"` // with N: adopted; with K: a stray
}

// loadInbox reads the envelopes left pending in the login folder dir.
func loadInbox(dir string, log *slog.Logger) *inbox {
	return loadInboxWith(dir, log, nil)
}

// loadInboxWith is loadInbox, handing the dedup's notes its marks carry
// to noted, when set, before the file is rewritten without them.
func loadInboxWith(dir string, log *slog.Logger, noted func([]handledKey)) *inbox {
	in := &inbox{log: log, next: 1, pending: map[uint64]pendingEnv{}, groups: map[string]map[uint64]groupMark{}, adopted: map[uint64]bool{}}
	if dir == "" {
		return in
	}
	in.path = filepath.Join(dir, inboxFile)
	b, err := os.ReadFile(in.path)
	if errors.Is(err, fs.ErrNotExist) {
		return in
	}
	if err != nil {
		log.Error("signal: the envelopes not yet handled cannot be read; they are lost", "file", in.path, "err", err)
		return in
	}
	damaged := 0
	var keys []handledKey
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var l inboxLine
		switch {
		case json.Unmarshal(line, &l) != nil:
			damaged++ // a write cut short: never synced, so never relied on
		case l.N > 0 && len(l.P) > 0:
			in.forget(l.N) // a seq written twice: the last is kept
			in.add(l.N, l.P, groupOf(l.P))
			if l.S {
				in.adopted[l.N] = true
			}
			in.next = max(in.next, l.N+1)
		case l.D > 0:
			in.forget(l.D)
			if l.K != "" {
				keys = append(keys, handledKey{key: l.K, stray: l.S})
			}
		}
	}
	if noted != nil && len(keys) > 0 {
		noted(keys)
	}
	if damaged > 0 {
		log.Warn("signal: damaged lines in the envelopes not yet handled are dropped", "file", in.path, "damaged", damaged)
	}
	if err := in.compact(); err != nil {
		// Appending after a cut line would damage the next one.
		log.Error("signal: the envelopes not yet handled cannot be rewritten; new ones are kept in memory only", "file", in.path, "err", err)
		in.path = ""
	}
	return in
}

// compact rewrites the file with the envelopes pending only (removed
// when none); called with mu held or before in is shared.
func (in *inbox) compact() error {
	in.forgetting()
	var buf bytes.Buffer
	for seq := uint64(1); seq < in.next; seq++ {
		if p, ok := in.pending[seq]; ok {
			b, err := json.Marshal(inboxLine{N: seq, P: p.params, S: in.adopted[seq]})
			if err != nil {
				return err
			}
			buf.Write(b)
			buf.WriteByte('\n')
		}
	}
	if buf.Len() == 0 {
		if err := os.Remove(in.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		in.lines, in.cut = 0, false
		return nil
	}
	if err := sdk.WriteFileDurably(in.path, buf.Bytes()); err != nil {
		return err
	}
	in.lines, in.dirSync, in.cut = len(in.pending), true, false
	return nil
}

// forgetting calls beforeForget: what is about to be written drops the
// marks. With mu held, or before in is shared.
func (in *inbox) forgetting() {
	if in.beforeForget != nil {
		in.beforeForget()
	}
}

// pendingEnv is an envelope pending: its receive notification's params,
// and the group it names (gid "" when none).
type pendingEnv struct {
	params json.RawMessage
	gid    string
}

// add keeps the envelope seq pending, m noted of its params; called
// with mu held or before in is shared.
func (in *inbox) add(seq uint64, params json.RawMessage, m groupMark) {
	in.pending[seq] = pendingEnv{params: params, gid: m.gid}
	if m.gid == "" {
		return
	}
	g := in.groups[m.gid]
	if g == nil {
		g = map[uint64]groupMark{}
		in.groups[m.gid] = g
	}
	g[seq] = m
}

// forget drops the envelope seq from what is pending; called with mu
// held or before in is shared.
func (in *inbox) forget(seq uint64) {
	p, ok := in.pending[seq]
	if !ok {
		return
	}
	delete(in.pending, seq)
	delete(in.adopted, seq)
	if g := in.groups[p.gid]; g != nil {
		delete(g, seq)
		if len(g) == 0 {
			delete(in.groups, p.gid)
		}
	}
}

// backlog are the envelopes pending, oldest first, to hand to the
// session's handler before any new one.
func (in *inbox) backlog() []rpc.Note {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []rpc.Note
	for seq := uint64(1); seq < in.next; seq++ {
		if p, ok := in.pending[seq]; ok {
			out = append(out, rpc.Note{Method: "receive", Params: p.params, Ref: seq})
		}
	}
	return out
}

// received keeps the envelopes of notes on disk (synced) and numbers
// them, before they are handled. A write that fails is logged: they are
// then handled from memory only, as before the inbox. adopted says they
// came on another session's subscription.
func (in *inbox) received(notes []rpc.Note, adopted bool) {
	// Parsed before the lock: the read loop is not held by a group
	// update's laterOfGroup meanwhile.
	marks := make([]groupMark, len(notes))
	for i := range notes {
		if notes[i].Method == "receive" {
			marks[i] = groupOf(notes[i].Params)
		}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	var buf bytes.Buffer
	for i := range notes {
		if notes[i].Method != "receive" {
			continue
		}
		seq := in.next
		in.next++
		b, err := json.Marshal(inboxLine{N: seq, P: notes[i].Params, S: adopted})
		if err != nil {
			continue
		}
		buf.Write(b)
		buf.WriteByte('\n')
		in.add(seq, notes[i].Params, marks[i])
		if adopted {
			in.adopted[seq] = true
		}
		notes[i].Ref = seq
		in.lines++
	}
	if buf.Len() == 0 || in.path == "" {
		return
	}
	if err := in.append(buf.Bytes(), true); err != nil {
		in.log.Error("signal: received envelopes cannot be kept on disk; a crash before they are handled loses them", "file", in.path, "err", err)
	}
}

// isAdopted reports whether the pending envelope seq came on another
// session's subscription.
func (in *inbox) isAdopted(seq uint64) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.adopted[seq]
}

// handled forgets the envelope seq: its events are journalled.
func (in *inbox) handled(seq uint64) {
	in.handledNoted(seq, handledKey{})
}

// handledNoted is handled, its mark carrying k, the dedup's note of the
// envelope (none when k.key is "").
func (in *inbox) handledNoted(seq uint64, k handledKey) {
	if seq == 0 {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if _, ok := in.pending[seq]; !ok {
		return
	}
	in.forget(seq)
	if in.path == "" {
		return
	}
	var err error
	switch {
	case len(in.pending) == 0:
		err = in.empty()
		in.lines = 0
	case in.lines > 2*len(in.pending)+inboxCompactAt:
		err = in.compact()
	default:
		b, _ := json.Marshal(inboxLine{D: seq, K: k.key, S: k.stray})
		err = in.append(append(b, '\n'), false)
		in.lines++
	}
	if err != nil {
		in.log.Warn("signal: an envelope handled cannot be marked so; it is handled again at the next start", "file", in.path, "err", err)
	}
}

// append writes b at the end of the file, synced when sync says; called
// with mu held, after pending took b's change. A file that may end in a
// cut line (appendLines) is rewritten instead, with b's change.
func (in *inbox) append(b []byte, sync bool) error {
	if in.cut {
		return in.compact()
	}
	cut, err := appendLines(in.path, b, sync)
	in.cut = cut
	if err == nil && sync && !in.dirSync {
		// A file just made is durable once its folder is.
		if err = sdk.SyncDir(in.path); err == nil {
			in.dirSync = true
		}
	}
	return err
}

// empty truncates the file, synced: nothing is pending. Called with mu
// held.
func (in *inbox) empty() error {
	in.forgetting()
	f, err := os.OpenFile(in.path, os.O_WRONLY|os.O_TRUNC|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	err = fsyncFile(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		in.cut = false
	}
	return err
}
