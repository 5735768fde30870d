package pluginhost

import (
	"context"
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

// init calls the plugin's Init: a refusal is an InitError, a plugin of
// another contract version a VersionError.
func (p *process) init(ctx context.Context, configJSON []byte, dataDir, domain string) (*pb.Capabilities, error) {
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	caps, err := p.Transport.Init(ictx, &pb.InitRequest{HostApiVersion: sdk.APIVersion, ConfigJson: configJSON, DataDir: dataDir, Domain: domain})
	if err != nil {
		if refusedInit(err) {
			return nil, &InitError{Err: sdk.FromGRPC(err)}
		}
		return nil, fmt.Errorf("plugin Init: %w", sdk.FromGRPC(err))
	}
	if caps.ApiVersion != sdk.APIVersion {
		return nil, fmt.Errorf("plugin Init: %w", &sdk.VersionError{Plugin: int(caps.ApiVersion), Host: sdk.APIVersion})
	}
	return caps, nil
}
