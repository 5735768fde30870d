package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// asOtherUser runs this test binary as passerelle with args under a user that may not write what root made: as root, the
// user nobody (uid 65534), from a copy of the binary that user may run;
// else the test's own user, to whom the caller's file modes refuse it.
// It returns the exit status, the output and the uid the gateway ran as.
func asOtherUser(t *testing.T, dir string, args ...string) (int, string, int) {
	t.Helper()
	bin := filepath.Join(dir, "passerelle.test")
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	dst, err := os.OpenFile(bin, os.O_WRONLY|os.O_CREATE, 0o755)
	if err == nil {
		_, err = io.Copy(dst, src)
		dst.Close()
	}
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PASSERELLE_TEST_MAIN=1", "PATH=/usr/bin:/bin", "HOME=" + dir}
	uid := os.Geteuid()
	if uid == 0 {
		// nobody must reach dir: a TMPDIR under a root-only folder
		// would fail the run for that, not for what is tested.
		for p := filepath.Dir(dir); p != filepath.Dir(p); p = filepath.Dir(p) {
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm()&0o001 == 0 {
				t.Skipf("%s is closed to other users: the gateway cannot run there as nobody", p)
			}
		}
		uid = 65534
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%v ran on for 30 s:\n%s", args, out)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), string(out), uid
}

// TestRunStateNotWritable: a store file, or a transport's data_dir, that
// exists but that the gateway's user may not write (a first run as root
// made it; the service then runs as its own user) stops the start with
// the configuration's exit status (78), naming the key, whose it is and
// the chown to run. The store failed at its open with a bare "permission
// denied" and exit status 1, which the unit restarts on for ever (or,
// 0600, "cannot create" a file that is there); the data_dir was found by
// no one: the plugin failed at every start, restarted for ever.
func TestRunStateNotWritable(t *testing.T) {
	for _, tc := range []struct {
		name, key string
		make      func(t *testing.T, dir string)
	}{
		{"store 0644", "store.path", func(t *testing.T, dir string) { stateFile(t, filepath.Join(dir, "data", "passerelle.db"), 0o644) }},
		{"store 0600", "store.path", func(t *testing.T, dir string) { stateFile(t, filepath.Join(dir, "data", "passerelle.db"), 0o600) }},
		{"data_dir", "transport[0].data_dir", func(t *testing.T, dir string) {
			if err := os.MkdirAll(filepath.Join(dir, "data"), 0o777); err != nil {
				t.Fatal(err)
			}
			os.Chmod(filepath.Join(dir, "data"), 0o777)
			if err := os.MkdirAll(filepath.Join(dir, "data", "echo"), 0o500); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, err := os.MkdirTemp("", "passerelle-unwritable-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(filepath.Join(dir, "data", "echo"), 0o700); os.RemoveAll(dir) })
			os.Chmod(dir, 0o755)
			config := filepath.Join(dir, "passerelle.toml")
			data := "[xmpp]\nserver = \"" + closedAddr(t) + "\"\n[store]\npath = \"data/passerelle.db\"\n[access]\nallow = [\"localhost\"]\n" +
				"[[transport]]\nname = \"echo\"\ndomain = \"echo.localhost\"\nsecret = \"hunter2\"\nplugin = \"/bin/true\"\ndata_dir = \"data/echo\"\n"
			if err := os.WriteFile(config, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			tc.make(t, dir)
			code, out, uid := asOtherUser(t, dir, "run", "-c", config)
			if code != exitConfig || !strings.Contains(out, tc.key+": ") ||
				!strings.Contains(out, "the gateway's user (uid "+strconv.Itoa(uid)+") may not write") ||
				!strings.Contains(out, "chown -R "+strconv.Itoa(uid)+" ") {
				t.Errorf("exit %d, want %d and %s, the user and the chown named; output:\n%s", code, exitConfig, tc.key, out)
			}
		})
	}
}

// stateFile makes the store file as a first run as root leaves it (as
// the test's user, not root: read-only to its owner), in a folder all
// may write.
func stateFile(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Dir(path), 0o777)
	if os.Geteuid() != 0 {
		mode &^= 0o200
	}
	if err := os.WriteFile(path, nil, mode); err != nil {
		t.Fatal(err)
	}
}

// TestCheckStoreNotReadable: check-store run by a user who may not read
// the store (the gateway's, 0600) says to run it as the gateway's user or
// root; it printed a bare "permission denied".
func TestCheckStoreNotReadable(t *testing.T) {
	dir, err := os.MkdirTemp("", "passerelle-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	db := filepath.Join(dir, "data", "passerelle.db")
	stateFile(t, db, 0o600)
	if os.Geteuid() != 0 {
		os.Chmod(db, 0)
	}
	code, out, _ := asOtherUser(t, dir, "check-store", "-store", db)
	if code != 1 || !strings.Contains(out, "permission denied") || !strings.Contains(out, "run check-store as the gateway's user or as root") {
		t.Errorf("exit %d, want 1 and what to do; output:\n%s", code, out)
	}
}
