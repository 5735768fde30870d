package tgfake

import (
	"bytes"
	"encoding/base64"
	"image"
	_ "image/jpeg" // photoFits reads JPEG and PNG pictures
	_ "image/png"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

func now() int { return int(time.Now().Unix()) }

// self is the logged-in user of a device.
func (s *Server) self(k *key) (*User, error) {
	if k.user == 0 {
		return nil, errUnauthorized
	}
	return s.users[k.user], nil
}

func (s *Server) byPhone(phone string) *User {
	phone = strings.TrimPrefix(phone, "+")
	for _, u := range s.users {
		if u.Phone == phone {
			return u
		}
	}
	return nil
}

func (s *Server) register(d *tgtest.Dispatcher) {
	handle(s, d, tg.AuthSendCodeRequestTypeID, "auth.sendCode", func(k *key, r *tg.AuthSendCodeRequest) (bin.Encoder, error) {
		if s.FloodWait > 0 {
			return nil, tgerr.New(420, "FLOOD_WAIT_"+itoa(s.FloodWait))
		}
		u := s.byPhone(r.PhoneNumber)
		if u != nil && u.Banned {
			return nil, tgerr.New(400, "PHONE_NUMBER_BANNED")
		}
		if len(strings.TrimPrefix(r.PhoneNumber, "+")) < 5 {
			return nil, tgerr.New(400, "PHONE_NUMBER_INVALID")
		}
		if u != nil && u.NoCode {
			k.user = u.ID
			return &tg.AuthSentCodeSuccess{Authorization: &tg.AuthAuthorization{User: u.tg(true)}}, nil
		}
		var via tg.AuthSentCodeTypeClass = &tg.AuthSentCodeTypeApp{Length: 5}
		if u != nil && u.CodeVia != nil {
			via = u.CodeVia
		}
		sent := &tg.AuthSentCode{Type: via, PhoneCodeHash: "hash-" + r.PhoneNumber}
		if u != nil && u.ResendSMS {
			sent.SetNextType(&tg.AuthCodeTypeSMS{})
		}
		return sent, nil
	})
	handle(s, d, tg.AuthResendCodeRequestTypeID, "auth.resendCode", func(k *key, r *tg.AuthResendCodeRequest) (bin.Encoder, error) {
		u := s.byPhone(r.PhoneNumber)
		if u == nil || !u.ResendSMS || r.PhoneCodeHash != "hash-"+r.PhoneNumber {
			return nil, tgerr.New(400, "SEND_CODE_UNAVAILABLE")
		}
		if u.CodeVia != nil {
			if _, sms := u.CodeVia.(*tg.AuthSentCodeTypeSMS); sms {
				return nil, tgerr.New(406, "SEND_CODE_UNAVAILABLE") // sent by SMS already
			}
		}
		u.CodeVia = &tg.AuthSentCodeTypeSMS{Length: len(u.Code)}
		return &tg.AuthSentCode{Type: u.CodeVia, PhoneCodeHash: r.PhoneCodeHash}, nil
	})
	handle(s, d, tg.AuthSignInRequestTypeID, "auth.signIn", func(k *key, r *tg.AuthSignInRequest) (bin.Encoder, error) {
		u := s.byPhone(r.PhoneNumber)
		if u == nil {
			// Telegram's answer to a number without an account.
			return &tg.AuthAuthorizationSignUpRequired{}, nil
		}
		if _, email := u.CodeVia.(*tg.AuthSentCodeTypeEmailCode); email {
			ev, _ := r.EmailVerification.(*tg.EmailVerificationCode)
			if ev == nil || r.PhoneCode != "" {
				return nil, tgerr.New(400, "PHONE_CODE_INVALID") // the mailed code is no phone code
			}
			if ev.Code != u.Code {
				return nil, tgerr.New(400, "EMAIL_CODE_INVALID")
			}
		} else if r.PhoneCode != u.Code {
			return nil, tgerr.New(400, "PHONE_CODE_INVALID")
		}
		if u.Password != "" {
			k.pending = u.ID
			return nil, tgerr.New(401, "SESSION_PASSWORD_NEEDED")
		}
		k.user = u.ID
		return &tg.AuthAuthorization{User: u.tg(true)}, nil
	})
	handle(s, d, tg.AccountGetPasswordRequestTypeID, "account.getPassword", func(k *key, _ *tg.AccountGetPasswordRequest) (bin.Encoder, error) {
		uid := k.pending
		if uid == 0 {
			uid = k.user
		}
		u := s.users[uid]
		out := &tg.AccountPassword{NewAlgo: &tg.PasswordKdfAlgoUnknown{}, NewSecureAlgo: &tg.SecurePasswordKdfAlgoUnknown{}, SecureRandom: randomBytes(32)}
		if u == nil || u.Password == "" {
			return out, nil
		}
		st, err := newSRP(u.ver)
		if err != nil {
			return nil, err
		}
		k.srpB = st
		out.HasPassword, out.CurrentAlgo, out.SRPB, out.SRPID, out.Hint = true, st.algo(), pad256(st.gb), st.id, u.Hint
		out.HasRecovery = u.RecoveryEmail != ""
		out.SetFlags()
		return out, nil
	})
	handle(s, d, tg.AuthRequestPasswordRecoveryRequestTypeID, "auth.requestPasswordRecovery", func(k *key, _ *tg.AuthRequestPasswordRecoveryRequest) (bin.Encoder, error) {
		u := s.users[k.pending]
		switch {
		case u == nil || u.Password == "":
			return nil, tgerr.New(400, "PASSWORD_EMPTY")
		case u.RecoveryEmail == "":
			return nil, tgerr.New(400, "PASSWORD_RECOVERY_NA")
		}
		return &tg.AuthPasswordRecovery{EmailPattern: u.RecoveryEmail}, nil
	})
	handle(s, d, tg.AuthRecoverPasswordRequestTypeID, "auth.recoverPassword", func(k *key, r *tg.AuthRecoverPasswordRequest) (bin.Encoder, error) {
		u := s.users[k.pending]
		switch {
		case u == nil || u.RecoveryEmail == "":
			return nil, tgerr.New(400, "PASSWORD_RECOVERY_NA")
		case r.Code == "":
			return nil, tgerr.New(400, "CODE_EMPTY")
		case r.Code != u.RecoveryCode:
			return nil, tgerr.New(400, "CODE_INVALID")
		}
		u.Password, u.ver, u.RecoveryEmail = "", nil, ""
		k.user, k.pending, k.srpB = k.pending, 0, nil
		return &tg.AuthAuthorization{User: u.tg(true)}, nil
	})
	handle(s, d, tg.AuthCheckPasswordRequestTypeID, "auth.checkPassword", func(k *key, r *tg.AuthCheckPasswordRequest) (bin.Encoder, error) {
		in, ok := r.Password.(*tg.InputCheckPasswordSRP)
		if !ok || k.srpB == nil || k.pending == 0 || in.SRPID != k.srpB.id {
			return nil, tgerr.New(400, "SRP_ID_INVALID")
		}
		if !k.srpB.check(in.A, in.M1) {
			return nil, tgerr.New(400, "PASSWORD_HASH_INVALID")
		}
		k.user, k.pending, k.srpB = k.pending, 0, nil
		return &tg.AuthAuthorization{User: s.users[k.user].tg(true)}, nil
	})
	handle(s, d, tg.AuthExportLoginTokenRequestTypeID, "auth.exportLoginToken", func(k *key, _ *tg.AuthExportLoginTokenRequest) (bin.Encoder, error) {
		if s.FloodWait > 0 && k.scanned == 0 {
			return nil, tgerr.New(420, "FLOOD_WAIT_"+itoa(s.FloodWait))
		}
		if k.scanned != 0 {
			u := s.users[k.scanned]
			if u.Password != "" && k.user == 0 {
				k.pending = u.ID
				return nil, tgerr.New(401, "SESSION_PASSWORD_NEEDED")
			}
			k.user = u.ID
			return &tg.AuthLoginTokenSuccess{Authorization: &tg.AuthAuthorization{User: u.tg(true)}}, nil
		}
		k.token = randomBytes(16)
		s.tokens[string(k.token)] = k
		ttl := s.QRTokenTTL
		if ttl == 0 {
			ttl = 30
		}
		return &tg.AuthLoginToken{Token: k.token, Expires: now() + ttl}, nil
	})
	handle(s, d, tg.UsersGetUsersRequestTypeID, "users.getUsers", func(k *key, r *tg.UsersGetUsersRequest) (bin.Encoder, error) {
		me, err := s.self(k)
		if err != nil {
			return nil, err
		}
		var out []tg.UserClass
		for _, in := range r.ID {
			switch in := in.(type) {
			case *tg.InputUserSelf:
				out = append(out, me.tg(true))
			case *tg.InputUser:
				if u := s.users[in.UserID]; u != nil {
					out = append(out, u.tg(u.ID == me.ID))
				}
			}
		}
		return &tg.UserClassVector{Elems: out}, nil
	})
	handle(s, d, tg.AuthLogOutRequestTypeID, "auth.logOut", func(k *key, _ *tg.AuthLogOutRequest) (bin.Encoder, error) {
		k.user = 0
		return &tg.AuthLoggedOut{}, nil
	})
	handle(s, d, tg.UpdatesGetStateRequestTypeID, "updates.getState", func(k *key, _ *tg.UpdatesGetStateRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		b := s.boxOf(k.user)
		return &tg.UpdatesState{Pts: b.pts, Date: now(), Seq: 0, Qts: 0}, nil
	})
	handle(s, d, tg.UpdatesGetDifferenceRequestTypeID, "updates.getDifference", func(k *key, r *tg.UpdatesGetDifferenceRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		b := s.boxOf(k.user)
		long := s.tooLong(k.user, r.Date)
		// As Telegram: the updates of no pts since the state's date
		// (recordNoPts; the same second too, as dates are in seconds),
		// even when the pts did not move.
		since := func(e entry) bool { return e.noPts && e.date >= r.Date }
		if r.Pts >= b.pts && len(long) == 0 && !slices.ContainsFunc(b.log, since) {
			return &tg.UpdatesDifferenceEmpty{Date: now(), Seq: 0}, nil
		}
		if s.diffTooLong > 0 && b.pts-r.Pts > s.diffTooLong {
			return &tg.UpdatesDifferenceTooLong{Pts: b.pts}, nil
		}
		out := &tg.UpdatesDifference{Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), State: tg.UpdatesState{Pts: b.pts, Date: now()},
			OtherUpdates: long}
		for _, e := range b.log {
			if e.noPts && !since(e) || !e.noPts && e.pts <= r.Pts {
				continue
			}
			if nm, ok := e.u.(*tg.UpdateNewMessage); ok {
				// As Telegram: the message as it is now (edited since).
				m := nm.Message
				if cur := b.msgs[m.GetID()]; cur != nil {
					m = cur
				}
				out.NewMessages = append(out.NewMessages, m)
				if e.rid != 0 && s.diffMessageIDs {
					out.OtherUpdates = append(out.OtherUpdates, &tg.UpdateMessageID{ID: nm.Message.GetID(), RandomID: e.rid})
				}
				continue
			}
			out.OtherUpdates = append(out.OtherUpdates, e.u)
		}
		return out, nil
	})
	handle(s, d, tg.ContactsGetContactsRequestTypeID, "contacts.getContacts", func(k *key, _ *tg.ContactsGetContactsRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		out := &tg.ContactsContacts{}
		for _, id := range s.contacts[k.user] {
			out.Contacts = append(out.Contacts, tg.Contact{UserID: id, Mutual: true})
			out.Users = append(out.Users, s.users[id].tg(false))
		}
		out.SavedCount = len(out.Contacts)
		return out, nil
	})
	handle(s, d, tg.MessagesGetDialogsRequestTypeID, "messages.getDialogs", func(k *key, r *tg.MessagesGetDialogsRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		return s.dialogPage(k.user, r), nil
	})
	handle(s, d, tg.MessagesGetFullChatRequestTypeID, "messages.getFullChat", func(k *key, r *tg.MessagesGetFullChatRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		g := s.groups[r.ChatID]
		if g == nil || !slices.Contains(g.Members, k.user) {
			return nil, tgerr.New(400, "CHAT_ID_INVALID")
		}
		ps := &tg.ChatParticipants{ChatID: g.ID, Version: 1}
		for _, m := range g.Members {
			switch {
			case m == g.Creator:
				ps.Participants = append(ps.Participants, &tg.ChatParticipantCreator{UserID: m})
			case slices.Contains(g.Admins, m):
				ps.Participants = append(ps.Participants, &tg.ChatParticipantAdmin{UserID: m, InviterID: g.Creator, Date: 1})
			default:
				ps.Participants = append(ps.Participants, &tg.ChatParticipant{UserID: m, InviterID: g.Creator, Date: 1})
			}
		}
		peer := &tg.PeerChat{ChatID: g.ID}
		full := &tg.ChatFull{ID: g.ID, About: g.About, Participants: ps, ChatPhoto: s.photo(g.photoID),
			ExportedInvite: exportedInvite(g.InviteHash, g.InviteExpired, g.Creator, g.Admins, k.user),
			TTLPeriod:      s.ttls[ttlKey(k.user, peer)], PinnedMsgID: s.lastPin(k.user, peer)}
		full.RequestsPending, full.RecentRequesters = g.asking().fullPending(k.user) // joinrequests.go
		full.SetFlags()
		return &tg.MessagesChatFull{FullChat: full, Chats: []tg.ChatClass{g.tg(k.user)}, Users: s.usersFor(k.user)}, nil
	})
	handle(s, d, tg.MessagesGetHistoryRequestTypeID, "messages.getHistory", func(k *key, r *tg.MessagesGetHistoryRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		want := peerKey(s.peerOf(k.user, r.Peer))
		if p, ok := s.peerOf(k.user, r.Peer).(*tg.PeerChannel); ok {
			c := s.channels[p.ChannelID]
			if c == nil || !slices.Contains(c.Members, k.user) {
				return nil, tgerr.New(400, "CHANNEL_INVALID")
			}
			out := &tg.MessagesChannelMessages{Count: len(c.msgs), Pts: c.pts, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user)}
			for id := c.next - 1; id > 0 && (r.Limit == 0 || len(out.Messages) < r.Limit); id-- {
				if id <= r.MinID {
					break // min_id: only newer messages
				}
				if m := c.msgs[id]; m != nil && (r.OffsetID == 0 || id < r.OffsetID) {
					out.Messages = append(out.Messages, view(m, k.user))
				}
			}
			return out, nil
		}
		b := s.boxOf(k.user)
		var all []*tg.Message
		count := 0
		for _, m := range b.msgs {
			if peerKey(m.PeerID) != want {
				continue
			}
			count++ // Telegram's count is the chat's, whatever the offset
			if (r.OffsetID == 0 || m.ID < r.OffsetID) && m.ID > r.MinID {
				all = append(all, m)
			}
		}
		sort.Slice(all, func(i, j int) bool { return all[i].ID > all[j].ID })
		if r.Limit > 0 && len(all) > r.Limit {
			all = all[:r.Limit]
		}
		out := &tg.MessagesMessagesSlice{Count: count, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user)}
		for _, m := range all {
			out.Messages = append(out.Messages, m)
		}
		return out, nil
	})
	handle(s, d, tg.MessagesSendMessageRequestTypeID, "messages.sendMessage", func(k *key, r *tg.MessagesSendMessageRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		if utf16Len(strings.TrimSpace(r.Message)) > MessageMax {
			return nil, tgerr.New(400, "MESSAGE_TOO_LONG")
		}
		reply, top := replyOf(r.ReplyTo)
		answer, err := s.deliver(k.user, s.peerOf(k.user, r.Peer), r.Message, msgOpts{ents: r.Entities, reply: reply, topic: top}, r.RandomID)
		if err != nil {
			return nil, err
		}
		return s.shortSentAnswer(answer), nil
	})
	handle(s, d, tg.UploadSaveFilePartRequestTypeID, "upload.saveFilePart", func(k *key, r *tg.UploadSaveFilePartRequest) (bin.Encoder, error) {
		s.savePart(r.FileID, r.FilePart, r.Bytes)
		return &tg.BoolTrue{}, nil
	})
	handle(s, d, tg.UploadSaveBigFilePartRequestTypeID, "upload.saveBigFilePart", func(k *key, r *tg.UploadSaveBigFilePartRequest) (bin.Encoder, error) {
		s.savePart(r.FileID, r.FilePart, r.Bytes)
		return &tg.BoolTrue{}, nil
	})
	handle(s, d, tg.MessagesSendMediaRequestTypeID, "messages.sendMedia", func(k *key, r *tg.MessagesSendMediaRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		if utf16Len(r.Message) > CaptionMax {
			return nil, tgerr.New(400, "MEDIA_CAPTION_TOO_LONG")
		}
		media, err := s.mediaOf(r.Media)
		if err != nil {
			return nil, err
		}
		reply, top := replyOf(r.ReplyTo)
		return s.deliver(k.user, s.peerOf(k.user, r.Peer), r.Message, msgOpts{ents: r.Entities, media: media, reply: reply, topic: top}, r.RandomID)
	})
	handle(s, d, tg.UploadGetFileRequestTypeID, "upload.getFile", func(k *key, r *tg.UploadGetFileRequest) (bin.Encoder, error) {
		var id int64
		switch l := r.Location.(type) {
		case *tg.InputDocumentFileLocation:
			id = l.ID
		case *tg.InputPhotoFileLocation:
			id = l.ID
		}
		data, ok := s.media[id]
		if !ok {
			return nil, tgerr.New(400, "FILE_ID_INVALID")
		}
		if ref, ok := s.fileRefs[id]; ok && string(fileReference(r.Location)) != string(*ref) {
			return nil, tgerr.New(400, "FILE_REFERENCE_EXPIRED")
		}
		off := min(int(r.Offset), len(data))
		end := min(off+r.Limit, len(data))
		return &tg.UploadFile{Type: &tg.StorageFileUnknown{}, Mtime: now(), Bytes: data[off:end]}, nil
	})
	handle(s, d, tg.MessagesEditMessageRequestTypeID, "messages.editMessage", func(k *key, r *tg.MessagesEditMessageRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		if in, ok := r.Media.(*tg.InputMediaPoll); ok {
			return s.closePoll(k, r, in) // polls.go
		}
		m := s.boxOf(k.user).msgs[r.ID]
		if m == nil || !m.Out {
			return nil, tgerr.New(400, "MESSAGE_ID_INVALID")
		}
		if p, ok := m.PeerID.(*tg.PeerUser); (!ok || p.UserID != k.user) && m.Date < now()-EditTimeLimit {
			// As Telegram (its config's edit_time_limit), but in
			// Saved Messages, where there is none.
			return nil, tgerr.New(400, "MESSAGE_EDIT_TIME_EXPIRED")
		}
		if r.Message == m.Message && len(r.Entities) == 0 && len(m.Entities) == 0 {
			return nil, tgerr.New(400, "MESSAGE_NOT_MODIFIED") // as Telegram: nothing changes
		}
		var mine tg.UpdateClass
		for owner, id := range s.links[s.boxOf(k.user).gids[r.ID]] {
			om := s.boxOf(owner).msgs[id]
			if om == nil {
				continue
			}
			cp := *om
			cp.Message, cp.Entities, cp.EditDate = r.Message, r.Entities, now()
			cp.SetFlags()
			s.boxOf(owner).msgs[id] = &cp
			u := &tg.UpdateEditMessage{Message: &cp}
			s.record(owner, u)
			if owner == k.user {
				mine = u
				continue
			}
			s.push(owner, u)
		}
		return &tg.Updates{Updates: []tg.UpdateClass{mine}, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}, nil
	})
	handle(s, d, tg.MessagesDeleteMessagesRequestTypeID, "messages.deleteMessages", func(k *key, r *tg.MessagesDeleteMessagesRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		pts, count := 0, 0
		for _, id := range r.ID {
			gid := s.boxOf(k.user).gids[id]
			for owner, oid := range s.links[gid] {
				if owner != k.user && !r.Revoke {
					continue
				}
				delete(s.boxOf(owner).msgs, oid)
				u := &tg.UpdateDeleteMessages{Messages: []int{oid}}
				p := s.record(owner, u)
				if owner == k.user {
					pts, count = p, count+1
					continue
				}
				s.push(owner, u)
			}
		}
		return &tg.MessagesAffectedMessages{Pts: pts, PtsCount: max(count, 1)}, nil
	})
	handle(s, d, tg.MessagesReadHistoryRequestTypeID, "messages.readHistory", func(k *key, r *tg.MessagesReadHistoryRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		pts, _ := s.readHistory(k.user, s.peerOf(k.user, r.Peer), r.MaxID)
		return &tg.MessagesAffectedMessages{Pts: pts, PtsCount: 1}, nil
	})
	handle(s, d, tg.MessagesSetTypingRequestTypeID, "messages.setTyping", func(k *key, r *tg.MessagesSetTypingRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		if p, ok := s.peerOf(k.user, r.Peer).(*tg.PeerUser); ok {
			s.push(p.UserID, &tg.UpdateUserTyping{UserID: k.user, Action: r.Action})
		}
		s.typing = append(s.typing, Typing{From: k.user, Peer: s.peerOf(k.user, r.Peer), Action: r.Action, TopMsgID: r.TopMsgID})
		return &tg.BoolTrue{}, nil
	})
	handle(s, d, tg.UsersGetFullUserRequestTypeID, "users.getFullUser", func(k *key, r *tg.UsersGetFullUserRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		in, ok := r.ID.(*tg.InputUser)
		if !ok || s.users[in.UserID] == nil {
			return nil, tgerr.New(400, "USER_ID_INVALID")
		}
		u := s.users[in.UserID]
		full := tg.UserFull{ID: in.UserID, Settings: tg.PeerSettings{}, NotifySettings: tg.PeerNotifySettings{}}
		if u.photoID != 0 {
			full.ProfilePhoto = &tg.Photo{ID: u.photoID, AccessHash: u.photoID, FileReference: []byte("ref"), Date: 1, DCID: DC,
				Sizes: []tg.PhotoSizeClass{&tg.PhotoSize{Type: "a", W: 160, H: 160, Size: len(s.media[u.photoID])}}}
		}
		// The chat's timer and last pin, as the asking user sees them.
		peer := &tg.PeerUser{UserID: in.UserID}
		full.TTLPeriod = s.ttls[ttlKey(k.user, peer)]
		full.PinnedMsgID = s.lastPin(k.user, peer) // pins.go
		full.SetFlags()
		return &tg.UsersUserFull{FullUser: full, Users: []tg.UserClass{u.tg(in.UserID == k.user)}}, nil
	})
	// A group's or channel's description; the one it has already is
	// refused, as Telegram does (CHAT_ABOUT_NOT_MODIFIED).
	handle(s, d, tg.MessagesEditChatAboutRequestTypeID, "messages.editChatAbout", func(k *key, r *tg.MessagesEditChatAboutRequest) (bin.Encoder, error) {
		about := func(cur *string) (bin.Encoder, error) {
			if *cur == r.About {
				return nil, tgerr.New(400, "CHAT_ABOUT_NOT_MODIFIED")
			}
			*cur = r.About
			return &tg.BoolTrue{}, nil
		}
		if p, ok := r.Peer.(*tg.InputPeerChannel); ok {
			c, err := s.channelOf(k, &tg.InputChannel{ChannelID: p.ChannelID, AccessHash: p.AccessHash})
			if err != nil {
				return nil, err
			}
			return about(&c.About)
		}
		g, err := s.groupOf(k, r.Peer)
		if err != nil {
			return nil, err
		}
		return about(&g.About)
	})
	handle(s, d, tg.MessagesDeleteChatUserRequestTypeID, "messages.deleteChatUser", func(k *key, r *tg.MessagesDeleteChatUserRequest) (bin.Encoder, error) {
		g, err := s.groupOf(k, &tg.InputPeerChat{ChatID: r.ChatID})
		if err != nil {
			return nil, err
		}
		who := k.user
		if in, ok := r.UserID.(*tg.InputUser); ok {
			who = in.UserID
		}
		if !slices.Contains(g.Members, who) {
			return nil, tgerr.New(400, "USER_NOT_PARTICIPANT")
		}
		g.Members = slices.DeleteFunc(g.Members, func(m int64) bool { return m == who })
		return &tg.Updates{Date: now()}, nil
	})
	handle(s, d, tg.AccountUpdateStatusRequestTypeID, "account.updateStatus", func(k *key, r *tg.AccountUpdateStatusRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		s.online[k.user] = !r.Offline
		return &tg.BoolTrue{}, nil
	})
	handle(s, d, tg.MessagesSendReactionRequestTypeID, "messages.sendReaction", func(k *key, r *tg.MessagesSendReactionRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		var emojis []string
		for _, rc := range r.Reaction {
			if e, ok := rc.(*tg.ReactionEmoji); ok {
				if strings.ContainsRune(e.Emoticon, '\uFE0F') {
					// Telegram's reactions are written without
					// variation selectors ("❤", not "❤️"): any other
					// is no reaction it has.
					return nil, tgerr.New(400, "REACTION_INVALID")
				}
				emojis = append(emojis, e.Emoticon)
			}
			if ce, ok := rc.(*tg.ReactionCustomEmoji); ok {
				emojis = append(emojis, CustomReaction(ce.DocumentID))
			}
		}
		gid := s.boxOf(k.user).gids[r.MsgID]
		if gid == 0 {
			return nil, tgerr.New(400, "MESSAGE_ID_INVALID")
		}
		if me, _ := s.self(k); len(emojis) > s.reactionsMax(me.Premium) {
			return nil, tgerr.New(400, "REACTIONS_TOO_MANY")
		}
		mine := s.react(k.user, gid, emojis)
		return &tg.Updates{Updates: []tg.UpdateClass{mine}, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}, nil
	})
}

