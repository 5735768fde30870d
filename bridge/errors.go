package bridge

import (
	"context"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
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
	}
	return wire.InternalServerError
}

// notRegistered answers a stanza of a user without a login here.
func (t *transport) notRegistered(ctx context.Context, st *wire.Stanza) {
	t.send(ctx, wire.ErrorReply(st, wire.RegistrationRequired, "register with "+t.domain+" first"))
}
