package bridge

import (
	"passerelle.im/passerelle/store"
)

// messageMeta is the plugin's metadata of a message (Event.meta,
// CommandResult.meta) as the gateway stores it beside the remote ID, to
// hand back in the target_meta, reply_to_meta and up_to_meta of later
// commands naming the message. Metadata over the contract's limit is
// dropped with a warning: the store would refuse the whole record, and
// the message matters more than its metadata.
func (t *transport) messageMeta(remoteID string, meta []byte) []byte {
	if len(meta) > store.MaxMeta {
		t.log.Warn("message metadata over the contract's limit; dropped", "remote_id", remoteID, "bytes", len(meta), "max", store.MaxMeta)
		return nil
	}
	return meta
}
