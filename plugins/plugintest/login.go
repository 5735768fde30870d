package plugintest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// LoginStep is what the user does at one step of a login that takes
// several (Config.Login): the answers to a form, or an action out of band
// (scanning a QR code, typing a pairing code on the phone) before the kit
// waits for the step to move on. The kit matches the plugin's steps to
// these in order; a form asked again with an error, or a display step
// whose code rotated, is the same step.
type LoginStep struct {
	// Fields answers a form step, by field ID.
	Fields map[string]string
	// Wrong, if set, is an answer to this form step that the network
	// refuses (a wrong code, a wrong password). While checking the login
	// the kit submits it first and wants the same form again, on the same
	// process, with an error text, and the right answer to go on from
	// there: a wrong answer must not end the login.
	Wrong map[string]string
	// Act does what the user does out of band, given the step the plugin
	// showed: for a display step, what moves it on (the fake network's
	// phone scans step.GetDisplay().Data); the kit then calls WaitLogin.
	// A display step needs one: a step that moves on by itself (a pretend
	// network that confirms after a while) has an Act that does nothing,
	// and takes longer than the 200 ms after which the kit cancels such a
	// step under a WaitLogin, to see that wait end. For a form step, its answers are added to Fields (a code the fake
	// network sent). It may fail t; it runs on the test's goroutine.
	Act func(t testing.TB, step *pb.LoginStep) map[string]string
}

// LoginSteps runs the login flow flowID ("" = the first) through steps
// and returns the completed step, checking each step against the
// contract (see Config.Login); wrong answers are not tried. It fails the
// test if the login does not complete after the last step.
func (p *Plugin) LoginSteps(flowID string, steps []LoginStep) *pb.CompleteStep {
	p.t.Helper()
	_, last := p.walkLogin(flowID, p.LoginDir(), steps, len(steps), false)
	return last.GetComplete()
}

// walkLogin starts a login process of flowID with the login folder dir
// and goes through steps, checking each step the plugin gives. It stops
// at the plugin's step number stop+1 without acting on it (stop =
// len(steps): at the completed login) and returns the process ID and
// that step. wrong: try each step's Wrong answer first.
func (p *Plugin) walkLogin(flowID, dir string, steps []LoginStep, stop int, wrong bool) (string, *pb.LoginStep) {
	t := p.t
	t.Helper()
	ctx, cancel := p.CallContext()
	step, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: UserJID, FlowId: flowID, LoginDir: dir})
	cancel()
	if err != nil {
		t.Fatalf("StartLogin: %v", err)
	}
	pid := step.ProcessId
	if pid == "" {
		t.Fatalf("StartLogin: the first step has no process_id: %v", step)
	}
	if step.Error != "" {
		t.Errorf("StartLogin: the first step has an error text, with no input yet: %q", step.Error)
	}
	for i := 0; ; i++ {
		if done := step.GetComplete(); done != nil {
			if i < len(steps) {
				t.Fatalf("the login completed at step %d, before the last of the %d steps of Config.Login: %v", i+1, len(steps), step)
			}
			if done.LoginId == "" {
				t.Fatal("the completed login has no login_id")
			}
			checkLoginID(t, done.LoginId)
			return pid, step
		}
		if i >= len(steps) {
			t.Fatalf("the login did not complete after the %d steps of Config.Login: step %d is %v", len(steps), i+1, step)
		}
		checkStep(t, fmt.Sprintf("step %d", i+1), step)
		if i == stop {
			return pid, step
		}
		step = p.answerStep(pid, i, steps[i], step, wrong)
	}
}

