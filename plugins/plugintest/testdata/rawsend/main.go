// Command rawsend is an echo-like plugin that speaks the contract by
// hand, without the SDK (which would keep it to the contract): a login of
// one form (a username), Connect, an Events stream, sends that every
// contact echoes and edits of them (found by their meta). It keeps the answers to txn_ids in a file of its data
// folder, read back at start. RAWSEND picks how it breaks the contract,
// for the conformance kit's own tests, which check that the kit fails it:
//
//   - "": it does not; the kit's login, connect and send checks pass it.
//   - "forget": the answers to txn_ids are kept in memory only, so that a
//     resend after a restart sends again.
//   - "nometa": a repeated txn_id is answered with the message ID alone,
//     without the metadata of the first answer.
//   - "bigmeta": a send's metadata is 2 KiB, past the 1 KiB the host keeps.
//   - "memedits": an edit finds its message in the process's memory, not
//     in its target_meta: after a restart it is NOT_FOUND.
//   - "loginnotfound": a send for a login it does not have is NOT_FOUND,
//     not LOGIN_REQUIRED.
//   - "cancelbad": a login process it does not know (cancelled) is
//     refused as BAD_REQUEST, not NOT_FOUND.
//   - "partlyerror": a send that went in part is answered with its error
//     alone, not the message that went.
//   - "partlyforget": a send that went in part is not remembered, so that
//     a repeat of its txn_id sends again.
//   - "late": a send is answered before the network has it: handed on
//     (and echoed) 100 ms later, from a goroutine, lost if the process
//     dies first.
//   - "badevents": beside each echo, events the gateway would drop: one
//     with a NUL byte in its event_id, one with an event_id over the
//     contract's LIMIT_ID_BYTES, one with a meta over LIMIT_META_BYTES,
//     typing with no chat_id, a message with no login_id; and it
//     advertises backfill, whose batch has no cursor and is not done.
//   - "initexit": it exits with status 0 in Init, unanswered.
//   - "inithang": Init never returns.
//   - "stdoutjunk": Init writes to its stdout, after the handshake, a
//     line of 100 KiB and 100 KiB of short lines, then answers.
//   - "ungrouped": ChatList lists a group, "lobby", though it does not
//     advertise groups. (In the other modes, but those of groups below,
//     ContactList and ChatList are not implemented.)
//   - "baretext": what it does not do is refused as UNSUPPORTED without
//     a text.
//   - "declineok": a DeclineInvite is answered as done, whatever the
//     chat.
//   - "groups": it advertises groups and lists one, "lobby", where a
//     send goes as to a contact; "nogroupsend": the same, but a send to
//     the lobby is refused as NOT_FOUND.
//
// A text that starts with "partly" goes in part: echoed, and answered
// with its message and a TOO_LARGE error (a second part that failed).
// One that starts with "noanswer" goes, and is never answered; one that
// starts with "twice" is answered twice (the gateway's tests of a plugin
// that breaks the command stream's contract). One that starts with
// "slow" is answered after slowAnswer, as by a network slow to answer
// (the commands after it wait: one command at a time).
//
// The network notes what it received, a chat and a text a line, in the
// file RAWSEND_NETWORK names, if set (for Config.Delivered), before the
// echo.
//
// Its events are kept in memory only, numbered from a seq kept in the
// data folder.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var mode = os.Getenv("RAWSEND")

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{sdk.APIVersion: {sdk.PluginName: &grpcPlugin{}}},
		GRPCServer:       plugin.DefaultGRPCServer,
		Logger:           hclog.New(&hclog.LoggerOptions{Output: os.Stderr, Level: hclog.Warn}),
	})
}

type grpcPlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	srv := &server{procs: map[string]bool{}, answers: map[string]*pb.CommandResult{}, sent: map[string]bool{}, logins: map[string]bool{}}
	srv.cond = sync.NewCond(&srv.mu)
	pb.RegisterTransportServer(s, srv)
	return nil
}

func (grpcPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, nil
}

