// Package pythonecho_test runs the conformance kit against the Python echo
// plugin (passerelle_echo.py), started as a real process with Debian's
// /usr/bin/python3, as the gateway would start it.
package pythonecho_test

import (
	"path/filepath"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// python is Debian's interpreter, for which python3-grpcio and
// python3-protobuf are installed (a python3 earlier on PATH, from pyenv or
// a virtualenv, may lack them).
const python = "/usr/bin/python3"

func TestMain(m *testing.M) { plugintest.Main(m) }

// script is the plugin's main file, with an absolute path.
func script(t *testing.T) string {
	t.Helper()
	path, err := filepath.Abs("passerelle_echo.py")
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// needPython skips the test without Python's gRPC (fails it under CI=true).
func needPython(t *testing.T) {
	t.Helper()
	plugintest.Need(t, "Python's gRPC (Debian: python3-grpcio python3-protobuf; scripts/install-deps.sh installs them)",
		python, "-c", "import grpc, google.protobuf")
}

func TestConformance(t *testing.T) {
	needPython(t)
	plugintest.Run(t, plugintest.Config{
		Binary:      python,
		Args:        []string{script(t)},
		LoginFields: map[string]string{"username": "alice"},
		Contact:     "echo",
	})
}

// The "pairing" flow, a username and then a code shown and waited on
// (its "other device" confirms after a second), passes the same checks:
// the kit's walk of several steps, a cancel under a WaitLogin.
func TestConformancePairing(t *testing.T) {
	needPython(t)
	plugintest.Run(t, plugintest.Config{
		Binary: python,
		Args:   []string{script(t)},
		FlowID: "pairing",
		Login: []plugintest.LoginStep{
			{Fields: map[string]string{"username": "alice"}},
			{Act: func(testing.TB, *pb.LoginStep) map[string]string { return nil }}, // confirms by itself
		},
		Contact: "echo",
	})
}

// The gateway starts a plugin by its path alone: the script runs as it is
// (its #! line names Debian's python3, and it is executable).
func TestStartsAsExecutable(t *testing.T) {
	needPython(t)
	p := plugintest.Start(t, script(t), "", nil)
	if p.Caps.GetNetwork() != "python-echo" {
		t.Fatalf("capabilities %v", p.Caps)
	}
}
