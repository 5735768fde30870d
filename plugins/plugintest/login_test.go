package plugintest

import (
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// echoCodeLogin is the echo network's login of two steps: a username
// ending in "+code", then the code 0000, a wrong one tried first.
var echoCodeLogin = []LoginStep{
	{Fields: map[string]string{"username": "alice+code"}},
	{Wrong: map[string]string{"code": "1234"}, Fields: map[string]string{"code": "0000"}},
}

// The kit passes a plugin whose login takes two steps, and runs every
// check on logins made so (and the echo network's send that goes in
// part).
func TestConformanceLoginSteps(t *testing.T) {
	Run(t, Config{Binary: BuildBinary(t, echoPkg), Contact: "bob", Login: echoCodeLogin,
		PartlySent: &pb.SendMessage{Text: "partly hello"}}) // the echo network's word for a send that goes in part
}

// A QR code step: the kit hands the step to Act, then waits for it to
// move on (the echo network's phone scans by itself, after rotating the
// code once).
func TestConformanceLoginQR(t *testing.T) {
	acts := 0
	r := &runner{cfg: Config{Binary: BuildBinary(t, echoPkg), Contact: "bob", Login: []LoginStep{
		{Fields: map[string]string{"username": "alice+qr"}},
		{Act: func(t testing.TB, step *pb.LoginStep) map[string]string {
			acts++
			if d := step.GetDisplay(); d.GetType() != pb.DisplayType_DISPLAY_TYPE_QR || !strings.HasPrefix(d.GetData(), "echo://login/alice+qr/") {
				t.Fatalf("Act got %v, want the QR code step", step)
			}
			return nil
		}},
	}}}
	r.checkLoginSteps(t)
	// Three logins scanned (the first, the same account again, the one
	// after the cancelled one), which was cancelled before its scan.
	if acts != 3 {
		t.Errorf("Act called %d times, want 3", acts)
	}
}

// rawPkg is a plugin that speaks the login calls without the SDK, and
// breaks the contract as RAWLOGIN says (testdata/rawlogin).
const rawPkg = "passerelle.im/passerelle/plugins/plugintest/testdata/rawlogin"

// rawLogin is rawlogin's login: a phone number, a code and a password,
// with a wrong code and a wrong password tried first.
var rawLogin = []LoginStep{
	{Fields: map[string]string{"phone": "+33612345678"}},
	{Wrong: map[string]string{"code": "00000"}, Fields: map[string]string{"code": "12345"}},
	{Wrong: map[string]string{"password": "guess"}, Fields: map[string]string{"password": "hunter2"}},
}

// The kit's login check passes a plugin of three steps that keeps the
// contract without the SDK's help.
func TestConformanceLoginWithoutSDK(t *testing.T) {
	t.Setenv("RAWLOGIN", "")
	r := &runner{cfg: Config{Binary: BuildBinary(t, rawPkg), Contact: "bob", Login: rawLogin}}
	r.checkLoginSteps(t)
}

// The kit fails a plugin that breaks the contract of a login of several
// steps: a step without its process ID, a login complete before its
// last step, a wrong answer that ends the process, a cancelled process
// that goes on, a login_step event of no process, a login ID the
// gateway cannot keep. The checks run in a child test process, whose failure is
// the point.
func TestConformanceCatchesBrokenLogin(t *testing.T) {
	modes := map[string]string{
		"losepid":    `step 1: SubmitLoginInput: the answer has process_id ""`,
		"early":      "the login completed at step 3, before the last of the 3 steps of Config.Login",
		"endonwrong": "step 2: the wrong answer map[code:00000] failed the call",
		"nocancel":   "SubmitLoginInput on a cancelled process was accepted",
		"strayevent": `login_step event (seq 1): process_id "no-such-process" is none of the kit's login processes`,
		"longid":     "the completed login's login_id is 4104 bytes, over the contract's 4096",
	}
	names := slices.Sorted(maps.Keys(modes))
	if os.Getenv("PLUGINTEST_BROKEN_LOGIN") != "" {
		Timeout = 10 * time.Second
		for _, mode := range names {
			t.Run(mode, func(t *testing.T) {
				t.Setenv("RAWLOGIN", mode)
				r := &runner{cfg: Config{Binary: BuildBinary(t, rawPkg), Contact: "bob", Login: rawLogin}}
				r.checkLoginSteps(t)
			})
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestConformanceCatchesBrokenLogin$", "-test.v")
	cmd.Env = append(os.Environ(), "PLUGINTEST_BROKEN_LOGIN=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the kit passed plugins that break the login contract:\n%s", out)
	}
	for _, mode := range names {
		// Under -test.v a subtest's messages come between its RUN line
		// and the next.
		_, rest, _ := strings.Cut(string(out), "=== RUN   TestConformanceCatchesBrokenLogin/"+mode+"\n")
		own, _, _ := strings.Cut(rest, "=== RUN")
		if !strings.Contains(string(out), "--- FAIL: TestConformanceCatchesBrokenLogin/"+mode+" ") || !strings.Contains(own, modes[mode]) {
			t.Errorf("mode %s: the kit's output lacks a failure with %q:\n%s", mode, modes[mode], out)
		}
	}
}
