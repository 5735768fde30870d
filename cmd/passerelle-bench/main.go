// Command passerelle-bench is passerelle's load tool. It brings up the
// whole stack on loopback (a Prosody with a generated config, the real
// passerelle binary and, as its child, the real echo plugin), logs in N
// real XMPP client sessions with SASL, and measures in the same run:
//
//   - the baseline: each client sends to one minimal client that answers
//     every message at once, so each message crosses the XMPP server twice
//     and nothing else: the limit the gateway can be compared with;
//   - the component route: each client sends to a minimal XEP-0114
//     component (raw.localhost) that answers every message at once: the
//     server's own cost of the path a gateway's messages take;
//   - the shaped component route: the same component answers in the
//     gateway's message shape (bare JID, id, origin-id, markable): the
//     most a gateway that cost nothing could reach on this server;
//   - the echo round trip: client -> server -> passerelle -> echo plugin ->
//     passerelle -> server -> client, which crosses the server twice too.
//
// Each path runs with one message in flight per user (latency) and with a
// window of W in flight per user (throughput), bounded by time and count.
// It prints msgs/s and latency percentiles, the ratio of each path to the
// first (-paths), the CPU seconds per 1,000 messages of the gateway, the
// plugin and Prosody (from /proc/PID/stat), and the gateway's and plugin's
// resident memory (VmRSS, VmHWM from /proc/PID/status). With
// -startup-logins it then restarts the gateway on a store holding that many
// extra logins, each with -startup-puppets puppets that its echo account
// also lists as contacts, and times how long until every login is
// connected and has synced its contacts. With -room-members N it measures
// rooms: joins of a room of N members and groupchat round trips in it,
// against the echo network's fixed room of two (room.go).
//
// passerelle and passerelle-bench-echo (the echo plugin with the SDK's
// trace hook wired to the stage trace) are taken from beside this binary
// (make build puts all three in ./bin). Linux only (/proc).
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

type options struct {
	users, window, count, size, chats, rounds  int
	warmup, duration                           time.Duration
	dir, pprofDir, prosodyConfig               string
	startupLogins, startupPuppets, pprofWindow int
	startupOnline                              int
	backfill                                   int
	mam                                        int
	roomMembers                                int
	roomJoinOccupants                          int
	startupAway                                bool
	smoke                                      bool
	stages, receipts                           bool
	irc                                        bool
	paths                                      []string
}

