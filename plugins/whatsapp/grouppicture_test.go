package whatsapp

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"testing"

	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A group's picture set from XMPP reaches WhatsApp as the square JPEG its
// apps send, and the room hears of the new picture; it can be removed;
// what is no picture, and a group whose info only admins may change,
// are refused with the reason.
func TestSetGroupPicture(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.SetGroup(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Friends"},
		Participants: []types.GroupParticipant{{JID: phone, PhoneNumber: phone}, {JID: bob, PhoneNumber: bob, IsAdmin: true}}})
	call := sdk.Call{ChatID: group.String()}
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 900, 700))); err != nil {
		t.Fatal(err)
	}

	from := r.host.count()
	if err := s.SetChatAvatar(ctx, call, &pb.SetChatAvatar{Data: b.Bytes(), MimeType: "image/png"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(fake.GroupPhoto(group)))
	if err != nil || cfg.Width != 640 || cfg.Height != 640 {
		t.Fatalf("WhatsApp got a %dx%d picture (%v), want a 640x640 JPEG", cfg.Width, cfg.Height, err)
	}
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetChat() != nil })
	if c := ev.GetChat().GetChat(); ev.ChatId != group.String() || c.AvatarId == "" || c.NoAvatar || len(c.Members) != 0 {
		t.Errorf("the room told %v, want the group with its new picture's ID", ev)
	}

	from = r.host.count()
	if err := s.SetChatAvatar(ctx, call, &pb.SetChatAvatar{}); err != nil {
		t.Fatal(err)
	}
	if fake.GroupPhoto(group) != nil {
		t.Error("the picture is still set")
	}
	if ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetChat() != nil }); !ev.GetChat().GetChat().NoAvatar {
		t.Errorf("the room told %v, want no picture", ev)
	}

	if err := s.SetChatAvatar(ctx, call, &pb.SetChatAvatar{Data: []byte("GIF89a, but no"), MimeType: "image/gif"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("a damaged picture: %v", err)
	}
	g := fake.Group(group)
	g.IsLocked = true
	fake.SetGroup(g)
	if err := s.SetChatAvatar(ctx, call, &pb.SetChatAvatar{Data: b.Bytes(), MimeType: "image/png"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Errorf("a locked group, not an admin: %v", err)
	}
	if err := s.SetChatAvatar(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.SetChatAvatar{}); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("a direct chat: %v", err)
	}
}

// The user's own profile picture set from XMPP reaches WhatsApp as the
// square JPEG its apps send (SetGroupPhoto without a group); it can be
// removed; what is no picture is refused with the reason.
func TestSetProfilePicture(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 900, 1200))); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProfileAvatar(ctx, &pb.SetProfileAvatar{Data: b.Bytes(), MimeType: "image/png"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(fake.ProfilePhoto()))
	if err != nil || cfg.Width != 640 || cfg.Height != 640 {
		t.Fatalf("WhatsApp got a %dx%d profile picture (%v), want a 640x640 JPEG", cfg.Width, cfg.Height, err)
	}
	if err := s.SetProfileAvatar(ctx, &pb.SetProfileAvatar{Data: []byte("\x89PNG, but no"), MimeType: "image/png"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("a damaged picture: %v", err)
	}
	if fake.ProfilePhoto() == nil {
		t.Error("a refused picture removed the one set")
	}
	if err := s.SetProfileAvatar(ctx, &pb.SetProfileAvatar{}); err != nil {
		t.Fatal(err)
	}
	if fake.ProfilePhoto() != nil {
		t.Error("the profile picture is still set")
	}
}
