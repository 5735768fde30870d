package wafake

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// Channel is a WhatsApp channel (newsletter) the user follows, as the
// fake server has it.
type Channel struct {
	JID         types.JID
	Name        string
	Description string
	// Role is the user's in it: "" is a follower's (subscriber);
	// types.NewsletterRoleGuest a channel the user does not follow,
	// which WhatsApp describes all the same (GetNewsletterInfo, the
	// viewer a GUEST) and does not list as followed.
	Role types.NewsletterRole
	// Picture is the channel's picture as WhatsApp's mex answer names
	// it (an ID, a direct path on the media servers, maybe a URL); nil
	// for none.
	Picture *types.ProfilePictureInfo
	// Invite is the code of the channel's link
	// (https://whatsapp.com/channel/CODE); "" is INVITE<its number>.
	Invite string
	// Reactions is which reactions the channel allows its followers
	// (its settings' reaction_codes): "" all.
	Reactions types.NewsletterReactionsMode
	// Posts are the posts WhatsApp keeps of the channel, which
	// GetNewsletterMessages answers with; a post delivered live
	// (ChannelPost) or the admin's (SendMessage) is added.
	Posts []Post
}

// Post is a channel's post as WhatsApp keeps it.
type Post struct {
	ServerID types.MessageServerID `json:"server_id"`
	ID       types.MessageID       `json:"id"`
	Time     time.Time             `json:"t"`
	// Msg is the post, a marshalled waE2E.Message (TextPost makes one).
	Msg []byte `json:"msg"`
	// Views and Reactions are its counts ("views_count", "reactions").
	Views     int            `json:"views,omitempty"`
	Reactions map[string]int `json:"reactions,omitempty"`
}

// TextPost is a channel's post of text.
func TextPost(serverID types.MessageServerID, id types.MessageID, at time.Time, text string) Post {
	b, err := proto.Marshal(&waE2E.Message{Conversation: proto.String(text)})
	if err != nil {
		panic(err) // a message of one string always marshals
	}
	return Post{ServerID: serverID, ID: id, Time: at, Msg: b}
}

// invite is ch's link's code.
func (ch Channel) invite() string {
	if ch.Invite != "" {
		return ch.Invite
	}
	return "INVITE" + ch.JID.User
}

// ChannelReaction is a NewsletterSendReaction call: the user's reaction
// to a channel's post, named by its server ID ("" takes it back).
type ChannelReaction struct {
	Channel  types.JID
	ServerID types.MessageServerID
	Reaction string
	ID       types.MessageID
}

// ChannelViewed is a NewsletterMarkViewed call: the user saw a
// channel's posts, named by their server IDs (what the phone's channel
// counts as views).
type ChannelViewed struct {
	Channel   types.JID
	ServerIDs []types.MessageServerID
}

// SetChannel has the user follow ch.
func (c *Client) SetChannel(ch Channel) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.channels == nil {
		c.channels = map[types.JID]Channel{}
	}
	c.channels[ch.JID] = ch
}

// mexMetadata is ch as WhatsApp's mex answers describe a channel
// (xwa2_newsletter...): numbers and times as strings, enums upper case.
func mexMetadata(ch Channel) map[string]any {
	role := strings.ToUpper(string(ch.Role))
	if role == "" {
		role = "SUBSCRIBER"
	}
	reactions := strings.ToUpper(string(ch.Reactions))
	if reactions == "" {
		reactions = "ALL"
	}
	text := func(s string) map[string]any {
		return map[string]any{"id": "1", "text": s, "update_time": "1700000000000000"}
	}
	thread := map[string]any{
		"creation_time":     "1700000000",
		"invite":            ch.invite(),
		"name":              text(ch.Name),
		"description":       text(ch.Description),
		"subscribers_count": "42",
		"verification":      "UNVERIFIED",
		"preview":           map[string]any{},
		"settings":          map[string]any{"reaction_codes": map[string]any{"value": reactions}},
	}
	if p := ch.Picture; p != nil {
		thread["picture"] = map[string]any{"id": p.ID, "type": "IMAGE", "direct_path": p.DirectPath, "url": p.URL}
	}
	return map[string]any{
		"id":              ch.JID.String(),
		"state":           map[string]any{"type": "ACTIVE"},
		"thread_metadata": thread,
		"viewer_metadata": map[string]any{"mute": "OFF", "role": role},
	}
}

