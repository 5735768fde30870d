package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "passerelle.im/passerelle/plugins/proto"
)

func allErrorCodes(t *testing.T) []pb.ErrorCode {
	t.Helper()
	var out []pb.ErrorCode
	for v := range pb.ErrorCode_name {
		out = append(out, pb.ErrorCode(v))
	}
	if len(out) != len(grpcCodes) {
		t.Fatalf("%d error codes in the contract, %d in the gRPC mapping", len(out), len(grpcCodes))
	}
	return out
}

func TestErrorCodesRoundTrip(t *testing.T) {
	for _, code := range allErrorCodes(t) {
		text := "text for " + code.String()
		err := toStatus(fmt.Errorf("wrapped: %w", &Error{Code: code, Text: text}))
		if err == nil {
			t.Fatalf("%v: toStatus returned nil", code)
		}
		if got := status.Code(err); got != grpcCodes[code] {
			t.Errorf("%v: gRPC code %v, want %v", code, got, grpcCodes[code])
		}
		e := FromGRPC(err)
		if e.Code != code || e.Text != text {
			t.Errorf("%v: round trip gave %v %q", code, e.Code, e.Text)
		}
		// The exact typed error rides along as a status detail.
		details := status.Convert(err).Details()
		if len(details) != 1 {
			t.Fatalf("%v: %d status details, want the typed error", code, len(details))
		}
		if pe, ok := details[0].(*pb.Error); !ok || pe.Code != code || pe.Text != text {
			t.Errorf("%v: status detail %v", code, details[0])
		}
	}
}

// The gRPC codes are distinct, so a plugin that only sets the status code
// (another language, no details) is still understood.
func TestErrorCodesFromBareStatus(t *testing.T) {
	seen := map[codes.Code]pb.ErrorCode{}
	for _, code := range allErrorCodes(t) {
		gc := grpcCodes[code]
		if prev, dup := seen[gc]; dup {
			t.Fatalf("%v and %v share gRPC code %v", prev, code, gc)
		}
		seen[gc] = code
		if e := FromGRPC(status.Error(gc, "bare")); e.Code != code || e.Text != "bare" {
			t.Errorf("bare %v: got %v %q, want %v", gc, e.Code, e.Text, code)
		}
	}
}

func TestPlainErrorIsUnspecified(t *testing.T) {
	plain := errors.New("disk on fire")
	if pe := ToProto(plain); pe.Code != pb.ErrorCode_ERROR_CODE_UNSPECIFIED || pe.Text != "disk on fire" {
		t.Fatalf("ToProto(plain) = %v", pe)
	}
	err := toStatus(plain)
	if status.Code(err) != codes.Internal {
		t.Errorf("plain error travels as %v, want Internal", status.Code(err))
	}
	if e := FromGRPC(err); e.Code != pb.ErrorCode_ERROR_CODE_UNSPECIFIED || e.Text != "disk on fire" {
		t.Errorf("plain error came back as %v %q", e.Code, e.Text)
	}
	if e := FromGRPC(status.Error(codes.Unknown, "x")); e.Code != pb.ErrorCode_ERROR_CODE_UNSPECIFIED {
		t.Errorf("codes.Unknown came back as %v", e.Code)
	}
}

func TestContextErrorsAreUnavailable(t *testing.T) {
	for _, err := range []error{context.Canceled, context.DeadlineExceeded, fmt.Errorf("call: %w", context.Canceled)} {
		if pe := ToProto(err); pe.Code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
			t.Errorf("ToProto(%v) = %v, want UNAVAILABLE", err, pe.Code)
		}
	}
	if e := FromGRPC(status.Error(codes.Canceled, "gone")); e.Code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("codes.Canceled came back as %v, want UNAVAILABLE", e.Code)
	}
}

// TestCallDeadlineIsUnavailable: a call whose context ran out (gRPC's
// DeadlineExceeded in context's words) is UNAVAILABLE, a try-again, not
// the plugin's EXPIRED (an edit window passed: not-acceptable), which it
// was before; the plugin's own EXPIRED still comes back as it is, with
// its detail or bare (TestErrorCodesFromBareStatus).
func TestCallDeadlineIsUnavailable(t *testing.T) {
	if e := FromGRPC(status.FromContextError(context.DeadlineExceeded).Err()); e.Code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("a call past its deadline came back as %v, want UNAVAILABLE", e.Code)
	}
	if e := FromGRPC(toStatus(Errorf(pb.ErrorCode_ERROR_CODE_EXPIRED, "too late to edit"))); e.Code != pb.ErrorCode_ERROR_CODE_EXPIRED || e.Text != "too late to edit" {
		t.Errorf("the plugin's EXPIRED came back as %v %q", e.Code, e.Text)
	}
}

