package whatsapp

import (
	"context"
	"io"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

// noDevice is the client of a session whose folder holds no paired
// device (unlinked, or a Logout of a login not connected): every call
// fails with whatsmeow's ErrNotLoggedIn, which the session reports as
// LOGIN_REQUIRED, rather than a nil client taking the plugin down.
type noDevice struct{}

var _ Client = noDevice{}

var errNoDevice = whatsmeow.ErrNotLoggedIn

func (noDevice) Connect() error                                     { return errNoDevice }
func (noDevice) Disconnect()                                        {}
func (noDevice) IsConnected() bool                                  { return false }
func (noDevice) IsLoggedIn() bool                                   { return false }
func (noDevice) Logout(context.Context) error                       { return errNoDevice }
func (noDevice) AddEventHandler(whatsmeow.EventHandler) uint32      { return 0 }
func (noDevice) RemoveEventHandler(uint32) bool                     { return false }
func (noDevice) SendPresence(context.Context, types.Presence) error { return errNoDevice }
func (noDevice) SubscribePresence(context.Context, types.JID) error { return errNoDevice }
func (noDevice) LeaveGroup(context.Context, types.JID) error        { return errNoDevice }
func (noDevice) SetGroupName(context.Context, types.JID, string) error {
	return errNoDevice
}
func (noDevice) GetQRChannel(context.Context) (<-chan whatsmeow.QRChannelItem, error) {
	return nil, errNoDevice
}
func (noDevice) PairPhone(context.Context, string, bool, whatsmeow.PairClientType, string) (string, error) {
	return "", errNoDevice
}
func (noDevice) SendMessage(context.Context, types.JID, *waE2E.Message, ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	return whatsmeow.SendResponse{}, errNoDevice
}
func (noDevice) MarkRead(context.Context, []types.MessageID, time.Time, types.JID, types.JID, ...types.ReceiptType) error {
	return errNoDevice
}
func (noDevice) SendMediaRetryReceipt(context.Context, *types.MessageInfo, []byte) error {
	return errNoDevice
}
func (noDevice) ParseWebMessage(types.JID, *waWeb.WebMessageInfo) (*events.Message, error) {
	return nil, errNoDevice
}
func (noDevice) BuildHistorySyncRequest(*types.MessageInfo, int) *waE2E.Message { return nil }
func (noDevice) DownloadHistorySync(context.Context, *waE2E.HistorySyncNotification, bool) (*waHistorySync.HistorySync, error) {
	return nil, errNoDevice
}
func (noDevice) SetDisappearingTimer(context.Context, types.JID, time.Duration, time.Time) error {
	return errNoDevice
}
func (noDevice) DecryptPollVote(context.Context, *events.Message) (*waE2E.PollVoteMessage, error) {
	return nil, errNoDevice
}
func (noDevice) DecryptReaction(context.Context, *events.Message) (*waE2E.ReactionMessage, error) {
	return nil, errNoDevice
}
func (noDevice) DecryptComment(context.Context, *events.Message) (*waE2E.Message, error) {
	return nil, errNoDevice
}
func (noDevice) EncryptReaction(context.Context, *types.MessageInfo, *waE2E.ReactionMessage) (*waE2E.EncReactionMessage, error) {
	return nil, errNoDevice
}
func (noDevice) BuildPollVote(context.Context, *types.MessageInfo, []string) (*waE2E.Message, error) {
	return nil, errNoDevice
}
func (noDevice) BuildPollCreation(string, []string, int) *waE2E.Message {
	return &waE2E.Message{} // its send fails
}
func (noDevice) SendChatPresence(context.Context, types.JID, types.ChatPresence, types.ChatPresenceMedia) error {
	return errNoDevice
}
func (noDevice) UploadReader(context.Context, io.Reader, io.ReadWriteSeeker, whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	return whatsmeow.UploadResponse{}, errNoDevice
}
func (noDevice) UploadNewsletterReader(context.Context, io.ReadSeeker, whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	return whatsmeow.UploadResponse{}, errNoDevice
}
func (noDevice) DownloadToFile(context.Context, whatsmeow.DownloadableMessage, whatsmeow.File) error {
	return errNoDevice
}
func (noDevice) GetGroupInfo(context.Context, types.JID) (*types.GroupInfo, error) {
	return nil, errNoDevice
}
func (noDevice) GetJoinedGroups(context.Context) ([]*types.GroupInfo, error) {
	return nil, errNoDevice
}
func (noDevice) SetGroupTopic(context.Context, types.JID, string, string, string) error {
	return errNoDevice
}
func (noDevice) SetGroupPhoto(context.Context, types.JID, []byte) (string, error) {
	return "", errNoDevice
}
func (noDevice) UpdateGroupParticipants(context.Context, types.JID, []types.JID, whatsmeow.ParticipantChange) ([]types.GroupParticipant, error) {
	return nil, errNoDevice
}
func (noDevice) CreateGroup(context.Context, whatsmeow.ReqCreateGroup) (*types.GroupInfo, error) {
	return nil, errNoDevice
}
func (noDevice) GetGroupInfoFromLink(context.Context, string) (*types.GroupInfo, error) {
	return nil, errNoDevice
}
func (noDevice) JoinGroupWithInvite(context.Context, types.JID, types.JID, string, int64) error {
	return errNoDevice
}
func (noDevice) JoinGroupWithLink(context.Context, string) (types.JID, error) {
	return types.EmptyJID, errNoDevice
}
func (noDevice) GetSubGroups(context.Context, types.JID) ([]*types.GroupLinkTarget, error) {
	return nil, errNoDevice
}
func (noDevice) DecryptSecretEncryptedMessage(context.Context, *events.Message) (*waE2E.Message, error) {
	return nil, errNoDevice
}
func (noDevice) GetGroupRequestParticipants(context.Context, types.JID) ([]types.GroupParticipantRequest, error) {
	return nil, errNoDevice
}
func (noDevice) UpdateGroupRequestParticipants(context.Context, types.JID, []types.JID, whatsmeow.ParticipantRequestChange) ([]types.GroupParticipant, error) {
	return nil, errNoDevice
}
func (noDevice) GetGroupInviteLink(context.Context, types.JID, bool) (string, error) {
	return "", errNoDevice
}
func (noDevice) IsOnWhatsApp(context.Context, []string) ([]types.IsOnWhatsAppResponse, error) {
	return nil, errNoDevice
}
func (noDevice) GetProfilePictureInfo(context.Context, types.JID, *whatsmeow.GetProfilePictureParams) (*types.ProfilePictureInfo, error) {
	return nil, errNoDevice
}
func (noDevice) GetSubscribedNewsletters(context.Context) ([]*types.NewsletterMetadata, error) {
	return nil, errNoDevice
}
func (noDevice) GetNewsletterInfo(context.Context, types.JID) (*types.NewsletterMetadata, error) {
	return nil, errNoDevice
}
func (noDevice) NewsletterSendReaction(context.Context, types.JID, types.MessageServerID, string, types.MessageID) error {
	return errNoDevice
}
func (noDevice) NewsletterMarkViewed(context.Context, types.JID, []types.MessageServerID) error {
	return errNoDevice
}
func (noDevice) GetNewsletterInfoWithInvite(context.Context, string) (*types.NewsletterMetadata, error) {
	return nil, errNoDevice
}
func (noDevice) FollowNewsletter(context.Context, types.JID) error   { return errNoDevice }
func (noDevice) UnfollowNewsletter(context.Context, types.JID) error { return errNoDevice }
func (noDevice) GetNewsletterMessages(context.Context, types.JID, *whatsmeow.GetNewsletterMessagesParams) ([]*types.NewsletterMessage, error) {
	return nil, errNoDevice
}
