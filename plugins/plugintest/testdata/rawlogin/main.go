// Command rawlogin is a plugin that speaks the contract's login calls by
// hand, without the SDK (which would keep it to the contract): a login of
// three steps, a phone number, a code (12345) and a password (hunter2).
// RAWLOGIN picks how it breaks the contract, for the conformance kit's
// own tests, which check that the kit fails it:
//
//   - "" : it does not; the kit passes it.
//   - "losepid": the steps after the first carry no process ID.
//   - "early": the login completes at the code, before the password.
//   - "endonwrong": a wrong code fails the call and ends the process
//     instead of asking again.
//   - "nocancel": CancelLogin leaves the process going.
//   - "strayevent": the events stream carries a login_step event of a
//     process that does not exist.
//   - "longid": the completed login's ID is the phone number repeated
//     to over the contract's 4096 bytes.
//
// It implements nothing beyond Init, the login calls and an events
// stream without events (but the stray one).
package main

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var mode = os.Getenv("RAWLOGIN")

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
	pb.RegisterTransportServer(s, &server{procs: map[string]string{}})
	return nil
}

func (grpcPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, nil
}

type server struct {
	pb.UnimplementedTransportServer
	mu    sync.Mutex
	procs map[string]string // process ID: the phone number ("" until given)
	codes map[string]bool   // processes past the code
}

func (*server) Init(context.Context, *pb.InitRequest) (*pb.Capabilities, error) {
	return &pb.Capabilities{ApiVersion: sdk.APIVersion, Network: "rawlogin", Features: &pb.Features{}}, nil
}

func (*server) LoginFlows(context.Context, *pb.LoginFlowsRequest) (*pb.LoginFlowsResponse, error) {
	return &pb.LoginFlowsResponse{Flows: []*pb.LoginFlow{{Id: "phone", Name: "Phone number"}}}, nil
}

func (s *server) StartLogin(context.Context, *pb.StartLoginRequest) (*pb.LoginStep, error) {
	id := rand.Text()
	s.mu.Lock()
	s.procs[id] = ""
	s.mu.Unlock()
	return form(id, "", "phone", pb.FieldType_FIELD_TYPE_PHONE), nil
}

func (s *server) SubmitLoginInput(_ context.Context, req *pb.SubmitLoginInputRequest) (*pb.LoginStep, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := req.ProcessId
	phone, ok := s.procs[id]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no login in progress with ID %q", id)
	}
	next := id
	if mode == "losepid" {
		next = ""
	}
	f := req.Fields
	switch {
	case phone == "":
		if p := strings.TrimSpace(f["phone"]); p != "" {
			s.procs[id] = p
			return form(next, "", "code", pb.FieldType_FIELD_TYPE_CODE), nil
		}
		return form(id, "Type your phone number.", "phone", pb.FieldType_FIELD_TYPE_PHONE), nil
	case !s.codes[id]:
		if f["code"] != "12345" {
			if mode == "endonwrong" {
				delete(s.procs, id)
				return nil, status.Error(codes.Unauthenticated, "wrong code")
			}
			return form(next, "Wrong code.", "code", pb.FieldType_FIELD_TYPE_CODE), nil
		}
		if mode == "early" {
			delete(s.procs, id)
			return complete(next, phone), nil
		}
		if s.codes == nil {
			s.codes = map[string]bool{}
		}
		s.codes[id] = true
		return form(next, "", "password", pb.FieldType_FIELD_TYPE_PASSWORD), nil
	case f["password"] != "hunter2":
		return form(next, "Wrong password.", "password", pb.FieldType_FIELD_TYPE_PASSWORD), nil
	}
	delete(s.procs, id)
	return complete(next, phone), nil
}

func (s *server) WaitLogin(_ context.Context, req *pb.LoginProcessRef) (*pb.LoginStep, error) {
	s.mu.Lock()
	_, ok := s.procs[req.ProcessId]
	s.mu.Unlock()
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no login in progress with ID %q", req.ProcessId)
	}
	return nil, status.Error(codes.InvalidArgument, "this login step has nothing to wait for")
}

func (s *server) CancelLogin(_ context.Context, req *pb.LoginProcessRef) (*pb.Empty, error) {
	if mode != "nocancel" {
		s.mu.Lock()
		delete(s.procs, req.ProcessId)
		s.mu.Unlock()
	}
	return &pb.Empty{}, nil
}

func (*server) Events(stream pb.Transport_EventsServer) error {
	if mode == "strayevent" {
		err := stream.Send(&pb.Event{Seq: 1, Payload: &pb.Event_LoginStep{LoginStep: &pb.LoginStep{ProcessId: "no-such-process",
			Step: &pb.LoginStep_Display{Display: &pb.DisplayStep{Type: pb.DisplayType_DISPLAY_TYPE_QR, Data: "qr"}}}}})
		if err != nil {
			return err
		}
	}
	<-stream.Context().Done()
	return nil
}

func form(id, errText, field string, typ pb.FieldType) *pb.LoginStep {
	return &pb.LoginStep{ProcessId: id, Error: errText, Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
		{Id: field, Label: field, Type: typ, Required: true}}}}}
}

func complete(id, phone string) *pb.LoginStep {
	if mode == "longid" {
		phone = strings.Repeat(phone, 4096/len(phone)+1)
	}
	return &pb.LoginStep{ProcessId: id, Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{LoginId: phone, DisplayName: phone}}}
}
