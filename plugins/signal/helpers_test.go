package signal_test

import (
	"encoding/base64"
	"encoding/hex"
)

// hexGroup is the chat ID of a base64 group ID.
func hexGroup(gid string) string {
	b, _ := base64.StdEncoding.DecodeString(gid)
	return hex.EncodeToString(b)
}
