//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/ngircdtest"
)

// TestOwnPluginLoginSteps: -login given once a step walks a login of
// several steps, each shown with its instructions and the answers given
// (the echo network's "+code" username asks for a code next), in the
// demo user's real session on the demo's Prosody; then the message
// goes. (-login was one form: a second overwrote the first, and the
// echo login's first step had no field "code".)
func TestOwnPluginLoginSteps(t *testing.T) {
	d := startDemo(t, "-once", "-plugin", filepath.Join(binDir, "passerelle-echo"), "-name", "mynet",
		"-login", "username=carol+code", "-login", "code=0000", "-contact", "friend")
	d.waitLine("step 1: Choose a username on the echo network. (fields: username)")
	d.waitLine("answered username=carol+code")
	d.waitLine("step 2: Enter the code the echo network sent you (it is always 0000). (fields: code)")
	d.waitLine("answered code=0000")
	d.waitLine("logged in")
	d.waitLine(`<- friend@mynet.localhost: Hello through passerelle!`)
	if code := d.wait(true); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	d.noLeftovers()
}

// A login with more steps than -login answers, or a step's answer the
// plugin refuses, ends the demo with status 1 and the plugin's words,
// the stack taken down.
func TestOwnPluginLoginStepsWrong(t *testing.T) {
	for _, c := range []struct {
		logins []string
		want   string
	}{
		{[]string{"username=carol+code"}, "the login asks for more after step 1: Enter the code the echo network sent you (it is always 0000). (fields: code); answer it with one more -login"},
		{[]string{"username=carol+code", "code=1234"}, "the plugin refused the answers of step 2: Wrong code. The echo network's code is 0000."},
		{[]string{"username=carol", "code=0000"}, "the login completed after step 1: drop the -login flags after flag 1, which answer no step"},
		// The network refuses the connection (the echo plugin's +broken
		// mark): its reason, not "logged in" (a "warn" note, unread).
		{[]string{"username=carol+broken"}, "its connection failed: You are logged in to Echo as carol+broken: the login is saved, but its connection was stopped: the gateway could not connect it: the echo network's session file is unreadable"},
	} {
		t.Run(strings.Join(c.logins, "_"), func(t *testing.T) {
			args := []string{"-once", "-plugin", filepath.Join(binDir, "passerelle-echo")}
			for _, l := range c.logins {
				args = append(args, "-login", l)
			}
			d := startDemo(t, args...)
			d.waitLine("step 1:")
			d.failsWith(c.want)
		})
	}
}

// TestConfigFileIRC: -config runs the [[transport]] of a file in
// passerelle.toml's format, examples/demo-irc.toml as the README gives
// it, with its [transport.config]: its fixed_server is why a login that
// names no server completes, connected to a real ngircd on loopback.
// (The demo had no -config: the IRC plugin ran with no config at all.)
func TestConfigFileIRC(t *testing.T) {
	build := exec.Command("go", "build", "-o", binDir+"/", "passerelle.im/passerelle/cmd/passerelle-irc")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the IRC plugin: %v\n%s", err, out)
	}
	irc := ngircdtest.Start(t, ngircdtest.Config{})
	example, err := filepath.Abs("../../examples/demo-irc.toml")
	if err != nil {
		t.Fatal(err)
	}
	d := startDemo(t, "-once", "-config", example, "-login", "nick=carol,port="+strconv.Itoa(irc.Port)+",tls=off")
	d.waitLine("starting passerelle with the transport irc of " + example + " (" + filepath.Join(binDir, "passerelle-irc") + ") as irc.localhost")
	d.waitLine("answered nick=carol,port=")
	d.waitLine("logged in")
	if code := d.wait(true); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	d.noLeftovers()
}

