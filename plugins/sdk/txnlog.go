package sdk

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The txn log keeps answered txn_ids in the data folder, so that after a
// plugin crash the host's retry of a command the dead process had already
// carried out is answered from memory instead of acting twice. Like the
// event journal it is written without fsync: it guards against a process
// crash, not a machine crash.
const txnLogName = "passerelle-txns.log"

// open loads the remembered answers and opens the log for appending.
func (c *txnCache) open(dir string) error {
	path := filepath.Join(dir, txnLogName)
	if f, err := os.Open(path); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			k, r, ok := parseTxnLine(sc.Text())
			if ok {
				c.remember(k, r)
			}
		}
		f.Close()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.path = path
	return c.rewriteLocked()
}

func parseTxnLine(line string) (string, *pb.CommandResult, bool) {
	parts := strings.Split(line, "\t")
	if len(parts) != 3 {
		return "", nil, false // a torn last line
	}
	k, err1 := strconv.Unquote(parts[0])
	id, err2 := strconv.Unquote(parts[1])
	ts, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return "", nil, false
	}
	return k, &pb.CommandResult{MessageId: id, TimestampUnixMicro: ts}, true
}

func txnLine(k string, r *pb.CommandResult) string {
	return strconv.Quote(k) + "\t" + strconv.Quote(r.MessageId) + "\t" + strconv.FormatInt(r.TimestampUnixMicro, 10) + "\n"
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
	c.order = append(c.order, k)
	if len(c.order) > txnCacheSize {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
}

// appendLocked logs one answer; past twice the cache size the log is
// rewritten with what the cache still holds.
func (c *txnCache) appendLocked(k string, r *pb.CommandResult) {
	if c.f == nil {
		return
	}
	// Buffered like the event journal: flushed before the result goes
	// out (see flush).
	c.pend = append(c.pend, txnLine(k, r)...)
	c.lines++
	if c.lines > 2*txnCacheSize {
		c.rewriteLocked()
	}
}

// flush writes the buffered lines.
func (c *txnCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil || len(c.pend) == 0 {
		return
	}
	// A failed write leaves the answer in memory only: a retry after a
	// crash would act twice, as without a log.
	_, _ = c.f.Write(c.pend)
	c.pend = c.pend[:0]
}

// rewriteLocked replaces the log with the cache's completed answers,
// through a rename so a crash leaves one whole file.
func (c *txnCache) rewriteLocked() error {
	tmp := c.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("sdk: txn log: %w", err)
	}
	w := bufio.NewWriter(f)
	n := 0
	for _, k := range c.order {
		if e := c.m[k]; e != nil && e.res != nil {
			w.WriteString(txnLine(k, e.res))
			n++
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("sdk: txn log: %w", err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		f.Close()
		return fmt.Errorf("sdk: txn log: %w", err)
	}
	if c.f != nil {
		c.f.Close()
	}
	c.f, c.lines, c.pend = f, n, c.pend[:0] // the rewrite has the buffered lines
	return nil
}
