// Command reloadfile is a plugin that sends a file while the reload of
// the stored logins after its start is not done: the gateway's tests run
// it to check that the fetch of a file for an event the plugin sent does
// not wait for the reload of the other logins.
//
// Each connect of the login "alice" sends her a message from the contact
// "bob" with a file handed out by reference (DownloadMedia). The login
// "carol", loaded before any login form was submitted in this process (the
// reload after a start), waits for that file's download, or for
// [transport.config] load_wait (a Go duration, default 20s): a gateway
// whose fetch waits for the reload to end waits for the file it has not
// fetched.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"passerelle.im/passerelle/bridge/testdata/namelogin"
	"passerelle.im/passerelle/bridge/testdata/testplugin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() {
	sdk.Serve[*session](&network{submitted: make(chan struct{}), downloaded: make(chan struct{})})
}

// File is the file's content.
var File = []byte("reloadfile's file, sent during the reload\n")

type network struct {
	testplugin.Network
	loadWait time.Duration

	mu         sync.Mutex
	submitted  chan struct{} // closed at the first login submitted
	downloaded chan struct{} // closed at the first download
}

// Init reads load_wait.
func (n *network) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	cfg := struct {
		LoadWait string `json:"load_wait"`
	}{LoadWait: "20s"}
	if err := json.Unmarshal(req.ConfigJSON, &cfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	d, err := time.ParseDuration(cfg.LoadWait)
	if err != nil {
		return nil, fmt.Errorf("load_wait: %w", err)
	}
	n.Host, n.loadWait = host, d
	return testplugin.Caps("reloadfile", "Reload file", &pb.Features{Attachments: true}), nil
}

func (n *network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	return &login{n: n}, nil
}

// LoadLogin of carol waits, during the reload, for the file's download.
func (n *network) LoadLogin(ctx context.Context, l sdk.LoginInfo) (*session, error) {
	if l.LoginID == "carol" {
		select {
		case <-n.submitted:
		case <-n.downloaded:
		case <-time.After(n.loadWait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return &session{Session: n.Session(l), n: n}, nil
}

// closeOnce closes ch unless it is closed.
func (n *network) closeOnce(ch chan struct{}) {
	n.mu.Lock()
	defer n.mu.Unlock()
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// login is namelogin's form; its submit ends the reload's wait.
type login struct {
	namelogin.Login
	n *network
}

func (l *login) Submit(ctx context.Context, f map[string]string) (*pb.LoginStep, error) {
	l.n.closeOnce(l.n.submitted)
	return l.Login.Submit(ctx, f)
}

type session struct {
	testplugin.Session
	n *network
}

// Connect sends alice the file, by reference.
func (s *session) Connect(context.Context) error {
	namelogin.Connected(s.Host, s.ID)
	if s.ID == "alice" {
		s.Say("bob", fmt.Sprintf("file-%d", os.Getpid()), &pb.MessageEvent{Attachments: []*pb.Attachment{{
			Name: "notes.txt", MimeType: "text/plain", Size: int64(len(File)),
			Source: &pb.Attachment_Ref{Ref: "notes"}}}})
	}
	return nil
}

// DownloadMedia serves the file, and ends carol's wait.
func (s *session) DownloadMedia(context.Context, string, string) (*pb.MediaInfo, io.ReadCloser, error) {
	s.n.closeOnce(s.n.downloaded)
	return &pb.MediaInfo{Size: int64(len(File)), MimeType: "text/plain"}, io.NopCloser(bytes.NewReader(File)), nil
}
