package bridge

import (
	"context"
	"encoding/base64"

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

// noteRoomAvatar takes a chat description's avatar ID into r; when it
// changed, the picture is fetched in the background and the occupants
// told of its new hash.
func (s *session) noteRoomAvatar(r *room, c *pb.Chat) {
	if c.AvatarId == "" && !c.NoAvatar {
		return // not said: the picture is what it was
	}
	id := c.AvatarId
	if c.NoAvatar {
		id = ""
	}
	r.mu.Lock()
	changed := id != r.avatarID || (id != "" && r.avatarHash == "")
	r.avatarID = id
	r.mu.Unlock()
	if !changed {
		return
	}
	ctx := s.t.in.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if id == "" {
		s.setRoomAvatarHash(ctx, r, "")
		return
	}
	go func() {
		c, err := s.roomAvatar(ctx, r.chatID)
		if err != nil {
			s.t.log.Warn("group picture not fetched", "user", s.user, "room", r.jid, "err", err)
			return
		}
		s.setRoomAvatarHash(ctx, r, pictureHash(c.Avatar))
	}()
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
// tells each joined resource.
func (s *session) setRoomAvatarHash(ctx context.Context, r *room, hash string) {
	r.mu.Lock()
	if r.avatarHash == hash {
		r.mu.Unlock()
		return
	}
	r.avatarHash = hash
	var out [][]byte
	for res := range r.joined {
		out = append(out, roomAvatarPresence(r.jid, s.user+"/"+res, hash))
	}
	r.mu.Unlock()
	for _, st := range out {
		s.t.send(ctx, st)
	}
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
		mime := c.AvatarMime
		if mime == "" {
			mime = "image/png"
		}
		w.Start("PHOTO", "").Leaf("TYPE", "", mime).Leaf("BINVAL", "", base64.StdEncoding.EncodeToString(c.Avatar)).End()
	}
	w.End()
	t.send(ctx, w.Bytes())
	s.setRoomAvatarHash(ctx, r, pictureHash(c.Avatar))
}
