package botmode

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// A reaction update names only its message, not the message's topic:
// the topics of recent forum messages are remembered, and kept in the
// login's folder ("message_topics"), so a reaction after a restart to a
// message of an earlier run still lands in the topic's room. The file is
// a log, one "chat message thread" line per message, appended and
// fsynced with each batch before the batch is confirmed to Telegram;
// when it holds twice the bound it is rewritten with the newest entries.

const msgTopicsFile = "message_topics"

// msgTopicsMax bounds the messages remembered: the oldest are forgotten
// first (a reaction to one of them lands in the forum's room).
const msgTopicsMax = 1 << 14

type msgKey struct {
	chat int64
	msg  int
}

// msgTopics is the topics of recent forum messages (thread > 1 only:
// General is the default).
type msgTopics struct {
	path string // "" = kept in memory only
	max  int

	saveMu sync.Mutex // one save at a time
	mu     sync.Mutex
	m      map[msgKey]int
	order  []msgKey // oldest first, each key once
	fresh  []msgKey // added since the last save
	lines  int      // lines in the file
	torn   bool     // the file's end is not to be trusted: rewrite it
}

func newMsgTopics(path string) *msgTopics {
	return &msgTopics{path: path, max: msgTopicsMax, m: map[msgKey]int{}}
}

// loadMsgTopics reads the file in dir. A damaged file (a line cut short
// by a crash, garbage) keeps what it holds that reads well, is rewritten
// with that, and the log says so: what is lost is only where a reaction
// to an old message lands.
func loadMsgTopics(dir string, log *slog.Logger) *msgTopics {
	t := newMsgTopics("")
	if dir == "" {
		return t
	}
	t.path = filepath.Join(dir, msgTopicsFile)
	data, err := os.ReadFile(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		return t
	}
	if err != nil {
		// Unreadable: start afresh, and the next save rewrites it.
		log.Error("telegram bot: the topics of earlier forum messages cannot be read; reactions to them will land in the forum's room", "err", err)
		t.torn = true
		return t
	}
	bad := t.parse(data)
	if bad > 0 || t.lines > 2*t.max {
		if bad > 0 {
			log.Warn("telegram bot: the file of forum messages' topics was damaged; repaired, keeping what could be read",
				"file", t.path, "bad_lines", bad, "kept", len(t.m))
		}
		if err := t.rewrite(); err != nil {
			log.Error("telegram bot: the file of forum messages' topics could not be repaired; it is rewritten with the next batch", "err", err)
			t.torn = true
		}
	}
	return t
}

// parse takes the file's lines, the later winning, and returns how many
// could not be read.
func (t *msgTopics) parse(data []byte) (bad int) {
	if i := bytes.LastIndexByte(data, '\n'); i < len(data)-1 {
		// A last line without its newline: cut short by a crash
		// mid-append. Even one that reads may have lost digits.
		data = data[:i+1]
		t.lines++
		bad++
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		t.lines++
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			bad++
			continue
		}
		chat, err1 := strconv.ParseInt(f[0], 10, 64)
		msg, err2 := strconv.Atoi(f[1])
		thread, err3 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || err3 != nil || thread <= 1 || msg <= 0 {
			bad++
			continue
		}
		t.put(msgKey{chat, msg}, thread)
	}
	if sc.Err() != nil {
		bad++ // a line too long to be one: the rest is dropped
	}
	return bad
}

// put records key's thread, forgetting the oldest beyond the bound; it
// reports whether it changed anything. The caller holds mu (or owns t).
func (t *msgTopics) put(k msgKey, thread int) bool {
	if old, ok := t.m[k]; ok {
		if old == thread {
			return false
		}
		t.m[k] = thread
		return true
	}
	t.m[k] = thread
	t.order = append(t.order, k)
	for len(t.order) > t.max {
		delete(t.m, t.order[0])
		t.order = t.order[1:]
	}
	return true
}

// set remembers a forum message's topic; saved with the next save.
func (t *msgTopics) set(chat int64, msg, thread int) {
	if thread <= 1 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	k := msgKey{chat, msg}
	if t.put(k, thread) {
		t.fresh = append(t.fresh, k)
	}
}

// get is a message's topic; 0 = not known (General).
func (t *msgTopics) get(chat int64, msg int) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[msgKey{chat, msg}]
}

func line(b []byte, k msgKey, thread int) []byte {
	b = strconv.AppendInt(b, k.chat, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(k.msg), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(thread), 10)
	return append(b, '\n')
}

// save appends what was added since the last save, fsynced; it runs
// before the offset that confirms the updates it comes from is written.
// A failed append has the next save rewrite the whole file.
func (t *msgTopics) save() error {
	t.saveMu.Lock()
	defer t.saveMu.Unlock()
	t.mu.Lock()
	if t.path == "" || (len(t.fresh) == 0 && !t.torn) {
		t.mu.Unlock()
		return nil
	}
	fresh := t.fresh
	t.fresh = nil
	whole := t.torn || t.lines+len(fresh) > 2*t.max
	var data []byte
	n := 0
	if whole {
		data, n = t.encodeLocked()
	} else {
		for _, k := range fresh {
			if thread, ok := t.m[k]; ok {
				data = line(data, k, thread)
				n++
			}
		}
	}
	t.mu.Unlock()

	var err error
	if whole {
		err = writeFileDurably(t.path, data)
	} else {
		err = t.appendDurably(data)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		// Tried again with the next save, the file rewritten whole.
		t.torn = true
		t.fresh = append(fresh, t.fresh...)
		return err
	}
	if whole {
		t.lines, t.torn = n, false
	} else {
		t.lines += n
	}
	return nil
}

// encodeLocked is the whole map as the file's lines, oldest first.
func (t *msgTopics) encodeLocked() ([]byte, int) {
	var data []byte
	for _, k := range t.order {
		data = line(data, k, t.m[k])
	}
	return data, len(t.order)
}

// rewrite replaces the file with the map (at load: t is not shared yet).
func (t *msgTopics) rewrite() error {
	data, n := t.encodeLocked()
	if err := writeFileDurably(t.path, data); err != nil {
		return err
	}
	t.lines, t.fresh = n, nil
	return nil
}

// appendDurably appends data to the file and fsyncs it (and the folder,
// when the file is new).
func (t *msgTopics) appendDurably(data []byte) error {
	_, statErr := os.Stat(t.path)
	f, err := os.OpenFile(t.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("botmode: write %s: %w", t.path, err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("botmode: write %s: %w", t.path, werr)
	}
	if statErr != nil {
		if d, err := os.Open(filepath.Dir(t.path)); err == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}