// mex is WhatsApp's answer to a mex query, data (or errors, when
// errCode is not 0) in its GraphQL-like JSON, read as whatsmeow reads
// it (sendMexIQ): a GraphQL error is an error, the data into out.
func mex(data map[string]any, errCode int, out any) error {
	resp := map[string]any{"data": data}
	if errCode != 0 {
		resp["errors"] = []map[string]any{{"message": "Not Found", "path": []string{"xwa2_newsletter"},
			"extensions": map[string]any{"error_code": errCode, "is_retryable": false, "severity": "CRITICAL"}}}
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return err
	}
	var gql types.GraphQLResponse
	if err := json.Unmarshal(b, &gql); err != nil {
		return fmt.Errorf("failed to unmarshal graphql response: %w", err)
	}
	if len(gql.Errors) > 0 {
		return fmt.Errorf("graphql error: %w", gql.Errors)
	}
	return json.Unmarshal(gql.Data, out)
}

// SetChannelsSilent makes the server read the channel queries
// (GetNewsletterInfo, GetSubscribedNewsletters: mex IQs; and
// GetNewsletterMessages) and answer none, as WhatsApp out of reach does; false answers them again.
func (c *Client) SetChannelsSilent(silent bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.channelsSilent = silent
}

// unansweredMex says whether a channel query ends here, and with what
// error: it waits out ctx when the server answers no channel queries
// (SetChannelsSilent), as whatsmeow's mex IQ does then, and is
// ErrNotConnected when not connected. c.mu is held, and released when
// the query ends here.
func (c *Client) unansweredMex(ctx context.Context) (bool, error) {
	if !c.connected {
		c.mu.Unlock()
		return true, whatsmeow.ErrNotConnected
	}
	if !c.channelsSilent {
		return false, nil
	}
	c.mu.Unlock()
	<-ctx.Done()
	return true, ctx.Err()
}

// GetSubscribedNewsletters is the channels the user follows, by JID.
func (c *Client) GetSubscribedNewsletters(ctx context.Context) ([]*types.NewsletterMetadata, error) {
	c.mu.Lock()
	if ended, err := c.unansweredMex(ctx); ended {
		return nil, err
	}
	var list []any
	jids := make([]types.JID, 0, len(c.channels))
	for j, ch := range c.channels {
		if ch.Role != types.NewsletterRoleGuest {
			jids = append(jids, j)
		}
	}
	slices.SortFunc(jids, func(a, b types.JID) int { return strings.Compare(a.String(), b.String()) })
	for _, j := range jids {
		list = append(list, mexMetadata(c.channels[j]))
	}
	c.mu.Unlock()
	var resp struct {
		Newsletters []*types.NewsletterMetadata `json:"xwa2_newsletter_subscribed"`
	}
	if err := mex(map[string]any{"xwa2_newsletter_subscribed": list}, 0, &resp); err != nil {
		return nil, err
	}
	return resp.Newsletters, nil
}

// GetNewsletterInfo is a channel the server has (SetChannel), followed
// or not (its viewer a GUEST); one it does not have is WhatsApp's
// GraphQL error 404.
func (c *Client) GetNewsletterInfo(ctx context.Context, jid types.JID) (*types.NewsletterMetadata, error) {
	c.mu.Lock()
	c.channelsAsked++
	if ended, err := c.unansweredMex(ctx); ended {
		return nil, err
	}
	ch, ok := c.channels[jid]
	c.mu.Unlock()
	var resp struct {
		Newsletter *types.NewsletterMetadata `json:"xwa2_newsletter"`
	}
	if !ok {
		return nil, mex(map[string]any{"xwa2_newsletter": nil}, 404, &resp)
	}
	if err := mex(map[string]any{"xwa2_newsletter": mexMetadata(ch)}, 0, &resp); err != nil {
		return nil, err
	}
	return resp.Newsletter, nil
}