func main() {
	var o options
	flag.IntVar(&o.users, "users", 10, "concurrent XMPP client sessions sending")
	flag.IntVar(&o.window, "window", 20, "messages in flight per user in the throughput phases")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per phase")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured time before each phase")
	flag.IntVar(&o.count, "count", 0, "end a phase after this many measured round trips (0: time only)")
	flag.IntVar(&o.size, "size", 100, "message body size in bytes")
	flag.IntVar(&o.chats, "chats", 4, "echo contacts each user writes to, in turn")
	flag.IntVar(&o.rounds, "rounds", 1, "repeat the phases this many times (the numbers are noisy)")
	flag.StringVar(&o.dir, "dir", "bench", "work folder (removed first) for configs, data and logs")
	flag.StringVar(&o.pprofDir, "pprof", "", "save the gateway's CPU and allocation profiles of the last echo throughput phase here")
	flag.IntVar(&o.pprofWindow, "pprof-window", 0, "profile the echo phase with this window instead of -window's")
	flag.IntVar(&o.startupLogins, "startup-logins", 0, "then time a gateway restart with this many extra logins in its store")
	flag.IntVar(&o.startupPuppets, "startup-puppets", 500, "puppets (stored, and contacts on the echo network) of each of the -startup-logins logins")
	flag.IntVar(&o.startupOnline, "startup-online", 0, "of those puppets, how many the echo network shows online (each is a presence to show)")
	flag.BoolVar(&o.startupAway, "startup-away", true, "the -startup-logins users exist on the server, let the gateway see their presence, and are offline")
	flag.StringVar(&o.prosodyConfig, "prosody-config", "", "Lua lines appended to Prosody's global config, to try a server setting (a later network_settings replaces the default one); it applies to every path")
	flag.BoolVar(&o.receipts, "receipts", false, "messages ask for delivery receipts and read markers, as phone clients do (the echo network sends both back: 3 stanzas per message)")
	flag.BoolVar(&o.stages, "stages", false, "split each echo round trip into hops (the gateway and the plugin record when each message passes each stage) and print where it waits")
	flag.IntVar(&o.backfill, "backfill", 0, "then give each user's echo chats this many messages of history each and measure the echo path (window 1) while it flows, against the same path without (see backfill.go)")
	flag.IntVar(&o.mam, "mam", 0, "then fill the first user's archive of the echo room with this many messages and time MAM pages of 50 back from the newest (see mam.go)")
	flag.IntVar(&o.roomMembers, "room-members", 0, "then measure rooms: joins of a room of this many members, and groupchat round trips in it against the fixed room of two (see room.go)")
	flag.IntVar(&o.roomJoinOccupants, "room-join-occupants", -1, "the transport's room_join_occupants for -room-members (-1: not set, the gateway's default; 0: every member)")
	flag.BoolVar(&o.irc, "irc", false, "instead of the echo paths, run passerelle's IRC transport side by side with biboumi on one Prosody and ngircd (see irc.go)")
	flag.BoolVar(&o.smoke, "smoke", false, "a run of a few seconds that checks the tool and the stack work (CI)")
	pathList := flag.String("paths", strings.Join(paths, ","), "paths to measure, in order; ratios are to the first")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: passerelle-bench [flags]\n\nLoad test of passerelle against a baseline with no gateway; see docs/performance.md.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if o.smoke && o.irc {
		// biboumi with its history stores each message with an fsync:
		// a second gets it a few dozen.
		o.users, o.window, o.duration, o.warmup = 2, 4, time.Second, 300*time.Millisecond
	} else if o.smoke {
		o.users, o.window, o.duration, o.warmup, o.rounds, o.chats = 2, 4, 400*time.Millisecond, 200*time.Millisecond, 1, 2
		// A small start-up too: it checks presence to offline users is held.
		o.startupLogins = cmp.Or(min(o.startupLogins, 20), 20)
		o.startupPuppets, o.startupOnline = min(o.startupPuppets, 50), min(cmp.Or(o.startupOnline, 10), 50)
		// And the stage trace: every stage of the gateway and the plugin
		// must see the messages.
		o.stages = true
		// And MAM on a room: a small archive, ten pages.
		o.mam = cmp.Or(min(o.mam, 500), 500)
		// And rooms: a room of 50 members against the fixed one.
		o.roomMembers = cmp.Or(min(o.roomMembers, 50), 50)
	}
	for _, p := range strings.Split(*pathList, ",") {
		if !slices.Contains(paths, p) {
			fmt.Fprintf(os.Stderr, "passerelle-bench: -paths: unknown path %q (known: %s)\n", p, strings.Join(paths, ", "))
			os.Exit(2)
		}
		o.paths = append(o.paths, p)
	}
	if o.backfill < 0 || o.backfill > 100000 || (o.backfill > 0 && o.startupLogins > 0) {
		fmt.Fprintln(os.Stderr, "passerelle-bench: -backfill must be 0 to 100000, and is not run with -startup-logins")
		os.Exit(2)
	}
	if o.mam < 0 || o.mam > 10000000 || (o.mam > 0 && o.mam < 50) {
		fmt.Fprintln(os.Stderr, "passerelle-bench: -mam must be 0 (off) or 50 to 10000000")
		os.Exit(2)
	}
	if o.roomMembers < 0 || o.roomMembers > echo.MaxMembers || o.roomMembers == 1 || o.roomMembers == 2 {
		fmt.Fprintf(os.Stderr, "passerelle-bench: -room-members must be 0 (off) or 3 to %d\n", echo.MaxMembers)
		os.Exit(2)
	}
	if o.users < 1 || o.window < 1 || o.chats < 1 || o.rounds < 1 || o.size < 40 || o.duration <= 0 {
		fmt.Fprintln(os.Stderr, "passerelle-bench: -users, -window, -chats, -rounds must be >= 1, -size >= 40, -duration > 0")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runner := run
	if o.irc {
		runner = runIRC
	}
	if err := runner(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "passerelle-bench:", err)
		os.Exit(1)
	}
}

const password = "bench-password"

