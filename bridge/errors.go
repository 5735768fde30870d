package bridge

import (
	"context"
	"errors"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// conditionOf maps a plugin's typed error to the XMPP error condition a
// client understands.
func conditionOf(code pb.ErrorCode) wire.Condition {
	switch code {
	case pb.ErrorCode_ERROR_CODE_BAD_REQUEST:
		return wire.BadRequest
	case pb.ErrorCode_ERROR_CODE_NOT_FOUND:
		return wire.ItemNotFound
	case pb.ErrorCode_ERROR_CODE_NOT_ALLOWED:
		return wire.NotAllowed
	case pb.ErrorCode_ERROR_CODE_UNSUPPORTED:
		return wire.FeatureNotImpl
	case pb.ErrorCode_ERROR_CODE_UNAVAILABLE:
		return wire.ServiceUnavailable
	case pb.ErrorCode_ERROR_CODE_UNAUTHORIZED:
		return wire.NotAuthorized
	case pb.ErrorCode_ERROR_CODE_TOO_LARGE:
		return wire.PolicyViolation
	case pb.ErrorCode_ERROR_CODE_RATE_LIMITED:
		return wire.ResourceConstraint
	case pb.ErrorCode_ERROR_CODE_CONFLICT:
		return wire.Conflict
	case pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED:
		return wire.RegistrationRequired
	case pb.ErrorCode_ERROR_CODE_EXPIRED:
		return wire.NotAcceptable
	case pb.ErrorCode_ERROR_CODE_BANNED:
		return wire.Forbidden // XEP-0045 §7.2.8, a banned user's join
	}
	return wire.InternalServerError
}

// notRegistered answers a stanza of a user without a login here.
func (t *transport) notRegistered(ctx context.Context, st *wire.Stanza) {
	t.send(ctx, wire.ErrorReply(st, wire.RegistrationRequired, "register with "+t.domain+" first"))
}

// gatewayError is a failure of the gateway's own (its store, its disk),
// not of the plugin or the network.
type gatewayError struct {
	text string
	err  error
}

func (e *gatewayError) Error() string { return e.text + ": " + e.err.Error() }
func (e *gatewayError) Unwrap() error { return e.err }

// gatewayFault wraps err, a failure of the gateway itself, with what the
// user reads of it. reply makes it internal-server-error (RFC 6120
// §8.3.3.8): service-unavailable, which a plugin or network away gets,
// tells a client the service is not there, to try elsewhere or later.
func gatewayFault(text string, err error) error {
	return &gatewayError{text: text, err: err}
}

// reply gives the XMPP error for a failed call: the plugin's typed
// error, service-unavailable when the plugin is down, or
// internal-server-error for the gateway's own failure.
func reply(err error) (wire.Condition, string) {
	switch {
	case errors.Is(err, errConflict), errors.Is(err, errLoginInProgress):
		return wire.Conflict, err.Error()
	case errors.Is(err, errStopping):
		return wire.ServiceUnavailable, err.Error()
	case errors.Is(err, errLoginIDUnusable):
		return wire.NotAcceptable, err.Error()
	}
	if ge := (*gatewayError)(nil); errors.As(err, &ge) {
		return wire.InternalServerError, err.Error()
	}
	var se *sdk.Error
	if errors.As(err, &se) {
		return conditionOf(se.Code), se.Text
	}
	e := sdk.FromGRPC(err)
	return conditionOf(e.Code), e.Text
}

// errText is what the user reads of a failed call.
func errText(err error) string {
	_, text := reply(err)
	if text == "" {
		return err.Error()
	}
	return text
}
