// Command pathfiles is a plugin that takes files the way a plugin
// without MediaUploader does: the gateway downloads a file the user sends
// into the plugin's data folder and names its path in the SendMessage.
// Every contact echoes the text and a copy of the files, by path too. The
// gateway's tests run it to check that this inline path still works.
package main

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"passerelle.im/passerelle/bridge/testdata/testplugin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() { sdk.Serve[*session](&network{}) }

type network struct {
	testplugin.Network
	dataDir string
}

// Init declares attachments, taken by path.
func (n *network) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	n.Host, n.dataDir = host, req.DataDir
	return testplugin.Caps("pathfiles", "Path files", &pb.Features{Attachments: true}), nil
}

func (n *network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*session, error) {
	return &session{Session: n.Session(l), n: n}, nil
}

type session struct {
	testplugin.Session
	n *network
}

// SendMessage echoes the text and a copy of each file back from the
// contact.
func (s *session) SendMessage(_ context.Context, c sdk.Call, m *pb.SendMessage) (sdk.Result, error) {
	id := testplugin.NewID()
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
	s.Say(c.ChatID, id+".echo", &pb.MessageEvent{Text: m.Text, Attachments: atts})
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