// registerGateway registers c with the gateway as the echo network's
// username, waiting for the plugin to be up.
func registerGateway(ctx context.Context, c *client, username string) error {
	for i := 0; ; i++ {
		id := fmt.Sprintf("reg%d", i)
		el, err := c.iq(ctx, id, `<iq type='set' id='`+id+`' to='`+echoDomain+`'><query xmlns='jabber:iq:register'><username>`+username+`</username></query></iq>`, nil)
		if err != nil {
			return fmt.Errorf("register %s with the gateway: %w", username, err)
		}
		if attr(el, "type") == "result" {
			return nil
		}
		// The gateway answers before its plugin runs: wait for it.
		if !strings.Contains(string(el), "service-unavailable") || ctx.Err() != nil {
			return fmt.Errorf("register %s with the gateway: %.300s", username, el)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	started := time.Now()
	s, err := newStack(o.dir, stackOptions{pprof: o.pprofDir != "", stages: o.stages, prosodyConfig: o.prosodyConfig, backfill: o.backfill, archiveAll: o.mam > 0, joinOccupants: o.roomJoinOccupants})
	if err != nil {
		return err
	}
	defer s.close()
	if err := s.startGateway(); err != nil {
		return err
	}

	// Accounts: the senders and the baseline's echoing client, created in
	// band (one round trip each, unlike prosodyctl).
	names := []string{"echoer"}
	for i := range o.users {
		names = append(names, fmt.Sprintf("u%d", i))
	}
	if err := forEach(names, 8, func(n string) error {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return xmpptest.Register(rctx, s.srv.C2SAddr(), jid.MustParse(n+"@"+xmppDomain), password)
	}); err != nil {
		return err
	}
	clients := make([]*client, len(names))
	if err := forEach(names, 8, func(n string) error {
		i := indexOf(names, n)
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		c, err := dialClient(dctx, s.srv.C2SAddr(), n, xmppDomain, password, "bench")
		clients[i] = c
		return err
	}); err != nil {
		return err
	}
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.close()
			}
		}
	}()
	echo, senders := clients[0], clients[1:]

	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.waitGateway(wctx, senders[0]); err != nil {
		return err
	}
	if err := forEach(senders, 8, func(c *client) error {
		user := bareJID(c.jid)
		return registerGateway(wctx, c, user[:strings.IndexByte(user, '@')])
	}); err != nil {
		return err
	}
	go func() { _ = echoer(echo) }()
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	raw, err := dialComponent(rctx, s.srv.ComponentAddr(), rawDomain, s.secret)
	rcancel()
	if err != nil {
		return err
	}
	defer raw.close()
	go func() { _ = componentEchoer(raw) }()

	gwPid, plPid, prPid := s.gatewayPid(), s.pluginPid(), s.prosodyPid()
	procs := map[string]int{"gateway": gwPid, "plugin": plPid, "prosody": prPid, "bench": os.Getpid()}
	// Idle memory: the gateway with its plugin and users, before any load.
	time.Sleep(500 * time.Millisecond)
	idleGw, _, _ := procMem(gwPid)
	idlePl, _, _ := procMem(plPid)
	fmt.Fprintf(out, "stack up in %s: prosody pid %d, passerelle pid %d, echo plugin pid %d; %s, work folder %s\n",
		time.Since(started).Round(time.Millisecond), prPid, gwPid, plPid, count(o.users, "user", "users"), s.dir)

	echoJID := echo.jid
	targets := map[string]func(user, seq int) string{
		"baseline":  func(int, int) string { return echoJID },
		"component": func(_, seq int) string { return fmt.Sprintf("c%d@%s", seq%o.chats, rawDomain) },
		"shaped":    func(_, seq int) string { return fmt.Sprintf("%s%d@%s", shapedPrefix, seq%o.chats, rawDomain) },
		"echo":      func(_, seq int) string { return fmt.Sprintf("c%d@%s", seq%o.chats, echoDomain) },
	}
	var results [][]*phaseResult
	phase := 0
	for round := range o.rounds {
		for _, w := range uniq(1, o.window) {
			var pair []*phaseResult
			for _, path := range o.paths {
				phase++
				spec := phaseSpec{id: phase, path: path, window: w, warmup: o.warmup, duration: o.duration, count: o.count, size: o.size, chats: o.chats,
					stages: o.stages && path == "echo", receipts: o.receipts}
				target := targets[path]
				var prof sync.WaitGroup
				if o.pprofDir != "" && path == "echo" && w == cmp.Or(o.pprofWindow, o.window) && round == o.rounds-1 {
					prof.Go(func() { profile(s.pprofAddr, o.pprofDir, o.warmup, o.duration) })
				}
				r, err := runPhase(ctx, spec, senders, target, procs)
				prof.Wait()
				if err != nil {
					return fmt.Errorf("%s phase, window %d: %w\n--- gateway log tail ---\n%s", path, w, err, s.tail())
				}
				if o.smoke && (r.errors > 0 || r.lost > 0) {
					return fmt.Errorf("%s phase, window %d: %s, %d lost\n--- gateway log tail ---\n%s", path, w, count(r.errors, "error reply", "error replies"), r.lost, s.tail())
				}
				if spec.stages {
					// The processes write their records every 50 ms.
					time.Sleep(200 * time.Millisecond)
					if r.hops, err = joinStages(s.stagesDir, spec.id, r.stamps); err != nil {
						return err
					}
					// A few may miss the last write of their records.
					if o.smoke && (r.hops.n == 0 || r.hops.n*10 < r.hops.of*9) {
						return fmt.Errorf("%s phase, window %d: the stage trace saw %d of %d measured messages at every stage", path, w, r.hops.n, r.hops.of)
					}
				}
				fmt.Fprintf(out, "  round %d %-8s window %-3d %8.0f msgs/s  p50 %-8s p99 %-8s (%s)\n",
					round+1, path, w, r.rate(), ms(r.pct(50)), ms(r.pct(99)), tally(r.n, r.errors, r.lost))
				pair = append(pair, r)
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			results = append(results, pair)
		}
	}
	_, peakGw, _ := procMem(gwPid)
	_, peakPl, _ := procMem(plPid)

	fmt.Fprintf(out, "\n%s, body %d bytes, %s per user, %s measured per phase after %s warm-up; Go %s, %s\n\n",
		count(o.users, "user", "users"), o.size, count(o.chats, "echo contact", "echo contacts"), o.duration, o.warmup, runtime.Version(), count(runtime.NumCPU(), "CPU", "CPUs"))
	if o.prosodyConfig != "" {
		fmt.Fprintf(out, "Prosody config added for every path: %s\n\n", o.prosodyConfig)
	}
	printTable(out, results)
	if o.rounds > 1 {
		fmt.Fprintf(out, "\nmedian of %d rounds (each ratio is taken within its round, then the median of those):\n\n", o.rounds)
		printMedians(out, results)
	}
	printCeiling(out, results)
	for _, pair := range results {
		for _, r := range pair {
			printStages(out, r)
		}
	}
	fmt.Fprintf(out, "\nmemory: gateway idle %s, peak %s (VmHWM); echo plugin idle %s, peak %s\n", mib(idleGw), mib(peakGw), mib(idlePl), mib(peakPl))
	if o.pprofDir != "" {
		fmt.Fprintf(out, "profiles of the gateway: %s (go tool pprof -top bin/passerelle %s)\n", o.pprofDir, filepath.Join(o.pprofDir, "cpu.pprof"))
	}

	if o.backfill > 0 {
		if err := runBackfill(ctx, o, senders, targets["echo"], procs, results, out); err != nil {
			return fmt.Errorf("backfill: %w\n--- gateway log tail ---\n%s", err, s.tail())
		}
	}
	if o.mam > 0 {
		if err := runMAM(ctx, s, o, senders[0], out); err != nil {
			return fmt.Errorf("mam: %w\n--- gateway log tail ---\n%s", err, s.tail())
		}
	}
	if o.roomMembers > 0 {
		if err := runRooms(ctx, s, o, out); err != nil {
			return fmt.Errorf("rooms: %w\n--- gateway log tail ---\n%s", err, s.tail())
		}
	}
	if o.startupLogins > 0 {
		if err := startup(ctx, s, o, out); err != nil {
			return err
		}
	}
	return nil
}

