package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/store"
)

// startup restarts the gateway on a store holding o.startupLogins extra
// logins, each with o.startupPuppets stored puppets that the echo plugin
// also lists as the login's contacts (the same IDs and names), and times
// how long until every login (those and the o.users bench users) reports
// connected and has finished its contact sync. With o.pprofDir it saves
// the gateway's CPU profile of its first seconds and its heap profile
// once all are synced.
func startup(ctx context.Context, s *stack, o options, out io.Writer) error {
	extra, puppets, have := o.startupLogins, o.startupPuppets, o.users
	if err := s.stopGateway(); err != nil {
		return err
	}
	fillStart := time.Now()
	if err := fillStore(ctx, s.storePath(), extra, puppets, o.startupOnline, o.startupAway); err != nil {
		return fmt.Errorf("fill the store: %w", err)
	}
	if o.startupAway {
		if err := writeRosters(filepath.Join(s.srv.Dir(), "data", xmppDomain, "roster"), extra); err != nil {
			return fmt.Errorf("write the users' rosters: %w", err)
		}
	}
	fillTook := time.Since(fillStart)
	var dbSize int64
	if fi, err := os.Stat(s.storePath()); err == nil {
		dbSize = fi.Size()
	}

	want := extra + have
	w := &logWatch{path: s.logPath}
	prosody := s.prosodyPid()
	pcpu0, _ := procCPU(prosody)
	t0 := time.Now()
	if err := s.startGateway(); err != nil {
		return err
	}
	gw := s.gatewayPid()
	var prof sync.WaitGroup
	if o.pprofDir != "" && s.pprofAddr != "" {
		prof.Go(func() { startupProfile(s.pprofAddr, o.pprofDir, t0) })
	}
	var connectedAt, syncedAt time.Duration
	var peakGw, peakPl int64 // RSS sampled while waiting
	pl := 0
	deadline := t0.Add(180 * time.Second)
	for {
		w.poll()
		now := time.Since(t0)
		if connectedAt == 0 && w.connected >= want {
			connectedAt = now
		}
		if connectedAt != 0 && w.synced >= want {
			syncedAt = now
			break
		}
		if w.pluginPid != 0 {
			pl = w.pluginPid // the log names it: exact even if it restarts
		}
		if m, err := procMemParts(gw); err == nil {
			peakGw = max(peakGw, m.rss)
		}
		if m, err := procMemParts(pl); err == nil {
			peakPl = max(peakPl, m.rss)
		}
		if err := s.gatewayErr(); err != nil {
			return err
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("startup: %d of %d logins connected, %d contact syncs done after %s\n%s",
				w.connected, want, w.synced, now.Round(time.Millisecond), s.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
	gm, _ := procMemParts(gw)
	cpu, _ := procCPU(gw)
	// What the start cost the XMPP server: until it is idle again (below
	// a tenth of a core for half a second), at most two minutes.
	quietAt := prosodyQuiet(prosody, t0, 2*time.Minute)
	pcpu1, _ := procCPU(prosody)
	w.poll()
	pm, perr := procMemParts(pl)
	pcpu, _ := procCPU(pl)
	if o.pprofDir != "" && s.pprofAddr != "" {
		fetchProfile(s.pprofAddr, "/debug/pprof/heap", filepath.Join(o.pprofDir, "startup-heap.pprof"))
	}
	time.Sleep(2 * time.Second)
	gm2, _ := procMemParts(gw)
	prof.Wait()

	fmt.Fprintf(out, "\nstartup: %d logins (%d pre-filled with %d puppets each, %d puppets in all, + %d bench users); store %s, filled in %s\n",
		want, extra, puppets, extra*puppets, have, mib(dbSize), fillTook.Round(time.Millisecond))
	fmt.Fprintf(out, "  all connected %s after the gateway process started; all contact syncs done %s after\n",
		connectedAt.Round(time.Millisecond), syncedAt.Round(time.Millisecond))
	fmt.Fprintf(out, "  contact syncs: %d contacts listed by the plugin; %d added, %d changed, %d removed by the syncs (0 expected: the store matched)\n",
		w.contacts, w.added, w.changed, w.removed)
	fmt.Fprintf(out, "  contacts' presence: %d shown by the syncs, %d held, %d of them sent once a probe was answered (online contacts per login: %d; the pre-filled users are %s)\n",
		w.shown, w.held, w.released, o.startupOnline, map[bool]string{true: "offline and let the gateway see their presence (-startup-away)", false: "unknown to the server (-startup-away=false)"}[o.startupAway])
	fmt.Fprintf(out, "  prosody: idle again %s after the gateway process started; %.2f s of CPU from the start until then\n",
		quietAt.Round(10*time.Millisecond), pcpu1-pcpu0)
	fmt.Fprintf(out, "  gateway: RSS %s when all synced (%s anonymous, %s file-backed: the binary and the bbolt mmap), peak %s (VmHWM; %s sampled), %s 2 s later; CPU %.2f s until synced\n",
		mib(gm.rss), mib(gm.anon), mib(gm.file), mib(gm.hwm), mib(peakGw), mib(gm2.rss), cpu)
	if perr != nil {
		fmt.Fprintf(out, "  echo plugin (pid %d): not measured: %v\n", pl, perr)
	} else {
		fmt.Fprintf(out, "  echo plugin (pid %d): RSS %s when all synced (%s anonymous), peak %s (VmHWM; %s sampled); CPU %.2f s\n",
			pl, mib(pm.rss), mib(pm.anon), mib(pm.hwm), mib(peakPl), pcpu)
	}
	if o.pprofDir != "" && s.pprofAddr != "" {
		fmt.Fprintf(out, "  profiles of the start-up: %s, %s\n", filepath.Join(o.pprofDir, "startup-cpu.pprof"), filepath.Join(o.pprofDir, "startup-heap.pprof"))
	}
	if want := extra * min(o.startupOnline, puppets); o.startupAway && (w.held < want || w.released > 0) {
		return fmt.Errorf("startup: %d contact presences held and %d sent after a probe; want at least %d held (the pre-filled users' online contacts) and none sent: they are offline", w.held, w.released, want)
	}
	if w.added+w.changed+w.removed > 0 {
		return fmt.Errorf("startup: the contact syncs changed %d puppets; the stored puppets did not match the plugin's contacts", w.added+w.changed+w.removed)
	}
	return nil
}

// startupProfile saves the gateway's CPU profile from as soon as its
// pprof listener answers (t0 is the process start) to 5 s after t0.
func startupProfile(addr, dir string, t0 time.Time) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "passerelle-bench: pprof:", err)
		return
	}
	for time.Since(t0) < 3*time.Second {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			secs := max(1, int((5*time.Second - time.Since(t0)).Seconds()))
			fetchProfile(addr, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), filepath.Join(dir, "startup-cpu.pprof"))
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Fprintln(os.Stderr, "passerelle-bench: pprof: the gateway's listener did not answer within 3 s")
}

