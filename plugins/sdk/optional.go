package sdk

import (
	"context"
	"io"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The optional interfaces of a Session. The SDK advertises a feature when
// the session type implements its interface, and answers UNSUPPORTED
// (XMPP feature-not-implemented) for an action whose interface is missing.

// Editor corrects a sent message (feature edits).
type Editor interface {
	EditMessage(ctx context.Context, c Call, e *pb.EditMessage) (Result, error)
}

// Reactor sets the user's reactions to a message (feature reactions).
// React.emojis is the whole set; empty removes them all.
type Reactor interface {
	React(ctx context.Context, c Call, r *pb.React) (Result, error)
}

// Retractor deletes a message for everyone (feature retractions).
type Retractor interface {
	Retract(ctx context.Context, c Call, r *pb.Retract) (Result, error)
}

// ReadMarker tells the network the user read a chat up to a message
// (feature read_receipts).
type ReadMarker interface {
	MarkRead(ctx context.Context, c Call, m *pb.MarkRead) error
}

// Typer forwards the user's chat state (feature typing).
type Typer interface {
	SetTyping(ctx context.Context, c Call, state pb.TypingState) error
}

// PresenceSetter forwards the user's own presence (feature set_presence).
type PresenceSetter interface {
	SetPresence(ctx context.Context, p *pb.Presence) error
}

// IdentifierResolver finds a contact from what the user typed (a phone
// number, @username), adding it on the network when create is set
// (feature add_contacts).
type IdentifierResolver interface {
	ResolveIdentifier(ctx context.Context, identifier string, create bool) (*pb.Contact, error)
}

// ContactLister lists the login's contacts; without it the list is empty.
type ContactLister interface {
	ContactList(ctx context.Context) ([]*pb.Contact, error)
}

// ChatInfoer describes a chat: name, members, topic.
type ChatInfoer interface {
	ChatInfo(ctx context.Context, chatID string) (*pb.Chat, error)
}

// PinLister lists the messages pinned in a chat (their event IDs, oldest
// pin first), for a ChatInfo the host asks with_pins (the user's
// "/pins"): a session whose pins cost a search implements it rather
// than fill Chat.pinned_ids in every ChatInfo.
type PinLister interface {
	PinnedMessages(ctx context.Context, chatID string) ([]string, error)
}

// ChatAvatarer fetches a group's picture (with Capabilities declaring
// avatars), for a ChatInfo the host asks with_avatar: when Chat.avatar_id
// changed, and when a client wants the room's vCard. A group without a
// picture answers nil data.
type ChatAvatarer interface {
	ChatAvatar(ctx context.Context, chatID string) (data []byte, mime string, err error)
}

// UserInfoer describes a user, avatar included (with Capabilities
// declaring avatars).
type UserInfoer interface {
	UserInfo(ctx context.Context, userID string) (*pb.Contact, error)
}

// ChatLister lists the login's group chats, newest activity first; with
// ChatInfoer and Capabilities declaring groups, the network has groups.
type ChatLister interface {
	ChatList(ctx context.Context) ([]*pb.Chat, error)
}

// Leaver leaves a group (feature leave_chat).
type Leaver interface {
	LeaveChat(ctx context.Context, c Call) error
}

// ReasonLeaver is a Leaver whose network carries the user's words as
// they leave (IRC's PART reason): the SDK calls LeaveChatReason instead
// of LeaveChat, with LeaveChat.reason ("" for none).
type ReasonLeaver interface {
	Leaver
	LeaveChatReason(ctx context.Context, c Call, reason string) error
}

// TopicSetter sets a group's topic (feature group_topic).
type TopicSetter interface {
	SetTopic(ctx context.Context, c Call, topic string) error
}

// ChatNamer renames a group (feature group_name).
type ChatNamer interface {
	SetChatName(ctx context.Context, c Call, name string) error
}

// ChatAvatarSetter sets or removes a group's picture (feature
// group_avatar): a.Data is an image of type a.MimeType (JPEG, PNG, GIF or
// WebP, as large as a stanza carries), to convert to what the network
// takes; no data
// removes the picture. The network's new picture comes back as the
// chat's avatar_id changing.
type ChatAvatarSetter interface {
	SetChatAvatar(ctx context.Context, c Call, a *pb.SetChatAvatar) error
}

// ProfileAvatarSetter sets or removes the user's own profile picture on
// the network (feature profile_avatar), from their XMPP avatar when they
// asked the gateway to share it: a.Data is an image of type a.MimeType
// (JPEG, PNG, GIF or WebP), to convert to what the network takes; no data
// removes the picture.
type ProfileAvatarSetter interface {
	SetProfileAvatar(ctx context.Context, a *pb.SetProfileAvatar) error
}

// Inviter adds someone to a group (feature group_invite).
type Inviter interface {
	Invite(ctx context.Context, c Call, userID string) error
}

// Kicker removes, or bans, a member of a group (feature group_kick).
type Kicker interface {
	Kick(ctx context.Context, c Call, k *pb.Kick) error
}

// Unbanner lifts a ban on someone who is not a member of a group any
// more (feature group_unban), so that they may be added again or rejoin.
// Lifting a ban nobody had is no error.
type Unbanner interface {
	Unban(ctx context.Context, c Call, userID string) error
}

// ChatSearcher finds public groups and channels by a part of their name
// (feature chat_search), for the user to join them (ChatJoiner): the
// chats found, best first, at most q.Limit when it is set (the SDK keeps
// that many). Nothing found is an empty list, no error; a network that
// cannot search now answers UNAVAILABLE. The query is never empty. A
// search changes nothing: a repeat of its txn_id searches again rather
// than repeat a remembered answer.
type ChatSearcher interface {
	SearchChats(ctx context.Context, q *pb.SearchChats) ([]*pb.FoundChat, error)
}

// ChatTimerSetter sets a chat's disappearing-messages timer (feature
// chat_timer); 0 turns it off, and never comes negative. A length the
// network does not offer is refused with BAD_REQUEST naming those it
// does. On success the session emits the chat's timer notice once, as
// for a change from another device.
type ChatTimerSetter interface {
	SetChatTimer(ctx context.Context, c Call, ttl time.Duration) error
}

// Voter votes in a poll (feature poll_vote): v.Choices are the options
// as the user wrote them, each a 1-based number in the order the poll's
// text lists them or an option's text; none takes the user's vote back.
// A choice that names no option, or several in a poll of one answer, is
// refused with BAD_REQUEST naming the options; a closed poll with
// NOT_ALLOWED; a message that is no poll the session knows with
// NOT_FOUND. On success the poll's message is corrected with the counts,
// as for a vote from another device.
type Voter interface {
	Vote(ctx context.Context, c Call, v *pb.Vote) error
}

// Pinner pins a message in a chat for everyone in it, or unpins it
// (feature pin): p names the message (never empty: the SDK checked). A
// chat where the user may not pin refuses with NOT_ALLOWED. On success
// the session emits the network's notice once (mediatext.PinText, a
// reply to the message), as for a pin made on another device.
type Pinner interface {
	Pin(ctx context.Context, c Call, p *pb.Pin) error
}

// PollCloser closes a poll the user started (feature poll_close): p
// names the poll's message (never empty: the SDK checked). Another's
// poll is refused with NOT_ALLOWED, a message that is no poll the
// session knows with NOT_FOUND; a poll closed already is no error. On
// success the poll's message is corrected once to the closed poll's text
// (mediatext.PollText with Closed), as for a poll closed on another
// device.
type PollCloser interface {
	ClosePoll(ctx context.Context, c Call, p *pb.ClosePoll) error
}

// PollStarter starts a poll in a chat (feature poll_create), as the
// user's message: p has a question and 2 to MaxPollOptions distinct
// options (the SDK checked). The Result names the poll's message, as
// SendMessage's does, and votes on it are the same as on any poll: the
// message corrected with the counts (an EditEvent from the user's other
// device), votes from XMPP through Voter. A network that takes fewer
// options, or no poll in this chat, refuses with BAD_REQUEST or
// NOT_ALLOWED naming why.
type PollStarter interface {
	StartPoll(ctx context.Context, c Call, p *pb.Poll) (Result, error)
}

// RoleSetter changes a member's affiliation and role (feature
// group_roles).
type RoleSetter interface {
	SetRole(ctx context.Context, c Call, r *pb.SetRole) error
}

// ChatJoiner joins a chat by its ID when the user asks from XMPP (feature
// join_chat): an IRC channel, a public group by its handle. On success the
// session sends a ChatEvent for the chat, with its members; an error of
// code NOT_FOUND says there is no such chat. joined is the chat's ID when
// the network knows it otherwise than c.ChatID (a group joined by its
// public name), and its ChatEvent names it; "" when it is c.ChatID.
type ChatJoiner interface {
	JoinChat(ctx context.Context, c Call, j *pb.JoinChat) (joined string, err error)
}

// InviteDecliner declines the network's invitation of the user to a
// chat (DeclineInvite: XEP-0045's decline the user's client sends to the
// room), where the network invites before one is in a group. NOT_FOUND
// says the user is invited to no such chat.
type InviteDecliner interface {
	DeclineInvite(ctx context.Context, c Call, d *pb.DeclineInvite) error
}

// ChatDeleter deletes a group for every member (DeleteChat: XEP-0045's
// destroy from the room's owner), where the network can: the group and
// its history are gone on the network, not only left. A session without
// it answers UNSUPPORTED, which the gateway tells the owner with how to
// leave instead; NOT_ALLOWED says why this user may not (not the
// group's creator). On success the session may send the network's
// ChatRemovedEvent DELETED as for a deletion made elsewhere: the gateway
// has ended the room already, and takes it once.
type ChatDeleter interface {
	DeleteChat(ctx context.Context, c Call, d *pb.DeleteChat) error
}

// NickSetter changes the user's own nick in a group (feature set_nick);
// the network's answer comes back as a MemberEvent RENAMED of the user's
// own member.
type NickSetter interface {
	SetNick(ctx context.Context, c Call, nick string) error
}

// ChatCreator creates a group on the network from XMPP (feature
// create_chat), named cc.Name, with the contacts cc.MemberIds (c.ChatID is
// empty). It returns the new group's ID and sends a ChatEvent for it with
// its members; members the network would not add do not fail it once the
// group exists.
type ChatCreator interface {
	CreateChat(ctx context.Context, c Call, cc *pb.CreateChat) (chatID string, err error)
}

// BackfillRequest asks for a chat's history.
type BackfillRequest struct {
	ChatID string
	// Cursor is the cursor of the last batch sent for the chat; "" = the
	// newest messages.
	Cursor string
	// Limit is how many messages are wanted, at most; 0 = the plugin's
	// choice.
	Limit int
}

// Backfiller fetches a chat's history (feature backfill). Backfill returns
// at once; the history goes to the host in batches with Host.SendHistory
// (SendHistoryWait for history the network sends once).
type Backfiller interface {
	Backfill(ctx context.Context, req BackfillRequest) error
}

// MediaDownloader fetches an attachment the network handed out by
// reference (Attachment.ref; feature media_download). The SDK streams the
// reader to the host in chunks and closes it; info may be nil when the
// event said all there is.
type MediaDownloader interface {
	DownloadMedia(ctx context.Context, chatID, ref string) (info *pb.MediaInfo, r io.ReadCloser, err error)
}

// MediaUploader takes a file from the host before a SendMessage names it
// by the returned upload ID in Attachment.upload_id (feature
// media_upload). r yields the file as it arrives, never whole in memory.
type MediaUploader interface {
	UploadMedia(ctx context.Context, info *pb.MediaInfo, r io.Reader) (uploadID string, err error)
}

// ChatLimits is what one chat allows when it differs from the network.
type ChatLimits struct {
	// Features, when set, are the chat's features; the SDK keeps only
	// those the network has. nil = the network's.
	Features *pb.Features
	// ReadOnly: the user may not post (a channel's reader).
	ReadOnly bool
}

// ChatLimiter narrows the network's features per chat: a channel is
// read-only, a group may forbid reactions. The SDK asks before every
// command in a chat and refuses with NOT_ALLOWED what the chat does not
// allow, and fills Chat.features in ChatInfo and ChatList answers. It is
// called often: keep the answer at hand.
type ChatLimiter interface {
	ChatLimits(ctx context.Context, chatID string) (ChatLimits, error)
}

// derived is a feature the SDK derives from an interface: advertised
// when the session type has it, whatever Capabilities declared.
type derived struct {
	feature string // the field of pb.Features
	iface   string // for the log
	has     func(any) bool
}

func implements[T any](v any) bool { _, ok := v.(T); return ok }

var derivedFeatures = []derived{
	{"edits", "Editor", implements[Editor]},
	{"reactions", "Reactor", implements[Reactor]},
	{"retractions", "Retractor", implements[Retractor]},
	{"read_receipts", "ReadMarker", implements[ReadMarker]},
	{"typing", "Typer", implements[Typer]},
	{"set_presence", "PresenceSetter", implements[PresenceSetter]},
	{"add_contacts", "IdentifierResolver", implements[IdentifierResolver]},
	{"backfill", "Backfiller", implements[Backfiller]},
	{"leave_chat", "Leaver", implements[Leaver]},
	{"group_topic", "TopicSetter", implements[TopicSetter]},
	{"group_name", "ChatNamer", implements[ChatNamer]},
	{"group_avatar", "ChatAvatarSetter", implements[ChatAvatarSetter]},
	{"profile_avatar", "ProfileAvatarSetter", implements[ProfileAvatarSetter]},
	{"group_invite", "Inviter", implements[Inviter]},
	{"group_kick", "Kicker", implements[Kicker]},
	{"group_unban", "Unbanner", implements[Unbanner]},
	{"chat_search", "ChatSearcher", implements[ChatSearcher]},
	{"chat_timer", "ChatTimerSetter", implements[ChatTimerSetter]},
	{"poll_vote", "Voter", implements[Voter]},
	{"poll_create", "PollStarter", implements[PollStarter]},
	{"pin", "Pinner", implements[Pinner]},
	{"poll_close", "PollCloser", implements[PollCloser]},
	{"group_roles", "RoleSetter", implements[RoleSetter]},
	{"media_download", "MediaDownloader", implements[MediaDownloader]},
	{"media_upload", "MediaUploader", implements[MediaUploader]},
	{"join_chat", "ChatJoiner", implements[ChatJoiner]},
	{"set_nick", "NickSetter", implements[NickSetter]},
	{"create_chat", "ChatCreator", implements[ChatCreator]},
}

// needs are declared features the SDK keeps only when the session type
// has what serves them.
var needs = []derived{
	{"avatars", "UserInfoer", implements[UserInfoer]},
	{"groups", "ChatInfoer and ChatLister", func(v any) bool { return implements[ChatInfoer](v) && implements[ChatLister](v) }},
	{"single_reaction", "Reactor", implements[Reactor]},
}

// Features computes the features a plugin advertises: those of declared
// that do not need an interface (presence, delivery receipts, replies,
// attachments, formatting), those that need one only when the session
// type s has it, and every feature of an optional interface s implements.
// masked names the declared features dropped, for the log.
func Features(s Session, declared *pb.Features) (f *pb.Features, masked []string) {
	f = &pb.Features{}
	if declared != nil {
		f = proto.Clone(declared).(*pb.Features)
	}
	m := f.ProtoReflect()
	fields := m.Descriptor().Fields()
	for _, d := range derivedFeatures {
		fd := fields.ByName(protoreflect.Name(d.feature))
		if m.Get(fd).Bool() && !d.has(s) {
			masked = append(masked, d.feature+" (no sdk."+d.iface+")")
		}
		m.Set(fd, protoreflect.ValueOfBool(d.has(s)))
	}
	for _, d := range needs {
		fd := fields.ByName(protoreflect.Name(d.feature))
		if m.Get(fd).Bool() && !d.has(s) {
			masked = append(masked, d.feature+" (no sdk."+d.iface+")")
			m.Set(fd, protoreflect.ValueOfBool(false))
		}
	}
	return f, masked
}

// IntersectFeatures is the features both a and b have (the lists, such
// as join_chat_prefixes, are a's); a nil b is a copy of a. single_reaction
// and max_reactions are limits, not features: the tighter holds.
func IntersectFeatures(a, b *pb.Features) *pb.Features {
	out := proto.Clone(a).(*pb.Features)
	if b == nil {
		return out
	}
	m, bm := out.ProtoReflect(), b.ProtoReflect()
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Kind() == protoreflect.BoolKind && !bm.Get(fd).Bool() {
			m.Set(fd, protoreflect.ValueOfBool(false))
		}
	}
	out.SingleReaction = a.GetSingleReaction() || b.SingleReaction
	out.MaxReactions = uint32(tighterLimit(ReactionLimit(a), ReactionLimit(b)))
	return out
}

// AllFeatures is every feature of the contract: what a chat that
// narrows none says in Chat.features, so that a ChatEvent carrying it
// lifts a limit an earlier one set (the SDK and the gateway keep only
// what the network has). single_reaction is a limit, not a feature:
// left unset.
func AllFeatures() *pb.Features {
	f := &pb.Features{}
	m := f.ProtoReflect()
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Kind() == protoreflect.BoolKind && fd.Cardinality() != protoreflect.Repeated && fd.Name() != "single_reaction" {
			m.Set(fd, protoreflect.ValueOfBool(true))
		}
	}
	return f
}

// ReactionLimit is how many reactions of the user's a message keeps
// with features f, 0 for no limit: max_reactions, or, from an older
// plugin, single_reaction (one).
func ReactionLimit(f *pb.Features) int {
	switch {
	case f.GetMaxReactions() > 0:
		return int(f.GetMaxReactions())
	case f.GetSingleReaction():
		return 1
	}
	return 0
}

// tighterLimit is the smaller of two limits, 0 standing for none.
func tighterLimit(a, b int) int {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}
