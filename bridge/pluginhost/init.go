package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// InitError is a plugin's answer to Init that refuses to start: its
// [transport.config], or what it needs on the machine. The same start
// would fail the same way (refusedInit says which answers are such).
type InitError struct{ Err *sdk.Error }

// Error is the plugin's own text: its code says nothing to an admin.
func (e *InitError) Error() string { return "the plugin refused to start: " + e.Err.Text }

// Unwrap gives the typed error, code included.
func (e *InitError) Unwrap() error { return e.Err }

// refusedInit reports whether Init's error is the plugin's refusal of
// its config (the SDK's BAD_REQUEST, a plain error, a Python plugin's
// exception), not a call that failed on the way (the process died, the
// call timed out) nor what passes by itself: the data folder still held
// by the process before (FailedPrecondition) frees itself in a moment.
func refusedInit(err error) bool {
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	switch st.Code() {
	case codes.InvalidArgument, codes.Internal, codes.Unknown:
		return true
	}
	return false
}

// initTimeout bounds Init; a variable for the tests.
var initTimeout = 30 * time.Second

// exitWait is how long a failed Init waits to learn whether the plugin
// exited (the call fails as the connection closes, a moment before the
// process is reaped).
const exitWait = 2 * time.Second

// init calls the plugin's Init: a refusal is an InitError, a plugin of
// another contract version a VersionError. A plugin that exits during
// Init, or does not answer it in time, is told so by name: gRPC's own
// words ("error reading from server: EOF", "context deadline exceeded")
// do not say what the plugin did.
func (p *process) init(ctx context.Context, configJSON []byte, dataDir, domain string) (*pb.Capabilities, error) {
	ictx, cancel := context.WithTimeout(ctx, initTimeout)
	defer cancel()
	caps, err := p.Transport.Init(ictx, &pb.InitRequest{HostApiVersion: sdk.APIVersion, ConfigJson: configJSON, DataDir: dataDir, Domain: domain})
	if err != nil {
		if refusedInit(err) {
			return nil, &InitError{Err: sdk.FromGRPC(err)}
		}
		if ctx.Err() == nil {
			if how, ok := p.exitStatus(exitWait); ok {
				return nil, fmt.Errorf("the plugin exited during Init, without answering it (%s); its log above may say why: %w", how, sdk.FromGRPC(err))
			}
			if errors.Is(ictx.Err(), context.DeadlineExceeded) {
				return nil, fmt.Errorf("the plugin did not answer Init within %s (Init must return at once; slow work goes after it): %w", initTimeout, sdk.FromGRPC(err))
			}
		}
		return nil, fmt.Errorf("plugin Init: %w", sdk.FromGRPC(err))
	}
	if caps.ApiVersion != sdk.APIVersion {
		return nil, fmt.Errorf("plugin Init: %w", &sdk.VersionError{Plugin: int(caps.ApiVersion), Host: sdk.APIVersion})
	}
	return caps, nil
}
