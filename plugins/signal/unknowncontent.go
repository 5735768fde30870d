package signal

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// Content of a kind the plugin does not know. signal-cli adds a field to
// its JSON for each kind of content it learns (pollCreate, pinMessage,
// adminDelete came so), and a signal-cli newer than the plugin writes
// fields the plugin never heard of: a message with nothing else would
// have nothing to show, and was dropped without a word. It is told as a
// message the gateway cannot show, saying to see it on the phone, and
// the log names the fields for the admin. A message with something
// shown besides keeps to it: a new field beside a body may well be a
// decoration only.

// knownDataKeys are the fields of signal-cli's data message (and of the
// sync's sent message, which flattens one) the plugin reads, and those
// it leaves out on purpose.
var knownDataKeys = func() map[string]bool {
	known := map[string]bool{
		"previews":    true, // a link's preview: the link is in the body
		"destination": true, // the sync's deprecated destination
	}
	for _, t := range []reflect.Type{reflect.TypeFor[dataMessage](), reflect.TypeFor[sentMessage]()} {
		for f := range t.Fields() {
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" {
				known[name] = true
			}
		}
	}
	return known
}()

// unknownKeys are the fields of a data message's JSON, raw, that carry
// something (not null, nor a zero value: a flag left false is no
// content) and that the plugin does not know, sorted.
func unknownKeys(raw json.RawMessage) []string {
	var m map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []string
	for k, v := range m {
		if !knownDataKeys[k] && !isZeroJSON(v) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// isZeroJSON reports whether v, a decoded JSON value, is null, false, 0,
// "", [] or {}.
func isZeroJSON(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	default:
		return reflect.ValueOf(v).IsZero()
	}
}

// markUnknown notes in env's data messages (its own, its sync's sent
// message) the fields of raw, the envelope's JSON, the plugin does not
// know.
func markUnknown(raw json.RawMessage, env *envelope) {
	var r struct {
		DataMessage json.RawMessage `json:"dataMessage"`
		SyncMessage *struct {
			SentMessage json.RawMessage `json:"sentMessage"`
		} `json:"syncMessage"`
	}
	if json.Unmarshal(raw, &r) != nil {
		return
	}
	if env.DataMessage != nil {
		env.DataMessage.unknown = unknownKeys(r.DataMessage)
	}
	if env.SyncMessage != nil && env.SyncMessage.SentMessage != nil && r.SyncMessage != nil {
		env.SyncMessage.SentMessage.unknown = unknownKeys(r.SyncMessage.SentMessage)
	}
}

// unknownText stands for a message whose only content is of a kind the
// plugin does not know.
const unknownText = "⚠ A message of a kind the gateway cannot show: see it " + onPhone + "."