type server struct {
	pb.UnimplementedTransportServer
	mu      sync.Mutex
	cond    *sync.Cond // events appended or acknowledged
	dir     string
	procs   map[string]bool
	answers map[string]*pb.CommandResult // "login\x00txn"
	sent    map[string]bool              // message IDs sent by this process
	logins  map[string]bool              // connected
	events  []*pb.Event                  // not acknowledged, in seq order
	history []*pb.HistoryBatch           // made by Backfill, not yet sent
	histSeq uint64
	seq     uint64
}

func (s *server) Init(_ context.Context, req *pb.InitRequest) (*pb.Capabilities, error) {
	switch mode {
	case "initexit":
		os.Exit(0)
	case "inithang":
		select {}
	case "stdoutjunk":
		// go-plugin's Serve swapped os.Stdout for its relay; fd 1 is
		// still the pipe the host read the handshake from.
		out := os.NewFile(1, "stdout")
		out.WriteString(strings.Repeat("j", 100<<10) + "\n")
		for range 4096 {
			out.WriteString("junk after the handshake\n")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dir = req.DataDir
	// Seqs go on from the last run's, ten thousand apart.
	if b, err := os.ReadFile(s.path("runs")); err == nil {
		s.seq = uint64(len(b)) * 10000
	}
	if err := appendLine(s.path("runs"), ""); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if mode != "forget" {
		if f, err := os.Open(s.path("answers")); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				key, js, _ := strings.Cut(sc.Text(), "\t")
				var r pb.CommandResult
				if protojson.Unmarshal([]byte(js), &r) == nil {
					s.answers[key] = &r
				}
			}
			f.Close()
		}
	}
	return &pb.Capabilities{ApiVersion: sdk.APIVersion, Network: "rawsend", Features: &pb.Features{Edits: true, Backfill: mode == "badevents",
		Groups: grouped}}, nil
}

func (s *server) path(name string) string { return filepath.Join(s.dir, name) }

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (*server) LoginFlows(context.Context, *pb.LoginFlowsRequest) (*pb.LoginFlowsResponse, error) {
	return &pb.LoginFlowsResponse{Flows: []*pb.LoginFlow{{Id: "username", Name: "Username"}}}, nil
}

func (s *server) StartLogin(context.Context, *pb.StartLoginRequest) (*pb.LoginStep, error) {
	id := rand.Text()
	s.mu.Lock()
	s.procs[id] = true
	s.mu.Unlock()
	return form(id, ""), nil
}

func (s *server) SubmitLoginInput(_ context.Context, req *pb.SubmitLoginInputRequest) (*pb.LoginStep, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.procs[req.ProcessId] {
		if mode == "cancelbad" {
			return nil, status.Errorf(codes.InvalidArgument, "bad process ID %q", req.ProcessId)
		}
		return nil, status.Errorf(codes.NotFound, "no login in progress with ID %q", req.ProcessId)
	}
	name := strings.TrimSpace(req.Fields["username"])
	if name == "" {
		return form(req.ProcessId, "Type a username."), nil
	}
	delete(s.procs, req.ProcessId)
	return &pb.LoginStep{ProcessId: req.ProcessId, Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{LoginId: name, DisplayName: name}}}, nil
}

func (s *server) CancelLogin(_ context.Context, req *pb.LoginProcessRef) (*pb.Empty, error) {
	s.mu.Lock()
	delete(s.procs, req.ProcessId)
	s.mu.Unlock()
	return &pb.Empty{}, nil
}

func form(id, errText string) *pb.LoginStep {
	return &pb.LoginStep{ProcessId: id, Error: errText, Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
		{Id: "username", Label: "Username", Type: pb.FieldType_FIELD_TYPE_USERNAME, Required: true}}}}}
}

// emitLocked numbers ev and queues it for the Events stream.
func (s *server) emitLocked(ev *pb.Event) {
	s.seq++
	ev.Seq = s.seq
	ev.TimestampUnixMicro = time.Now().UnixMicro()
	s.events = append(s.events, ev)
	s.cond.Broadcast()
}

func (s *server) Connect(_ context.Context, req *pb.ConnectRequest) (*pb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logins[req.LoginId] = true
	s.emitLocked(&pb.Event{LoginId: req.LoginId, Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED}}})
	return &pb.Empty{}, nil
}

