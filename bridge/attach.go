package bridge

import (
	"context"
	"errors"

	pb "passerelle.im/passerelle/plugins/proto"
)

// fetchAttachment fetches a file the user's client uploaded, for the
// plugin.
func (t *transport) fetchAttachment(ctx context.Context, url string) (*pb.Attachment, error) {
	return nil, errors.New("files are not bridged yet")
}

// publish makes a file from the network reachable for the user's client
// and returns its URL.
func (t *transport) publish(ctx context.Context, a *pb.Attachment) (string, error) {
	return "", errors.New("files are not bridged yet")
}
