package whatsapp

import (
	"context"
	"io"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	waLog "go.mau.fi/whatsmeow/util/log"
)

// Client is everything the plugin asks of WhatsApp: the narrow seam
// between the plugin and whatsmeow. *whatsmeow.Client satisfies it (checked
// below); tests put a fake in its place (package wafake), since WhatsApp's
// servers cannot be reached from a test. What the plugin reads from the
// device store (contacts, the LID map) it reads from the *store.Device the
// client was made with, a real sqlstore in both cases.
type Client interface {
	// Connection.
	Connect() error
	Disconnect()
	IsConnected() bool
	IsLoggedIn() bool
	Logout(ctx context.Context) error
	AddEventHandler(handler whatsmeow.EventHandler) uint32
	RemoveEventHandler(id uint32) bool

	// Pairing.
	GetQRChannel(ctx context.Context) (<-chan whatsmeow.QRChannelItem, error)
	PairPhone(ctx context.Context, phone string, showPushNotification bool, clientType whatsmeow.PairClientType, clientDisplayName string) (string, error)

	// Messages.
	SendMessage(ctx context.Context, to types.JID, message *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error)
	MarkRead(ctx context.Context, ids []types.MessageID, timestamp time.Time, chat, sender types.JID, receiptTypeExtra ...types.ReceiptType) error
	ParseWebMessage(chatJID types.JID, webMsg *waWeb.WebMessageInfo) (*events.Message, error)
	// BuildHistorySyncRequest builds the peer message asking the phone
	// for count messages before a known one (history on demand); it is
	// sent to the user's own JID with SendRequestExtra{Peer: true}.
	BuildHistorySyncRequest(lastKnownMessageInfo *types.MessageInfo, count int) *waE2E.Message
	// DownloadHistorySync downloads the history sync blob a notice
	// names (the client being made with ManualHistorySyncDownload, the
	// plugin does, historynotice.go) and, with synchronousStorage,
	// stores what whatsmeow keeps of it (push names, message secrets,
	// the LID map) before it returns.
	DownloadHistorySync(ctx context.Context, notif *waE2E.HistorySyncNotification, synchronousStorage bool) (*waHistorySync.HistorySync, error)
	// SetDisappearingTimer sets a chat's disappearing-messages timer
	// (0: off) as set at settingTS: in a one-to-one chat an
	// EPHEMERAL_SETTING protocol message sent to it, in a group an IQ
	// (403 where only admins may change its settings, 400 for a length
	// WhatsApp does not offer: ErrInvalidDisappearingTimer).
	SetDisappearingTimer(ctx context.Context, chat types.JID, timer time.Duration, settingTS time.Time) error
	// DecryptPollVote decrypts a vote in a poll (a PollUpdateMessage)
	// with the poll's message secret, which whatsmeow stored on disk
	// when the poll came: the options chosen, as SHA-256 hashes of
	// their names.
	DecryptPollVote(ctx context.Context, vote *events.Message) (*waE2E.PollVoteMessage, error)
	// DecryptReaction decrypts a reaction sent encrypted (an
	// EncReactionMessage: members react so in a community's announcement
	// group) with its message's secret, which whatsmeow stored on disk
	// when the message came. The result names no message: the
	// encrypted one's TargetMessageKey does.
	DecryptReaction(ctx context.Context, reaction *events.Message) (*waE2E.ReactionMessage, error)
	// DecryptComment decrypts a comment sent encrypted (an
	// EncCommentMessage: members comment so on a community's
	// announcements) with its message's secret, as DecryptReaction: the
	// comment's own message, which names the announcement only in the
	// encrypted one's TargetMessageKey.
	DecryptComment(ctx context.Context, comment *events.Message) (*waE2E.Message, error)
	// DecryptSecretEncryptedMessage decrypts an event's change by its
	// creator (a SecretEncryptedMessage of type EVENT_EDIT: the event's
	// new content) with the event's secret, which whatsmeow stored when
	// the event came; other types are an error.
	DecryptSecretEncryptedMessage(ctx context.Context, evt *events.Message) (*waE2E.Message, error)
	// EncryptReaction encrypts the user's reaction to a message of a
	// community's announcement group (rootMsgInfo: its chat, sender, ID)
	// with the message's secret whatsmeow stored, as the apps send one
	// there: ErrOriginalMessageSecretNotFound without it. It takes the
	// reaction's Key (set to nil) as the result's TargetMessageKey.
	EncryptReaction(ctx context.Context, rootMsgInfo *types.MessageInfo, reaction *waE2E.ReactionMessage) (*waE2E.EncReactionMessage, error)
	// BuildPollVote is the user's vote in a poll (its message's info:
	// chat, sender, ID, from-me flag), the options chosen by name (none
	// takes the vote back), encrypted with the poll's message secret
	// whatsmeow stored: ErrOriginalMessageSecretNotFound without it.
	// Sent to the poll's chat with SendMessage.
	BuildPollVote(ctx context.Context, pollInfo *types.MessageInfo, optionNames []string) (*waE2E.Message, error)
	// BuildPollCreation is a poll of the user's (selectableOptionCount
	// 1: one answer; 0: any number) with a new message secret in its
	// MessageContextInfo, which SendMessage keeps on disk for the votes.
	BuildPollCreation(name string, optionNames []string, selectableOptionCount int) *waE2E.Message

	// Presence and typing.
	SendPresence(ctx context.Context, state types.Presence) error
	SubscribePresence(ctx context.Context, jid types.JID) error
	SendChatPresence(ctx context.Context, jid types.JID, state types.ChatPresence, media types.ChatPresenceMedia) error

	// Media.
	UploadReader(ctx context.Context, plaintext io.Reader, tempFile io.ReadWriteSeeker, appInfo whatsmeow.MediaType) (whatsmeow.UploadResponse, error)
	// UploadNewsletterReader uploads a file for a channel's post: not
	// encrypted (no media key), answered with a handle the post names
	// (SendRequestExtra.MediaHandle).
	UploadNewsletterReader(ctx context.Context, data io.ReadSeeker, appInfo whatsmeow.MediaType) (whatsmeow.UploadResponse, error)
	DownloadToFile(ctx context.Context, msg whatsmeow.DownloadableMessage, file whatsmeow.File) error
	// SendMediaRetryReceipt asks the phone to upload again the file of
	// a message (its info: chat, sender, ID, from-me flag) that
	// WhatsApp's servers no longer have; the phone answers, when online,
	// with an events.MediaRetry naming the new direct path, encrypted
	// with the file's media key (whatsmeow.DecryptMediaRetryNotification).
	SendMediaRetryReceipt(ctx context.Context, message *types.MessageInfo, mediaKey []byte) error

	// Groups.
	GetGroupInfo(ctx context.Context, jid types.JID) (*types.GroupInfo, error)
	GetJoinedGroups(ctx context.Context) ([]*types.GroupInfo, error)
	LeaveGroup(ctx context.Context, jid types.JID) error
	SetGroupName(ctx context.Context, jid types.JID, name string) error
	SetGroupTopic(ctx context.Context, jid types.JID, previousID, newID, topic string) error
	// SetGroupPhoto sets the group's picture, or the user's own profile
	// picture with an empty jid (a JPEG; nil removes it), and answers
	// with its new ID ("remove" when removed).
	SetGroupPhoto(ctx context.Context, jid types.JID, avatar []byte) (string, error)
	UpdateGroupParticipants(ctx context.Context, jid types.JID, participantChanges []types.JID, action whatsmeow.ParticipantChange) ([]types.GroupParticipant, error)
	// CreateGroup answers with the new group as WhatsApp has it; the
	// participants it would not add carry an error code.
	CreateGroup(ctx context.Context, req whatsmeow.ReqCreateGroup) (*types.GroupInfo, error)
	// GetGroupInfoFromLink is the group of an invitation link's code
	// (chat.whatsapp.com/CODE) without joining it: its name, whether
	// its admins approve newcomers, its participants. A revoked link is
	// ErrInviteLinkRevoked (410), an unknown one ErrInviteLinkInvalid
	// (406), each wrapping WhatsApp's *IQError.
	GetGroupInfoFromLink(ctx context.Context, code string) (*types.GroupInfo, error)
	// JoinGroupWithLink joins the group of an invitation link's code
	// and answers with its JID; for a group whose admins approve
	// newcomers it sends them a request instead, and answers the same.
	JoinGroupWithLink(ctx context.Context, code string) (types.JID, error)
	// GetSubGroups lists a community's groups (its parent group's JID),
	// its announcement group marked IsDefaultSubGroup.
	GetSubGroups(ctx context.Context, community types.JID) ([]*types.GroupLinkTarget, error)
	// JoinGroupWithInvite joins a group by a private invitation
	// (waE2E.GroupInviteMessage: its group, code and expiry, and its
	// sender, the inviter), not a link's code.
	JoinGroupWithInvite(ctx context.Context, jid, inviter types.JID, code string, expiration int64) error
	// GetGroupInviteLink is a group's invitation link
	// (https://chat.whatsapp.com/CODE); with reset, a new one replacing
	// it. WhatsApp answers it to those who may share it, others 401
	// (ErrGroupInviteLinkUnauthorized), someone not in the group 403
	// (ErrNotInGroup).
	GetGroupInviteLink(ctx context.Context, jid types.JID, reset bool) (string, error)
	// GetGroupRequestParticipants lists those asking to join a group
	// whose admins approve newcomers (by LID, often): WhatsApp answers
	// its admins, others 401 or 403.
	GetGroupRequestParticipants(ctx context.Context, jid types.JID) ([]types.GroupParticipantRequest, error)
	// UpdateGroupRequestParticipants approves (they join) or rejects
	// requests to join, as an admin; each participant answered carries
	// WhatsApp's error code when it was not done.
	UpdateGroupRequestParticipants(ctx context.Context, jid types.JID, participantChanges []types.JID, action whatsmeow.ParticipantRequestChange) ([]types.GroupParticipant, error)

	// Channels (newsletters, channels.go), asked by mex queries.
	// GetSubscribedNewsletters is those the user follows;
	// GetNewsletterInfo one of them (one not followed is a GraphQL
	// error); NewsletterSendReaction reacts to a post, named by its
	// server ID ("" takes the reaction back; an empty messageID: a new
	// one); NewsletterMarkViewed counts the user's views of posts.
	GetSubscribedNewsletters(ctx context.Context) ([]*types.NewsletterMetadata, error)
	GetNewsletterInfo(ctx context.Context, jid types.JID) (*types.NewsletterMetadata, error)
	NewsletterSendReaction(ctx context.Context, jid types.JID, serverID types.MessageServerID, reaction string, messageID types.MessageID) error
	NewsletterMarkViewed(ctx context.Context, jid types.JID, serverIDs []types.MessageServerID) error
	// GetNewsletterInfoWithInvite is the channel of a link
	// (https://whatsapp.com/channel/CODE, or its code), described
	// without the user's role; FollowNewsletter and UnfollowNewsletter
	// follow and leave one (channelfollow.go).
	GetNewsletterInfoWithInvite(ctx context.Context, key string) (*types.NewsletterMetadata, error)
	FollowNewsletter(ctx context.Context, jid types.JID) error
	UnfollowNewsletter(ctx context.Context, jid types.JID) error
	// GetNewsletterMessages is a channel's posts as WhatsApp keeps them
	// (an IQ, not mex): the last params.Count, before the server ID
	// params.Before when set, each with its ID, server ID, time and
	// content (channelhistory.go).
	GetNewsletterMessages(ctx context.Context, jid types.JID, params *whatsmeow.GetNewsletterMessagesParams) ([]*types.NewsletterMessage, error)

	// Contacts.
	IsOnWhatsApp(ctx context.Context, phones []string) ([]types.IsOnWhatsAppResponse, error)
	GetProfilePictureInfo(ctx context.Context, jid types.JID, params *whatsmeow.GetProfilePictureParams) (*types.ProfilePictureInfo, error)
}

