package pythonecho_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The plugin exits when the gateway that started it dies, however it died:
// here its parent, a shell, exits once the plugin has answered the
// handshake, and the plugin must follow within a few seconds.
func TestExitsWithGateway(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	handshake := filepath.Join(dir, "handshake")
	// The shell starts the plugin, says its pid, waits for its handshake
	// line, and exits.
	// The plugin's stdout and stderr go to files: a pipe it kept open
	// would hold Output until it exits.
	stderr := filepath.Join(dir, "stderr")
	cmd := exec.Command("/bin/sh", "-c", `"$0" "$1" >"$2" 2>"$3" & echo $!; while ! grep -q grpc "$2" 2>/dev/null; do sleep 0.05; done`,
		python, script(t), handshake, stderr)
	cmd.Env = append(os.Environ(), "PASSERELLE_PLUGIN=4f0c5c7e-passerelle-transport", "PLUGIN_PROTOCOL_VERSIONS=1,2")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("shell: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || pid <= 0 {
		t.Fatalf("plugin pid %q: %v", out, err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	line, _ := os.ReadFile(handshake)
	if !strings.HasPrefix(string(line), "1|2|tcp|127.0.0.1:") {
		t.Fatalf("handshake line %q", line)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(stderr)
			t.Fatalf("plugin %d still running 10 s after its parent exited; its log:\n%s", pid, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// gone reports whether the process has exited (a zombie has, too).
func gone(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) == syscall.ESRCH
	}
	// pid (comm) state ...: the state follows the last ')'.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}