// Typing is a typing notification a client sent.
type Typing struct {
	From   int64
	Peer   tg.PeerClass
	Action tg.SendMessageActionClass
	// TopMsgID is the forum topic typed in (0 = none, or General).
	TopMsgID int
}

func itoa(n int) string { return strconvItoa(n) }

func peerKey(p tg.PeerClass) string {
	switch p := p.(type) {
	case *tg.PeerUser:
		return "u" + strconvItoa64(p.UserID)
	case *tg.PeerChat:
		return "c" + strconvItoa64(p.ChatID)
	case *tg.PeerChannel:
		return "ch" + strconvItoa64(p.ChannelID)
	}
	return ""
}

// peerOf is the peer a user names.
func (s *Server) peerOf(self int64, in tg.InputPeerClass) tg.PeerClass {
	switch in := in.(type) {
	case *tg.InputPeerSelf:
		return &tg.PeerUser{UserID: self}
	case *tg.InputPeerUser:
		return &tg.PeerUser{UserID: in.UserID}
	case *tg.InputPeerChat:
		return &tg.PeerChat{ChatID: in.ChatID}
	case *tg.InputPeerChannel:
		return &tg.PeerChannel{ChannelID: in.ChannelID}
	}
	return &tg.PeerUser{}
}

func (s *Server) savePart(id int64, part int, b []byte) {
	if s.files[id] == nil {
		s.files[id] = map[int][]byte{}
	}
	s.files[id][part] = append([]byte(nil), b...)
}

