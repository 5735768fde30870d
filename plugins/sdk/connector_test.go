package sdk

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// testNet is a Connector over sessions of type S, made by mk.
type testNet[S Session] struct {
	claims *pb.Features
	mk     func(LoginInfo) S
	host   Host

	mu     sync.Mutex
	loads  int
	cancel int
}

func (n *testNet[S]) Init(_ context.Context, _ InitRequest, h Host) (*pb.Capabilities, error) {
	n.host = h
	return &pb.Capabilities{Network: "test", Features: n.claims}, nil
}

func (n *testNet[S]) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return []*pb.LoginFlow{{Id: "f"}}, nil
}

func (n *testNet[S]) StartLogin(_ context.Context, req LoginRequest) (LoginProcess, error) {
	return &testLogin{n: func() { n.mu.Lock(); n.cancel++; n.mu.Unlock() }, user: req.UserJID}, nil
}

func (n *testNet[S]) LoadLogin(_ context.Context, l LoginInfo) (S, error) {
	n.mu.Lock()
	n.loads++
	n.mu.Unlock()
	return n.mk(l), nil
}

func (n *testNet[S]) loadCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.loads
}

// testLogin asks for a name; "" is asked again.
type testLogin struct {
	n    func()
	user string
}

func (l *testLogin) Start(context.Context) (*pb.LoginStep, error) {
	return &pb.LoginStep{Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{{Id: "name"}}}}}, nil
}
func (l *testLogin) Cancel() { l.n() }
func (l *testLogin) Submit(_ context.Context, f map[string]string) (*pb.LoginStep, error) {
	if f["name"] == "" {
		return &pb.LoginStep{Error: "empty", Step: &pb.LoginStep_Form{Form: &pb.FormStep{}}}, nil
	}
	return &pb.LoginStep{Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{LoginId: f["name"]}}}, nil
}

// plain has only the required methods.
type plain struct {
	info LoginInfo

	mu    sync.Mutex
	calls []string
}

func (p *plain) log(s string) {
	p.mu.Lock()
	p.calls = append(p.calls, s)
	p.mu.Unlock()
}
func (p *plain) Connect(context.Context) error    { p.log("connect"); return nil }
func (p *plain) Disconnect(context.Context) error { p.log("disconnect"); return nil }
func (p *plain) Logout(context.Context) error     { p.log("logout"); return nil }
func (p *plain) SendMessage(_ context.Context, c Call, m *pb.SendMessage) (Result, error) {
	p.log("send " + c.ChatID + " " + m.Text + " reply=" + m.ReplyToId)
	return Result{MessageID: p.info.LoginID + "/" + c.TxnID, Meta: []byte("meta-" + c.TxnID)}, nil
}

// rich adds edits, reactions, per-chat limits and media.
type rich struct{ plain }

func (r *rich) EditMessage(_ context.Context, c Call, e *pb.EditMessage) (Result, error) {
	r.log("edit " + e.TargetId + " meta=" + string(e.TargetMeta))
	return Result{}, nil
}
func (r *rich) React(_ context.Context, c Call, x *pb.React) (Result, error) {
	r.log("react " + strings.Join(x.Emojis, ""))
	return Result{}, nil
}

// ChatLimits: "channel" is read-only, "quiet" forbids reactions.
func (r *rich) ChatLimits(_ context.Context, chatID string) (ChatLimits, error) {
	switch chatID {
	case "channel":
		return ChatLimits{ReadOnly: true}, nil
	case "quiet":
		return ChatLimits{Features: &pb.Features{Edits: true, Replies: true}}, nil
	case "broken":
		return ChatLimits{}, errors.New("no such chat")
	}
	return ChatLimits{}, nil
}
func (r *rich) ChatInfo(_ context.Context, chatID string) (*pb.Chat, error) {
	return &pb.Chat{ChatId: chatID, Type: pb.ChatType_CHAT_TYPE_GROUP, AvatarId: "pic-" + chatID}, nil
}