// profile saves the gateway's CPU profile over the measured window of a
// phase, then its allocation profile and a one-second execution trace.
func profile(addr, dir string, warmup, dur time.Duration) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "passerelle-bench: pprof:", err)
		return
	}
	time.Sleep(warmup)
	secs := max(1, int(dur.Seconds()))
	fetch := func(path, file string) {
		resp, err := http.Get("http://" + addr + path)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = errors.New(resp.Status)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "passerelle-bench: pprof:", err)
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(filepath.Join(dir, file))
		if err == nil {
			_, err = io.Copy(f, resp.Body)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "passerelle-bench: pprof:", err)
		}
	}
	// A short execution trace, taken beside the CPU profile, shows where
	// a round trip waits, which a CPU profile cannot (go tool trace).
	var tr sync.WaitGroup
	tr.Go(func() { fetch("/debug/pprof/trace?seconds=1", "trace.out") })
	fetch(fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), "cpu.pprof")
	fetch("/debug/pprof/allocs", "allocs.pprof")
	tr.Wait()
}

func printTable(out io.Writer, results [][]*phaseResult) {
	fmt.Fprintln(out, "| path | window | msgs/s | p50 | p90 | p99 | max | ratio msgs/s | p99 - baseline | gateway CPU s/1k | plugin CPU s/1k | prosody CPU s/1k | prosody cores | prosody waits for a core | bench cores | stanzas in per msg |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, pair := range results {
		base := pair[0]
		for _, r := range pair {
			per := func(p string) string {
				return fmt.Sprintf("%.3f", r.cpu[p]/float64(r.n)*1000)
			}
			cores := func(p string) string { return fmt.Sprintf("%.2f", r.cpu[p]/r.elapsed.Seconds()) }
			ratio, dp99 := "1", "-"
			if r != base {
				ratio = fmt.Sprintf("%.2f", r.rate()/base.rate())
				dp99 = fmt.Sprintf("%+.2f ms", float64(r.pct(99)-base.pct(99))/1e6)
			}
			gw, pl := per("gateway"), per("plugin")
			if r.spec.path != "echo" {
				gw, pl = "-", "-"
			}
			wait := "-"
			if r.wait >= 0 {
				wait = fmt.Sprintf("%.0f %%", 100*r.wait/r.elapsed.Seconds())
			}
			fmt.Fprintf(out, "| %s | %d | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f |\n",
				r.spec.path, r.spec.window, r.rate(), ms(r.pct(50)), ms(r.pct(90)), ms(r.pct(99)), ms(r.pct(100)),
				ratio, dp99, gw, pl, per("prosody"), cores("prosody"), wait, cores("bench"), float64(r.stanzas)/float64(max(r.n, 1)))
		}
	}
}

