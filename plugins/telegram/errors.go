package telegram

import (
	"errors"
	"fmt"
	"time"

	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// refusal says, in words for the user, why Telegram refused the client or
// the account, when it did; "" for any other error.
func refusal(err error) string {
	if d, ok := tgerr.AsFloodWait(err); ok {
		return fmt.Sprintf("Telegram asks to wait %s before trying again (FLOOD_WAIT).", d.Round(time.Second))
	}
	e, ok := tgerr.As(err)
	if !ok {
		return ""
	}
	switch e.Type {
	case "UPDATE_APP_TO_LOGIN":
		return "Telegram refuses this client as too old (UPDATE_APP_TO_LOGIN): the gateway needs a newer Telegram library."
	case "PHONE_NUMBER_BANNED", "USER_DEACTIVATED_BAN":
		return "Telegram has banned this phone number (" + e.Type + ")."
	case "USER_DEACTIVATED":
		return "This Telegram account was deleted (USER_DEACTIVATED)."
	case "API_ID_INVALID", "API_ID_PUBLISHED_FLOOD":
		return "Telegram refuses the gateway's api_id/api_hash (" + e.Type + "): the administrator (or you, in the login form) must give a valid pair from my.telegram.org."
	case "AUTH_KEY_UNREGISTERED", "SESSION_REVOKED", "SESSION_EXPIRED", "AUTH_KEY_DUPLICATED":
		return "Telegram ended this session (" + e.Type + "), e.g. from Settings, Devices on the phone: log in again."
	case "PHONE_NUMBER_FLOOD":
		return "Telegram refuses more codes for this number for now (PHONE_NUMBER_FLOOD): try again later."
	}
	return ""
}

// loggedOut reports whether err means the session is no longer valid on
// Telegram: the login must be made again.
func loggedOut(err error) bool {
	return tgerr.Is(err, "AUTH_KEY_UNREGISTERED", "SESSION_REVOKED", "SESSION_EXPIRED", "USER_DEACTIVATED", "USER_DEACTIVATED_BAN", "AUTH_KEY_DUPLICATED")
}

// cmdErr turns a Telegram error into the typed error the gateway shows.
func cmdErr(what string, err error) error {
	if err == nil {
		return nil
	}
	var se *sdk.Error
	if errors.As(err, &se) {
		return err
	}
	if d, ok := tgerr.AsFloodWait(err); ok {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "telegram: %s: wait %s (FLOOD_WAIT)", what, d.Round(time.Second))
	}
	if e, ok := tgerr.As(err); ok {
		if e.Type == "SLOWMODE_WAIT" {
			// A supergroup's slow mode: one message per so many seconds.
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "telegram: %s: the group's slow mode lets you send again in %s (SLOWMODE_WAIT)", what, time.Duration(e.Argument)*time.Second)
		}
		if x, ok := explained[e.Type]; ok {
			return sdk.Errorf(x.code, "telegram: %s: %s (%s)", what, x.text, e.Type)
		}
		code := pb.ErrorCode_ERROR_CODE_UNSPECIFIED
		switch {
		case e.IsOneOf("MESSAGE_ID_INVALID", "USER_ID_INVALID", "CHANNEL_INVALID", "CHAT_ID_INVALID", "USERNAME_NOT_OCCUPIED", "USERNAME_INVALID", "PHONE_NOT_OCCUPIED", "TOPIC_ID_INVALID", "TOPIC_DELETED"):
			code = pb.ErrorCode_ERROR_CODE_NOT_FOUND
		case e.IsOneOf("MESSAGE_EDIT_TIME_EXPIRED"):
			code = pb.ErrorCode_ERROR_CODE_EXPIRED
		case e.IsOneOf("MEDIA_CAPTION_TOO_LONG"):
			code = pb.ErrorCode_ERROR_CODE_TOO_LARGE
		case e.IsOneOf("MESSAGE_EMPTY", "MESSAGE_NOT_MODIFIED", "REACTION_INVALID", "ENTITY_BOUNDS_INVALID"):
			code = pb.ErrorCode_ERROR_CODE_BAD_REQUEST
		case e.IsCode(403):
			code = pb.ErrorCode_ERROR_CODE_NOT_ALLOWED
		case e.IsCode(401):
			code = pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED
		case e.Code >= 500 || e.Code == -503:
			// Telegram failed on its side (RPC_CALL_FAIL, INTERNAL; its
			// -503 Timeout): nothing the user did, and nothing the
			// gateway's own (it read as internal-server-error).
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "telegram: %s: Telegram failed to answer (%s): try again in a moment", what, e.Type)
		case e.IsCode(400):
			// A refusal no case above names: Telegram found the request
			// wrong, not the gateway broken.
			code = pb.ErrorCode_ERROR_CODE_BAD_REQUEST
		}
		return sdk.Errorf(code, "telegram: %s: %s", what, e.Type)
	}
	return fmt.Errorf("telegram: %s: %w", what, err)
}