// ChatAvatar: "quiet" has a picture, "bare" none, "broken" fails.
func (r *rich) ChatAvatar(_ context.Context, chatID string) ([]byte, string, error) {
	r.log("chat avatar " + chatID)
	switch chatID {
	case "quiet":
		return []byte("PNG"), "image/png", nil
	case "broken":
		return nil, "", Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no such group")
	}
	return nil, "", nil
}
func (r *rich) DownloadMedia(_ context.Context, chatID, ref string) (*pb.MediaInfo, io.ReadCloser, error) {
	if ref == "gone" {
		return nil, nil, Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no file %s", ref)
	}
	return &pb.MediaInfo{Name: ref, Size: int64(len(bigFile))}, io.NopCloser(bytes.NewReader(bigFile)), nil
}
func (r *rich) UploadMedia(_ context.Context, info *pb.MediaInfo, rd io.Reader) (string, error) {
	b, err := io.ReadAll(rd)
	if err != nil {
		return "", err
	}
	if !bytes.Equal(b, bigFile) {
		return "", Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "got %d bytes, want %d", len(b), len(bigFile))
	}
	return "up-" + info.Name, nil
}

// bigFile spans three chunks and a bit.
var bigFile = bytes.Repeat([]byte("0123456789abcdef"), (3*MediaChunkSize+100)/16)

func connectLogin(t *testing.T, c pb.TransportClient, loginID string) {
	t.Helper()
	if _, err := c.Connect(testContext(t), &pb.ConnectRequest{LoginId: loginID, UserJid: "u@x", SavedState: []byte("s"), LoginDir: "/d"}); err != nil {
		t.Fatalf("Connect %s: %v", loginID, err)
	}
}

func send(t *testing.T, c pb.TransportClient, cmds ...*pb.Command) []*pb.CommandResult {
	t.Helper()
	stream, err := c.Commands(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	for i, cmd := range cmds {
		cmd.CorrelationId = uint64(i + 1)
		if err := stream.Send(cmd); err != nil {
			t.Fatal(err)
		}
	}
	out := make([]*pb.CommandResult, len(cmds))
	for range cmds {
		r, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		out[r.CorrelationId-1] = r
	}
	stream.CloseSend()
	return out
}

// Features come from the session type: what it implements is advertised
// whatever was claimed; what was claimed and not implemented is not.
func TestFeaturesDerivedFromSessionType(t *testing.T) {
	claims := &pb.Features{Retractions: true, Typing: true, Presence: true, Replies: true, Groups: true, Avatars: true}
	c := startServer(t, newConnectorTransport[*plain](&testNet[*plain]{claims: claims, mk: func(l LoginInfo) *plain { return &plain{info: l} }}), "")
	caps, err := c.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	f := caps.Features
	if f.Retractions || f.Typing || f.Groups || f.Avatars || f.Edits {
		t.Errorf("plain session: claimed or absent features advertised: %v", f)
	}
	if !f.Presence || !f.Replies {
		t.Errorf("plain session: declarative features lost: %v", f)
	}
	if caps.ApiVersion != APIVersion {
		t.Errorf("api_version %d", caps.ApiVersion)
	}

	c = startServer(t, newConnectorTransport[*rich](&testNet[*rich]{mk: func(l LoginInfo) *rich { return &rich{plain{info: l}} }}), "")
	caps, err = c.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	f = caps.Features
	if !f.Edits || !f.Reactions || !f.MediaDownload || !f.MediaUpload || f.Retractions || f.Groups {
		t.Errorf("rich session: features %v, want edits, reactions and media only", f)
	}
}

// The SDK keeps a session per login: loaded once on Connect with the
// login's info, each command routed to its own login's session, gone
// after Disconnect; an unknown login is LOGIN_REQUIRED, an action the
// session lacks UNSUPPORTED.
func TestSessionsPerLogin(t *testing.T) {
	var mu sync.Mutex
	sessions := map[string]*plain{}
	n := &testNet[*plain]{mk: func(l LoginInfo) *plain {
		p := &plain{info: l}
		mu.Lock()
		sessions[l.LoginID] = p
		mu.Unlock()
		return p
	}}
	c := startServer(t, newConnectorTransport[*plain](n), "")
	connectLogin(t, c, "a")
	connectLogin(t, c, "b")
	connectLogin(t, c, "a") // the host reconnects: same session, Connect again
	if l := n.loadCount(); l != 2 {
		t.Errorf("LoadLogin called %d times, want 2", l)
	}
	if got := sessions["a"].info; got.UserJID != "u@x" || string(got.SavedState) != "s" || got.Dir != "/d" {
		t.Errorf("LoginInfo %+v", got)
	}
	res := send(t, c,
		&pb.Command{LoginId: "a", ChatId: "x", TxnId: "1", Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "hi", ReplyToId: "r"}}},
		&pb.Command{LoginId: "b", ChatId: "y", TxnId: "2", Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "yo"}}},
		&pb.Command{LoginId: "nobody", ChatId: "y", TxnId: "3", Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "?"}}},
		&pb.Command{LoginId: "a", ChatId: "x", TxnId: "4", Action: &pb.Command_Edit{Edit: &pb.EditMessage{TargetId: "a/1"}}},
		&pb.Command{LoginId: "a", ChatId: "x", TxnId: "5", Action: &pb.Command_SetTopic{SetTopic: &pb.SetTopic{Topic: "t"}}},
		&pb.Command{LoginId: "a", ChatId: "x", TxnId: "6", Action: &pb.Command_Send{Send: &pb.SendMessage{Attachments: []*pb.Attachment{{Name: "f"}}}}},
	)
	if res[0].MessageId != "a/1" || string(res[0].Meta) != "meta-1" || res[1].MessageId != "b/2" {
		t.Errorf("sends routed wrong: %v, %v", res[0], res[1])
	}
	if res[2].Error.GetCode() != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Errorf("unknown login: %v", res[2])
	}
	for i, what := range map[int]string{3: "edit", 4: "topic", 5: "attachment"} {
		if res[i].Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
			t.Errorf("%s on a plain session: %v, want UNSUPPORTED", what, res[i])
		}
	}
	mu.Lock()
	a := strings.Join(sessions["a"].calls, "|")
	mu.Unlock()
	// Replies are not a feature of this network: the reply goes out as a
	// plain message.
	if a != "connect|connect|send x hi reply=" {
		t.Errorf("session a saw %q", a)
	}
	ctx := testContext(t)
	for _, call := range []func() error{
		func() error { _, err := c.UserInfo(ctx, &pb.UserRef{LoginId: "a", UserId: "u"}); return err },
		func() error { _, err := c.ChatInfo(ctx, &pb.ChatRef{LoginId: "a", ChatId: "u"}); return err },
		func() error {
			_, err := c.ResolveIdentifier(ctx, &pb.ResolveIdentifierRequest{LoginId: "a", Identifier: "u"})
			return err
		},
		func() error { _, err := c.Backfill(ctx, &pb.BackfillRequest{LoginId: "a", ChatId: "u"}); return err },
	} {
		if e := FromGRPC(call()); codeOf(e) != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
			t.Errorf("optional call on a plain session: %v, want UNSUPPORTED", e)
		}
	}
	if cl, err := c.ContactList(ctx, &pb.LoginRef{LoginId: "a"}); err != nil || len(cl.Contacts) != 0 {
		t.Errorf("ContactList without a ContactLister: %v %v, want empty", cl, err)
	}

	if _, err := c.Disconnect(ctx, &pb.LoginRef{LoginId: "a"}); err != nil {
		t.Fatal(err)
	}
	res = send(t, c, &pb.Command{LoginId: "a", ChatId: "x", TxnId: "7", Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "gone"}}})
	if res[0].Error.GetCode() != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Errorf("send after Disconnect: %v", res[0])
	}
	connectLogin(t, c, "a")
	if l := n.loadCount(); l != 3 {
		t.Errorf("after Disconnect, Connect loaded %d sessions in all, want 3", l)
	}
}

