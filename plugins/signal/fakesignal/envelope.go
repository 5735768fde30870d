package fakesignal

// The shapes signal-cli writes in a "receive" notification, as its JSON
// output documents them (signal-cli-jsonrpc(5), the Json* records of its
// source). Only what the plugin reads is here; omitempty keeps the JSON
// close to signal-cli's, which leaves out empty fields too.

// Envelope is one received message.
type Envelope struct {
	Source                   string          `json:"source,omitempty"`
	SourceNumber             string          `json:"sourceNumber,omitempty"`
	SourceUUID               string          `json:"sourceUuid,omitempty"`
	SourceName               string          `json:"sourceName,omitempty"`
	SourceDevice             int             `json:"sourceDevice,omitempty"`
	Timestamp                int64           `json:"timestamp"`
	ServerReceivedTimestamp  int64           `json:"serverReceivedTimestamp,omitempty"`
	ServerDeliveredTimestamp int64           `json:"serverDeliveredTimestamp,omitempty"`
	DataMessage              *DataMessage    `json:"dataMessage,omitempty"`
	EditMessage              *EditMessage    `json:"editMessage,omitempty"`
	SyncMessage              *SyncMessage    `json:"syncMessage,omitempty"`
	ReceiptMessage           *ReceiptMessage `json:"receiptMessage,omitempty"`
	TypingMessage            *TypingMessage  `json:"typingMessage,omitempty"`
	CallMessage              *CallMessage    `json:"callMessage,omitempty"`
}

// CallMessage is a call's signalling (JsonCallMessage): IDs are
// unsigned 64-bit numbers, as signal-cli writes them (callIdUnsigned).
type CallMessage struct {
	OfferMessage      *CallOffer  `json:"offerMessage,omitempty"`
	AnswerMessage     *CallAnswer `json:"answerMessage,omitempty"`
	BusyMessage       *CallBusy   `json:"busyMessage,omitempty"`
	HangupMessage     *CallHangup `json:"hangupMessage,omitempty"`
	IceUpdateMessages []CallICE   `json:"iceUpdateMessages,omitempty"`
}

// CallOffer starts a call; Type is AUDIO_CALL or VIDEO_CALL.
type CallOffer struct {
	ID     uint64 `json:"id"`
	Type   string `json:"type"`
	Opaque string `json:"opaque"`
}

// CallAnswer answers a call.
type CallAnswer struct {
	ID     uint64 `json:"id"`
	Opaque string `json:"opaque"`
}

// CallBusy says the callee is in another call.
type CallBusy struct {
	ID uint64 `json:"id"`
}

// CallHangup ends a call; Type is NORMAL, ACCEPTED, DECLINED, BUSY or
// NEED_PERMISSION, DeviceID the device that accepted or declined.
type CallHangup struct {
	ID       uint64 `json:"id"`
	Type     string `json:"type"`
	DeviceID int    `json:"deviceId"`
}

// CallICE is a network candidate of a call.
type CallICE struct {
	ID     uint64 `json:"id"`
	Opaque string `json:"opaque"`
}

// DataMessage is a message's content.
type DataMessage struct {
	Timestamp int64   `json:"timestamp"`
	Message   *string `json:"message"`
	// ExpiresInSeconds is the chat's timer as the sender had it; a
	// group update's, the timer as the update left it (Signal's apps
	// send each update with it).
	ExpiresInSeconds int `json:"expiresInSeconds"`
	// IsExpirationUpdate: the message changes the chat's disappearing
	// messages timer to ExpiresInSeconds.
	IsExpirationUpdate bool           `json:"isExpirationUpdate"`
	ViewOnce           bool           `json:"viewOnce"`
	Reaction           *Reaction      `json:"reaction,omitempty"`
	Quote              *Quote         `json:"quote,omitempty"`
	Mentions           []Mention      `json:"mentions,omitempty"`
	TextStyles         []TextStyle    `json:"textStyles,omitempty"`
	Attachments        []Attachment   `json:"attachments,omitempty"`
	RemoteDelete       *RemoteDelete  `json:"remoteDelete,omitempty"`
	GroupInfo          *GroupInfo     `json:"groupInfo,omitempty"`
	Sticker            *Sticker       `json:"sticker,omitempty"`
	Contacts           []any          `json:"contacts,omitempty"`   // JsonSharedContact's shape
	PollCreate         any            `json:"pollCreate,omitempty"` // JsonPollCreate's shape
	Payment            any            `json:"payment,omitempty"`    // JsonPayment's shape
	PollVote           *PollVote      `json:"pollVote,omitempty"`
	PollTerminate      *PollTerminate `json:"pollTerminate,omitempty"`
	PinMessage         *PinMessage    `json:"pinMessage,omitempty"`
	UnpinMessage       *UnpinMessage  `json:"unpinMessage,omitempty"`
	AdminDelete        *AdminDelete   `json:"adminDelete,omitempty"`
	// StoryContext: the message answers a story (a reply, or with
	// Reaction a reaction to it).
	StoryContext *StoryContext `json:"storyContext,omitempty"`
}

