package sdk

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Error is a typed error a transport returns; the host turns its Code into
// the matching XMPP error condition and shows Text to the user.
type Error struct {
	Code pb.ErrorCode
	Text string

	wrapped error // what Errorf's %w wrapped (Unwrap); nil for others
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Text) }

// Unwrap returns the errors Errorf's %w verbs wrapped, so that errors.Is
// and errors.As see through a typed error. They stay in the process:
// only Code and Text cross the wire.
func (e *Error) Unwrap() error { return e.wrapped }

// Errorf returns an *Error whose text is formatted as fmt.Errorf does,
// wrapping the errors of its %w verbs.
func Errorf(code pb.ErrorCode, format string, args ...any) error {
	w := fmt.Errorf(format, args...)
	e := &Error{Code: code, Text: w.Error()}
	// fmt.Errorf returns an unwrappable error only when a %w took one.
	switch w.(type) {
	case interface{ Unwrap() error }, interface{ Unwrap() []error }:
		e.wrapped = w
	}
	return e
}

// ErrUnsupported is the answer to what a network does not do: XMPP
// feature-not-implemented.
var ErrUnsupported = &Error{Code: pb.ErrorCode_ERROR_CODE_UNSUPPORTED, Text: "not supported by this network"}

var grpcCodes = map[pb.ErrorCode]codes.Code{
	pb.ErrorCode_ERROR_CODE_UNSPECIFIED:    codes.Internal,
	pb.ErrorCode_ERROR_CODE_BAD_REQUEST:    codes.InvalidArgument,
	pb.ErrorCode_ERROR_CODE_NOT_FOUND:      codes.NotFound,
	pb.ErrorCode_ERROR_CODE_NOT_ALLOWED:    codes.PermissionDenied,
	pb.ErrorCode_ERROR_CODE_UNSUPPORTED:    codes.Unimplemented,
	pb.ErrorCode_ERROR_CODE_UNAVAILABLE:    codes.Unavailable,
	pb.ErrorCode_ERROR_CODE_UNAUTHORIZED:   codes.Unauthenticated,
	pb.ErrorCode_ERROR_CODE_TOO_LARGE:      codes.OutOfRange,
	pb.ErrorCode_ERROR_CODE_RATE_LIMITED:   codes.ResourceExhausted,
	pb.ErrorCode_ERROR_CODE_CONFLICT:       codes.AlreadyExists,
	pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED: codes.FailedPrecondition,
	pb.ErrorCode_ERROR_CODE_EXPIRED:        codes.DeadlineExceeded,
	// No gRPC code says banned; the codes stay distinct so that a bare
	// status is still understood: Aborted is one no other error uses.
	pb.ErrorCode_ERROR_CODE_BANNED: codes.Aborted,
}

// ToProto converts any error into the wire Error: an *Error keeps its code,
// context errors become UNAVAILABLE, anything else UNSPECIFIED.
func ToProto(err error) *pb.Error {
	if err == nil {
		return nil
	}
	var e *Error
	switch {
	case errors.As(err, &e):
		return &pb.Error{Code: e.Code, Text: e.Text}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &pb.Error{Code: pb.ErrorCode_ERROR_CODE_UNAVAILABLE, Text: err.Error()}
	}
	return &pb.Error{Code: pb.ErrorCode_ERROR_CODE_UNSPECIFIED, Text: err.Error()}
}

// toStatus turns a transport error into a gRPC status carrying the typed
// error as a detail, so the host can restore the exact code.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	pe := ToProto(err)
	gc, ok := grpcCodes[pe.Code]
	if !ok {
		// A code this SDK does not know; the detail still carries it.
		// (The zero value, codes.OK, would turn the error into success.)
		gc = codes.Internal
	}
	st := status.New(gc, pe.Text)
	if withDetails, derr := st.WithDetails(protoadapt.MessageV1Of(pe)); derr == nil {
		st = withDetails
	}
	return st.Err()
}

// FromGRPC restores the typed error from an error returned by a unary
// call. A call that failed below the contract (the plugin process died,
// the connection broke, the caller's deadline passed) is reported as
// UNAVAILABLE.
func FromGRPC(err error) *Error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return &Error{Code: pb.ErrorCode_ERROR_CODE_UNAVAILABLE, Text: err.Error()}
	}
	for _, d := range st.Details() {
		if pe, ok := d.(*pb.Error); ok {
			return &Error{Code: pe.Code, Text: pe.Text}
		}
	}
	if st.Code() == codes.Canceled || st.Code() == codes.DeadlineExceeded && st.Message() == context.DeadlineExceeded.Error() {
		// gRPC's own, the caller's context ended (a call that timed out
		// says so in context's words), not a plugin's EXPIRED: a plugin
		// without details sends that as a bare DeadlineExceeded with
		// its own text.
		return &Error{Code: pb.ErrorCode_ERROR_CODE_UNAVAILABLE, Text: st.Message()}
	}
	for c, gc := range grpcCodes {
		if gc == st.Code() && c != pb.ErrorCode_ERROR_CODE_UNSPECIFIED {
			return &Error{Code: c, Text: st.Message()}
		}
	}
	return &Error{Code: pb.ErrorCode_ERROR_CODE_UNSPECIFIED, Text: st.Message()}
}