// codeOf is the code of a typed error; -1 for none.
func codeOf(e *Error) pb.ErrorCode {
	if e == nil {
		return -1
	}
	return e.Code
}

// A chat's limits refuse what it does not allow with NOT_ALLOWED, and
// show in ChatInfo; what the network lacks stays UNSUPPORTED.
func TestChatLimits(t *testing.T) {
	c := startServer(t, newConnectorTransport[*rich](&testNet[*rich]{
		claims: &pb.Features{Replies: true},
		mk:     func(l LoginInfo) *rich { return &rich{plain{info: l}} }}), "")
	connectLogin(t, c, "a")
	cmd := func(chat, txn string, a any) *pb.Command {
		c := &pb.Command{LoginId: "a", ChatId: chat, TxnId: txn}
		switch a := a.(type) {
		case *pb.SendMessage:
			c.Action = &pb.Command_Send{Send: a}
		case *pb.React:
			c.Action = &pb.Command_React{React: a}
		case *pb.EditMessage:
			c.Action = &pb.Command_Edit{Edit: a}
		case *pb.Retract:
			c.Action = &pb.Command_Retract{Retract: a}
		}
		return c
	}
	res := send(t, c,
		cmd("channel", "1", &pb.SendMessage{Text: "hi"}),
		cmd("quiet", "2", &pb.React{TargetId: "m", Emojis: []string{"👍"}}),
		cmd("quiet", "3", &pb.EditMessage{TargetId: "m", TargetMeta: []byte("tm")}),
		cmd("quiet", "4", &pb.Retract{TargetId: "m"}),
		cmd("open", "5", &pb.React{TargetId: "m", Emojis: []string{"👍"}}),
		cmd("broken", "6", &pb.SendMessage{Text: "hi"}),
	)
	const ok = -1
	want := []pb.ErrorCode{pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, ok, pb.ErrorCode_ERROR_CODE_UNSUPPORTED, ok, pb.ErrorCode_ERROR_CODE_UNSPECIFIED}
	for i, w := range want {
		got := res[i].Error
		if (w == ok) != (got == nil) || (got != nil && got.Code != w) {
			t.Errorf("command %d: %v, want %v", i+1, got, w)
		}
	}
	chat, err := c.ChatInfo(testContext(t), &pb.ChatRef{LoginId: "a", ChatId: "quiet"})
	if err != nil {
		t.Fatal(err)
	}
	if f := chat.Features; f == nil || !f.Edits || f.Reactions || !f.Replies {
		t.Errorf("ChatInfo(quiet).features = %v, want edits and replies only", f)
	}
	chat, err = c.ChatInfo(testContext(t), &pb.ChatRef{LoginId: "a", ChatId: "channel"})
	if err != nil || !chat.ReadOnly || chat.Features != nil {
		t.Errorf("ChatInfo(channel) = %v, %v: want read-only, the network's features", chat, err)
	}
}