// assemble joins an uploaded file's parts.
func (s *Server) assemble(f tg.InputFileClass) ([]byte, string, bool) {
	var id int64
	var name string
	switch f := f.(type) {
	case *tg.InputFile:
		id, name = f.ID, f.Name
	case *tg.InputFileBig:
		id, name = f.ID, f.Name
	}
	parts, ok := s.files[id]
	if !ok {
		return nil, "", false
	}
	var out []byte
	for i := 0; i < len(parts); i++ {
		out = append(out, parts[i]...)
	}
	return out, name, true
}

// PhotoMax is the largest file Telegram takes as a photo (10 MB); a
// bigger one is refused (PHOTO_SAVE_FILE_INVALID), as Telegram does.
const PhotoMax = 10 << 20

// photoFits refuses, as Telegram does, a photo over PhotoMax, and one
// whose picture (when the fake can read it) is longer than 20 times its
// width, or wider than 20 times its height, or whose sides add up to
// more than 10,000 pixels (PHOTO_INVALID_DIMENSIONS).
func photoFits(data []byte) error {
	if len(data) > PhotoMax {
		return tgerr.New(400, "PHOTO_SAVE_FILE_INVALID")
	}
	c, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || c.Width <= 0 || c.Height <= 0 {
		return nil
	}
	if c.Width > 20*c.Height || c.Height > 20*c.Width || c.Width+c.Height > 10000 {
		return tgerr.New(400, "PHOTO_INVALID_DIMENSIONS")
	}
	return nil
}