// answerStep acts on the plugin's step number i+1 as s says and returns
// the next step.
func (p *Plugin) answerStep(pid string, i int, s LoginStep, step *pb.LoginStep, wrong bool) *pb.LoginStep {
	t := p.t
	t.Helper()
	where := fmt.Sprintf("step %d", i+1)
	if d := step.GetDisplay(); d != nil {
		if s.Act == nil || s.Fields != nil || s.Wrong != nil {
			t.Fatalf("%s is a display step (%v %q): Config.Login[%d] must have an Act that moves it on (one that does nothing, for a step that moves on by itself), and no Fields or Wrong", where, d.Type, d.Data, i)
		}
		s.Act(t, step)
		// The code may rotate meanwhile: a display step of the same type
		// is the same step, waited on again.
		deadline := time.Now().Add(Timeout)
		for {
			next, err := p.call(func(c pb.TransportClient, ctx context.Context) (*pb.LoginStep, error) {
				return c.WaitLogin(ctx, &pb.LoginProcessRef{ProcessId: pid})
			})
			if err != nil {
				t.Fatalf("%s: WaitLogin after Config.Login[%d].Act: %v", where, i, err)
			}
			samePID(t, where+": WaitLogin", pid, next)
			if nd := next.GetDisplay(); nd != nil && nd.Type == d.Type && next.Error == "" {
				checkStep(t, where+" (rotated)", next)
				if time.Now().After(deadline) {
					t.Fatalf("%s: still shown after %v of WaitLogin: %v", where, Timeout, next)
				}
				continue
			}
			if next.Error != "" {
				t.Fatalf("%s: after Config.Login[%d].Act the login went on with an error: %q (%v)", where, i, next.Error, next)
			}
			return next
		}
	}
	form := step.GetForm()
	if s.Fields == nil && s.Act == nil {
		t.Fatalf("%s is a form (fields %v): Config.Login[%d] has no Fields or Act to answer it", where, fieldIDs(form), i)
	}
	if wrong && s.Wrong != nil {
		again, err := p.submit(pid, s.Wrong)
		if err != nil {
			t.Fatalf("%s: the wrong answer %v failed the call (%v): wrong input must be the same step again, with an error text, on the same process, so that the user can try again", where, s.Wrong, err)
		}
		samePID(t, where+": the wrong answer", pid, again)
		switch {
		case again.GetComplete() != nil:
			t.Fatalf("%s: the wrong answer %v completed the login: %v", where, s.Wrong, again)
		case again.GetForm() == nil || !slices.Equal(fieldIDs(again.GetForm()), fieldIDs(form)):
			t.Fatalf("%s: the wrong answer %v: want the same form (fields %v) again with an error, got %v", where, s.Wrong, fieldIDs(form), again)
		case again.Error == "":
			t.Errorf("%s: the wrong answer %v: the form is asked again without an error text for the user", where, s.Wrong)
		}
		checkStep(t, where+" (asked again)", again)
		step, form = again, again.GetForm()
	}
	answers := maps.Clone(s.Fields)
	if answers == nil {
		answers = map[string]string{}
	}
	if s.Act != nil {
		maps.Copy(answers, s.Act(t, step))
	}
	ids := fieldIDs(form)
	for k := range answers {
		if !slices.Contains(ids, k) {
			t.Fatalf("%s: Config.Login[%d] answers field %q, which the form does not have (fields %v)", where, i, k, ids)
		}
	}
	for _, f := range form.Fields {
		if f.Required && answers[f.Id] == "" && f.DefaultValue == "" {
			t.Fatalf("%s: Config.Login[%d] leaves the required field %q empty", where, i, f.Id)
		}
	}
	next, err := p.submit(pid, answers)
	if err != nil {
		t.Fatalf("%s: SubmitLoginInput(%v): %v", where, answers, err)
	}
	samePID(t, where+": SubmitLoginInput", pid, next)
	if next.Error != "" {
		t.Fatalf("%s: the answers %v were refused: %q (%v)", where, answers, next.Error, next)
	}
	return next
}

// call makes one login call with a CallContext.
func (p *Plugin) call(f func(pb.TransportClient, context.Context) (*pb.LoginStep, error)) (*pb.LoginStep, error) {
	c, cancel := p.CallContext()
	defer cancel()
	return f(p.Client(), c)
}

func (p *Plugin) submit(pid string, fields map[string]string) (*pb.LoginStep, error) {
	return p.call(func(c pb.TransportClient, ctx context.Context) (*pb.LoginStep, error) {
		return c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: pid, Fields: fields})
	})
}

// samePID fails t unless step belongs to process pid: the host finds the
// process of every step by its ID.
func samePID(t testing.TB, where, pid string, step *pb.LoginStep) {
	t.Helper()
	if step.GetProcessId() != pid {
		t.Fatalf("%s: the answer has process_id %q, the process is %q: every step of a login carries its process's ID (%v)", where, step.GetProcessId(), pid, step)
	}
}