// A group's picture comes only when the host asks for it: a fetch from
// the network each time.
func TestChatInfoWithAvatar(t *testing.T) {
	var mu sync.Mutex
	var made []*rich
	n := &testNet[*rich]{mk: func(l LoginInfo) *rich {
		r := &rich{plain{info: l}}
		mu.Lock()
		made = append(made, r)
		mu.Unlock()
		return r
	}}
	c := startServer(t, newConnectorTransport[*rich](n), "")
	ctx := testContext(t)
	if _, err := c.Connect(ctx, &pb.ConnectRequest{LoginId: "a"}); err != nil {
		t.Fatal(err)
	}
	chat, err := c.ChatInfo(ctx, &pb.ChatRef{LoginId: "a", ChatId: "quiet"})
	if err != nil || chat.AvatarId != "pic-quiet" || chat.Avatar != nil || chat.NoAvatar {
		t.Fatalf("ChatInfo without with_avatar: %v, %v", chat, err)
	}
	mu.Lock()
	first := made[0]
	mu.Unlock()
	first.mu.Lock()
	calls := strings.Join(first.calls, "|")
	first.mu.Unlock()
	if strings.Contains(calls, "chat avatar") {
		t.Fatalf("the picture was fetched unasked: %s", calls)
	}
	chat, err = c.ChatInfo(ctx, &pb.ChatRef{LoginId: "a", ChatId: "quiet", WithAvatar: true})
	if err != nil || string(chat.Avatar) != "PNG" || chat.AvatarMime != "image/png" || chat.NoAvatar {
		t.Fatalf("ChatInfo with_avatar: %v, %v", chat, err)
	}
	chat, err = c.ChatInfo(ctx, &pb.ChatRef{LoginId: "a", ChatId: "bare", WithAvatar: true})
	if err != nil || chat.Avatar != nil || !chat.NoAvatar {
		t.Fatalf("ChatInfo with_avatar of a group without a picture: %v, %v", chat, err)
	}
	if _, err := c.ChatInfo(ctx, &pb.ChatRef{LoginId: "a", ChatId: "broken", WithAvatar: true}); codeOf(FromGRPC(err)) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Fatalf("a failed fetch: %v, want the network's NOT_FOUND", err)
	}
}

