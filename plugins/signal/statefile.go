package signal

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"

	"passerelle.im/passerelle/plugins/sdk"
)

// The plugin's small state files in the login's folder (the calls
// ringing, the read marks, the members' names, the requests to join
// told) are one JSON value each, read at the start and rewritten whole
// at each change. Each is read and written here alike; each loader says
// in its log line what a damaged file costs and starts empty.

// readState reads the state file path into v. A file missing is no
// error, and leaves v as it was; one that cannot be read or parsed is
// (v then partly set: the caller starts empty), and so is JSON null,
// which would leave a map nil, that the next change writes to.
func readState(path string, v any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return errors.New("the file holds null")
	}
	return json.Unmarshal(b, v)
}

// writeState writes v as the state file path, on disk before it
// returns.
func writeState(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return sdk.WriteFileDurably(path, b)
}
