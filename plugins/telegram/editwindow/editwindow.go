// Package editwindow is Telegram's limit on correcting a message, for
// user accounts and bots alike, so that a correction refused for its age
// reads the same whichever kind of login asked.
package editwindow

import (
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Window is how long Telegram lets a message of a private chat or a
// group be corrected (the server's edit_time_limit). A channel's posts
// and Saved Messages have none: Telegram judges, not the plugin.
const Window = 48 * time.Hour

// Expired is the error of a correction Telegram refused for the
// message's age: MESSAGE_EDIT_TIME_EXPIRED to a user account; the Bot
// API says only "message can't be edited", which bot mode reads as this
// when it knows the message is older than Window.
func Expired() error {
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_EXPIRED,
		"telegram: correcting this message: Telegram lets a message be corrected for %d hours after it was sent (MESSAGE_EDIT_TIME_EXPIRED)",
		int(Window/time.Hour))
}