// Login processes are the SDK's: IDs given and stamped on every step,
// wrong input asked again, a completed or cancelled process forgotten.
func TestLoginProcesses(t *testing.T) {
	n := &testNet[*plain]{mk: func(l LoginInfo) *plain { return &plain{info: l} }}
	c := startServer(t, newConnectorTransport[*plain](n), "")
	ctx := testContext(t)
	step, err := c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: "u@x"})
	if err != nil || step.ProcessId == "" || step.GetForm() == nil {
		t.Fatalf("StartLogin: %v %v", step, err)
	}
	id := step.ProcessId
	again, err := c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: id})
	if err != nil || again.ProcessId != id || again.Error == "" {
		t.Fatalf("empty input: %v %v", again, err)
	}
	if _, err := c.WaitLogin(ctx, &pb.LoginProcessRef{ProcessId: id}); codeOf(FromGRPC(err)) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("WaitLogin on a form-only process: %v, want BAD_REQUEST", err)
	}
	done, err := c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: id, Fields: map[string]string{"name": "a"}})
	if err != nil || done.GetComplete().GetLoginId() != "a" || done.ProcessId != id {
		t.Fatalf("complete: %v %v", done, err)
	}
	if _, err := c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: id, Fields: map[string]string{"name": "a"}}); codeOf(FromGRPC(err)) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("input to a completed process: %v, want NOT_FOUND", err)
	}
	step, _ = c.StartLogin(ctx, &pb.StartLoginRequest{})
	if _, err := c.CancelLogin(ctx, &pb.LoginProcessRef{ProcessId: step.ProcessId}); err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	cancels := n.cancel
	n.mu.Unlock()
	if cancels != 1 {
		t.Errorf("Cancel called %d times", cancels)
	}
	if _, err := c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: map[string]string{"name": "a"}}); codeOf(FromGRPC(err)) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("input to a cancelled process: %v, want NOT_FOUND", err)
	}
}

// Files cross in chunks of at most MediaChunkSize, both ways, the first
// download chunk with the metadata; a chunk too big is refused.
func TestMediaChunks(t *testing.T) {
	c := startServer(t, newConnectorTransport[*rich](&testNet[*rich]{mk: func(l LoginInfo) *rich { return &rich{plain{info: l}} }}), "")
	connectLogin(t, c, "a")
	ctx := testContext(t)
	down, err := c.DownloadMedia(ctx, &pb.MediaRef{LoginId: "a", ChatId: "x", Ref: "f.bin"})
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	for i := 0; ; i++ {
		ch, err := down.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(ch.Data) > MediaChunkSize {
			t.Fatalf("chunk %d: %d bytes", i, len(ch.Data))
		}
		if (i == 0) != (ch.Info != nil) || (i == 0 && ch.Info.Name != "f.bin") {
			t.Errorf("chunk %d info %v", i, ch.Info)
		}
		got = append(got, ch.Data...)
	}
	if !bytes.Equal(got, bigFile) {
		t.Errorf("downloaded %d bytes, want %d", len(got), len(bigFile))
	}
	down, _ = c.DownloadMedia(ctx, &pb.MediaRef{LoginId: "a", Ref: "gone"})
	if _, err := down.Recv(); codeOf(FromGRPC(err)) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("download of a missing file: %v", err)
	}

	up, err := c.UploadMedia(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(bigFile); i += MediaChunkSize {
		ch := &pb.MediaChunk{Data: bigFile[i:min(i+MediaChunkSize, len(bigFile))]}
		if i == 0 {
			ch.LoginId, ch.Info = "a", &pb.MediaInfo{Name: "g"}
		}
		if err := up.Send(ch); err != nil {
			t.Fatal(err)
		}
	}
	res, err := up.CloseAndRecv()
	if err != nil || res.UploadId != "up-g" {
		t.Fatalf("upload: %v %v", res, err)
	}

	up, _ = c.UploadMedia(ctx)
	up.Send(&pb.MediaChunk{LoginId: "a", Info: &pb.MediaInfo{Name: "g"}, Data: []byte("x")})
	up.Send(&pb.MediaChunk{Data: make([]byte, MediaChunkSize+1)})
	if _, err := up.CloseAndRecv(); codeOf(FromGRPC(err)) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("oversized chunk: %v, want BAD_REQUEST", err)
	}
}

