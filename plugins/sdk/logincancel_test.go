package sdk

import (
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// waitNet's logins show a code and wait; how the wait ends is the test's.
type waitNet struct {
	testNet[*plain]
	wait func(ctx context.Context, cancelled <-chan struct{}) (*pb.LoginStep, error)
	// waiting receives once a Wait is under way.
	waiting chan struct{}
}

func (n *waitNet) StartLogin(context.Context, LoginRequest) (LoginProcess, error) {
	return &waitLogin{n: n, cancelled: make(chan struct{})}, nil
}

type waitLogin struct {
	n         *waitNet
	cancelled chan struct{}
}

func (l *waitLogin) Start(context.Context) (*pb.LoginStep, error) {
	return &pb.LoginStep{Step: &pb.LoginStep_Display{Display: &pb.DisplayStep{Type: pb.DisplayType_DISPLAY_TYPE_CODE, Data: "1234"}}}, nil
}

func (l *waitLogin) Cancel() { close(l.cancelled) }

func (l *waitLogin) Wait(ctx context.Context) (*pb.LoginStep, error) {
	l.n.waiting <- struct{}{}
	return l.n.wait(ctx, l.cancelled)
}

func completeStep(id string) *pb.LoginStep {
	return &pb.LoginStep{Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{LoginId: id}}}
}

// A login the user cancels while the host's WaitLogin is under way ends
// that wait with NOT_FOUND, as any call on an unknown process, whatever
// the plugin's Wait does: one that waits on its context alone (Cancel
// tells the network, not the wait) is ended, and one that completes all
// the same (the phone confirmed as the user gave up) completes no login
// the host has cancelled and removed the folder of. Before, the first
// WaitLogin went on until the host's call timed out (10 minutes), and
// the second handed the host a completed login after its CancelLogin.
func TestCancelLoginEndsWait(t *testing.T) {
	for _, tc := range []struct {
		name string
		wait func(ctx context.Context, cancelled <-chan struct{}) (*pb.LoginStep, error)
	}{
		{"wait on the context", func(ctx context.Context, _ <-chan struct{}) (*pb.LoginStep, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}},
		{"completes all the same", func(_ context.Context, cancelled <-chan struct{}) (*pb.LoginStep, error) {
			<-cancelled
			return completeStep("alice"), nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &waitNet{testNet: testNet[*plain]{mk: func(l LoginInfo) *plain { return &plain{info: l} }}, wait: tc.wait, waiting: make(chan struct{}, 1)}
			c := startServer(t, newConnectorTransport[*plain](n), "")
			ctx := testContext(t)
			step, err := c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: "u@x"})
			if err != nil || step.GetDisplay() == nil {
				t.Fatalf("StartLogin: %v %v", step, err)
			}
			type answer struct {
				step *pb.LoginStep
				err  error
			}
			waited := make(chan answer, 1)
			go func() {
				s, err := c.WaitLogin(ctx, &pb.LoginProcessRef{ProcessId: step.ProcessId})
				waited <- answer{s, err}
			}()
			<-n.waiting
			if _, err := c.CancelLogin(ctx, &pb.LoginProcessRef{ProcessId: step.ProcessId}); err != nil {
				t.Fatal(err)
			}
			a := <-waited
			if code := codeOf(FromGRPC(a.err)); code != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
				t.Fatalf("the WaitLogin under way at the cancel: %v, %v; want NOT_FOUND", a.step, a.err)
			}
		})
	}
}
