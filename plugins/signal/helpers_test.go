package signal_test

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"testing"
)

// hexGroup is the chat ID of a base64 group ID.
func hexGroup(gid string) string {
	b, _ := base64.StdEncoding.DecodeString(gid)
	return hex.EncodeToString(b)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