// mediaOf makes the message media of an upload.
func (s *Server) mediaOf(in tg.InputMediaClass) (tg.MessageMediaClass, error) {
	switch in := in.(type) {
	case *tg.InputMediaUploadedPhoto:
		data, _, ok := s.assemble(in.File)
		if !ok {
			return nil, tgerr.New(400, "FILE_PARTS_INVALID")
		}
		if err := photoFits(data); err != nil {
			return nil, err
		}
		id := int64(len(s.media) + 1000)
		s.media[id] = data
		p := &tg.Photo{ID: id, AccessHash: id, FileReference: []byte("ref"), Date: now(), DCID: DC,
			Sizes: []tg.PhotoSizeClass{&tg.PhotoSize{Type: "y", W: 800, H: 600, Size: len(data)}}}
		return &tg.MessageMediaPhoto{Photo: p, Spoiler: in.Spoiler}, nil
	case *tg.InputMediaUploadedDocument:
		data, name, ok := s.assemble(in.File)
		if !ok {
			return nil, tgerr.New(400, "FILE_PARTS_INVALID")
		}
		id := int64(len(s.media) + 1000)
		s.media[id] = data
		attrs := in.Attributes
		if name != "" && !slices.ContainsFunc(attrs, func(a tg.DocumentAttributeClass) bool { _, ok := a.(*tg.DocumentAttributeFilename); return ok }) {
			attrs = append(attrs, &tg.DocumentAttributeFilename{FileName: name})
		}
		doc := &tg.Document{ID: id, AccessHash: id, FileReference: []byte("ref"), Date: now(), MimeType: in.MimeType,
			Size: int64(len(data)), DCID: DC, Attributes: attrs}
		return &tg.MessageMediaDocument{Document: doc, Spoiler: in.Spoiler}, nil
	case *tg.InputMediaGeoPoint:
		p, ok := in.GeoPoint.(*tg.InputGeoPoint)
		if !ok {
			return nil, tgerr.New(400, "MEDIA_INVALID")
		}
		g := &tg.GeoPoint{Lat: p.Lat, Long: p.Long, AccessHash: 1}
		if r, ok := p.GetAccuracyRadius(); ok {
			g.SetAccuracyRadius(r)
		}
		return &tg.MessageMediaGeo{Geo: g}, nil
	case *tg.InputMediaPoll:
		return s.sentPoll(in)
	}
	return nil, tgerr.New(400, "MEDIA_INVALID")
}