// GetNewsletterInfoWithInvite is the channel of a link's code (the
// link whole or its code), as WhatsApp's mex answer describes it to
// anyone: without the viewer's metadata. A code no channel has is
// WhatsApp's GraphQL error 404.
func (c *Client) GetNewsletterInfoWithInvite(ctx context.Context, key string) (*types.NewsletterMetadata, error) {
	c.mu.Lock()
	if ended, err := c.unansweredMex(ctx); ended {
		return nil, err
	}
	key = strings.TrimPrefix(key, whatsmeow.NewsletterLinkPrefix)
	var found *Channel
	for _, ch := range c.channels {
		if ch.invite() == key {
			found = &ch
			break
		}
	}
	c.mu.Unlock()
	var resp struct {
		Newsletter *types.NewsletterMetadata `json:"xwa2_newsletter"`
	}
	if found == nil {
		return nil, mex(map[string]any{"xwa2_newsletter": nil}, 404, &resp)
	}
	m := mexMetadata(*found)
	delete(m, "viewer_metadata") // fetch_viewer_metadata false
	if err := mex(map[string]any{"xwa2_newsletter": m}, 0, &resp); err != nil {
		return nil, err
	}
	return resp.Newsletter, nil
}

// FollowNewsletter has the user follow a channel the server has (its
// role a follower's, unless they administer it); one it does not have
// is WhatsApp's GraphQL error 404.
func (c *Client) FollowNewsletter(ctx context.Context, jid types.JID) error {
	return c.setFollowing(ctx, jid, "xwa2_newsletter_join_v2", true)
}

// UnfollowNewsletter has the user stop following a channel: WhatsApp
// then describes it to them as to a guest.
func (c *Client) UnfollowNewsletter(ctx context.Context, jid types.JID) error {
	return c.setFollowing(ctx, jid, "xwa2_newsletter_leave_v2", false)
}

func (c *Client) setFollowing(ctx context.Context, jid types.JID, field string, follow bool) error {
	c.mu.Lock()
	if ended, err := c.unansweredMex(ctx); ended {
		return err
	}
	ch, ok := c.channels[jid]
	if ok {
		switch {
		case follow && ch.Role == types.NewsletterRoleGuest:
			ch.Role = ""
		case !follow:
			ch.Role = types.NewsletterRoleGuest
		}
		c.channels[jid] = ch
		c.notifyLocked()
	}
	c.mu.Unlock()
	var resp map[string]any
	if !ok {
		return mex(map[string]any{field: nil}, 404, &resp)
	}
	return mex(map[string]any{field: map[string]any{"id": jid.String()}}, 0, &resp)
}

// GetNewsletterMessages answers as WhatsApp does the IQ asking for a
// channel's posts (<messages type="jid" count before>): a <messages>
// of <message id server_id t type> each holding the post in
// <plaintext>, its <views_count> and <reactions>, the last params.Count
// (50 when 0) before params.Before (when set), oldest first, read by
// whatsmeow's own parsing after WhatsApp's binary encoding. A channel
// the server does not have is an IQ error 404; SetChannelsSilent makes
// it wait out ctx as the channel's other queries do.
func (c *Client) GetNewsletterMessages(ctx context.Context, jid types.JID, params *whatsmeow.GetNewsletterMessagesParams) ([]*types.NewsletterMessage, error) {
	c.mu.Lock()
	c.channelHistories++
	if ended, err := c.unansweredMex(ctx); ended {
		return nil, err
	}
	ch, ok := c.channels[jid]
	c.mu.Unlock()
	if !ok {
		return nil, &whatsmeow.IQError{Code: 404, Text: "item-not-found"}
	}
	count, before := 50, types.MessageServerID(0)
	if params != nil {
		if params.Count > 0 {
			count = params.Count
		}
		before = params.Before
	}
	posts := slices.Clone(ch.Posts)
	slices.SortFunc(posts, func(a, b Post) int { return a.ServerID - b.ServerID })
	posts = slices.DeleteFunc(posts, func(p Post) bool { return before != 0 && p.ServerID >= before })
	if len(posts) > count {
		posts = posts[len(posts)-count:]
	}
	nodes := make([]waBinary.Node, 0, len(posts))
	for _, p := range posts {
		content := []waBinary.Node{{Tag: "plaintext", Content: p.Msg}, {Tag: "views_count", Attrs: waBinary.Attrs{"count": strconv.Itoa(p.Views)}}}
		if len(p.Reactions) > 0 {
			var rs []waBinary.Node
			for code, n := range p.Reactions {
				rs = append(rs, waBinary.Node{Tag: "reaction", Attrs: waBinary.Attrs{"code": code, "count": strconv.Itoa(n)}})
			}
			content = append(content, waBinary.Node{Tag: "reactions", Content: rs})
		}
		nodes = append(nodes, waBinary.Node{Tag: "message", Attrs: waBinary.Attrs{
			"id": p.ID, "server_id": strconv.Itoa(p.ServerID), "t": strconv.FormatInt(p.Time.Unix(), 10), "type": "text",
		}, Content: content})
	}
	got, err := overWire(waBinary.Node{Tag: "iq", Attrs: waBinary.Attrs{"from": types.ServerJID, "type": "result", "id": "1"},
		Content: []waBinary.Node{{Tag: "messages", Attrs: waBinary.Attrs{"jid": jid, "t": strconv.FormatInt(time.Now().Unix(), 10)}, Content: nodes}}})
	if err != nil {
		return nil, fmt.Errorf("wafake: the posts of %s: %w", jid, err)
	}
	messages, ok := got.GetOptionalChildByTag("messages")
	if !ok {
		return nil, &whatsmeow.ElementMissingError{Tag: "messages", In: "newsletter messages response"}
	}
	return c.Real.DangerousInternals().ParseNewsletterMessages(&messages), nil
}

