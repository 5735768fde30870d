// Command flakyavatar is a plugin whose one contact, "pic", has a
// picture that the first process's UserInfo fails to give (a network
// that timed out): the gateway's tests run it to check that a failed
// fetch of a contact's avatar is tried again at the next contact sync,
// instead of being taken as done for that avatar ID.
package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"passerelle.im/passerelle/bridge/testdata/testplugin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() { sdk.Serve[*session](&network{}) }

// Picture is the contact's picture.
var Picture = []byte("\x89PNG\r\n\x1a\n flakyavatar's picture")

type network struct {
	testplugin.Network
	// failed marks, in the data folder, that a UserInfo failed once.
	failed string
}

func (n *network) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	n.Host, n.failed = host, filepath.Join(req.DataDir, "failed-once")
	return testplugin.Caps("flakyavatar", "Flaky avatar", &pb.Features{Presence: true, Avatars: true}), nil
}

func (n *network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*session, error) {
	return &session{Session: n.Session(l), n: n}, nil
}

type session struct {
	testplugin.Session
	n *network
}

// ContactList is the one contact, online, with its picture's ID.
func (*session) ContactList(context.Context) ([]*pb.Contact, error) {
	return []*pb.Contact{{UserId: "pic", Name: "Pic", AvatarId: "pic-v1",
		Presence: &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}}}, nil
}

// UserInfo fails the first time ever, then has the picture.
func (s *session) UserInfo(_ context.Context, userID string) (*pb.Contact, error) {
	if _, err := os.Stat(s.n.failed); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(s.n.failed, nil, 0o600); err != nil {
			return nil, err
		}
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the network timed out")
	}
	return &pb.Contact{UserId: userID, Name: "Pic", AvatarId: "pic-v1", Avatar: Picture, AvatarMime: "image/png"}, nil
}