// printMedians sums up rounds: per path and window, the median msgs/s,
// p99, ratio to the round's first path and p99 difference from it, and
// gateway CPU per message. This VM's speed drifts between rounds; ratios
// within a round hold better than any absolute figure.
func printMedians(out io.Writer, results [][]*phaseResult) {
	type key struct {
		path   string
		window int
	}
	var order []key
	vals := map[key][5][]float64{} // msgs/s, p99 ms, ratio, p99 diff ms, gateway CPU ms per msg
	for _, pair := range results {
		base := pair[0]
		for _, r := range pair {
			k := key{r.spec.path, r.spec.window}
			v, seen := vals[k]
			if !seen {
				order = append(order, k)
			}
			v[0] = append(v[0], r.rate())
			v[1] = append(v[1], float64(r.pct(99))/1e6)
			v[2] = append(v[2], r.rate()/base.rate())
			v[3] = append(v[3], float64(r.pct(99)-base.pct(99))/1e6)
			v[4] = append(v[4], r.cpu["gateway"]/float64(max(r.n, 1))*1000)
			vals[k] = v
		}
	}
	fmt.Fprintln(out, "| path | window | msgs/s | p99 | ratio msgs/s | p99 - first path | gateway CPU s/1k |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, k := range order {
		v := vals[k]
		gw := "-"
		if k.path == "echo" {
			gw = fmt.Sprintf("%.3f", median(v[4]))
		}
		fmt.Fprintf(out, "| %s | %d | %.0f | %.2fms | %.2f | %+.2f ms | %s |\n",
			k.path, k.window, median(v[0]), median(v[1]), median(v[2]), median(v[3]), gw)
	}
}

// printCeiling compares the echo path with the shaped component route of
// the same round: the XMPP server's own limit for the messages the gateway
// writes, which the baseline (plain answers) does not show.
func printCeiling(out io.Writer, results [][]*phaseResult) {
	byWindow := map[int][]float64{}
	var windows []int
	for _, pair := range results {
		var shaped, echo *phaseResult
		for _, r := range pair {
			switch r.spec.path {
			case "shaped":
				shaped = r
			case "echo":
				echo = r
			}
		}
		if shaped == nil || echo == nil || shaped.rate() == 0 {
			continue
		}
		w := echo.spec.window
		if _, ok := byWindow[w]; !ok {
			windows = append(windows, w)
		}
		byWindow[w] = append(byWindow[w], echo.rate()/shaped.rate())
	}
	if len(windows) == 0 {
		return
	}
	var per []string
	for _, w := range windows {
		rs := byWindow[w]
		rounds := make([]string, len(rs))
		for j, r := range rs {
			rounds[j] = fmt.Sprintf("%.2f", r)
		}
		per = append(per, fmt.Sprintf("window %d: median %.2f (rounds %s)", w, median(rs), strings.Join(rounds, ", ")))
	}
	fmt.Fprintf(out, "\necho / shaped msgs/s (the server's limit for the gateway's message shape): %s\n", strings.Join(per, "; "))
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }

func uniq(a, b int) []int {
	if a == b {
		return []int{a}
	}
	return []int{a, b}
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

// forEach runs fn on every item, at most par at once, and returns the
// first error.
func forEach[T any](items []T, par int, fn func(T) error) error {
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, it := range items {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := fn(it); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return first
}

// paths are measured in this order for each window: the client-to-client
// baseline, the bare component route, the component route in the
// gateway's message shape, then the gateway.
var paths = []string{"baseline", "component", "shaped", "echo"}