// ChannelHistories is how many times a channel's posts were asked for
// (GetNewsletterMessages), answered or not.
func (c *Client) ChannelHistories() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.channelHistories
}

// keepPostLocked adds a post to the channel's, as WhatsApp keeps it;
// one of the same ID replaces it (an edit). c.mu is held.
func (c *Client) keepPostLocked(channel types.JID, p Post) {
	ch, ok := c.channels[channel]
	if !ok {
		return
	}
	ch.Posts = slices.DeleteFunc(slices.Clone(ch.Posts), func(q Post) bool { return q.ID == p.ID })
	ch.Posts = append(ch.Posts, p)
	c.channels[channel] = ch
}

// ChannelsAsked is how many times a channel was described
// (GetNewsletterInfo), answered or not.
func (c *Client) ChannelsAsked() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.channelsAsked
}

// NewsletterSendReaction records the user's reaction to a channel's
// post, told to OnChannelReaction.
func (c *Client) NewsletterSendReaction(_ context.Context, jid types.JID, serverID types.MessageServerID, reaction string, messageID types.MessageID) error {
	c.mu.Lock()
	if !c.connected {
		c.mu.Unlock()
		return whatsmeow.ErrNotConnected
	}
	if messageID == "" {
		c.nextID++
		messageID = types.MessageID(fmt.Sprintf("3EB0FAKE%08d", c.nextID))
	}
	r := ChannelReaction{Channel: jid, ServerID: serverID, Reaction: reaction, ID: messageID}
	c.channelReactions = append(c.channelReactions, r)
	on := c.OnChannelReaction
	c.notifyLocked()
	c.mu.Unlock()
	if on != nil {
		on(r)
	}
	return nil
}

// NewsletterMarkViewed records the posts of a channel the user saw,
// told to OnChannelViewed.
func (c *Client) NewsletterMarkViewed(_ context.Context, jid types.JID, serverIDs []types.MessageServerID) error {
	c.mu.Lock()
	if !c.connected {
		c.mu.Unlock()
		return whatsmeow.ErrNotConnected
	}
	v := ChannelViewed{Channel: jid, ServerIDs: slices.Clone(serverIDs)}
	c.channelViews = append(c.channelViews, v)
	on := c.OnChannelViewed
	c.notifyLocked()
	c.mu.Unlock()
	if on != nil {
		on(v)
	}
	return nil
}

// ChannelViews is the channels' posts marked viewed, in order.
func (c *Client) ChannelViews() []ChannelViewed {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.channelViews)
}

// ChannelPost has WhatsApp deliver a post of a channel (newsletter) the
// user follows, as it does to every device of a follower: a <message>
// from the channel's JID (<id>@newsletter) whose <plaintext> holds the
// post unencrypted, with its server_id. It goes through WhatsApp's
// binary encoding and back, then whatsmeow's own stanza handling, which
// parses the channel as both chat and sender and dispatches the
// events.Message (its ack to WhatsApp fails, the fake having no socket;
// whatsmeow logs it).
func (c *Client) ChannelPost(ctx context.Context, channel types.JID, id types.MessageID, serverID int, at time.Time, msg *waE2E.Message) error {
	return c.channelMessage(ctx, channel, id, serverID, at, time.Time{}, msg)
}