// AddMedia stores a file the server can serve, as a document of the given
// type; the returned media goes into a message.
func (s *Server) AddMedia(data []byte, mime string, attrs ...tg.DocumentAttributeClass) tg.MessageMediaClass {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := int64(len(s.media) + 1000)
	s.media[id] = data
	if mime == "image/jpeg" && len(attrs) == 0 {
		p := &tg.Photo{ID: id, AccessHash: id, FileReference: []byte("ref"), Date: now(), DCID: DC,
			Sizes: []tg.PhotoSizeClass{&tg.PhotoSize{Type: "y", W: 640, H: 480, Size: len(data)}}}
		s.fileRefs[id] = &p.FileReference
		return &tg.MessageMediaPhoto{Photo: p}
	}
	d := &tg.Document{ID: id, AccessHash: id, FileReference: []byte("ref"), Date: now(),
		MimeType: mime, Size: int64(len(data)), DCID: DC, Attributes: attrs}
	s.fileRefs[id] = &d.FileReference
	return &tg.MessageMediaDocument{Document: d}
}

// ExpireFileReferences gives every photo and document of AddMedia a new
// file reference, as Telegram's expire after a while: a download with
// the one a message carried before fails with FILE_REFERENCE_EXPIRED,
// and the messages, asked for again (messages.getMessages,
// channels.getMessages, the history), carry the new one.
func (s *Server) ExpireFileReferences() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, ref := range s.fileRefs {
		*ref = []byte("ref-" + strconvItoa64(id) + "-" + strconvItoa(len(*ref)))
	}
}

