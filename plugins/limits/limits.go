// Package limits holds the plugin contract's bounds on what the gateway
// stores, for the Go side of the contract: the SDK (plugins/sdk), which
// refuses an event before it leaves the plugin, and the gateway (puppet).
// The contract states them as plugins/proto's Limit enum, for plugins in
// any language; this package's test holds them to it. The gateway's
// store keeps its own copy, so that its code imports none of the
// project's packages; the bridge's TestStoreKeepsTheContractsLimits
// holds it to these. This package imports nothing: a plugin built with the SDK gets
// nothing of the gateway's (plugintest's TestImportRules).
package limits

import (
	"errors"
	"strings"
)

const (
	// IDBytes bounds an ID the store keys by: an event's login_id,
	// chat_id and event_id, a history batch's cursor, a JID, a remote
	// message ID (LIMIT_ID_BYTES).
	IDBytes = 4096
	// MetaBytes bounds a message's meta: Event.meta, CommandResult.meta
	// (LIMIT_META_BYTES).
	MetaBytes = 1024
)

var (
	// ErrNUL is an ID holding a NUL byte: the store joins IDs with NUL
	// in its keys, so no ID may hold one.
	ErrNUL = errors.New("holds a NUL byte")
	// ErrTooLong is an ID over IDBytes.
	ErrTooLong = errors.New("is too long")
)

// CheckID reports ErrNUL or ErrTooLong for an ID the store could not
// key by, or nil. Callers word the error for their reader (a plugin's
// author, the gateway's log); an empty ID is theirs to judge.
func CheckID(id string) error {
	switch {
	case strings.IndexByte(id, 0) >= 0:
		return ErrNUL
	case len(id) > IDBytes:
		return ErrTooLong
	}
	return nil
}
