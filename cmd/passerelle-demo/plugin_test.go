//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOwnPlugin: -plugin runs a plugin author's transport (here the echo
// binary under another name) in the stack, -login logs the demo user in
// with its form's answers, -contact sends a message and shows the
// answer; -once then exits 0 with nothing left running. The contact's
// ID has a capital, which its JID escapes (XEP-0106, as the gateway
// maps IDs): the demo wrote to Friend@, the gateway's friend, and
// waited for an answer from Friend@ in vain.
func TestOwnPlugin(t *testing.T) {
	d := startDemo(t, "-once", "-plugin", filepath.Join(binDir, "passerelle-echo"), "-name", "mynet",
		"-login", "username=carol", "-contact", "Friend")
	d.waitLine("starting passerelle with the transport " + filepath.Join(binDir, "passerelle-echo") + " as mynet.localhost")
	d.waitLine(`logging demo@localhost in to mynet.localhost with the ad-hoc command "login"`)
	d.waitLine(`-> \friend@mynet.localhost: Hello through passerelle!`)
	d.waitLine(`<- \friend@mynet.localhost: Hello through passerelle!`)
	if code := d.wait(true); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	d.noLeftovers()
}

// A -login that names a field the plugin's form does not have says so,
// with the field it likely meant and the form's fields, and the demo
// exits 1, taking the stack down. (It said so followed by the form's
// XML, 3 KB of it for IRC's login, the field IDs lost in it.)
func TestOwnPluginWrongField(t *testing.T) {
	d := startDemo(t, "-once", "-plugin", filepath.Join(binDir, "passerelle-echo"), "-login", "usernam=carol")
	d.waitLine("as echo.localhost")
	d.failsWith(`-login names the field "usernam", which the plugin's login form does not have at step 1 (did you mean username?); its fields: username`)
}

// Flags that need -plugin, or a plugin that cannot run, are refused
// before anything starts, with status 2 and the reason.
func TestOwnPluginFlagsRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-login", "username=carol"}, "-login, -flow and -contact go with -plugin or -config"},
		// -name does not go with -config: said so, not that it does.
		{[]string{"-name", "mynet"}, "-name goes with -plugin (it names the plugin's transport)"},
		{[]string{"-name", "mynet"}, "usage: passerelle-demo [-dir DIR] [-once] [-plugin PATH [-name NAME] | -config FILE]"},
		{[]string{"-plugin", filepath.Join(binDir, "passerelle-echo"), "-contact", "friend"}, "-flow and -contact go with -login"},
		{[]string{"-plugin", "/nonexistent/passerelle-x"}, "-plugin: stat /nonexistent/passerelle-x: no such file or directory"},
		{[]string{"-plugin", binDir}, "is not an executable file"},
		{[]string{"-plugin", filepath.Join(binDir, "passerelle-echo"), "-login", "username"}, `-login: "username" is not FIELD=VALUE`},
		{[]string{"-plugin", filepath.Join(binDir, "passerelle-echo"), "-name", "My Net"}, `-name "My Net": a transport's name here is lower-case letters`},
		{[]string{"-plugin", filepath.Join(binDir, "passerelle-echo"), "-login", "username=carol", "-contact", "a\tb"}, `-contact "a\tb": puppet: remote ID`},
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

// TestOwnPluginFlows: a plugin of several login flows (as Telegram's
// and WhatsApp's) run without -flow, or with a -flow it does not offer,
// ends the demo with status 1 naming the flows -flow takes. (It said
// so followed by the form's XML, the IDs in <option> elements, and a
// wrong -flow "<nil>" and the error stanza.)
func TestOwnPluginFlows(t *testing.T) {
	build := exec.Command("go", "build", "-o", filepath.Join(binDir, "passerelle-twoflows"), "./testdata/twoflows")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the twoflows plugin: %v\n%s", err, out)
	}
	for _, c := range []struct {
		flow []string
		want string
	}{
		{nil, "the plugin offers several login flows: name one with -flow: phone (Phone number), qr (QR code)"},
		{[]string{"-flow", "phon"}, `-flow phon: twoflows: no login flow "phon"; the plugin's flows: phone (Phone number), qr (QR code)`},
	} {
		t.Run(strings.Join(append([]string{"flow"}, c.flow...), "_"), func(t *testing.T) {
			args := append([]string{"-once", "-plugin", filepath.Join(binDir, "passerelle-twoflows"), "-login", "phone=1"}, c.flow...)
			d := startDemo(t, args...)
			d.waitLine("as twoflows.localhost")
			d.failsWith(c.want)
		})
	}
}

// TestOwnPluginOnceWithoutLogin: -once with -plugin and no -login says
// the transport is up and why the demo stops there; it ended at
// "logging in demo@localhost", status 0, as if cut short.
func TestOwnPluginOnceWithoutLogin(t *testing.T) {
	d := startDemo(t, "-once", "-plugin", filepath.Join(binDir, "passerelle-echo"), "-name", "mynet")
	d.waitLine("mynet.localhost is up; -once without -login has nothing more to try: stopping")
	if code := d.wait(true); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	d.noLeftovers()
}

// TestOwnPluginNameFromScriptFile: a plugin file named as a script is
// (passerelle_my_net.py, as the Python example's passerelle_echo.py)
// runs as my-net.localhost without -name; it was refused with -name
// "passerelle_my_net", a flag the user had not given. A file name that
// gives no name says it came from the file and that -name sets one.
func TestOwnPluginNameFromScriptFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(binDir, "passerelle-echo"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "passerelle_my_net.py")
	odd := filepath.Join(dir, "My Plugin")
	for _, p := range []string{script, odd} {
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(filepath.Join(binDir, "passerelle-demo"), "-dir", filepath.Join(t.TempDir(), "demo"), "-plugin", odd).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("%v, want exit status 2:\n%s", err, out)
	}
	if want := `the name taken from -plugin's file name (-name sets another): "My Plugin"`; !strings.Contains(string(out), want) {
		t.Errorf("the output lacks %q:\n%s", want, out)
	}
	d := startDemo(t, "-once", "-plugin", script, "-login", "username=carol", "-contact", "friend")
	d.waitLine("starting passerelle with the transport " + script + " as my-net.localhost")
	d.waitLine("<- friend@my-net.localhost: Hello through passerelle!")
	if code := d.wait(true); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	d.noLeftovers()
}