var _ Client = (*whatsmeow.Client)(nil)

// NewClientFunc makes the client of a device. The real one is
// NewWhatsmeowClient; tests hand Network a fake.
type NewClientFunc func(dev *store.Device, log waLog.Logger) Client

// maxAutoReconnectErrors caps whatsmeow's reconnection backoff: it
// waits 2 s more after each failed attempt (AutoReconnectErrors times 2
// s), without bound, so that a gateway cut off from WhatsApp for a day
// tried again only every 10 minutes once back, after a week every 26.
// 150 is 5 minutes, the plugin's own cap (connectLoop).
const maxAutoReconnectErrors = 150

// NewWhatsmeowClient is the real client: whatsmeow on WhatsApp's servers,
// reconnecting by itself (with backoff) when the connection drops. The
// plugin downloads the history syncs itself, once their notices are on
// disk (historynotice.go). A message decrypted is kept in the device's
// store until the handler returned (EnableDecryptedEventBuffer): a
// plugin killed in between handles it again at the next start, where
// without it the copy WhatsApp delivers again cannot be decrypted (the
// session's keys moved on) and the message is lost.
func NewWhatsmeowClient(dev *store.Device, log waLog.Logger) Client {
	c := whatsmeow.NewClient(dev, log)
	c.EnableAutoReconnect = true
	c.AutoReconnectHook = func(error) bool {
		// Called after each failed attempt, on the reconnecting
		// goroutine, which alone counts the failures (and a connection
		// accepted resets them).
		c.AutoReconnectErrors = min(c.AutoReconnectErrors, maxAutoReconnectErrors)
		return true
	}
	c.AutomaticMessageRerequestFromPhone = true
	c.ManualHistorySyncDownload = true
	c.EnableDecryptedEventBuffer = true
	return c
}