// StoryContext names the story a message answers (JsonStoryContext).
type StoryContext struct {
	AuthorNumber  string `json:"authorNumber,omitempty"`
	AuthorUUID    string `json:"authorUuid,omitempty"`
	SentTimestamp int64  `json:"sentTimestamp"`
}

// AdminDelete is a group admin's deletion of a member's message
// (JsonAdminDelete, signal-cli 0.14.0 and later, which drops one from
// someone who is no admin of the group).
type AdminDelete struct {
	TargetAuthor        string `json:"targetAuthor,omitempty"`
	TargetAuthorNumber  string `json:"targetAuthorNumber,omitempty"`
	TargetAuthorUUID    string `json:"targetAuthorUuid,omitempty"`
	TargetSentTimestamp int64  `json:"targetSentTimestamp"`
}

// PinMessage pins the message TargetSentTimestamp of TargetAuthor
// (JsonPinMessage, signal-cli 0.14.0 and later) for PinDurationSeconds:
// -1 forever, 0 unspecified.
type PinMessage struct {
	TargetAuthor        string `json:"targetAuthor,omitempty"`
	TargetAuthorNumber  string `json:"targetAuthorNumber,omitempty"`
	TargetAuthorUUID    string `json:"targetAuthorUuid,omitempty"`
	TargetSentTimestamp int64  `json:"targetSentTimestamp"`
	PinDurationSeconds  int64  `json:"pinDurationSeconds"`
}

// UnpinMessage takes the pin off the message TargetSentTimestamp of
// TargetAuthor (JsonUnpinMessage).
type UnpinMessage struct {
	TargetAuthor        string `json:"targetAuthor,omitempty"`
	TargetAuthorNumber  string `json:"targetAuthorNumber,omitempty"`
	TargetAuthorUUID    string `json:"targetAuthorUuid,omitempty"`
	TargetSentTimestamp int64  `json:"targetSentTimestamp"`
}

// PollVote is a vote in the poll of the message TargetSentTimestamp of
// Author (JsonPollVote, signal-cli 0.13.22 and later): the options
// chosen, by index; VoteCount grows with each vote of the same voter.
type PollVote struct {
	Author              string `json:"author,omitempty"`
	AuthorNumber        string `json:"authorNumber,omitempty"`
	AuthorUUID          string `json:"authorUuid,omitempty"`
	TargetSentTimestamp int64  `json:"targetSentTimestamp"`
	OptionIndexes       []int  `json:"optionIndexes"`
	VoteCount           int    `json:"voteCount"`
}

// PollTerminate ends the poll of the sender's message TargetSentTimestamp
// (JsonPollTerminate).
type PollTerminate struct {
	TargetSentTimestamp int64 `json:"targetSentTimestamp"`
}

// Sticker names a sticker of a pack, for getSticker: the pack's ID in
// hex, as signal-cli writes it.
type Sticker struct {
	PackID    string `json:"packId"`
	StickerID int    `json:"stickerId"`
}

// EditMessage replaces the message sent at TargetSentTimestamp.
type EditMessage struct {
	TargetSentTimestamp int64       `json:"targetSentTimestamp"`
	DataMessage         DataMessage `json:"dataMessage"`
}

// Quote is the message a message replies to.
type Quote struct {
	ID           int64     `json:"id"`
	Author       string    `json:"author,omitempty"`
	AuthorNumber string    `json:"authorNumber,omitempty"`
	AuthorUUID   string    `json:"authorUuid,omitempty"`
	Text         string    `json:"text,omitempty"`
	Mentions     []Mention `json:"mentions,omitempty"`
	Attachments  []any     `json:"attachments"`
	// TextStyles are the quoted text's styles (JsonQuote's textStyles).
	TextStyles []TextStyle `json:"textStyles,omitempty"`
}

