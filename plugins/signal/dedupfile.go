package signal

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"passerelle.im/passerelle/plugins/sdk"
)

// dedupFileName is the envelopes a session handled last (strayDedup),
// in the login's folder: JSON lines {"k":key,"s":stray}, oldest first,
// appended as each is handled, unsynced. A machine crash that kept the
// inbox's word that an envelope left and lost the note would let the
// envelope's other copy through as new: so the inbox's mark carries the
// note too, read back at the next start (loadReceived), and the notes
// are synced before the inbox drops its marks (emptied or rewritten;
// guardInbox). A burst or a backlog then costs one sync, not one an
// envelope (BenchmarkReceivePath). At most dedupKeep are read back.
const dedupFileName = "handled.jsonl"

// dedupFileMax bounds what is read of the file: dedupKeep lines of a
// few hundred bytes, twice over before it is rewritten.
const dedupFileMax = 4 << 20

// dedupFile keeps a strayDedup's envelopes handled on disk.
type dedupFile struct {
	path string // "" when kept in memory only
	log  *slog.Logger
	// kept are the envelopes written, the last dedupKeep: what the
	// file is rewritten with.
	kept  []handledKey
	lines int
	// cut: an append failed part way and could not be cut back, so the
	// file may end in a cut line; it is rewritten before the next.
	cut bool
	// unsynced: lines were appended since the last sync; dirSync: the
	// file's folder was synced since it was made.
	unsynced, dirSync bool
}

// loadReceived loads the dedup d and the inbox of the login folder dir:
// the notes the inbox's marks carry (those a crash kept there and lost
// from handled.jsonl) go to d, synced, before the inbox drops them.
func loadReceived(dir string, log *slog.Logger, d *strayDedup) *inbox {
	d.load(dir, log)
	in := loadInboxWith(dir, log, d.recovered)
	guardInbox(in, d)
	return in
}

// guardInbox has in sync d's notes before it drops its marks.
func guardInbox(in *inbox, d *strayDedup) {
	in.beforeForget = d.sync
}

// recovered notes ks, read from the inbox's marks, those d does not
// know, on disk and synced.
func (d *strayDedup) recovered(ks []handledKey) {
	for _, k := range ks {
		if !d.seenKey(k.key) {
			d.first(k.key, k.stray)
			d.keep(k)
		}
	}
	d.sync()
}

// sync makes the notes written durable; a failure is logged, and the
// inbox's marks are written all the same (a crash may then let a copy
// through, as before the notes were kept on disk).
func (d *strayDedup) sync() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.file.sync(); err != nil {
		d.file.log.Warn("signal: the envelopes handled last cannot be synced; after a machine crash their copies on another login's subscription may be handled again", "file", d.file.path, "err", err)
	}
}

func (f *dedupFile) sync() error {
	if !f.unsynced || f.path == "" {
		return nil
	}
	file, err := os.OpenFile(f.path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = fsyncFile(file)
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err == nil && !f.dirSync {
		// A file just made is durable once its folder is.
		err = sdk.SyncDir(f.path)
		f.dirSync = err == nil
	}
	if err == nil {
		f.unsynced = false
	}
	return err
}

type dedupLine struct {
	K string `json:"k"`
	S bool   `json:"s,omitempty"`
}

// load reads the envelopes the session handled last, from the login
// folder dir, into d; called before d is shared.
func (d *strayDedup) load(dir string, log *slog.Logger) {
	d.file.log = log
	if dir == "" {
		return
	}
	d.file.path = filepath.Join(dir, dedupFileName)
	b, err := readAtMost(d.file.path, dedupFileMax)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		// Then a copy of an envelope handled before the stop may be
		// handled again: the host's dedup takes it.
		log.Warn("signal: the envelopes handled last cannot be read; their copies on another login's subscription may be handled again", "file", d.file.path, "err", err)
		b = nil
	}
	damaged := 0
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var l dedupLine
		if json.Unmarshal(line, &l) != nil || l.K == "" {
			damaged++ // a write cut short by a crash
			continue
		}
		d.file.kept = append(d.file.kept, handledKey{key: l.K, stray: l.S})
	}
	if damaged > 0 {
		// Its envelope's leaving the inbox was never written (that
		// waits for the line's sync): it is handled again.
		log.Warn("signal: lines of the envelopes handled last were cut short (a crash while writing); the whole ones are kept", "file", d.file.path, "damaged", damaged, "kept", len(d.file.kept))
	}
	if n := len(d.file.kept); n > dedupKeep {
		d.file.kept = d.file.kept[n-dedupKeep:]
	}
	d.seen = map[string]bool{}
	for _, k := range d.file.kept {
		if _, ok := d.seen[k.key]; !ok {
			d.order = append(d.order, k.key)
		}
		d.seen[k.key] = k.stray
	}
	if err := d.file.rewrite(); err != nil {
		// Appending after a cut line would damage the next one.
		log.Warn("signal: the envelopes handled last cannot be rewritten; they are kept in memory only", "file", d.file.path, "err", err)
		d.file.path = ""
	}
}

// add writes k at the end of the file, rewritten with the last
// dedupKeep once it holds twice as many; called with the dedup's mu.
func (f *dedupFile) add(k handledKey) {
	f.kept = append(f.kept, k)
	if len(f.kept) > dedupKeep {
		f.kept = f.kept[len(f.kept)-dedupKeep:]
	}
	if f.path == "" {
		return
	}
	var err error
	if f.lines >= 2*dedupKeep || f.cut {
		err = f.rewrite()
	} else {
		err = f.append(k)
	}
	if err != nil {
		f.log.Warn("signal: an envelope handled cannot be noted on disk; its copy on another login's subscription may be handled again after a restart", "file", f.path, "err", err)
	}
}

func (f *dedupFile) append(k handledKey) error {
	b, err := json.Marshal(dedupLine{K: k.key, S: k.stray})
	if err != nil {
		return err
	}
	cut, err := appendLines(f.path, append(b, '\n'), false)
	f.cut = cut
	if err == nil {
		f.lines++
		f.unsynced = true
	}
	return err
}

// rewrite writes the file with kept only (removed when empty).
func (f *dedupFile) rewrite() error {
	if len(f.kept) == 0 {
		f.lines = 0
		if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		f.cut, f.unsynced, f.dirSync = false, false, false
		return nil
	}
	var buf bytes.Buffer
	for _, k := range f.kept {
		b, err := json.Marshal(dedupLine{K: k.key, S: k.stray})
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	if err := sdk.WriteFileDurably(f.path, buf.Bytes()); err != nil {
		return err
	}
	f.lines, f.cut, f.unsynced, f.dirSync = len(f.kept), false, false, true
	return nil
}