// Logging out a login that is not connected still reaches the network:
// the session is loaded (with only its ID) to log out.
func TestLogoutOfALoginNotConnected(t *testing.T) {
	var mu sync.Mutex
	var made []*plain
	n := &testNet[*plain]{mk: func(l LoginInfo) *plain {
		p := &plain{info: l}
		mu.Lock()
		made = append(made, p)
		mu.Unlock()
		return p
	}}
	c := startServer(t, newConnectorTransport[*plain](n), "")
	ctx := testContext(t)
	if _, err := c.Disconnect(ctx, &pb.LoginRef{LoginId: "z"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Logout(ctx, &pb.LogoutRequest{LoginId: "z", UserJid: "u@x", SavedState: []byte("st"), LoginDir: "/logins/z"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Logout(ctx, &pb.LogoutRequest{}); codeOf(FromGRPC(err)) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Fatalf("Logout without a login ID: %v, want BAD_REQUEST", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(made) != 1 || made[0].info.LoginID != "z" || strings.Join(made[0].calls, "|") != "logout" {
		t.Fatalf("sessions made %d; calls %v, want one session logged out", len(made), made)
	}
	// Loaded as Connect would: the network library finds its keys.
	if i := made[0].info; i.UserJID != "u@x" || string(i.SavedState) != "st" || i.Dir != "/logins/z" {
		t.Fatalf("logged out with %+v: the host's saved state and folder lost", i)
	}
}

// Connects and Disconnects of one login racing each other leave it in
// one state: after a last Connect the login has its session.
func TestConnectDisconnectRace(t *testing.T) {
	n := &testNet[*plain]{mk: func(l LoginInfo) *plain { return &plain{info: l} }}
	tr := newConnectorTransport[*plain](n)
	c := startServer(t, tr, "")
	ctx := testContext(t)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			if i%2 == 0 {
				c.Connect(ctx, &pb.ConnectRequest{LoginId: "r"})
			} else {
				c.Disconnect(ctx, &pb.LoginRef{LoginId: "r"})
			}
		})
	}
	wg.Wait()
	connectLogin(t, c, "r")
	if _, err := tr.session("r"); err != nil {
		t.Fatalf("after the last Connect: %v", err)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.logins) != 1 {
		t.Errorf("%d login slots, want 1", len(tr.logins))
	}
}

// A message's metadata comes back with its result, and with the repeat
// of its txn_id; more than MaxMetaBytes is refused, not truncated, with
// an error and a line in the log naming the field, the command and the
// contract's limit. (Before, "the plugin's message metadata is 1025
// bytes, more than 1024", and nothing in the log.)
func TestResultMeta(t *testing.T) {
	f := newFakeTransport()
	f.handle = func(_ context.Context, cmd *pb.Command) (Result, error) {
		if cmd.TxnId == "big" {
			return Result{MessageID: "m", Meta: make([]byte, MaxMetaBytes+1)}, nil
		}
		return Result{MessageID: "m-" + cmd.TxnId, Meta: []byte("meta " + cmd.TxnId)}, nil
	}
	c := startServer(t, f, "")
	logs := &logBuffer{}
	srv := f.Host().(host).s
	srv.mu.Lock()
	srv.log = logs.logger()
	srv.mu.Unlock()
	send1 := func(txn string) *pb.Command {
		return &pb.Command{LoginId: "l", ChatId: "c", TxnId: txn, Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "x"}}}
	}
	res := send(t, c, send1("a"), send1("big"))
	if string(res[0].Meta) != "meta a" {
		t.Errorf("meta %q", res[0].Meta)
	}
	// The send went: answered as one that went, without its meta (as the
	// gateway would keep it), so that the user does not resend it; the
	// plugin's author reads the error in the log.
	const named = `Result.Meta (CommandResult.meta) for a "send" command is 1025 bytes, over the contract's 1024 (LIMIT_META_BYTES)`
	if res[1].Error != nil || res[1].MessageId != "m" || len(res[1].Meta) != 0 {
		t.Errorf("oversized meta: %v, want the message m without its meta and no error", res[1])
	}
	if log := logs.String(); !strings.Contains(log, strings.ReplaceAll(named, `"`, `\"`)) || !strings.Contains(log, `"txn_id":"big"`) || !strings.Contains(log, `"level":"ERROR"`) {
		t.Errorf("the log does not name the oversized meta and its command:\n%s", log)
	}
	if again := send(t, c, send1("big")); again[0].MessageId != "m" || again[0].Error != nil {
		t.Errorf("repeated txn_id of the oversized answer: %v, want the first answer", again[0])
	}
	if n := f.timesHandled("big"); n != 1 {
		t.Errorf("the send with an oversized meta handled %d times, want once: a resend must not send it again", n)
	}
	again := send(t, c, send1("a"))
	if string(again[0].Meta) != "meta a" || again[0].MessageId != "m-a" {
		t.Errorf("repeated txn_id: %v, want the first answer with its meta", again[0])
	}
	if n := f.timesHandled("a"); n != 1 {
		t.Errorf("handled %d times", n)
	}
}