// lists: in the modes of groups, ContactList and ChatList answer, as
// every plugin must; in the others they are left to gRPC's
// UNIMPLEMENTED, a mistake the kit names.
var lists = mode == "ungrouped" || grouped

// grouped: the modes that advertise groups and have the lobby.
var grouped = mode == "groups" || mode == "nogroupsend"

// ContactList has no contacts to list.
func (s *server) ContactList(ctx context.Context, req *pb.LoginRef) (*pb.ContactListResponse, error) {
	if !lists {
		return s.UnimplementedTransportServer.ContactList(ctx, req)
	}
	return &pb.ContactListResponse{}, nil
}

// ChatList lists the lobby.
func (s *server) ChatList(ctx context.Context, req *pb.LoginRef) (*pb.ChatListResponse, error) {
	if !lists {
		return s.UnimplementedTransportServer.ChatList(ctx, req)
	}
	return &pb.ChatListResponse{Chats: []*pb.Chat{lobby()}}, nil
}

// ChatInfo describes the lobby, where there is one.
func (s *server) ChatInfo(_ context.Context, req *pb.ChatRef) (*pb.Chat, error) {
	if req.ChatId == "lobby" && grouped {
		return lobby(), nil
	}
	return nil, status.Error(codes.NotFound, "no chat "+req.ChatId)
}

func lobby() *pb.Chat {
	return &pb.Chat{ChatId: "lobby", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "Lobby"}
}

// Disconnect ends a login's connection (the gateway's relogin connects
// it again).
func (s *server) Disconnect(_ context.Context, req *pb.LoginRef) (*pb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.logins, req.LoginId)
	return &pb.Empty{}, nil
}

// Events sends what is not acknowledged, then new events, until the
// stream ends.
func (s *server) Events(stream pb.Transport_EventsServer) error {
	ctx := stream.Context()
	go func() {
		for {
			ack, err := stream.Recv()
			if err != nil {
				return
			}
			s.mu.Lock()
			for len(s.events) > 0 && s.events[0].Seq <= ack.UpToSeq {
				s.events = s.events[1:]
			}
			s.mu.Unlock()
		}
	}()
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	var sent uint64
	for {
		s.mu.Lock()
		for ctx.Err() == nil && (len(s.events) == 0 || s.events[len(s.events)-1].Seq <= sent) {
			s.cond.Wait()
		}
		var batch []*pb.Event
		for _, ev := range s.events {
			if ev.Seq > sent {
				batch = append(batch, ev)
			}
		}
		s.mu.Unlock()
		if ctx.Err() != nil {
			return nil
		}
		for _, ev := range batch {
			if err := stream.Send(ev); err != nil {
				return err
			}
			sent = ev.Seq
		}
	}
}

// slowAnswer is how long a "slow" command takes.
const slowAnswer = 2 * time.Second

// Commands runs each command in turn: a send is echoed by its contact.
func (s *server) Commands(stream pb.Transport_CommandsServer) error {
	for {
		cmd, err := stream.Recv()
		if err != nil {
			return nil
		}
		text := cmd.GetSend().GetText()
		if strings.HasPrefix(text, "slow") {
			time.Sleep(slowAnswer)
		}
		res := s.command(cmd)
		if strings.HasPrefix(text, "noanswer") {
			continue
		}
		if err := stream.Send(res); err != nil {
			return err
		}
		if strings.HasPrefix(text, "twice") {
			if err := stream.Send(res); err != nil {
				return err
			}
		}
	}
}

