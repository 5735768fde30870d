package pluginhost

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// parentEnv makes the test binary a stand-in gateway (see runParent):
// its value is the plugin binary, then a tab, then the data folder.
const parentEnv = "PLUGINHOST_TEST_PARENT"

// runParent launches the plugin as the host does, has it Init on the data
// folder, prints its PID and waits to be killed.
func runParent(spec string) {
	path, dir, _ := strings.Cut(spec, "\t")
	p, err := launch(context.Background(), launchConfig{Path: path, Stderr: io.Discard})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.Transport.Init(ctx, &pb.InitRequest{HostApiVersion: sdk.APIVersion, ConfigJson: []byte("{}"), DataDir: dir}); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println(p.Pid())
	select {}
}

// alive reports whether pid runs (a zombie no longer does).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	// The state follows the command name in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// initPlugin launches a plugin and calls Init on dir.
func initPlugin(t *testing.T, path, dir string) (*process, error) {
	t.Helper()
	p, err := launch(context.Background(), launchConfig{Path: path, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = p.Transport.Init(ctx, &pb.InitRequest{HostApiVersion: sdk.APIVersion, ConfigJson: []byte("{}"), DataDir: dir})
	return p, err
}

// TestPluginExitsWithGateway: a gateway killed with SIGKILL (here a
// helper process that launched the plugin as the host does) takes its
// plugin with it within a few seconds, and the data folder is free for
// the next gateway's plugin.
func TestPluginExitsWithGateway(t *testing.T) {
	bin := plugintest.BuildBinary(t, echoPkg)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), parentEnv+"="+bin+"\t"+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("helper parent: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("helper parent said %q", line)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if !alive(pid) {
		t.Fatalf("plugin %d is not running", pid)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed := time.Now()
	for alive(pid) {
		if time.Since(killed) > 5*time.Second {
			t.Fatalf("plugin %d still runs %s after its gateway was killed", pid, time.Since(killed).Round(time.Millisecond))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("plugin exited %s after its gateway", time.Since(killed).Round(time.Millisecond))
	if _, err := initPlugin(t, bin, dir); err != nil {
		t.Fatalf("a new plugin on the folder of the dead one: %v", err)
	}
}

// TestDataDirLocked: a second plugin process on a data folder in use
// fails Init with an error that says so, and succeeds once the first is
// gone.
func TestDataDirLocked(t *testing.T) {
	bin := plugintest.BuildBinary(t, echoPkg)
	dir := t.TempDir()
	first, err := initPlugin(t, bin, dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := initPlugin(t, bin, dir)
	if err == nil {
		t.Fatal("a second plugin process opened a data folder in use")
	}
	if msg := sdk.FromGRPC(err).Error(); !strings.Contains(msg, "in use by another plugin process (pid "+strconv.Itoa(first.Pid())+")") {
		t.Fatalf("second Init: %q, want it to name the folder in use and the first plugin's pid", msg)
	}
	if err := syscall.Kill(first.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		_, err := second.Transport.Init(ctx, &pb.InitRequest{HostApiVersion: sdk.APIVersion, ConfigJson: []byte("{}"), DataDir: dir})
		if err == nil {
			break
		}
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Init after the first plugin died: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
