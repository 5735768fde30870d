// Command pathfiles is a plugin that takes files the way a plugin
// without MediaUploader does: the gateway downloads a file the user sends
// into the plugin's data folder and names its path in the SendMessage.
// Every contact echoes the text and a copy of the files, by path too. The
// gateway's tests run it to check that this inline path still works.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"passerelle.im/passerelle/bridge/testdata/namelogin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() { sdk.Serve[*session](&network{}) }

type network struct {
	host    sdk.Host
	dataDir string
	prefix  string
	seq     atomic.Uint64
}

// Init declares attachments, taken by path.
func (n *network) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	n.host, n.dataDir = host, req.DataDir
	n.prefix = fmt.Sprintf("%x", time.Now().UnixNano())
	return &pb.Capabilities{Network: "pathfiles", DisplayName: "Path files", Version: "1",
		Features: &pb.Features{Attachments: true}}, nil
}

func (n *network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return namelogin.Flows(), nil
}

func (n *network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	return &namelogin.Login{}, nil
}

func (n *network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*session, error) {
	return &session{n: n, id: l.LoginID}, nil
}

type session struct {
	n  *network
	id string
}

func (s *session) Connect(context.Context) error {
	namelogin.Connected(s.n.host, s.id)
	return nil
}

func (s *session) Disconnect(context.Context) error { return nil }
func (s *session) Logout(context.Context) error     { return nil }

// SendMessage echoes the text and a copy of each file back from the
// contact.
func (s *session) SendMessage(_ context.Context, c sdk.Call, m *pb.SendMessage) (sdk.Result, error) {
	id := fmt.Sprintf("%s-%d", s.n.prefix, s.n.seq.Add(1))
	var atts []*pb.Attachment
	for _, a := range m.Attachments {
		if a.GetPath() == "" {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "attachment %q has no path", a.Name)
		}
		dst := filepath.Join(s.n.dataDir, "outgoing-"+id+"-"+filepath.Base(a.Name))
		if err := copyFile(a.GetPath(), dst); err != nil {
			return sdk.Result{}, err
		}
		atts = append(atts, &pb.Attachment{Name: a.Name, MimeType: a.MimeType, Size: a.Size, Source: &pb.Attachment_Path{Path: dst}})
	}
	s.n.host.Emit(&pb.Event{LoginId: s.id, ChatId: c.ChatID, Sender: &pb.Sender{UserId: c.ChatID},
		TimestampUnixMicro: time.Now().UnixMicro(), EventId: id + ".echo",
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: m.Text, Attachments: atts}}})
	return sdk.Result{MessageID: id}, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