// ChannelEdit has WhatsApp deliver an admin's edit of post id (sent at
// at) of a channel, made at editedAt, as it does: the post's own ID and
// server_id, its new content whole (not wrapped as an edit), and a
// <meta msg_edit_t original_msg_t>, which whatsmeow reads into the
// event's NewsletterMeta.
func (c *Client) ChannelEdit(ctx context.Context, channel types.JID, id types.MessageID, serverID int, at, editedAt time.Time, msg *waE2E.Message) error {
	return c.channelMessage(ctx, channel, id, serverID, at, editedAt, msg)
}

func (c *Client) channelMessage(ctx context.Context, channel types.JID, id types.MessageID, serverID int, at, editedAt time.Time, msg *waE2E.Message) error {
	body, err := proto.Marshal(msg)
	if err != nil {
		return fmt.Errorf("wafake: the post of %s: %w", channel, err)
	}
	attrs := waBinary.Attrs{
		"from": channel, "id": id, "t": strconv.FormatInt(at.Unix(), 10), "type": "text",
		"server_id": strconv.Itoa(serverID),
	}
	content := []waBinary.Node{{Tag: "plaintext", Content: body}}
	if !editedAt.IsZero() {
		attrs["t"] = strconv.FormatInt(editedAt.Unix(), 10)
		content = append(content, waBinary.Node{Tag: "meta", Attrs: waBinary.Attrs{
			"msg_edit_t": strconv.FormatInt(editedAt.UnixMilli(), 10), "original_msg_t": strconv.FormatInt(at.Unix(), 10)}})
	}
	got, err := overWire(waBinary.Node{Tag: "message", Attrs: attrs, Content: content})
	if err != nil {
		return fmt.Errorf("wafake: the post of %s: %w", channel, err)
	}
	c.mu.Lock()
	c.keepPostLocked(channel, Post{ServerID: serverID, ID: id, Time: at, Msg: body})
	c.mu.Unlock()
	c.Real.DangerousInternals().HandleEncryptedMessage(ctx, got)
	return nil
}

// ChannelFollowed has the user follow (follow true) or leave a channel
// on another device: the server's channel state changes, and WhatsApp
// tells this device as it does, a <notification type="mex"> whose
// <update> holds the GraphQL-like JSON of
// xwa2_notify_newsletter_on_join (the channel described) or _on_leave,
// handled by whatsmeow's own notification code.
func (c *Client) ChannelFollowed(ctx context.Context, jid types.JID, follow bool) error {
	c.mu.Lock()
	ch, ok := c.channels[jid]
	if !ok {
		ch = Channel{JID: jid}
	}
	data := map[string]any{}
	if follow {
		if ch.Role == types.NewsletterRoleGuest {
			ch.Role = ""
		}
		data["xwa2_notify_newsletter_on_join"] = mexMetadata(ch)
	} else {
		ch.Role = types.NewsletterRoleGuest
		data["xwa2_notify_newsletter_on_leave"] = map[string]any{"id": jid.String(), "role": "GUEST"}
	}
	if c.channels == nil {
		c.channels = map[types.JID]Channel{}
	}
	c.channels[jid] = ch
	c.nextID++
	id := strconv.Itoa(c.nextID)
	c.notifyLocked()
	c.mu.Unlock()
	body, err := json.Marshal(map[string]any{"data": data})
	if err != nil {
		return err
	}
	got, err := overWire(waBinary.Node{Tag: "notification",
		Attrs:   waBinary.Attrs{"from": types.ServerJID, "type": "mex", "id": id, "t": strconv.FormatInt(time.Now().Unix(), 10)},
		Content: []waBinary.Node{{Tag: "update", Attrs: waBinary.Attrs{"op_name": "NotificationNewsletterUpdate"}, Content: body}}})
	if err != nil {
		return fmt.Errorf("wafake: the channel %s followed elsewhere: %w", jid, err)
	}
	c.Real.DangerousInternals().HandleMexNotification(ctx, got)
	return nil
}