// TestConfigFileIRCTLSOn: the login the README's example is one flag
// away from, TLS left on (the login form's default) against ngircd's
// port without TLS, ends the demo with status 1 and the plugin's words
// (turn TLS off), as the gateway's answer to the login says once the
// handshake gave up (30 s). Before, the demo's one 30 s deadline, from
// its dial, ran out first while the answer waited for the connection:
// "context deadline exceeded"; and a login answered with a warning
// (saved, not connected) was printed "logged in", status 0.
func TestConfigFileIRCTLSOn(t *testing.T) {
	build := exec.Command("go", "build", "-o", binDir+"/", "passerelle.im/passerelle/cmd/passerelle-irc")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the IRC plugin: %v\n%s", err, out)
	}
	irc := ngircdtest.Start(t, ngircdtest.Config{})
	example, err := filepath.Abs("../../examples/demo-irc.toml")
	if err != nil {
		t.Fatal(err)
	}
	d := startDemo(t, "-once", "-config", example, "-login", "nick=carol,port="+strconv.Itoa(irc.Port))
	d.waitLine("answered nick=carol,port=")
	d.failsWith("the login completed, but its connection failed", "turn TLS off")
}

// A -config file the demo cannot run from is refused before anything
// starts, with status 2 and the reason.
func TestConfigFileRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	two := write("two.toml", "[[transport]]\nname = \"echo\"\n[[transport]]\nname = \"irc\"\n")
	none := write("none.toml", "[xmpp]\nserver = \"127.0.0.1:5347\"\n")
	off := write("off.toml", "[[transport]]\nname = \"echo\"\nenabled = false\n")
	missing := write("missing.toml", "[[transport]]\nname = \"nosuchnet\"\n")
	bad := write("bad.toml", "[[transport]\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-config", two}, "the file has 2 [[transport]] blocks: give a file with one"},
		{[]string{"-config", none}, "the file has 0 [[transport]] blocks: give a file with one"},
		{[]string{"-config", off}, `the transport "echo" is disabled (enabled = false)`},
		{[]string{"-config", missing}, `name = "nosuchnet": no plugin passerelle-nosuchnet beside passerelle-demo`},
		{[]string{"-config", bad}, "-config " + bad + ": toml:"},
		{[]string{"-config", two, "-plugin", filepath.Join(binDir, "passerelle-echo")}, "-plugin and -config both name the transport to run: give one"},
		{[]string{"-config", two, "-name", "x"}, "-name goes with -plugin"},
	} {
		out, err := exec.Command(filepath.Join(binDir, "passerelle-demo"), append([]string{"-dir", filepath.Join(t.TempDir(), "demo")}, c.args...)...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("%v: %v, want exit status 2:\n%s", c.args, err, out)
		}
		if !strings.Contains(string(out), c.want) {
			t.Errorf("%v: the output lacks %q:\n%s", c.args, c.want, out)
		}
	}
}

// A [transport.config] the plugin refuses (the echo plugin takes no
// key) ends the demo with status 1 and the plugin's words, the stack
// taken down. (The gateway stayed up without the transport, retrying,
// and the demo went on as if it ran: -once exited 0.) The problem is at
// the file's line of [transport.config]: it was at the generated
// config's.
func TestConfigFilePluginRefuses(t *testing.T) {
	file := filepath.Join(t.TempDir(), "echo.toml")
	if err := os.WriteFile(file, []byte("[[transport]]\nname = \"echo\"\n\n[transport.config]\ngreeting = \"hi\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDemo(t, "-once", "-config", file)
	d.waitLine("starting passerelle with the transport echo of " + file)
	// The problem at the file's line of [transport.config], which the
	// user edits, not at the demo's generated config's.
	d.failsWith("-config "+file+": the transport does not start with it", file+`:4: transport echo: plugin`, `unknown key "greeting"`)
}

// TestOwnPluginLoginValueWithComma: a -login value with a comma of its
// own (IRC's channels=#a,#b, the form's comma-separated list) reaches
// the plugin whole: the part without '=' continues the value before
// it. It was refused: -login: "#b" is not FIELD=VALUE.
func TestOwnPluginLoginValueWithComma(t *testing.T) {
	d := startDemo(t, "-once", "-plugin", filepath.Join(binDir, "passerelle-echo"), "-login", "username=carol,jr")
	d.waitLine("answered username=carol,jr")
	d.waitLine("logged in: You are logged in to Echo as carol,jr.")
	if code := d.wait(true); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	d.noLeftovers()
}