func TestNonStatusErrorIsUnavailable(t *testing.T) {
	for _, err := range []error{io.EOF, errors.New("connection reset")} {
		if e := FromGRPC(err); e.Code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || e.Text != err.Error() {
			t.Errorf("FromGRPC(%v) = %v %q, want UNAVAILABLE", err, e.Code, e.Text)
		}
	}
}

func TestNilErrors(t *testing.T) {
	if ToProto(nil) != nil || toStatus(nil) != nil || FromGRPC(nil) != nil {
		t.Fatal("nil error did not stay nil")
	}
}

// A code this SDK does not know (a newer contract) must still be an error
// on the wire, never a success.
func TestUnknownErrorCodeStaysAnError(t *testing.T) {
	err := toStatus(&Error{Code: pb.ErrorCode(99), Text: "from the future"})
	if err == nil {
		t.Fatal("toStatus turned an error with an unknown code into success")
	}
	if e := FromGRPC(err); e.Code != pb.ErrorCode(99) || e.Text != "from the future" {
		t.Fatalf("came back as %v %q", e.Code, e.Text)
	}
}

func TestErrorMessage(t *testing.T) {
	err := Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no chat %q", "x")
	var e *Error
	if !errors.As(err, &e) || e.Code != pb.ErrorCode_ERROR_CODE_NOT_FOUND || e.Text != `no chat "x"` {
		t.Fatalf("Errorf gave %#v", err)
	}
	if err.Error() != `ERROR_CODE_NOT_FOUND: no chat "x"` {
		t.Fatalf("Error() = %q", err.Error())
	}
}

// Through a real gRPC connection: each typed error a transport returns
// from a unary call reaches the host with its code and text.
func TestTypedErrorsSurviveTheWire(t *testing.T) {
	f := newFakeTransport()
	f.chatInfo = func(chatID string) (*pb.Chat, error) {
		var code int32
		if _, err := fmt.Sscan(chatID, &code); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("chat info: %w", &Error{Code: pb.ErrorCode(code), Text: "because " + chatID})
	}
	c := startServer(t, f, "")
	ctx := testContext(t)
	for _, code := range allErrorCodes(t) {
		chatID := fmt.Sprint(int32(code))
		_, err := c.ChatInfo(ctx, &pb.ChatRef{LoginId: "l", ChatId: chatID})
		e := FromGRPC(err)
		if e == nil || e.Code != code || e.Text != "because "+chatID {
			t.Errorf("%v: host got %v", code, e)
		}
	}
	// A plain error from the transport is UNSPECIFIED, not lost.
	_, err := c.ChatInfo(ctx, &pb.ChatRef{ChatId: "not a number"})
	if e := FromGRPC(err); e == nil || e.Code != pb.ErrorCode_ERROR_CODE_UNSPECIFIED {
		t.Errorf("plain error: host got %v", e)
	}
	// A transport that answers nothing and no error is refused, not a
	// success with an empty message.
	_, err = c.StartLogin(ctx, &pb.StartLoginRequest{})
	if status.Code(err) != codes.Internal {
		t.Errorf("nil answer: got %v, want Internal", err)
	}
	// UNSUPPORTED keeps its code too.
	_, err = c.UserInfo(ctx, &pb.UserRef{})
	if e := FromGRPC(err); e == nil || e.Code != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		t.Errorf("UserInfo: host got %v", e)
	}
}

// Errorf wraps as fmt.Errorf does: %w gives the wrapped error's text,
// which the user reads, and errors.Is sees through the typed error.
// Before, it formatted with fmt.Sprintf, and a plugin author following Go's
// convention had the user read "%!w(*errors.errorString=&{EOF})".
func TestErrorfWraps(t *testing.T) {
	err := Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the network: %w", io.EOF)
	if got := ToProto(err); got.Text != "the network: EOF" || got.Code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Fatalf("ToProto: %v", got)
	}
	if !errors.Is(err, io.EOF) {
		t.Fatal("errors.Is does not see the wrapped error")
	}
	var e *Error
	if !errors.As(fmt.Errorf("send: %w", err), &e) || e.Code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Fatalf("errors.As through a further wrap: %v", e)
	}
}
