package sdk

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
)

// txnAnswer is a remembered answer to a txn_id; key is login and txn_id.
type txnAnswer struct {
	key string
	res *pb.CommandResult
}

// txnSink keeps answers across a crash: the event queue's journal.
type txnSink interface{ appendTxn(txnAnswer) }

// load puts answers read back at start-up (oldest first) into the cache.
func (c *txnCache) load(answers []txnAnswer) {
	for _, a := range answers {
		c.remember(a.key, a.res)
	}
}

// logTo makes end log each new answer to s.
func (c *txnCache) logTo(s txnSink) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sink = s
}

// answers returns the completed answers the cache holds, oldest first, for
// the journal to keep when it is rewritten.
func (c *txnCache) answers() []txnAnswer {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]txnAnswer, 0, len(c.order))
	for _, k := range c.order {
		if e := c.m[k]; e != nil && e.res != nil {
			out = append(out, txnAnswer{k, e.res})
		}
	}
	return out
}

// remember puts a completed answer into the cache (loading).
func (c *txnCache) remember(k string, r *pb.CommandResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	done := make(chan struct{})
	close(done)
	c.m[k] = &txnEntry{done: done, res: r}
	c.keepLocked(k)
}

// keepLocked records k as the newest completed answer and forgets the
// oldest past txnCacheSize.
func (c *txnCache) keepLocked(k string) {
	c.order = append(c.order, k)
	if len(c.order) > txnCacheSize {
		delete(c.m, c.order[0])
		c.order[0] = ""
		c.order = c.order[1:]
	}
}

// readTxnLog reads the answers of a txn log from before the v2 journal (a
// quoted key, a quoted message ID and a timestamp per line, tab
// separated); ok is false when there is no such file.
func readTxnLog(path string) (answers []txnAnswer, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if a, ok := parseTxnLine(sc.Text()); ok {
			answers = append(answers, a)
		}
	}
	return answers, true
}

func parseTxnLine(line string) (txnAnswer, bool) {
	parts := strings.Split(line, "\t")
	if len(parts) != 3 {
		return txnAnswer{}, false // a torn last line
	}
	k, err1 := strconv.Unquote(parts[0])
	id, err2 := strconv.Unquote(parts[1])
	ts, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return txnAnswer{}, false
	}
	return txnAnswer{k, &pb.CommandResult{MessageId: id, TimestampUnixMicro: ts}}, true
}
