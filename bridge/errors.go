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

// reply gives the XMPP error for a failed plugin call: the plugin's typed
// error, or service-unavailable when the plugin is down.
func reply(err error) (wire.Condition, string) {
	switch {
	case errors.Is(err, errConflict), errors.Is(err, errLoginInProgress):
		return wire.Conflict, err.Error()
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
