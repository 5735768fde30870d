package bridge

import (
	"fmt"
	"strings"
)

// textTooLong returns the refusal of a text the user's message would
// hand the plugin (after styling is parsed) when it is longer than the
// transport's max_text_bytes (0: no limit), or "" when it fits. The
// gateway checks it itself, before the message goes: else each plugin
// had to, and one that did not sent a text the network refused or cut.
// url is the message's file address, for a message with a file: a text
// that is that address alone is dropped (attach.go), no text of the
// user's.
func (t *transport) textTooLong(text, url string) string {
	limit := t.host.Caps().GetMaxTextBytes()
	if limit <= 0 || int64(len(text)) <= limit {
		return ""
	}
	if url != "" && strings.TrimSpace(text) == url {
		return ""
	}
	return fmt.Sprintf("the message is %d bytes long; %s takes at most %d bytes of text: send it in parts", len(text), t.displayName(), limit)
}
