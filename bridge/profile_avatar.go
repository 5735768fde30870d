package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// The user's XMPP avatar as their profile picture on the network, when
// they ask for it (the "profile-picture" command; off by default: a
// network's profile picture is seen by everyone there). XEP-0153: each
// presence of the user's carries vcard-temp:x:update's photo, the SHA-1
// of their avatar (Prosody's mod_vcard_legacy adds it from the XEP-0084
// avatar, so clients of either kind are covered). When it differs from
// the one last set on the network, the gateway fetches the user's
// vCard-temp from their server and sets its PHOTO there (SetProfileAvatar);
// a vCard without one removes the picture the gateway had set. The vCard,
// not the presence, is the truth: a presence only says when to look.

// noteOwnAvatar looks at an available presence of the user's to the
// gateway for a change of their avatar.
func (s *session) noteOwnAvatar(st *wire.Stanza) {
	x := st.Child(nsVCardPhoto, "x")
	if x == nil {
		return
	}
	photo := x.Child("", "photo")
	if photo == nil {
		return // XEP-0153: the client is not ready to say
	}
	hash := strings.ToLower(strings.TrimSpace(photo.Text))
	s.mu.Lock()
	if !s.login.ShareAvatar {
		s.mu.Unlock()
		return
	}
	if hash == s.login.SharedAvatar {
		// While a picture is being set, the hash noted is still the one
		// before it: a presence naming that one (the new picture taken
		// back) makes the sync look again once the set is done, from the
		// vCard, without marking the hash tried.
		syncing := s.avatarSyncing
		s.mu.Unlock()
		if syncing {
			s.syncOwnAvatar()
		}
		return
	}
	// A hash already tried is not tried again: a picture the network
	// refused is not sent (and its refusal told) at every presence.
	tried := s.avatarTried != nil && *s.avatarTried == hash
	s.avatarTried = &hash
	s.mu.Unlock()
	if tried {
		return
	}
	s.t.log.Debug("the user's avatar changed", "user", s.user, "hash", hash)
	s.syncOwnAvatar()
}

// syncOwnAvatar sets the user's avatar as their profile picture on the
// network, in the background. One sync runs at a time per session; a
// call meanwhile makes it look once more when it ends.
func (s *session) syncOwnAvatar() {
	if !s.features().GetProfileAvatar() {
		return
	}
	s.mu.Lock()
	if s.avatarSyncing {
		s.avatarAgain = true
		s.mu.Unlock()
		return
	}
	s.avatarSyncing = true
	s.mu.Unlock()
	ctx := s.t.in.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	s.t.goBg(func() {
		for {
			if err := s.shareOwnAvatar(ctx); err != nil && ctx.Err() == nil {
				s.t.log.Warn("avatar not set as the profile picture", "user", s.user, "err", err)
				s.t.send(ctx, s.t.chat(s.user, sentence("Your avatar could not be set as your "+s.t.displayName()+" profile picture: "+errText(err))))
			}
			s.mu.Lock()
			again := s.avatarAgain && ctx.Err() == nil
			s.avatarAgain, s.avatarSyncing = false, again
			s.mu.Unlock()
			if !again {
				return
			}
		}
	})
}

// shareOwnAvatar fetches the user's vCard and sets its picture on the
// network unless it is already the one there.
func (s *session) shareOwnAvatar(ctx context.Context) error {
	t := s.t
	data, mime, err := s.ownVCardPhoto(ctx)
	if err != nil {
		return err
	}
	hash := pictureHash(data)
	l := s.Login()
	if !l.ShareAvatar || hash == l.SharedAvatar {
		return nil
	}
	t.log.Debug("setting the avatar as the profile picture", "user", s.user, "hash", hash, "bytes", len(data))
	res := make(chan *pb.CommandResult, 1)
	t.host.Send(&pb.Command{LoginId: l.LoginID, Action: &pb.Command_SetProfileAvatar{
		SetProfileAvatar: &pb.SetProfileAvatar{Data: data, MimeType: mime}}},
		func(r *pb.CommandResult) { res <- r })
	var r *pb.CommandResult
	select {
	case r = <-res:
	case <-ctx.Done():
		return ctx.Err()
	}
	if r.Error != nil {
		return errors.New(r.Error.Text)
	}
	if err := t.db.SetAvatarSharing(ctx, t.name, s.user, true, hash); err != nil {
		return gatewayFault("the gateway could not store it", err)
	}
	s.mu.Lock()
	s.login.SharedAvatar = hash
	s.mu.Unlock()
	t.log.Info("avatar set as the profile picture", "user", s.user, "hash", hash, "bytes", len(data))
	return nil
}