func (s *server) command(cmd *pb.Command) *pb.CommandResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := cmd.LoginId + "\x00" + cmd.TxnId
	if prev := s.answers[key]; cmd.TxnId != "" && prev != nil {
		if mode == "nometa" {
			return &pb.CommandResult{CorrelationId: cmd.CorrelationId, MessageId: prev.MessageId, TimestampUnixMicro: prev.TimestampUnixMicro}
		}
		return &pb.CommandResult{CorrelationId: cmd.CorrelationId, MessageId: prev.MessageId,
			TimestampUnixMicro: prev.TimestampUnixMicro, Meta: prev.Meta, Error: prev.Error}
	}
	if e := cmd.GetEdit(); e != nil {
		return s.edit(cmd, e)
	}
	if cmd.GetDeclineInvite() != nil && mode == "declineok" {
		return &pb.CommandResult{CorrelationId: cmd.CorrelationId}
	}
	send := cmd.GetSend()
	if send == nil {
		text := "rawsend only sends and edits"
		if mode == "baretext" {
			text = ""
		}
		return &pb.CommandResult{CorrelationId: cmd.CorrelationId, Error: &pb.Error{Code: pb.ErrorCode_ERROR_CODE_UNSUPPORTED, Text: text}}
	}
	if mode == "nogroupsend" && cmd.ChatId == "lobby" {
		return &pb.CommandResult{CorrelationId: cmd.CorrelationId, Error: &pb.Error{Code: pb.ErrorCode_ERROR_CODE_NOT_FOUND, Text: "rawsend sends to contacts only"}}
	}
	if !s.logins[cmd.LoginId] {
		code := pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED
		if mode == "loginnotfound" {
			code = pb.ErrorCode_ERROR_CODE_NOT_FOUND
		}
		return &pb.CommandResult{CorrelationId: cmd.CorrelationId, Error: &pb.Error{Code: code, Text: "login " + cmd.LoginId + " is not connected"}}
	}
	id := rand.Text()
	s.sent[id] = true
	meta, _ := json.Marshal(map[string]string{"id": id})
	if mode == "bigmeta" {
		meta = []byte(strings.Repeat("m", 2048))
	}
	res := &pb.CommandResult{CorrelationId: cmd.CorrelationId, MessageId: id, TimestampUnixMicro: time.Now().UnixMicro(), Meta: meta}
	partly := strings.HasPrefix(send.Text, "partly")
	if partly {
		res.Error = &pb.Error{Code: pb.ErrorCode_ERROR_CODE_TOO_LARGE, Text: "rawsend: the second part did not go"}
		if mode == "partlyerror" {
			res = &pb.CommandResult{CorrelationId: cmd.CorrelationId, Error: res.Error}
		}
	}
	deliver := func() error {
		if path := os.Getenv("RAWSEND_NETWORK"); path != "" {
			if err := appendLine(path, cmd.ChatId+"\t"+send.Text); err != nil {
				return err
			}
		}
		if mode == "badevents" {
			s.emitBadLocked(cmd.LoginId, cmd.ChatId, id)
		}
		s.emitLocked(&pb.Event{LoginId: cmd.LoginId, ChatId: cmd.ChatId, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: id + ".echo",
			Sender: &pb.Sender{UserId: cmd.ChatId}, Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: send.Text}}})
		return nil
	}
	if mode == "late" {
		time.AfterFunc(100*time.Millisecond, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			deliver()
		})
	} else if err := deliver(); err != nil {
		return &pb.CommandResult{CorrelationId: cmd.CorrelationId, Error: &pb.Error{Code: pb.ErrorCode_ERROR_CODE_UNAVAILABLE, Text: err.Error()}}
	}
	if cmd.TxnId != "" && !(partly && mode == "partlyforget") {
		s.answers[key] = res
		if mode != "forget" {
			js, _ := protojson.Marshal(res)
			if err := appendLine(s.path("answers"), key+"\t"+string(js)); err != nil {
				return &pb.CommandResult{CorrelationId: cmd.CorrelationId, Error: &pb.Error{Text: err.Error()}}
			}
		}
	}
	return res
}

// edit corrects the echo of a message sent before, which its meta names.
func (s *server) edit(cmd *pb.Command, e *pb.EditMessage) *pb.CommandResult {
	var meta struct{ ID string }
	known := json.Unmarshal(e.TargetMeta, &meta) == nil && meta.ID == e.TargetId
	if mode == "memedits" {
		known = s.sent[e.TargetId]
	}
	if !known {
		return &pb.CommandResult{CorrelationId: cmd.CorrelationId, Error: &pb.Error{Code: pb.ErrorCode_ERROR_CODE_NOT_FOUND, Text: "no such message"}}
	}
	s.emitLocked(&pb.Event{LoginId: cmd.LoginId, ChatId: cmd.ChatId, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: rand.Text(),
		Sender: &pb.Sender{UserId: cmd.ChatId}, Payload: &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: e.TargetId + ".echo", Text: e.Text}}})
	return &pb.CommandResult{CorrelationId: cmd.CorrelationId}
}

