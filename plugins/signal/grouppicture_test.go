package signal_test

import (
	"bytes"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// setPicture sends the plugin a SetChatAvatar command.
func (s *session) setPicture(chatID string, data []byte) *pb.CommandResult {
	s.t.Helper()
	return s.cmds.Send(&pb.Command{LoginId: s.loginID, ChatId: chatID, TxnId: s.txn(),
		Action: &pb.Command_SetAvatar{SetAvatar: &pb.SetChatAvatar{Data: data, MimeType: "image/png"}}})
}

// A group's picture set from XMPP (feature group_avatar): updateGroup's
// avatar, a 640-pixel square JPEG as a data URI, and the group's update
// telling the room the new picture's ID, as the user's; replaced, a new
// ID. signal-cli cannot remove a picture: UNSUPPORTED, the picture kept.
// Where only admins edit the group's details, a member is refused before
// signal-cli (NOT_ALLOWED); what is no picture, and a direct chat, are
// BAD_REQUEST.
func TestSetGroupPicture(t *testing.T) {
	d, gid := startFake(t)
	strict := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: strict, Name: "Strict", OnlyAdminsEdit: true,
		Members: []fakesignal.Member{{Number: bob, UUID: bobACI, Admin: true}, {Number: alice, UUID: aliceACI}}})
	s := newSession(t, d)
	group := hexGroup(gid)
	ctx, cancel := s.p.CallContext()
	defer cancel()

	set := func(data []byte) *pb.Chat {
		t.Helper()
		if res := s.setPicture(group, data); res.Error != nil {
			t.Fatalf("SetChatAvatar: %v", res.Error)
		}
		ev := s.next(func(ev *pb.Event) bool { return ev.ChatId == group && ev.GetChat().GetChat().GetAvatarId() != "" })
		if !ev.Sender.GetIsFromMe() {
			t.Errorf("the picture's news from %v, want the user", ev.Sender)
		}
		return ev.GetChat().Chat
	}
	first := set(plugintest.PNG(900, 1200, color.RGBA{G: 200, A: 255}))
	req, _ := lastRequest(d, "updateGroup")
	if v, _ := req.Params["avatar"].(string); !strings.HasPrefix(v, "data:image/jpeg;base64,") {
		t.Fatalf("updateGroup's avatar: %.40q; want a JPEG as a data URI", v)
	}
	g, _ := d.GetGroup(alice, gid)
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(g.Avatar)); err != nil || cfg.Width != 640 || cfg.Height != 640 {
		t.Fatalf("the group's picture on Signal: %dx%d %v; want a 640x640 JPEG", cfg.Width, cfg.Height, err)
	}
	c, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group, WithAvatar: true})
	if err != nil || !bytes.Equal(c.Avatar, g.Avatar) || c.NoAvatar {
		t.Fatalf("ChatInfo after: %d bytes, %v; want the picture set", len(c.GetAvatar()), err)
	}
	if second := set(plugintest.PNG(100, 100, color.White)); second.AvatarId == first.AvatarId {
		t.Errorf("the picture replaced kept its avatar_id %q", first.AvatarId)
	}

	// Refusals, none reaching signal-cli.
	asked := d.Calls("updateGroup")
	if res := s.setPicture(group, nil); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		t.Errorf("removing the picture: %v; want UNSUPPORTED", res)
	}
	if g2, _ := d.GetGroup(alice, gid); g2.Avatar == nil {
		t.Error("a refused removal removed the picture")
	}
	for chat, want := range map[string]pb.ErrorCode{
		hexGroup(strict): pb.ErrorCode_ERROR_CODE_NOT_ALLOWED,
		bob:              pb.ErrorCode_ERROR_CODE_BAD_REQUEST,
	} {
		if res := s.setPicture(chat, plugintest.PNG(10, 10, color.White)); res.Error.GetCode() != want {
			t.Errorf("%s: %v; want %v", chat, res, want)
		}
	}
	if res := s.setPicture(group, []byte("not a picture")); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("no picture: %v; want BAD_REQUEST", res)
	}
	if n := d.Calls("updateGroup"); n != asked {
		t.Errorf("%d refused pictures reached signal-cli", n-asked)
	}
}

// The user's own profile picture set from XMPP (feature profile_avatar):
// updateProfile's avatar, a 640-pixel square JPEG as a data URI; removed
// with removeAvatar; what is no picture is BAD_REQUEST before signal-cli.
func TestSetProfilePicture(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	set := func(data []byte) *pb.CommandResult {
		t.Helper()
		return s.cmds.Send(&pb.Command{LoginId: s.loginID, TxnId: s.txn(),
			Action: &pb.Command_SetProfileAvatar{SetProfileAvatar: &pb.SetProfileAvatar{Data: data, MimeType: "image/png"}}})
	}
	if res := set(plugintest.PNG(900, 1200, color.RGBA{B: 200, A: 255})); res.Error != nil {
		t.Fatalf("SetProfileAvatar: %v", res.Error)
	}
	req, _ := lastRequest(d, "updateProfile")
	if v, _ := req.Params["avatar"].(string); !strings.HasPrefix(v, "data:image/jpeg;base64,") {
		t.Fatalf("updateProfile's avatar: %.40q; want a JPEG as a data URI", v)
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(d.ProfileAvatar(alice))); err != nil || cfg.Width != 640 || cfg.Height != 640 {
		t.Fatalf("the profile picture on Signal: %dx%d %v; want a 640x640 JPEG", cfg.Width, cfg.Height, err)
	}
	asked := d.Calls("updateProfile")
	if res := set([]byte("no picture")); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("no picture: %v; want BAD_REQUEST", res)
	}
	if d.Calls("updateProfile") != asked || d.ProfileAvatar(alice) == nil {
		t.Error("a refused picture reached signal-cli")
	}
	if res := set(nil); res.Error != nil {
		t.Fatalf("removing: %v", res.Error)
	}
	if req, _ := lastRequest(d, "updateProfile"); req.Params["removeAvatar"] != true || d.ProfileAvatar(alice) != nil {
		t.Errorf("removal: %v; the picture is still there", req.Params)
	}
}
