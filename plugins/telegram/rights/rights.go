// Package rights holds Telegram's rules for the contract's SetRole, the
// same for a user account (MTProto) and a bot (the Bot API): affiliation
// admin, or the role moderator for someone who is not an admin yet, makes
// a member an admin; member (or none) takes their admin rights away; the
// role visitor keeps them from sending, participant lets them again.
// Telegram has no "owner" to give (a transfer needs the owner's password,
// in Telegram's apps), and nobody changes the owner's rights.
package rights

import (
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// NotARole refuses a SetRole that asks for a ban: that is a Kick with
// ban. Nil for any other.
func NotARole(r *pb.SetRole) error {
	if r.Affiliation == pb.Affiliation_AFFILIATION_OUTCAST {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: a ban is a Kick with ban, not a role")
	}
	return nil
}

// Want reads r for a member who is the group's creator, or an admin
// (isAdmin), as what Telegram can make of them: an admin, or kept from
// sending (muted). keep: the owner stays as they are, nothing to do. who
// names the member in the errors.
func Want(r *pb.SetRole, creator, isAdmin bool, who string) (admin, muted, keep bool, err error) {
	if err := NotARole(r); err != nil {
		return false, false, false, err
	}
	if r.Affiliation == pb.Affiliation_AFFILIATION_OWNER && !creator {
		return false, false, false, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: a group's ownership is transferred in Telegram's apps, with the owner's password; it cannot be given from here")
	}
	if creator {
		if r.Affiliation != pb.Affiliation_AFFILIATION_OWNER || r.Role != pb.Role_ROLE_MODERATOR {
			return false, false, false, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: %s owns the group: nobody can change the owner's rights", who)
		}
		return false, false, true, nil
	}
	admin = r.Affiliation == pb.Affiliation_AFFILIATION_ADMIN
	if !isAdmin && r.Role == pb.Role_ROLE_MODERATOR {
		admin = true // a moderator on Telegram is an admin
	}
	muted = r.Role == pb.Role_ROLE_VISITOR
	switch {
	case admin && isAdmin && r.Role == pb.Role_ROLE_PARTICIPANT:
		return false, false, false, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: an admin is always a moderator; to take it away, make them a member")
	case admin && muted:
		return false, false, false, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: an admin cannot be kept from sending; take their admin rights away first")
	}
	return admin, muted, false, nil
}