// emitBadLocked emits, for the send id, the events of mode "badevents":
// each breaks one of the contract's rules the gateway drops an event for.
func (s *server) emitBadLocked(loginID, chatID, id string) {
	note := func(ev *pb.Event) *pb.Event {
		ev.ChatType, ev.Sender = pb.ChatType_CHAT_TYPE_DIRECT, &pb.Sender{UserId: chatID}
		if ev.Payload == nil {
			ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: "rawsend notice"}}
		}
		return ev
	}
	s.emitLocked(note(&pb.Event{LoginId: loginID, ChatId: chatID, EventId: id + "\x00nul"}))
	s.emitLocked(note(&pb.Event{LoginId: loginID, ChatId: chatID, EventId: id + strings.Repeat("x", int(pb.Limit_LIMIT_ID_BYTES))}))
	s.emitLocked(note(&pb.Event{LoginId: loginID, ChatId: chatID, EventId: id + ".meta", Meta: []byte(strings.Repeat("m", 2048))}))
	s.emitLocked(note(&pb.Event{LoginId: loginID, Payload: &pb.Event_Typing{Typing: &pb.TypingEvent{State: pb.TypingState_TYPING_STATE_COMPOSING}}}))
	s.emitLocked(note(&pb.Event{ChatId: chatID, EventId: id + ".nologin"}))
}

// DownloadMedia streams a file that breaks the contract, for the
// gateway's tests: ref "zeros" announces 10 bytes and sends empty chunks
// until the stream ends; ref "more" announces 5 bytes and sends 10.
// Others are refused as not supported: it does not advertise
// media_download.
func (*server) DownloadMedia(req *pb.MediaRef, stream pb.Transport_DownloadMediaServer) error {
	switch req.Ref {
	case "zeros":
		if err := stream.Send(&pb.MediaChunk{Info: &pb.MediaInfo{Name: "z", Size: 10}}); err != nil {
			return err
		}
		for stream.Context().Err() == nil {
			if err := stream.Send(&pb.MediaChunk{}); err != nil {
				return err
			}
		}
		return nil
	case "more":
		return stream.Send(&pb.MediaChunk{Info: &pb.MediaInfo{Name: "m", Size: 5}, Data: []byte("0123456789")})
	}
	// Not advertised (media_download): refused as the kit wants.
	return status.Errorf(codes.Unimplemented, "rawsend downloads only its test refs, not %q", req.Ref)
}

// Backfill answers at once; its batch, with no cursor and not done,
// goes on the History stream.
func (s *server) Backfill(_ context.Context, req *pb.BackfillRequest) (*pb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.histSeq++
	s.history = append(s.history, &pb.HistoryBatch{Seq: s.histSeq, LoginId: req.LoginId, ChatId: req.ChatId, ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
		Events: []*pb.Event{{EventId: "old-1", IsBackfill: true, TimestampUnixMicro: time.Now().Add(-time.Hour).UnixMicro(),
			Sender: &pb.Sender{UserId: req.ChatId}, Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "old"}}}}})
	s.cond.Broadcast()
	return &pb.Empty{}, nil
}

// History sends the batches Backfill made, until the stream ends; it
// reads no acks (a batch goes once).
func (s *server) History(stream pb.Transport_HistoryServer) error {
	ctx := stream.Context()
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	for {
		s.mu.Lock()
		for ctx.Err() == nil && len(s.history) == 0 {
			s.cond.Wait()
		}
		batches := s.history
		s.history = nil
		s.mu.Unlock()
		if ctx.Err() != nil {
			return nil
		}
		for _, b := range batches {
			if err := stream.Send(b); err != nil {
				return err
			}
		}
	}
}