// ownVCardPhoto is the picture of the user's vCard-temp, as their server
// gives it to the gateway (which sees it with the presence subscription
// XEP-0100 asks for); none when the vCard has no PHOTO.
func (s *session) ownVCardPhoto(ctx context.Context) ([]byte, string, error) {
	t := s.t
	id := t.link.NewID()
	var w wire.Writer
	w.Start("iq", "").Attr("from", t.domain).Attr("to", s.user).Attr("type", "get").Attr("id", id).Leaf("vCard", nsVCard, "")
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	st, err := t.link.IQ(cctx, id, w.Bytes())
	cancel()
	if err != nil {
		return nil, "", fmt.Errorf("your server did not give your vCard: %w", err)
	}
	switch st.Type() {
	case "result":
	case "error":
		cond, text := st.ErrorCondition()
		if cond == string(wire.ItemNotFound) {
			return nil, "", nil // no vCard: no avatar
		}
		return nil, "", fmt.Errorf("your server did not give your vCard (%s %s)", cond, text)
	default:
		return nil, "", fmt.Errorf("your server answered the vCard request with a %q", st.Type())
	}
	v := st.Child(nsVCard, "vCard")
	if v == nil {
		return nil, "", nil
	}
	data, mime, _, text := vcardPicture(v)
	if text != "" {
		return nil, "", errors.New(text)
	}
	return data, mime, nil
}

// cmdProfilePicture is the ad-hoc command that turns sharing the user's
// avatar as their profile picture on or off. Turning it on sets the
// avatar at once; off leaves the network's picture as it is.
func (t *transport) cmdProfilePicture(ctx context.Context, st *wire.Stanza, user, sid string, sess *adhocSession, cmd *wire.Element) {
	const node = "profile-picture"
	s := t.session(user)
	switch {
	case !t.userFeatures(user).GetProfileAvatar():
		t.done(ctx, st, node, sid, "error", t.displayName()+" does not let the gateway set your profile picture.")
		return
	case s == nil:
		t.done(ctx, st, node, sid, "error", "You are not logged in to "+t.displayName()+".")
		return
	}
	l := s.Login()
	if sess == nil {
		sid := t.newID()
		t.adhoc.put(sid, &adhocSession{user: user, node: node, stage: "share"})
		r := cmdReply(st, node, sid, "executing")
		r.Start("actions", "").Attr("execute", "complete").Leaf("complete", "", "").End()
		r.Start("x", wire.NSData).Attr("type", "form").Leaf("title", "", "Profile picture").
			Leaf("instructions", "", "When on, your XMPP avatar is your profile picture on "+t.displayName()+
				", seen by everyone there, and follows its changes. Turning it off leaves the picture there as it is.")
		share := "0"
		if l.ShareAvatar {
			share = "1"
		}
		r.Start("field", "").Attr("var", "share").Attr("type", "boolean").
			Attr("label", "Use my XMPP avatar as my "+t.displayName()+" profile picture").Leaf("value", "", share).End()
		t.send(ctx, r.Bytes())
		return
	}
	t.adhoc.drop(sid)
	v, ok := formValues(cmd)["share"]
	share := v == "1" || v == "true"
	if !ok || !share && v != "0" && v != "false" {
		t.done(ctx, st, node, sid, "error", "Nothing changed: say whether to share your avatar (share: true or false).")
		return
	}
	if err := s.setShareAvatar(ctx, share); err != nil {
		t.done(ctx, st, node, sid, "error", "Nothing changed: the gateway could not store it.")
		return
	}
	if !share {
		t.done(ctx, st, node, sid, "info", "Your "+t.displayName()+" profile picture no longer follows your XMPP avatar.")
		return
	}
	s.syncOwnAvatar()
	t.done(ctx, st, node, sid, "info", "Your XMPP avatar is now your "+t.displayName()+" profile picture, and its changes follow.")
}

// setShareAvatar records the user's choice. Turned off, the hash of the
// picture set is forgotten: turned on again, the avatar is set anew, as
// the picture on the network may have changed meanwhile.
func (s *session) setShareAvatar(ctx context.Context, share bool) error {
	t := s.t
	l := s.Login()
	shared := l.SharedAvatar
	if !share {
		shared = ""
	}
	if err := t.db.SetAvatarSharing(ctx, t.name, s.user, share, shared); err != nil {
		t.log.Error("storing the avatar sharing failed", "user", s.user, "err", err)
		return err
	}
	s.mu.Lock()
	s.login.ShareAvatar, s.login.SharedAvatar = share, shared
	s.mu.Unlock()
	t.log.Info("avatar sharing", "user", s.user, "share", share)
	return nil
}
