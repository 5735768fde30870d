package telegram

import (
	"context"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// TODO(tgbot): hand the bot token flow to package botmode once it lands
// (helper "tgbot" builds it on go-telegram/bot). Until then the flow says
// bot mode is not built.
type botLogin struct{}

func newBotLogin(*Network, sdk.LoginRequest) *botLogin { return &botLogin{} }

// Start refuses: bot mode is not built yet.
func (*botLogin) Start(context.Context) (*pb.LoginStep, error) {
	return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: bot mode (a login with a bot token) is not built yet in this gateway; log in with a phone number or a QR code")
}

// Cancel: nothing under way.
func (*botLogin) Cancel() {}
