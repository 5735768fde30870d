package bridge

import (
	"context"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A group's picture is the room's avatar, as XEP-0486 (MUC Avatars)
// has it and Prosody's mod_vcard_muc does: the room's vCard-temp holds
// the picture, its disco#info names the SHA-1 in
// muc#roominfo_avatarhash, and a presence from the room's bare JID with
// a vcard-temp:x:update photo tells the occupants when it changes. The
// picture itself is not kept: it is fetched from the network (ChatInfo
// with_avatar) when Chat.avatar_id changes and when a client asks for
// the vCard; only its hash stays in memory.

// pictureFetches bounds the group pictures a session fetches at once:
// a login with hundreds of groups does not ask for them all together.
const pictureFetches = 2

// noteRoomAvatar takes a chat description's picture into r. A new
// avatar ID, or a room whose chat did not say (a network that names the
// picture only when it changes), has the picture fetched in the
// background, once, and the occupants told of its hash.
func (s *session) noteRoomAvatar(r *room, c *pb.Chat) {
	if !s.t.host.Caps().GetFeatures().GetAvatars() {
		return
	}
	fetch := r.takePicture(c)
	ctx := s.t.in.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	switch {
	case c.NoAvatar:
		s.setRoomAvatarHash(ctx, r, "")
	case fetch:
		s.t.goBg(func() {
			select {
			case s.pictureSlots <- struct{}{}:
				defer func() { <-s.pictureSlots }()
			case <-ctx.Done():
				return
			}
			c, err := s.roomAvatar(ctx, r.chatID)
			if err != nil {
				s.t.log.Warn("group picture not fetched", "user", s.user, "room", r.jid, "err", err)
				return
			}
			if c.AvatarId != "" {
				r.mu.Lock()
				r.avatarID = c.AvatarId
				r.mu.Unlock()
			}
			s.setRoomAvatarHash(ctx, r, pictureHash(c.Avatar))
		})
	}
}

// takePicture takes what c says of the group's picture into r and
// reports whether to fetch it: a new avatar ID, or nothing said and
// nothing fetched yet.
func (r *room) takePicture(c *pb.Chat) (fetch bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case c.NoAvatar:
		r.avatarID = ""
	case c.AvatarId != "":
		fetch = c.AvatarId != r.avatarID
		r.avatarID = c.AvatarId
	default: // not said
		fetch = !r.avatarAsked
	}
	r.avatarAsked = r.avatarAsked || fetch || c.NoAvatar
	return fetch
}

// roomAvatar asks the network for the group's description with its
// picture.
func (s *session) roomAvatar(ctx context.Context, chatID string) (*pb.Chat, error) {
	client, err := s.t.client(ctx)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return client.ChatInfo(cctx, &pb.ChatRef{LoginId: s.LoginID(), ChatId: chatID, WithAvatar: true})
}

// pictureHash is the picture's XEP-0153 hash, "" for none.
func pictureHash(img []byte) string {
	if len(img) == 0 {
		return ""
	}
	return avatarHash(img)
}

// setRoomAvatarHash records the picture's hash and, when it changed,
// tells each joined resource, as Prosody's MUC does: the room's presence
// with the hash, then a configuration change (status 104), the one
// XEP-0486 asks for, on which clients (Gajim) read the room's disco#info
// again and find the new hash.
func (s *session) setRoomAvatarHash(ctx context.Context, r *room, hash string) {
	r.mu.Lock()
	if r.avatarHash == hash {
		r.mu.Unlock()
		return
	}
	r.avatarHash = hash
	var out [][]byte
	for res := range r.joined {
		to := s.user + "/" + res
		out = append(out, roomAvatarPresence(r.jid, to, hash), muc.ConfigChanged(r.jid, to, s.t.newID()))
	}
	// In the room's order of writes (room_order.go), as its other
	// presences: not ahead of a message archived before.
	turn := r.sendTurnLocked()
	r.mu.Unlock()
	s.writeInTurn(ctx, turn, out)
}

