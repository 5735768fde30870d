package signal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// An envelope the plugin cannot read (signal-cli wrote what it does not
// understand: a field of another type, after a signal-cli update), or
// whose handling panicked, is dropped: kept, it would fail the same way
// at every start. The message it carried is lost here, so the user is
// told, with a notice of the account naming the sender when that much
// can be read, to look on the phone; the log keeps the details for the
// admin. The notice's ID is the envelope's hash: the same envelope told
// again (its handling did not finish) is the same notice.

// droppedText is the notice of an envelope dropped; from names its
// sender ("" unknown).
func droppedText(from string) string {
	what := "A message from Signal"
	if from != "" {
		what = "A message from " + from
	}
	return what + " could not be read here and was dropped (signal-cli wrote something this plugin does not understand; the gateway's admin finds it in the log): look for it on your phone."
}

// tellDroppedSafely is tellDropped for an envelope whose handling
// panicked: the notice's own trouble (the same bug) is logged, not
// raised again.
func (s *Session) tellDroppedSafely(raw json.RawMessage) {
	defer func() {
		if r := recover(); r != nil {
			s.n.host.Logger().Error("signal: the notice of an envelope dropped could not be told", "login", s.loginID, "panic", r)
		}
	}()
	s.tellDropped(raw)
}

// tellDropped tells the user that the notification params, or the
// envelope in it, was dropped.
func (s *Session) tellDropped(raw json.RawMessage) {
	var loose struct {
		Envelope struct {
			SourceNumber any `json:"sourceNumber"`
			SourceUUID   any `json:"sourceUuid"`
		} `json:"envelope"`
		Result *struct {
			Envelope struct {
				SourceNumber any `json:"sourceNumber"`
				SourceUUID   any `json:"sourceUuid"`
			} `json:"envelope"`
		} `json:"result"`
	}
	json.Unmarshal(raw, &loose) // what can be read of it, else nothing
	env := loose.Envelope
	if loose.Result != nil {
		env = loose.Result.Envelope
	}
	from, _ := env.SourceNumber.(string)
	if from == "" {
		if id, _ := env.SourceUUID.(string); isUUID(id) {
			from = id
		}
	}
	if from != "" && !isUUID(from) && (len(from) > 20 || from[0] != '+') {
		from = "" // not a number: not shown
	}
	sum := sha256.Sum256(raw)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.emit(ctx, sdk.Notice(s.loginID, "dropped-"+hex.EncodeToString(sum[:12]), droppedText(from), pb.NoticeLevel_NOTICE_LEVEL_WARNING), true)
}
