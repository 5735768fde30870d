package tgfake

import (
	"bytes"
	"image/jpeg"
	"slices"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// A group's or channel's picture set by a member, as Telegram does it
// (messages.editChatPhoto for a basic group, channels.editPhoto for a
// supergroup or channel): an uploaded JPEG, or inputChatPhotoEmpty to
// remove it; only admins where the group's rights say so
// (CHAT_ADMIN_REQUIRED), CHAT_NOT_MODIFIED for removing a picture the
// group does not have. Every member gets the service message
// (messageActionChatEditPhoto or messageActionChatDeletePhoto); the
// member who asked gets theirs as the answer.

// chatPhoto is a picture as a chat names it.
func chatPhoto(id int64) tg.ChatPhotoClass {
	if id == 0 {
		return &tg.ChatPhotoEmpty{}
	}
	return &tg.ChatPhoto{PhotoID: id, DCID: DC}
}

// photo is a picture as a full chat and a service message name it. Call
// with s.mu held.
func (s *Server) photo(id int64) tg.PhotoClass {
	if id == 0 {
		return &tg.PhotoEmpty{}
	}
	return &tg.Photo{ID: id, AccessHash: id, FileReference: []byte("ref"), Date: 1, DCID: DC,
		Sizes: []tg.PhotoSizeClass{&tg.PhotoSize{Type: "c", W: 640, H: 640, Size: len(s.media[id])}}}
}

// newPicture keeps a picture (nil: none) and returns its ID and the
// service message's action. Call with s.mu held.
func (s *Server) newPicture(data []byte) (int64, tg.MessageActionClass) {
	if data == nil {
		return 0, &tg.MessageActionChatDeletePhoto{}
	}
	id := 7_000_000_000 + int64(len(s.media)) // media only grows: a new ID each time
	s.media[id] = data
	return id, &tg.MessageActionChatEditPhoto{Photo: s.photo(id)}
}

// uploadedPicture is the picture an editChatPhoto or editPhoto request
// gives: nil for inputChatPhotoEmpty. Call with s.mu held.
func (s *Server) uploadedPicture(in tg.InputChatPhotoClass) ([]byte, error) {
	switch in := in.(type) {
	case *tg.InputChatPhotoEmpty:
		return nil, nil
	case *tg.InputChatUploadedPhoto:
		f, ok := in.GetFile()
		if !ok {
			return nil, tgerr.New(400, "PHOTO_INVALID")
		}
		data, _, ok := s.assemble(f)
		if !ok {
			return nil, tgerr.New(400, "FILE_PARTS_INVALID")
		}
		if _, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil {
			return nil, tgerr.New(400, "PHOTO_INVALID")
		}
		return data, nil
	}
	return nil, tgerr.New(400, "PHOTO_INVALID")
}

func (s *Server) registerPhotos(d *tgtest.Dispatcher) {
	s.registerProfilePhotos(d)
	handle(s, d, tg.MessagesEditChatPhotoRequestTypeID, "messages.editChatPhoto", func(k *key, r *tg.MessagesEditChatPhotoRequest) (bin.Encoder, error) {
		g, err := s.groupOf(k, &tg.InputPeerChat{ChatID: r.ChatID})
		if err != nil {
			return nil, err
		}
		if g.AdminsChangeInfo && k.user != g.Creator && !slices.Contains(g.Admins, k.user) {
			return nil, tgerr.New(400, "CHAT_ADMIN_REQUIRED")
		}
		data, err := s.uploadedPicture(r.Photo)
		switch {
		case err != nil:
			return nil, err
		case data == nil && g.photoID == 0:
			return nil, tgerr.New(400, "CHAT_NOT_MODIFIED")
		}
		var act tg.MessageActionClass
		g.photoID, act = s.newPicture(data)
		mine := s.postGroupService(g, k.user, act)
		return &tg.Updates{Updates: []tg.UpdateClass{mine}, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}, nil
	})
	handle(s, d, tg.ChannelsEditPhotoRequestTypeID, "channels.editPhoto", func(k *key, r *tg.ChannelsEditPhotoRequest) (bin.Encoder, error) {
		c, err := s.channelOf(k, r.Channel)
		if err != nil {
			return nil, err
		}
		if (c.Broadcast || c.AdminsChangeInfo) && !c.isAdmin(k.user) {
			return nil, tgerr.New(400, "CHAT_ADMIN_REQUIRED")
		}
		data, err := s.uploadedPicture(r.Photo)
		switch {
		case err != nil:
			return nil, err
		case data == nil && c.photoID == 0:
			return nil, tgerr.New(400, "CHAT_NOT_MODIFIED")
		}
		var act tg.MessageActionClass
		c.photoID, act = s.newPicture(data)
		m := s.postService(c, k.user, act)
		return &tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateNewChannelMessage{Message: viewService(m, k.user), Pts: c.pts, PtsCount: 1}},
			Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}, nil
	})
}

