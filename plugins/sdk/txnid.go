package sdk

import (
	"crypto/sha256"
	"strconv"
)

// TxnDigest is a digest of a command's txn with its login, its chat and
// a part number (0 for the text or the first file), from which a plugin
// derives the ID a network lets the client pick for what the command
// sends, where the network drops a repeated ID (Telegram's random_id,
// WhatsApp's message ID): the gateway's resend of a command whose answer
// a killed plugin never journaled then repeats the first send instead of
// sending again (docs/plugins.md, "Commands and their results"). ok is
// false for a command without a txn.
func TxnDigest(loginID string, c Call, part int) (d [sha256.Size]byte, ok bool) {
	if c.TxnID == "" {
		return d, false
	}
	return sha256.Sum256([]byte(loginID + "\x00" + c.ChatID + "\x00" + c.TxnID + "\x00" + strconv.Itoa(part))), true
}
