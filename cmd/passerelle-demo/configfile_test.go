//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigFileKeyProblems: a -config file whose [[transport]] has a
// key wrong (a typo, a value of the wrong type, a [transport] for
// [[transport]]) is refused before anything starts, status 2, each
// problem named as passerelle check-config names it, with the file's
// line and the key, and without the flags' usage after it (the file
// was wrong, not the command line). Before, a misspelt name said only
// "the [[transport]] has no name", a misspelt [[transport]] "the file
// has 0 [[transport]] blocks", and the rest were found by check-config
// in the demo's generated config, after Prosody had started, at that
// file's lines.
func TestConfigFileKeyProblems(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, text string
		want       []string
	}{
		{"nmae", "[[transport]]\nnmae = \"echo\"\n", []string{":1: transport[0].name: missing", ":2: transport[0].nmae: unknown key (did you mean name?)"}},
		{"transprot", "[[transprot]]\nname = \"echo\"\n", []string{":1: transprot: unknown key (did you mean transport?)"}},
		{"single", "[transport]\nname = \"echo\"\n", []string{":1: transport: want an array of tables ([[transport]]), got a table"}},
		{"domian", "[[transport]]\nname = \"echo\"\ndomian = \"echo.example.org\"\n", []string{":3: transport[0].domian: unknown key (did you mean domain?)"}},
		{"enabled", "[[transport]]\nname = \"echo\"\nenabled = \"yes\"\n", []string{":3: transport[0].enabled: want true or false, got a string (write it without quotes)"}},
		{"backfill", "[[transport]]\nname = \"echo\"\n\nbackfill_messages = \"50\"\n", []string{":4: transport[0].backfill_messages: want an integer, got a string (take out the quotes)"}},
		{"range", "[[transport]]\nname = \"echo\"\narchive_days = -1\n", []string{":3: transport[0].archive_days: -1 is out of range"}},
		{"config", "[[transport]]\nname = \"echo\"\nconfig = \"fixed_server=127.0.0.1\"\n", []string{":3: transport[0].config: want a table ([transport.config]), got a string"}},
		{"badname", "[[transport]]\nname = \"My Net\"\n", []string{":2: transport[0].name: \"My Net\": want lowercase letters"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, c.name+".toml")
			if err := os.WriteFile(file, []byte(c.text), 0o600); err != nil {
				t.Fatal(err)
			}
			work := filepath.Join(t.TempDir(), "demo")
			out, err := exec.Command(filepath.Join(binDir, "passerelle-demo"), "-once", "-dir", work, "-config", file).CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
				t.Errorf("%v, want exit status 2:\n%s", err, out)
			}
			for _, w := range c.want {
				if !strings.Contains(string(out), file+w) {
					t.Errorf("the output lacks %q:\n%s", file+w, out)
				}
			}
			if strings.Contains(string(out), "usage:") {
				t.Errorf("the output has the flags' usage after a problem of the file:\n%s", out)
			}
			if _, err := os.Stat(work); err == nil {
				t.Errorf("the work folder %s was made: the demo started", work)
			}
		})
	}
}