// The user's own profile photo, as Telegram sets it: photos.uploadProfilePhoto
// with an uploaded JPEG (PHOTO_INVALID otherwise), photos.updateProfilePhoto
// with inputPhotoEmpty to remove it; each answers photos.photo.
func (s *Server) registerProfilePhotos(d *tgtest.Dispatcher) {
	handle(s, d, tg.PhotosUploadProfilePhotoRequestTypeID, "photos.uploadProfilePhoto", func(k *key, r *tg.PhotosUploadProfilePhotoRequest) (bin.Encoder, error) {
		u, err := s.self(k)
		if err != nil {
			return nil, err
		}
		f, ok := r.GetFile()
		if !ok {
			return nil, tgerr.New(400, "PHOTO_FILE_MISSING")
		}
		in := &tg.InputChatUploadedPhoto{}
		in.SetFile(f)
		data, err := s.uploadedPicture(in)
		if err != nil {
			return nil, err
		}
		u.photoID, _ = s.newPicture(data)
		u.Photo = data
		return &tg.PhotosPhoto{Photo: s.photo(u.photoID), Users: []tg.UserClass{u.tg(true)}}, nil
	})
	handle(s, d, tg.PhotosUpdateProfilePhotoRequestTypeID, "photos.updateProfilePhoto", func(k *key, r *tg.PhotosUpdateProfilePhotoRequest) (bin.Encoder, error) {
		if _, ok := r.ID.(*tg.InputPhotoEmpty); !ok {
			return nil, tgerr.New(400, "PHOTO_ID_INVALID") // a former photo: not needed here
		}
		u, err := s.self(k)
		if err != nil {
			return nil, err
		}
		u.photoID, u.Photo = 0, nil
		return &tg.PhotosPhoto{Photo: &tg.PhotoEmpty{}, Users: []tg.UserClass{u.tg(true)}}, nil
	})
}

// ProfilePhoto is the user's own profile photo as the server keeps it;
// nil for none.
func (s *Server) ProfilePhoto(user int64) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[user]; u != nil {
		return u.Photo
	}
	return nil
}

// SetProfilePhoto sets user's profile photo (a JPEG; nil removes it)
// without telling anyone, as a change made while the gateway was away:
// the users' descriptions from now on have it (or not).
func (s *Server) SetProfilePhoto(user int64, jpeg []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[user]
	if u == nil {
		return
	}
	u.photoID, u.Photo = 0, jpeg
	if len(jpeg) > 0 {
		u.photoID, _ = s.newPicture(jpeg)
	}
}

// Picture is the picture of a basic group (a *tg.PeerChat) or a channel
// (a *tg.PeerChannel) as the server keeps it; nil for none.
func (s *Server) Picture(p tg.PeerClass) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch p := p.(type) {
	case *tg.PeerChat:
		if g := s.groups[p.ChatID]; g != nil && g.photoID != 0 {
			return s.media[g.photoID]
		}
	case *tg.PeerChannel:
		if c := s.channels[p.ChannelID]; c != nil && c.photoID != 0 {
			return s.media[c.photoID]
		}
	}
	return nil
}
