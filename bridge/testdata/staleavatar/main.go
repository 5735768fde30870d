// Command staleavatar is a plugin whose one contact, "pic", removes its
// picture right after the gateway first fetched it, and the network does
// not say so (no new avatar ID, no event): the gateway's tests run it to
// check that a later fetch of the contact's profile (a vCard request)
// that finds no picture tells the user's clients, instead of leaving them
// the old one's hash.
package main

import (
	"context"
	"sync/atomic"

	"passerelle.im/passerelle/bridge/testdata/testplugin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() {
	sdk.Serve[*session](&network{Network: testplugin.Network{Caps: testplugin.Caps("staleavatar", "Stale avatar",
		&pb.Features{Presence: true, Avatars: true})}})
}

// Picture is the contact's picture until its first UserInfo.
var Picture = []byte("\x89PNG\r\n\x1a\n staleavatar's picture")

type network struct {
	testplugin.Network
	fetches atomic.Int32 // UserInfo calls so far
}

func (n *network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*session, error) {
	return &session{Session: n.Session(l), n: n}, nil
}

type session struct {
	testplugin.Session
	n *network
}

// ContactList is the one contact, online, under the avatar ID its picture
// had (the network does not change it).
func (*session) ContactList(context.Context) ([]*pb.Contact, error) {
	return []*pb.Contact{{UserId: "pic", Name: "Pic", AvatarId: "pic-v1",
		Presence: &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}}}, nil
}

// UserInfo has the picture the first time only.
func (s *session) UserInfo(_ context.Context, userID string) (*pb.Contact, error) {
	c := &pb.Contact{UserId: userID, Name: "Pic", AvatarId: "pic-v1"}
	if userID == "pic" && s.n.fetches.Add(1) == 1 {
		c.Avatar, c.AvatarMime = Picture, "image/png"
	}
	return c, nil
}