// roomAvatarPresence is the room's presence naming its picture's hash
// ("" = no picture) for one occupant.
func roomAvatarPresence(roomJID, to, hash string) []byte {
	var w wire.Writer
	w.Start("presence", "").Attr("from", roomJID).Attr("to", to)
	w.Start("x", nsVCardPhoto)
	if hash == "" {
		w.Start("photo", "").End()
	} else {
		w.Leaf("photo", "", hash)
	}
	w.End().End()
	return w.Bytes()
}

// roomVCard answers a vCard-temp request to a room: its name and the
// group's picture, fetched from the network.
func (t *transport) roomVCard(ctx context.Context, st *wire.Stanza, s *session, r *room) {
	r.mu.Lock()
	name := r.name
	r.mu.Unlock()
	c, err := s.roomAvatar(ctx, r.chatID)
	if err != nil {
		cond, text := reply(err)
		t.send(ctx, wire.ErrorReply(st, cond, text))
		return
	}
	if c.Name != "" {
		name = c.Name
	}
	w := wire.Result(st)
	w.Start("vCard", nsVCard)
	if name != "" {
		w.Leaf("FN", "", name)
	}
	if len(c.Avatar) > 0 {
		writeVCardPhoto(w, c.Avatar, c.AvatarMime) // contacts.go
	}
	w.End()
	t.send(ctx, w.Bytes())
	s.setRoomAvatarHash(ctx, r, pictureHash(c.Avatar))
}

// pictureTypes are the images a group's picture may be set from: what
// the plugins convert to what their networks take.
var pictureTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}

// setRoomPicture is a vCard-temp set to a room, as XEP-0486 has an owner
// set the room's avatar: its PHOTO becomes the group's picture on the
// network, a vCard without one removes it. The network decides whether
// the user may; its new picture comes back as the chat's avatar_id
// changing, which tells the occupants. The vCard's other fields are not
// taken (the configuration form renames the room).
func (s *session) setRoomPicture(ctx context.Context, st *wire.Stanza, r *room, v *wire.Element) {
	refuse := func(cond wire.Condition, text string) { s.t.send(ctx, wire.ErrorReply(st, cond, text)) }
	if s.t.roomRefused(ctx, st, s.user, s) {
		return
	}
	if !s.features().GetGroupAvatar() {
		refuse(wire.FeatureNotImpl, s.t.displayName()+" groups cannot get their picture from XMPP")
		return
	}
	if !s.roomFeatures(r).GetGroupAvatar() {
		refuse(wire.Forbidden, "this group does not let you change its picture")
		return
	}
	data, mime, cond, text := vcardPicture(v)
	if text != "" {
		refuse(cond, "a group's picture: "+text)
		return
	}
	a := &pb.SetChatAvatar{Data: data, MimeType: mime}
	s.sendInTurn(ctx, st, []*pb.Command{{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_SetAvatar{SetAvatar: a}}})
}

// vcardPicture is the image of a vCard-temp's PHOTO, and its type checked
// by its bytes; none without a PHOTO. A picture the plugins cannot take
// is the error's condition and text.
func vcardPicture(v *wire.Element) ([]byte, string, wire.Condition, string) {
	photo := v.Child("", "PHOTO")
	if photo == nil {
		return nil, "", "", ""
	}
	bin := photo.Child("", "BINVAL")
	if bin == nil || strings.TrimSpace(bin.Text) == "" {
		if photo.Child("", "EXTVAL") != nil {
			return nil, "", wire.NotAcceptable, "give the picture itself (BINVAL), not a link to it"
		}
		return nil, "", "", ""
	}
	data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(bin.Text), ""))
	if err != nil {
		return nil, "", wire.BadRequest, "the picture's BINVAL is not base64"
	}
	mime := http.DetectContentType(data)
	if !slices.Contains(pictureTypes, mime) {
		return nil, "", wire.NotAcceptable, "the picture must be a JPEG, PNG, GIF or WebP image"
	}
	return data, mime, "", ""
}
