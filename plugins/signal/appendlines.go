package signal

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// appendLines writes b, whole lines, at the end of the file path (made
// when missing), synced when sync says. A write that fails part way (a
// full disk) is cut back to the size before it: a cut line left there
// would swallow the next line appended, both lost to the next read. (A
// failed sync is not: what it wrote is whole, durable or not.)
// cut reports that the cutting back failed too, and the file may end
// in a cut line: the caller rewrites it whole before appending again.
func appendLines(path string, b []byte, sync bool) (cut bool, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return false, err
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err == nil {
		if _, err = f.Write(b); err != nil {
			if terr := f.Truncate(size); terr != nil {
				cut, err = true, errors.Join(err, fmt.Errorf("cutting the write back: %w", terr))
			}
		} else if sync {
			err = fsyncFile(f)
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return cut, err
}

// fsyncFile syncs f; a variable so that a test can see what was synced
// when (dedupsync_internal_test.go).
var fsyncFile = (*os.File).Sync