// Mention is a member named in a group message: Start and Length count
// UTF-16 code units, over the placeholder U+FFFC that stands for it.
type Mention struct {
	Name   string `json:"name,omitempty"`
	Number string `json:"number,omitempty"`
	UUID   string `json:"uuid,omitempty"`
	Start  int    `json:"start"`
	Length int    `json:"length"`
}

// TextStyle styles a part of a message's text (JsonTextStyle): Style is
// BOLD, ITALIC, SPOILER, STRIKETHROUGH or MONOSPACE; Start and Length
// count UTF-16 code units.
type TextStyle struct {
	Style  string `json:"style"`
	Start  int    `json:"start"`
	Length int    `json:"length"`
}

// Attachment is a file; ID names it for getAttachment.
type Attachment struct {
	ContentType     string `json:"contentType"`
	Filename        string `json:"filename,omitempty"`
	ID              string `json:"id,omitempty"`
	Size            int64  `json:"size,omitempty"`
	Width           int    `json:"width,omitempty"`
	Height          int    `json:"height,omitempty"`
	Caption         string `json:"caption,omitempty"`
	UploadTimestamp int64  `json:"uploadTimestamp,omitempty"`
}

// Reaction is an emoji on the message TargetSentTimestamp of TargetAuthor.
type Reaction struct {
	Emoji               string `json:"emoji"`
	TargetAuthor        string `json:"targetAuthor,omitempty"`
	TargetAuthorNumber  string `json:"targetAuthorNumber,omitempty"`
	TargetAuthorUUID    string `json:"targetAuthorUuid,omitempty"`
	TargetSentTimestamp int64  `json:"targetSentTimestamp"`
	IsRemove            bool   `json:"isRemove"`
}

// RemoteDelete deletes the sender's message sent at Timestamp.
type RemoteDelete struct {
	Timestamp int64 `json:"timestamp"`
}

// GroupInfo says a message is in a group; Type is DELIVER or UPDATE.
type GroupInfo struct {
	GroupID   string `json:"groupId"`
	GroupName string `json:"groupName,omitempty"`
	Revision  int    `json:"revision"`
	Type      string `json:"type"`
}

// SyncMessage comes from the account's other devices.
type SyncMessage struct {
	SentMessage  *SentMessage  `json:"sentMessage,omitempty"`
	ReadMessages []ReadMessage `json:"readMessages,omitempty"`
	// Type is CONTACTS_SYNC or GROUPS_SYNC when the phone sent its lists.
	Type string `json:"type,omitempty"`
	// BlockedNumbers, when not nil (null in the JSON: no block list), is
	// the phone's whole block list (its numbers, or ACIs of those
	// without one): the fake marks the account's contacts blocked or not
	// by it, as signal-cli does.
	BlockedNumbers []string `json:"blockedNumbers"`
	// BlockedGroupIDs come with BlockedNumbers: the groups blocked (their
	// IDs as listGroups gives them); the fake marks the account's groups
	// blocked or not by it, as signal-cli does.
	BlockedGroupIDs []string `json:"blockedGroupIds"`
}

// ReadMessage is a message the user read on another device.
type ReadMessage struct {
	Sender       string `json:"sender,omitempty"`
	SenderNumber string `json:"senderNumber,omitempty"`
	SenderUUID   string `json:"senderUuid,omitempty"`
	Timestamp    int64  `json:"timestamp"`
}

// SentMessage is a message the user sent from another device: the
// DataMessage's fields, flattened, with its destination.
type SentMessage struct {
	Destination       string       `json:"destination,omitempty"`
	DestinationNumber string       `json:"destinationNumber,omitempty"`
	DestinationUUID   string       `json:"destinationUuid,omitempty"`
	EditMessage       *EditMessage `json:"editMessage,omitempty"`
	DataMessage
}

// ReceiptMessage is a delivery, read or viewed receipt of Timestamps.
type ReceiptMessage struct {
	When       int64   `json:"when"`
	IsDelivery bool    `json:"isDelivery"`
	IsRead     bool    `json:"isRead"`
	IsViewed   bool    `json:"isViewed"`
	Timestamps []int64 `json:"timestamps"`
}

// TypingMessage is STARTED or STOPPED, in a group when GroupID is set.
type TypingMessage struct {
	Action    string `json:"action"`
	Timestamp int64  `json:"timestamp"`
	GroupID   string `json:"groupId,omitempty"`
}

// Text is a pointer to s, for DataMessage.Message.
func Text(s string) *string { return &s }