func fetchProfile(addr, path, file string) {
	resp, err := http.Get("http://" + addr + path)
	if err == nil && resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		err = errors.New(resp.Status)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "passerelle-bench: pprof:", err)
		return
	}
	defer resp.Body.Close()
	f, err := os.Create(file)
	if err == nil {
		_, err = io.Copy(f, resp.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "passerelle-bench: pprof:", err)
	}
}

// memParts is a process's resident memory from /proc/PID/status, in bytes.
type memParts struct {
	rss, hwm   int64 // VmRSS, VmHWM
	anon, file int64 // RssAnon, RssFile (file-backed, mmaps included)
}

func procMemParts(pid int) (memParts, error) {
	var m memParts
	if pid <= 0 {
		return m, errors.New("no process")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "VmRSS":
			dst = &m.rss
		case "VmHWM":
			dst = &m.hwm
		case "RssAnon":
			dst = &m.anon
		case "RssFile":
			dst = &m.file
		default:
			continue
		}
		f := strings.Fields(v)
		if len(f) == 2 && f[1] == "kB" {
			if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				*dst = n << 10
			}
		}
	}
	return m, nil
}

// fillStore puts n echo logins named loadI into the store at path, each
// with puppets puppets, stored and listed in its saved state so that the
// echo plugin has the same contacts, online of them online. sees marks
// the logins as users who let the gateway see their presence.
func fillStore(ctx context.Context, path string, n, puppets, online int, sees bool) error {
	db, err := store.Open(path)
	if err != nil {
		return err
	}
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	err = forEach(ids, 64, func(i int) error {
		name := fmt.Sprintf("load%d", i)
		state, err := json.Marshal(map[string]any{"username": name, "contacts": puppets, "online": online})
		if err != nil {
			return err
		}
		if err := db.PutLogin(ctx, store.Login{Transport: "echo", UserJID: name + "@" + xmppDomain, LoginID: name,
			DisplayName: name, SavedState: state, SeesPresence: sees}); err != nil {
			return err
		}
		ps := make([]store.Puppet, puppets)
		for j := range ps {
			id, pname := echo.NumberedContact(j)
			ps[j] = store.Puppet{Transport: "echo", LoginID: name, UserID: id, Name: pname}
		}
		return db.PutPuppets(ctx, ps)
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeRosters gives users load0 to load(n-1) a roster in Prosody's
// internal storage (files under data_path, read when a probe comes for an
// offline user) in which the gateway may see their presence: what users
// who approved its subscription and went offline leave behind. Creating
// and logging in a thousand users for that would take minutes.
func writeRosters(dir string, n int) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	body := fmt.Sprintf("return {\n\t[false] = {\n\t\t[\"version\"] = 1;\n\t\t[\"pending\"] = {};\n\t};\n"+
		"\t[%q] = {\n\t\t[\"groups\"] = {};\n\t\t[\"subscription\"] = \"from\";\n\t};\n};\n", echoDomain)
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("load%d.dat", i)), []byte(body), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// prosodyQuiet waits until Prosody uses less than a tenth of a core over
// half a second, and returns when that was, counted from t0 (capped).
func prosodyQuiet(pid int, t0 time.Time, limit time.Duration) time.Duration {
	last, _ := procCPU(pid)
	for time.Since(t0) < limit {
		time.Sleep(500 * time.Millisecond)
		now, err := procCPU(pid)
		if err != nil {
			break
		}
		if now-last < 0.05 {
			return time.Since(t0) - 500*time.Millisecond
		}
		last = now
	}
	return time.Since(t0)
}

// logWatch follows the gateway's log file as it grows and counts the
// lines the startup measure waits for.
type logWatch struct {
	path string
	off  int64
	part []byte // an unfinished last line

	connected, synced                 int
	pluginPid                         int // from the last "transport plugin running" line
	contacts, added, changed, removed int
	shown, held                       int // contacts' presences, by the syncs
	released                          int // held ones sent once a probe was answered
}

func (w *logWatch) poll() {
	f, err := os.Open(w.path)
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := f.Seek(w.off, io.SeekStart); err != nil {
		return
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return
	}
	w.off += int64(len(b))
	b = append(w.part, b...)
	i := bytes.LastIndexByte(b, '\n')
	if i < 0 {
		w.part = b
		return
	}
	w.part = append([]byte(nil), b[i+1:]...)
	for line := range bytes.SplitSeq(b[:i], []byte("\n")) {
		switch {
		case bytes.Contains(line, []byte("login state")) && bytes.Contains(line, []byte("LOGIN_STATE_CONNECTED")):
			w.connected++
		case bytes.Contains(line, []byte(`msg="held presences sent"`)):
			w.released += logInt(line, "count")
		case bytes.Contains(line, []byte(`msg="transport plugin running"`)):
			w.pluginPid = logInt(line, "pid")
		case bytes.Contains(line, []byte(`msg="contacts synced"`)):
			w.synced++
			w.contacts += logInt(line, "contacts")
			w.added += logInt(line, "added")
			w.changed += logInt(line, "changed")
			w.removed += logInt(line, "removed")
			w.shown += logInt(line, "presences_shown")
			w.held += logInt(line, "presences_held")
		}
	}
}

// logInt reads the integer value of key in a slog text line, 0 if absent.
func logInt(line []byte, key string) int {
	i := bytes.Index(line, []byte(" "+key+"="))
	if i < 0 {
		return 0
	}
	v := line[i+len(key)+2:]
	if j := bytes.IndexByte(v, ' '); j >= 0 {
		v = v[:j]
	}
	n, _ := strconv.Atoi(string(v))
	return n
}