// UploadNewsletterReader keeps a file for a channel's post as
// whatsmeow's upload to a channel's media does: not encrypted (no media
// key nor encrypted hash), its hash the file's, answered with a handle
// the post names (SendRequestExtra.MediaHandle).
func (c *Client) UploadNewsletterReader(_ context.Context, r io.ReadSeeker, kind whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return whatsmeow.UploadResponse{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	path, err := c.keepUploadLocked("/newsletter/fake/", b, kind)
	if err != nil {
		return whatsmeow.UploadResponse{}, err
	}
	handle := fmt.Sprintf("handle-%d", c.nextID)
	if c.channelUploads == nil {
		c.channelUploads = map[string]string{}
	}
	c.channelUploads[handle] = path
	sum := sha256.Sum256(b)
	return whatsmeow.UploadResponse{URL: "https://mmg.invalid" + path, DirectPath: path, Handle: handle,
		FileSHA256: sum[:], FileLength: uint64(len(b))}, nil
}

// channelFileLocked refuses a channel's post of a file that does not
// name its upload's handle (a guess at WhatsApp's answer: it links the
// post to the file by it), or that carries a media key (the file of a
// chat, encrypted, which a channel's followers could not read). c.mu
// is held.
func (c *Client) channelFileLocked(msg *waE2E.Message, handle string) error {
	f := channelFile(msg)
	if f == nil {
		return nil
	}
	if handle == "" || c.channelUploads[handle] != f.GetDirectPath() || len(f.GetMediaKey()) > 0 {
		return fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 400)
	}
	return nil
}

// channelFile is the file msg carries, nil for none.
func channelFile(msg *waE2E.Message) interface {
	GetMediaKey() []byte
	GetDirectPath() string
} {
	switch {
	case msg.GetImageMessage() != nil:
		return msg.GetImageMessage()
	case msg.GetVideoMessage() != nil:
		return msg.GetVideoMessage()
	case msg.GetAudioMessage() != nil:
		return msg.GetAudioMessage()
	case msg.GetDocumentMessage() != nil:
		return msg.GetDocumentMessage()
	case msg.GetStickerMessage() != nil:
		return msg.GetStickerMessage()
	}
	return nil
}

// channelChangeKey is the post an admin's edit or deletion of a
// channel's post names, as whatsmeow reads it (SendMessage): the
// edit's (an EditedMessage wrapping a MESSAGE_EDIT) or the REVOKE's key.
func channelChangeKey(msg *waE2E.Message) (types.MessageID, bool) {
	if pm := msg.GetEditedMessage().GetMessage().GetProtocolMessage(); pm != nil {
		return types.MessageID(pm.GetKey().GetID()), true
	}
	if pm := msg.GetProtocolMessage(); pm != nil && pm.GetType() == waE2E.ProtocolMessage_REVOKE {
		return types.MessageID(pm.GetKey().GetID()), true
	}
	return "", false
}

// changePostLocked applies an admin's edit or deletion of post id of
// channel: sent under the post's own ID (whatsmeow sends it so, with an
// "admin_edit" or "admin_revoke" attribute), the post kept changed to
// the edit's content, or dropped; a post the channel does not have is
// WhatsApp's 404 (a guess: its answer is not known). c.mu is held.
func (c *Client) changePostLocked(to types.JID, id types.MessageID, msg *waE2E.Message, meta *types.MsgMetaInfo) (whatsmeow.SendResponse, error) {
	ch := c.channels[to]
	i := slices.IndexFunc(ch.Posts, func(p Post) bool { return p.ID == id })
	if i < 0 {
		return whatsmeow.SendResponse{}, fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 404)
	}
	post := ch.Posts[i]
	ch.Posts = slices.Clone(ch.Posts)
	if edited := msg.GetEditedMessage().GetMessage().GetProtocolMessage().GetEditedMessage(); edited != nil {
		body, err := proto.Marshal(edited)
		if err != nil {
			return whatsmeow.SendResponse{}, err
		}
		ch.Posts[i].Msg = body
	} else {
		ch.Posts = slices.Delete(ch.Posts, i, i+1)
	}
	c.channels[to] = ch
	sent := Sent{To: to, ID: id, Msg: proto.Clone(msg).(*waE2E.Message), Meta: meta}
	c.sent = append(c.sent, sent)
	c.notifyLocked()
	if c.OnSent != nil {
		c.OnSent(sent)
	}
	return whatsmeow.SendResponse{ID: id, Timestamp: time.Now(), ServerID: post.ServerID}, nil
}
