package echo

import (
	"strings"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Channels joined by a secret name, as a Telegram group by an invite
// link given as the MUC password: SecretSign and a channel's name joins
// that channel ("secret-go" joins "#go") with the password SecretKeySign
// and the name ("pw-go"), and is refused (UNAUTHORIZED) with any other.
// The answer comes after SecretDelay, so that joins of the same name
// overlap at the gateway, as invite links do that a network checks
// slowly.
const (
	SecretSign    = "secret-"
	SecretKeySign = "pw-"
	SecretDelay   = 300 * time.Millisecond
)

// secretChannel is the channel a join of chatID with password leads to
// when chatID is a secret name; "" when it is not one.
func secretChannel(chatID, password string) (string, error) {
	name, ok := strings.CutPrefix(chatID, SecretSign)
	if !ok || name == "" {
		return "", nil
	}
	time.Sleep(SecretDelay)
	if password != SecretKeySign+name {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAUTHORIZED, "%s needs its invitation", chatID)
	}
	return ChannelSign + name, nil
}
