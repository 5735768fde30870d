package pluginhost

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"

	"github.com/hashicorp/go-plugin/runner"
)

// maxStdoutLine is the most of a stdout line handed to go-plugin: its
// reader takes lines of up to 64 KiB, and a longer one made it stop
// reading the plugin's stdout for good, so that the plugin's next writes
// to it blocked once the pipe was full (a print in Init hung the start).
const maxStdoutLine = 4 << 10

// stdoutRunner is go-plugin's command runner (its cmdrunner, which
// go-plugin keeps internal), with the plugin's stdout read by the host:
// the first line, the handshake, goes to go-plugin, cut to
// maxStdoutLine; the rest, which go-plugin would drop in silence, is read
// to its end and the first such line logged (junk): stdout is the
// handshake's alone, a plugin logs to stderr.
type stdoutRunner struct {
	cmd    *exec.Cmd
	real   io.ReadCloser  // the plugin's stdout
	stderr io.ReadCloser  // the plugin's stderr, as it is
	pr     *io.PipeReader // what go-plugin reads
	pw     *io.PipeWriter
	junk   func(line string, more int)
	pid    int
}

var _ runner.Runner = (*stdoutRunner)(nil)

func newStdoutRunner(cmd *exec.Cmd, junk func(line string, more int)) (*stdoutRunner, error) {
	real, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	return &stdoutRunner{cmd: cmd, real: real, stderr: stderr, pr: pr, pw: pw, junk: junk}, nil
}

func (r *stdoutRunner) Start(context.Context) error {
	if err := r.cmd.Start(); err != nil {
		r.pw.CloseWithError(err)
		return err
	}
	r.pid = r.cmd.Process.Pid
	// Not tracked: it ends with the plugin's stdout, and go-plugin's
	// reader (its Kill waits for it) ends when copy closes pw.
	go r.copy()
	return nil
}

// copy hands the first line to go-plugin and reads the rest to its end;
// go-plugin's reader ends when it does (the process, and whatever holds
// its stdout, gone).
func (r *stdoutRunner) copy() {
	br := bufio.NewReaderSize(r.real, maxStdoutLine)
	first := true
	lines := 0
	for {
		line, cut, err := readLineCut(br, maxStdoutLine)
		if len(line) > 0 || cut > 0 || err == nil {
			if first {
				first = false
				if _, werr := r.pw.Write(append(line, '\n')); werr != nil {
					// go-plugin gave up on the start: drain alone.
					r.pw.CloseWithError(werr)
				}
			} else if lines++; lines == 1 && r.junk != nil {
				r.junk(string(line), cut)
			}
		}
		if err != nil {
			r.pw.Close()
			return
		}
	}
}

// readLineCut reads one line, without its newline, keeping at most max
// bytes of it: cut is how many more there were. err is the reader's
// (io.EOF at the end, with what came of a last line without newline).
func readLineCut(br *bufio.Reader, max int) (line []byte, cut int, err error) {
	for {
		frag, ferr := br.ReadSlice('\n')
		frag = bytes.TrimSuffix(frag, []byte{'\n'})
		k := min(len(frag), max-len(line))
		line = append(line, frag[:k]...)
		cut += len(frag) - k
		switch {
		case errors.Is(ferr, bufio.ErrBufferFull):
			continue
		case ferr != nil:
			return bytes.TrimSuffix(line, []byte{'\r'}), cut, ferr
		}
		return bytes.TrimSuffix(line, []byte{'\r'}), cut, nil
	}
}

func (r *stdoutRunner) Wait(context.Context) error { return r.cmd.Wait() }

func (r *stdoutRunner) Kill(context.Context) error {
	if r.cmd.Process == nil {
		return nil
	}
	if err := r.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

func (r *stdoutRunner) Stdout() io.ReadCloser { return r.pr }
func (r *stdoutRunner) Stderr() io.ReadCloser { return r.stderr }
func (r *stdoutRunner) Name() string          { return r.cmd.Path }

// ID is the plugin's PID once started; "" before, which go-plugin's Kill
// takes as nothing to kill.
func (r *stdoutRunner) ID() string {
	if r.pid == 0 {
		return ""
	}
	return strconv.Itoa(r.pid)
}

// Diagnose is go-plugin's hint after a start without a handshake.
func (r *stdoutRunner) Diagnose(context.Context) string {
	return fmt.Sprintf("This usually means the plugin (%s) is not a passerelle plugin, was not built for this machine, is missing libraries or the permission to run, or failed the go-plugin handshake.", r.cmd.Path)
}

func (r *stdoutRunner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (r *stdoutRunner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}
