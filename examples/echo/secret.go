package echo

import (
	"context"
	"strings"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Channels joined by a secret name, as a Telegram group by an invite
// link given as the MUC password: SecretSign and a channel's name joins
// that channel ("secret-go" joins "#go") with the password SecretKeySign
// and the name ("pw-go"), and is refused (UNAUTHORIZED) with any other.
// The answer comes after SecretDelay (or when released: HoldJoins), so
// that joins of the same name overlap at the gateway, as invite links do
// that a network checks slowly.
const (
	SecretSign    = "secret-"
	SecretKeySign = "pw-"
	SecretDelay   = 300 * time.Millisecond
)

// HoldJoins and ReleaseJoins are test knobs, texts sent to any contact
// (and echoed as any text is): after HoldJoins, the account's joins by a
// secret name wait until ReleaseJoins instead of SecretDelay, so that a
// test acts while a join is under way, however slow the machine, and
// then lets it answer. A held join that outlives its command's time
// limit answers UNAVAILABLE.
const (
	HoldJoins    = "hold-joins"
	ReleaseJoins = "release-joins"
)

// holdCommand holds or releases the account's joins by a secret name
// when text says so.
func (s *Session) holdCommand(text string) {
	switch text {
	case HoldJoins:
		s.n.joinHolds.LoadOrStore(s.loginID, make(chan struct{}))
	case ReleaseJoins:
		if h, ok := s.n.joinHolds.LoadAndDelete(s.loginID); ok {
			close(h.(chan struct{}))
		}
	}
}

// secretChannel is the channel a join of chatID with password leads to
// when chatID is a secret name; "" when it is not one.
func (s *Session) secretChannel(ctx context.Context, chatID, password string) (string, error) {
	name, ok := strings.CutPrefix(chatID, SecretSign)
	if !ok || name == "" {
		return "", nil
	}
	if h, held := s.n.joinHolds.Load(s.loginID); held {
		select {
		case <-h.(chan struct{}):
		case <-ctx.Done():
			return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "joining %s: held, never released: %v", chatID, ctx.Err())
		}
	} else {
		time.Sleep(SecretDelay)
	}
	if password != SecretKeySign+name {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAUTHORIZED, "%s needs its invitation", chatID)
	}
	return ChannelSign + name, nil
}