func fieldIDs(f *pb.FormStep) []string {
	var ids []string
	for _, x := range f.GetFields() {
		ids = append(ids, x.Id)
	}
	return ids
}

// notCompleteHint says why a single form's answers (Config.LoginFields,
// Plugin.Login) may not have completed the login at step, the plugin's
// answer to them: answers keyed by another ID than the form's fields, a
// required field left empty, or a login of several steps.
func notCompleteHint(form *pb.FormStep, answers map[string]string, step *pb.LoginStep) string {
	if form == nil {
		return " (the login's first step is no form: describe it in Config.Login, Plugin.LoginSteps)"
	}
	ids := fieldIDs(form)
	var stray, empty []string
	for _, k := range slices.Sorted(maps.Keys(answers)) {
		if !slices.Contains(ids, k) {
			stray = append(stray, k)
		}
	}
	for _, f := range form.GetFields() {
		if f.Required && answers[f.Id] == "" && f.DefaultValue == "" {
			empty = append(empty, f.Id)
		}
	}
	var why []string
	if len(stray) > 0 {
		why = append(why, fmt.Sprintf("the answers name %q, which the form does not have", stray))
	}
	if len(empty) > 0 {
		why = append(why, fmt.Sprintf("the required %q left empty", empty))
	}
	if len(why) > 0 {
		return fmt.Sprintf(" (the form's fields are %q; %s: the answers go by field ID)", ids, strings.Join(why, "; "))
	}
	if step != nil && step.GetError() == "" && step.GetComplete() == nil {
		return " (the login goes on to another step: describe a login of several steps in Config.Login, Plugin.LoginSteps)"
	}
	return ""
}

// checkStep checks what the contract says of a step that is not the
// completed login: a form whose fields have IDs and known types, or
// something to display.
func checkStep(t testing.TB, where string, step *pb.LoginStep) {
	t.Helper()
	switch {
	case step.GetForm() != nil:
		fields := step.GetForm().Fields
		if len(fields) == 0 {
			t.Errorf("%s: a form without fields: %v", where, step)
		}
		seen := map[string]bool{}
		for _, f := range fields {
			if f.Id == "" {
				t.Errorf("%s: a field without an ID: %v", where, f)
			} else if seen[f.Id] {
				t.Errorf("%s: two fields with the ID %q", where, f.Id)
			}
			seen[f.Id] = true
			if _, ok := pb.FieldType_name[int32(f.Type)]; !ok {
				t.Errorf("%s: field %q has the unknown type %d", where, f.Id, f.Type)
			}
			if f.Type == pb.FieldType_FIELD_TYPE_SELECT {
				if len(f.Options) == 0 {
					t.Errorf("%s: the select field %q has no options", where, f.Id)
				} else if f.DefaultValue != "" && !slices.Contains(f.Options, f.DefaultValue) {
					t.Errorf("%s: the select field %q's default %q is not one of its options %v", where, f.Id, f.DefaultValue, f.Options)
				}
			}
		}
	case step.GetDisplay() != nil:
		d := step.GetDisplay()
		if _, ok := pb.DisplayType_name[int32(d.Type)]; !ok {
			t.Errorf("%s: a display step of the unknown type %d", where, d.Type)
		}
		if d.Type != pb.DisplayType_DISPLAY_TYPE_NOTHING && d.Data == "" {
			t.Errorf("%s: a %v display step without data to show", where, d.Type)
		}
	default:
		t.Fatalf("%s: neither a form, a display nor a completed login: %v", where, step)
	}
}

