// Command countavatar is a plugin whose one contact, "pic", has a
// picture under the avatar ID in the file avatar_id of [transport.config]
// state_dir ("pic-v1" without it), and which appends a line to the file
// userinfo there at each UserInfo call: the gateway's tests run it to
// count the avatar fetches across restarts of the gateway (each starts
// the plugin afresh, which keeps no count of its own). With a file
// "group" in state_dir it has one group too, "grp", whose one member
// besides the user, "mem", is no contact and has a picture the same way.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"passerelle.im/passerelle/bridge/testdata/testplugin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() { sdk.Serve[*session](&network{}) }

type network struct {
	testplugin.Network
	dir   string
	group bool // the group "grp" is there
}

// Init reads state_dir.
func (n *network) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	var cfg struct {
		StateDir string `json:"state_dir"`
	}
	if err := json.Unmarshal(req.ConfigJSON, &cfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if cfg.StateDir == "" {
		return nil, fmt.Errorf("config: no state_dir")
	}
	n.Host, n.dir = host, cfg.StateDir
	_, err := os.Stat(filepath.Join(n.dir, "group"))
	n.group = err == nil
	return testplugin.Caps("countavatar", "Count avatar", &pb.Features{Presence: true, Avatars: true, Groups: n.group}), nil
}

func (n *network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*session, error) {
	return &session{Session: n.Session(l), n: n}, nil
}

// avatarID is the contact's avatar ID now.
func (n *network) avatarID() string {
	b, err := os.ReadFile(filepath.Join(n.dir, "avatar_id"))
	if err != nil {
		return "pic-v1"
	}
	return strings.TrimSpace(string(b))
}

type session struct {
	testplugin.Session
	n *network
}

// ContactList is the one contact, online, under its avatar ID.
func (s *session) ContactList(context.Context) ([]*pb.Contact, error) {
	return []*pb.Contact{{UserId: "pic", Name: "Pic", AvatarId: s.n.avatarID(),
		Presence: &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}}}, nil
}

// UserInfo counts the call, then has the picture of the avatar ID.
func (s *session) UserInfo(_ context.Context, userID string) (*pb.Contact, error) {
	f, err := os.OpenFile(filepath.Join(s.n.dir, "userinfo"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	_, err = fmt.Fprintln(f, userID)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	id := s.n.avatarID()
	if userID == "mem" {
		id = "mem-" + id
	}
	return &pb.Contact{UserId: userID, Name: "Pic", AvatarId: id,
		Avatar: []byte("\x89PNG\r\n\x1a\n countavatar's picture " + id), AvatarMime: "image/png"}, nil
}

// groupChat is the group, when there is one.
func (s *session) groupChat() *pb.Chat {
	return &pb.Chat{ChatId: "grp", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "Group",
		Members: []*pb.Member{{UserId: s.ID, IsSelf: true}, {UserId: "mem", Nick: "Mem"}}}
}

// ChatList is the group, when there is one.
func (s *session) ChatList(context.Context) ([]*pb.Chat, error) {
	if !s.n.group {
		return nil, nil
	}
	return []*pb.Chat{s.groupChat()}, nil
}

// ChatInfo describes the group.
func (s *session) ChatInfo(_ context.Context, chatID string) (*pb.Chat, error) {
	if !s.n.group || chatID != "grp" {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no chat %q", chatID)
	}
	return s.groupChat(), nil
}