// fileReference is the file reference a download's location gives.
func fileReference(l tg.InputFileLocationClass) []byte {
	switch l := l.(type) {
	case *tg.InputDocumentFileLocation:
		return l.FileReference
	case *tg.InputPhotoFileLocation:
		return l.FileReference
	}
	return nil
}

// Media is the bytes of a photo or document.
func (s *Server) Media(m tg.MessageMediaClass) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch m := m.(type) {
	case *tg.MessageMediaPhoto:
		if p, ok := m.Photo.(*tg.Photo); ok {
			return s.media[p.ID]
		}
	case *tg.MessageMediaDocument:
		if d, ok := m.Document.(*tg.Document); ok {
			return s.media[d.ID]
		}
	}
	return nil
}

// QRToken is the token a device shows, from its tg://login?token= URL.
func QRToken(url string) ([]byte, bool) {
	_, t, ok := strings.Cut(url, "token=")
	if !ok {
		return nil, false
	}
	b, err := base64.URLEncoding.DecodeString(t)
	return b, err == nil
}

// ScanQR is a phone of user scanning the QR code showing url: the device
// showing it gets updateLoginToken, and its next exportLoginToken
// succeeds (or asks for the 2FA password).
func (s *Server) ScanQR(user int64, url string) bool {
	tok, ok := QRToken(url)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.tokens[string(tok)]
	if k == nil {
		return false
	}
	k.scanned = user
	for _, ss := range k.sessions {
		_ = ss
	}
	s.pushKey(k, &tg.UpdateLoginToken{})
	return true
}