// TestConfigFileUnknownTransport: a [[transport]] named after no plugin
// there (a typo of echo) is refused naming the plugins that are there,
// the likely one first, and how to run one of the user's own.
func TestConfigFileUnknownTransport(t *testing.T) {
	file := filepath.Join(t.TempDir(), "echoo.toml")
	// The header's comment does not hide the name's line.
	if err := os.WriteFile(file, []byte("[[transport]]  # a typo of echo\nname = \"echoo\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(binDir, "passerelle-demo"), "-once", "-dir", filepath.Join(t.TempDir(), "demo"), "-config", file).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("%v, want exit status 2:\n%s", err, out)
	}
	for _, want := range []string{
		file + `:2: name = "echoo": no plugin passerelle-echoo`,
		"(did you mean echo?)",
		"the transports there: echo",
		"plugin = PATH",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "usage:") {
		t.Errorf("the output has the flags' usage after a problem of the file:\n%s", out)
	}
}

// TestConfigFileDataDirStaysInWorkFolder: a [[transport]] copied from a
// real passerelle.toml, its data_dir the running gateway's, keeps the
// demo's plugin state in the demo's work folder, which it empties:
// before, the demo's plugin wrote its logins into that folder, beside
// (or over) the real gateway's.
func TestConfigFileDataDirStaysInWorkFolder(t *testing.T) {
	real := filepath.Join(t.TempDir(), "real-plugin-state")
	file := filepath.Join(t.TempDir(), "echo.toml")
	if err := os.WriteFile(file, []byte("[[transport]]\nname = \"echo\"\ndata_dir = \""+real+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDemo(t, "-once", "-config", file, "-login", "username=carol", "-contact", "friend")
	d.waitLine("<- friend@echo.localhost: Hello through passerelle!")
	if code := d.wait(true); code != 0 {
		t.Errorf("exit status %d, want 0:\n%s", code, d.stderr.String())
	}
	if _, err := os.Stat(real); err == nil {
		t.Errorf("the demo's plugin wrote into the file's data_dir %s", real)
	}
	d.noLeftovers()
}

// TestConfigFilePluginPathMissing: a [[transport]]'s plugin = PATH
// that is no executable file is refused at the file's line, status 2,
// without the flags' usage; it was said as "-plugin: stat ...", a flag
// not given, followed by the usage.
func TestConfigFilePluginPathMissing(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mynet.toml")
	if err := os.WriteFile(file, []byte("[[transport]]\nname = \"mynet\"\nplugin = \"./build/passerelle-mynet\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(binDir, "passerelle-demo"), "-once", "-dir", filepath.Join(t.TempDir(), "demo"), "-config", file).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("%v, want exit status 2:\n%s", err, out)
	}
	if want := "-config " + file + `:3: plugin = "./build/passerelle-mynet": stat ` + filepath.Join(dir, "build/passerelle-mynet") + ": no such file or directory"; !strings.Contains(string(out), want) {
		t.Errorf("the output lacks %q:\n%s", want, out)
	}
	for _, not := range []string{"usage:", "-plugin:"} {
		if strings.Contains(string(out), not) {
			t.Errorf("the output has %q, though the file was wrong:\n%s", not, out)
		}
	}
}

// TestConfigFileNameWithUnderscore: a [[transport]] named with '_', as
// passerelle's loader allows (my_net), runs as my-net.localhost, a
// domain label holding no '_'; the demo refused it, a name "here" of
// letters, digits and '-' alone, and with the flags' usage after it.
func TestConfigFileNameWithUnderscore(t *testing.T) {
	file := filepath.Join(t.TempDir(), "mynet.toml")
	if err := os.WriteFile(file, []byte("[[transport]]\nname = \"my_net\"\nplugin = \""+filepath.Join(binDir, "passerelle-echo")+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDemo(t, "-once", "-config", file, "-login", "username=carol", "-contact", "friend")
	d.waitLine("starting passerelle with the transport my_net of " + file)
	d.waitLine("<- friend@my-net.localhost: Hello through passerelle!")
	if code := d.wait(true); code != 0 {
		t.Errorf("exit status %d, want 0:\n%s", code, d.stderr.String())
	}
	d.noLeftovers()
}

// TestConfigFileFromStdinRelativePlugin: -config /dev/stdin (the file
// piped in) takes a relative plugin = PATH from the working directory,
// as the gateway does for a configuration read from a stream; it was
// looked for in /dev.
func TestConfigFileFromStdinRelativePlugin(t *testing.T) {
	cwd := t.TempDir()
	cmd := exec.Command(filepath.Join(binDir, "passerelle-demo"), "-once", "-dir", filepath.Join(t.TempDir(), "demo"), "-config", "/dev/stdin")
	cmd.Dir = cwd
	cmd.Stdin = strings.NewReader("[[transport]]\nname = \"mynet\"\nplugin = \"./build/passerelle-mynet\"\n")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("%v, want exit status 2:\n%s", err, out)
	}
	if want := "stat " + filepath.Join(cwd, "build/passerelle-mynet") + ": no such file or directory"; !strings.Contains(string(out), want) {
		t.Errorf("the output lacks %q (the working directory's):\n%s", want, out)
	}
}