// checkLoginSteps is the login check of a login of several steps
// (Config.Login): every step checked, wrong answers asked again on the
// same process, the same account giving the same login_id, a process
// cancelled at its last step gone without a trace, and the login_step
// events of steps that change by themselves well-formed.
func (r *runner) checkLoginSteps(t *testing.T) {
	p := r.start(t)
	r.checkFlows(t, p)
	evs := p.Events()
	steps := r.cfg.Login
	var pids []string
	login := func(dir string, stop int, wrong bool) *pb.LoginStep {
		t.Helper()
		pid, step := p.walkLogin(r.cfg.FlowID, dir, steps, stop, wrong)
		pids = append(pids, pid)
		return step
	}

	loginID := login(p.LoginDir(), len(steps), true).GetComplete().LoginId
	r.loggedIn.Store(true)

	// The same account again is the same login.
	if again := login(p.LoginDir(), len(steps), false).GetComplete(); again.LoginId != loginID {
		t.Errorf("logging in again gave login_id %q, first %q:%s", again.LoginId, loginID, sameLogin)
	}

	// A process cancelled at its last step, in a folder of its own (the
	// host gives each process one, and removes it when the process is
	// cancelled).
	dir := filepath.Join(p.DataDir, "logins", "cancelled")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	at := login(dir, len(steps)-1, false)
	pid := pids[len(pids)-1]
	// A user who gives up on a step that waits (a QR code shown) cancels
	// while the host's WaitLogin is under way: that wait ends too.
	var waiting chan error
	if at.GetDisplay() != nil {
		waiting = make(chan error, 1)
		go func() {
			step, err := p.call(func(c pb.TransportClient, ctx context.Context) (*pb.LoginStep, error) {
				return c.WaitLogin(ctx, &pb.LoginProcessRef{ProcessId: pid})
			})
			if err == nil && step.GetComplete() != nil {
				err = errors.New("completed the login")
			} else {
				err = nil
			}
			waiting <- err
		}()
		time.Sleep(200 * time.Millisecond) // the wait under way
	}
	ctx, cancel := p.CallContext()
	_, err := p.Client().CancelLogin(ctx, &pb.LoginProcessRef{ProcessId: pid})
	cancel()
	if err != nil {
		t.Fatalf("CancelLogin at step %d: %v", len(steps), err)
	}
	if waiting != nil {
		select {
		case err := <-waiting:
			if err != nil {
				t.Errorf("a WaitLogin under way when the login was cancelled %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("a WaitLogin under way when the login was cancelled still waits 10 s later: it must end with the process")
		}
	}
	// Gone: the process's calls fail with NOT_FOUND, as on any unknown
	// process.
	gone := func(what string, step *pb.LoginStep, err error) {
		t.Helper()
		switch {
		case err == nil:
			t.Errorf("%s on a cancelled process was accepted: %v", what, step)
		case sdk.FromGRPC(err).Code != pb.ErrorCode_ERROR_CODE_NOT_FOUND:
			t.Errorf("%s on a cancelled process: %v, want NOT_FOUND", what, err)
		}
	}
	var answers map[string]string
	if at.GetForm() != nil {
		answers = steps[len(steps)-1].Fields
	}
	step, err := p.submit(pid, answers)
	gone("SubmitLoginInput", step, err)
	step, err = p.call(func(c pb.TransportClient, ctx context.Context) (*pb.LoginStep, error) {
		return c.WaitLogin(ctx, &pb.LoginProcessRef{ProcessId: pid})
	})
	gone("WaitLogin", step, err)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}

	// Nothing of it stands in the way of the next login, which completes
	// as the same login.
	if again := login(p.LoginDir(), len(steps), false).GetComplete(); again.LoginId != loginID {
		t.Errorf("logging in after a cancelled login gave login_id %q, first %q:%s", again.LoginId, loginID, sameLogin)
	}
	// Nor did the cancelled process write to its folder once cancelled.
	if entries, err := os.ReadDir(dir); err == nil {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the cancelled process's login folder, removed after CancelLogin, was made again (%s)", strings.Join(names, ", "))
	}

	// A step that changed by itself (a QR code that rotates) came as a
	// login_step event: the host finds its process by the ID. The events
	// that have arrived by now are checked; none is awaited.
	for ev := range evs.arrived() {
		evs.p.checkEvent(ev)
		ls := ev.GetLoginStep()
		if ls == nil {
			continue
		}
		where := fmt.Sprintf("login_step event (seq %d)", ev.Seq)
		if !slices.Contains(pids, ls.ProcessId) {
			t.Errorf("%s: process_id %q is none of the kit's login processes: %v", where, ls.ProcessId, ev)
		}
		if ev.ChatId != "" {
			t.Errorf("%s: chat_id %q, want none (an event of the login itself)", where, ev.ChatId)
		}
		if ls.GetComplete() == nil {
			checkStep(t, where, ls)
		}
	}
}