// groupOf is the basic group a member names.
func (s *Server) groupOf(k *key, in tg.InputPeerClass) (*Group, error) {
	if _, err := s.self(k); err != nil {
		return nil, err
	}
	p, ok := in.(*tg.InputPeerChat)
	if !ok {
		return nil, tgerr.New(400, "PEER_ID_INVALID")
	}
	g := s.groups[p.ChatID]
	if g == nil || !slices.Contains(g.Members, k.user) {
		return nil, tgerr.New(400, "CHAT_ID_INVALID")
	}
	return g, nil
}

// GroupInfo is a copy of a group as the server has it.
func (s *Server) GroupInfo(id int64) Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := *s.groups[id]
	g.Members, g.Admins, g.Requests = slices.Clone(g.Members), slices.Clone(g.Admins), slices.Clone(g.Requests)
	return g
}

// CaptionMax is the longest caption Telegram takes with a file, in
// UTF-16 code units (its config's caption_length_limit_default; more
// for a Premium account, which the fake has none of): a longer one is
// MEDIA_CAPTION_TOO_LONG.
const CaptionMax = 1024

// MessageMax is the longest text Telegram takes in a message, in UTF-16
// code units once trimmed (its config's message_length_max): a longer
// one is MESSAGE_TOO_LONG.
const MessageMax = 4096

// EditTimeLimit is how long after it was sent Telegram lets its sender
// edit a message (its config's edit_time_limit, 48 h), in seconds; a
// message of Saved Messages has no limit.
const EditTimeLimit = 48 * 3600