// explained are Telegram's refusals that cmdErr says in words for the
// user (the switch there only types the others).
var explained = map[string]struct {
	code pb.ErrorCode
	text string
}{
	"CHAT_ADMIN_REQUIRED":           {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only the group's admins (with this right) may do this"},
	"USER_PRIVACY_RESTRICTED":       {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "their privacy settings do not allow it; send them the group's invite link instead"},
	"USER_NOT_MUTUAL_CONTACT":       {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only a mutual contact can be added (or they left the group recently); send them the group's invite link instead"},
	"USER_ALREADY_PARTICIPANT":      {pb.ErrorCode_ERROR_CODE_CONFLICT, "already a member of the group"},
	"USER_NOT_PARTICIPANT":          {pb.ErrorCode_ERROR_CODE_NOT_FOUND, "not a member of the group"},
	"USER_KICKED":                   {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "banned from the group: an admin must lift the ban first"},
	"USER_CHANNELS_TOO_MUCH":        {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "they are in too many groups and channels already"},
	"USERS_TOO_MUCH":                {pb.ErrorCode_ERROR_CODE_TOO_LARGE, "the group is full"},
	"USER_IS_BLOCKED":               {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "they blocked you"},
	"USER_BLOCKED":                  {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "they blocked you"},
	"YOU_BLOCKED_USER":              {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you blocked them: unblock them first"},
	"USER_BOT":                      {pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a bot can only be an admin in a channel"},
	"CHAT_TITLE_EMPTY":              {pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "Telegram finds the name empty: give the group a name"},
	"USERS_TOO_FEW":                 {pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "Telegram wants at least one other member in a new group"},
	"USER_RESTRICTED":               {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Telegram limits this account (reported for spam): it may not do this for now; @SpamBot in Telegram says until when"},
	"BOT_GROUPS_BLOCKED":            {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "this bot cannot be added to groups"},
	"INPUT_USER_DEACTIVATED":        {pb.ErrorCode_ERROR_CODE_NOT_FOUND, "this Telegram account was deleted"},
	"USER_CREATOR":                  {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "nobody can change the owner's rights"},
	"USER_ADMIN_INVALID":            {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "an admin cannot be restricted: take their admin rights away first"},
	"RIGHT_FORBIDDEN":               {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "your admin rights do not allow this"},
	"ADMINS_TOO_MUCH":               {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the group has as many admins as Telegram allows"},
	"FRESH_CHANGE_ADMINS_FORBIDDEN": {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you were made admin just now and may not change admins yet"},
	"CHAT_MEMBER_ADD_FAILED":        {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Telegram could not add them"},
	"INVITE_HASH_EXPIRED":           {pb.ErrorCode_ERROR_CODE_EXPIRED, "this invite link has expired or was revoked: ask the group for a new one"},
	"INVITE_HASH_INVALID":           {pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no group has this invite link: check it, capitals included"},
	"INVITE_HASH_EMPTY":             {pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "the invite link has no hash"},
	"CHANNEL_PRIVATE":               {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the group is private (or you were removed from it): join it by its invite link"},
	"CHANNELS_TOO_MUCH":             {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you are in as many groups and channels as Telegram allows: leave one first"},
	"PHOTO_INVALID":                 {pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "Telegram could not read the picture: give another one"},
	"PHOTO_EXT_INVALID":             {pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "Telegram could not read the picture: give another one"},
	"IMAGE_PROCESS_FAILED":          {pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "Telegram could not process the picture: give another one"},
	"PHOTO_CROP_SIZE_SMALL":         {pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "the picture is too small for Telegram: give a larger one (Telegram's apps make it 640x640 pixels)"},
	"PHOTO_CROP_FILE_MISSING":       {pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "Telegram lost the picture's upload: try again"},
	// A send's refusals.
	"PEER_FLOOD":                {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Telegram limits this account (reported for spam): it may not write to people who are not its contacts for now; @SpamBot in Telegram says until when"},
	"PRIVACY_PREMIUM_REQUIRED":  {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "their privacy settings let only their contacts and Telegram Premium users write to them"},
	"VOICE_MESSAGES_FORBIDDEN":  {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "their privacy settings refuse voice notes: send a file or text instead"},
	"ALLOW_PAYMENT_REQUIRED":    {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "they charge Telegram Stars for each message: write to them from a Telegram app"},
	"CHAT_WRITE_FORBIDDEN":      {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you may not write here (a channel you read, or a group that took away your right to write)"},
	"CHAT_SEND_MEDIA_FORBIDDEN": {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the group does not let you send files here"},
	"PEER_ID_INVALID":           {pb.ErrorCode_ERROR_CODE_NOT_FOUND, "Telegram does not know this chat for your account (left, deleted, or never met)"},
	"MESSAGE_TOO_LONG":          {pb.ErrorCode_ERROR_CODE_TOO_LARGE, "Telegram takes at most 4,096 characters in a message: send it in parts"},
	"FILE_PARTS_INVALID":        {pb.ErrorCode_ERROR_CODE_TOO_LARGE, "the file is larger than Telegram takes (2,000 MiB; 4,000 MiB with Premium)"},
	// A group's rights name each kind of content a member may send;
	// Telegram refuses each by a name of its own.
	"CHAT_SEND_PLAIN_FORBIDDEN":       {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the group does not let you send text here (only what its rights allow, such as files)"},
	"CHAT_SEND_PHOTOS_FORBIDDEN":      {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the group does not let you send photos here"},
	"CHAT_SEND_VIDEOS_FORBIDDEN":      {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the group does not let you send videos here"},
	"CHAT_SEND_ROUNDVIDEOS_FORBIDDEN": {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the group does not let you send video messages here"},
	"CHAT_SEND_DOCS_FORBIDDEN":        {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the group does not let you send files here"},
	"CHAT_SEND_AUDIOS_FORBIDDEN":      {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the group does not let you send music here"},
	"CHAT_SEND_VOICES_FORBIDDEN":      {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the group does not let you send voice messages here"},
	"CHAT_SEND_STICKERS_FORBIDDEN":    {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the group does not let you send stickers here"},
	"CHAT_SEND_GIFS_FORBIDDEN":        {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the group does not let you send GIFs here"},
	"CHAT_SEND_POLL_FORBIDDEN":        {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the group does not let you start polls here"},
	"CHAT_GUEST_SEND_FORBIDDEN":       {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "this is a channel's discussion group that wants its members to join before they write: join it first (the gateway's join, by its name or link)"},
	"CHAT_RESTRICTED":                 {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Telegram restricts this chat (reported, or by law where you are): nobody may write to it"},
	"USER_BANNED_IN_CHANNEL":          {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Telegram limits this account (reported for spam): it may not write in groups and channels for now; @SpamBot in Telegram says until when"},
	"TOPIC_CLOSED":                    {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the topic is closed: only its creator and the group's admins may write in it until it is reopened"},
	"SLOWMODE_MULTI_MSGS_DISABLED":    {pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "the group's slow mode takes one message at a time: send the files one by one"},
	"CHAT_FORWARDS_RESTRICTED":        {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the chat protects its content: Telegram lets nobody forward or save its messages"},
	"MESSAGE_AUTHOR_REQUIRED":         {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only the message's author may do this"},
	"MESSAGE_DELETE_FORBIDDEN":        {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Telegram does not let you delete this message (another's, where you are no admin, or a service message)"},
	"PREMIUM_ACCOUNT_REQUIRED":        {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "this needs Telegram Premium"},
	"HIDE_REQUESTER_MISSING":          {pb.ErrorCode_ERROR_CODE_NOT_FOUND, "they no longer ask to join (answered from another device, or withdrawn)"},
}
