package bridge

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// stopping reports whether err is ctx's own cancellation: the gateway is
// stopping (or the run was called off), and what failed is done again by
// the next run (the next contact or room sync), so it is no fault to
// report above DEBUG. A plugin call cancelled with ctx fails with the gRPC
// code Canceled, not with context.Canceled itself.
func stopping(ctx context.Context, err error) bool {
	if err == nil || !errors.Is(ctx.Err(), context.Canceled) {
		return false
	}
	return errors.Is(err, context.Canceled) || status.Code(err) == codes.Canceled
}
