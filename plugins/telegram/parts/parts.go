// Package parts names the other messages a send made (a file each, a
// long caption's text) in the metadata of its first message, for user
// accounts and bots alike: a retraction of the first deletes them too.
package parts

import (
	"strconv"
	"strings"

	"passerelle.im/passerelle/plugins/sdk"
)

// prefix opens the metadata: "parts:" and the IDs, comma separated.
const prefix = "parts:"

// With is res, a send's first message, with the IDs of the others in
// its metadata, as many as the contract's bound on it holds; res as it
// is when there are none, or no first message.
func With(res sdk.Result, more []string) sdk.Result {
	if len(more) == 0 || res.MessageID == "" {
		return res
	}
	meta := prefix
	for i, id := range more {
		if len(meta)+len(id)+1 > sdk.MaxMetaBytes {
			break
		}
		if i > 0 {
			meta += ","
		}
		meta += id
	}
	res.Meta = []byte(meta)
	return res
}

// IDs are the other messages named in a first message's metadata (IDs
// that are not positive numbers skipped); nil when it names none. The
// list ends at a ";", after which a mode may note more of the message
// (bot mode: when it was sent).
func IDs(meta []byte) []int {
	rest, ok := strings.CutPrefix(string(meta), prefix)
	rest, _, _ = strings.Cut(rest, ";")
	if !ok || rest == "" {
		return nil
	}
	var ids []int
	for _, p := range strings.Split(rest, ",") {
		if n, err := strconv.Atoi(p); err == nil && n > 0 {
			ids = append(ids, n)
		}
	}
	return ids
}
