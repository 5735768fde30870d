package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// The -room-members phase (issue 18: a contact message in a big group
// must not cost per-member work). Two sets of -users new users log in to
// the gateway: one with the echo network's fixed room echo-room (two
// members: echo-1 repeats, echo-2 reacts), one whose echo-room has N
// members (the username suffix +members<N>, examples/echo/groups.go).
// Each user's client joins its room with a real MUC presence, one join
// at a time, timed until the self-presence (110) after the whole
// occupant list, and until the subject that ends the join. Then the
// groupchat round trip, as the echo phases: each user writes to its room
// and waits for echo-1's repeat (not the reflection of its own message),
// with window 1 and -window, the small room's users then the big room's,
// each round. The big room's figures over the small room's of the same
// round are what shows per-member work on the message path, or none.

// roomPhaseBase numbers the room phases' bodies apart from the others.
const roomPhaseBase = 2000

// smallRoomMembers is the fixed echo-room's members besides the user.
const smallRoomMembers = 2

// roomSet is the users of one room size.
type roomSet struct {
	label   string
	members int
	// presented is how many occupants a join presents: the members, or
	// the gateway's room_join_occupants when fewer.
	presented int
	clients   []*client
	nicks     []string // each user's nick in the room (its self-presence)
}

// joinResult is one timed join.
type joinResult struct {
	occupants int           // occupants (distinct nicks) whose presence came before the self-presence
	self      time.Duration // until the self-presence
	subject   time.Duration // until the subject, the join's end
	nick      string
}

func runRooms(ctx context.Context, s *stack, o options, out io.Writer) error {
	sets := []*roomSet{
		{label: "small", members: smallRoomMembers},
		{label: "big", members: o.roomMembers},
	}
	defer func() {
		for _, rs := range sets {
			for _, c := range rs.clients {
				c.close()
			}
		}
	}()
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	limit := o.roomJoinOccupants
	if limit < 0 {
		limit = config.DefaultRoomJoinOccupants
	}
	for _, rs := range sets {
		rs.presented = rs.members
		if limit > 0 {
			rs.presented = min(rs.members, limit)
		}
		for i := range o.users {
			local := fmt.Sprintf("r%s%d", rs.label[:1], i)
			if err := xmpptest.Register(rctx, s.srv.C2SAddr(), jid.MustParse(local+"@"+xmppDomain), password); err != nil {
				return err
			}
			c, err := dialClient(rctx, s.srv.C2SAddr(), local, xmppDomain, password, "bench")
			if err != nil {
				return err
			}
			rs.clients = append(rs.clients, c)
			username := local
			if rs.label == "big" {
				username = fmt.Sprintf("%s+members%d", local, rs.members)
			}
			if err := registerGateway(rctx, c, username); err != nil {
				return err
			}
		}
	}
	room := echo.RoomID + "@" + echoDomain
	// The pids now: -mam restarts the gateway before this phase.
	gw := s.gatewayPid()
	procs := map[string]int{"gateway": gw, "plugin": s.pluginPid(), "prosody": s.prosodyPid(), "bench": os.Getpid()}
	rssBefore, _, _ := procMem(gw)

	// A first join, untimed: the session may still be connecting.
	for _, rs := range sets {
		for _, c := range rs.clients {
			j, err := firstJoin(rctx, c, room)
			if err != nil {
				return fmt.Errorf("%s room: %w", rs.label, err)
			}
			if j.occupants != rs.presented {
				return fmt.Errorf("%s room: %d occupants before the self-presence, want %d", rs.label, j.occupants, rs.presented)
			}
			rs.nicks = append(rs.nicks, j.nick)
		}
	}
	rssJoined, _, _ := procMem(gw)

	// Timed joins: every user again (a joined resource that joins again
	// gets the whole join again), one at a time, each round.
	joins := map[string][]joinResult{}
	joinCPU := map[string]float64{} // gateway CPU seconds of all the joins (/proc counts in ticks of 10 ms)
	for range o.rounds {
		for _, rs := range sets {
			cpu0, _ := procCPU(gw)
			for _, c := range rs.clients {
				j, err := joinOnce(rctx, c, room)
				if err != nil {
					return fmt.Errorf("%s room: %w", rs.label, err)
				}
				if j.occupants != rs.presented {
					return fmt.Errorf("%s room: %d occupants before the self-presence, want %d", rs.label, j.occupants, rs.presented)
				}
				joins[rs.label] = append(joins[rs.label], j)
			}
			cpu1, _ := procCPU(gw)
			joinCPU[rs.label] += cpu1 - cpu0
		}
	}

	// Groupchat round trips.
	var results [][]*phaseResult // per round and window: small, big
	phase := roomPhaseBase
	for round := range o.rounds {
		for _, w := range uniq(1, o.window) {
			var pair []*phaseResult
			for _, rs := range sets {
				phase++
				nicks := rs.nicks
				spec := phaseSpec{id: phase, path: rs.label, window: w, warmup: o.warmup, duration: o.duration, count: o.count, size: o.size,
					msgType: "groupchat",
					accept: func(user int, el []byte) bool {
						from := attr(el, "from")
						return strings.HasPrefix(from, room+"/") && from != room+"/"+nicks[user]
					}}
				// -pprof: the gateway's profiles of the last big-room
				// throughput phase, beside the echo path's.
				var prof sync.WaitGroup
				if o.pprofDir != "" && rs.label == "big" && w == o.window && round == o.rounds-1 {
					prof.Go(func() { profile(s.pprofAddr, filepath.Join(o.pprofDir, "room"), o.warmup, o.duration) })
				}
				r, err := runPhase(ctx, spec, rs.clients, func(int, int) string { return room }, procs)
				prof.Wait()
				if err != nil {
					return fmt.Errorf("%s room, window %d: %w", rs.label, w, err)
				}
				if o.smoke && (r.errors > 0 || r.lost > 0) {
					return fmt.Errorf("%s room, window %d: %s, %d lost", rs.label, w, count(r.errors, "error reply", "error replies"), r.lost)
				}
				fmt.Fprintf(out, "  round %d room %-5s window %-3d %8.0f msgs/s  p50 %-8s p99 %-8s (%s)\n",
					round+1, rs.label, w, r.rate(), ms(r.pct(50)), ms(r.pct(99)), tally(r.n, r.errors, r.lost))
				pair = append(pair, r)
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			results = append(results, pair)
		}
	}
	_, peak, _ := procMem(gw)

	fmt.Fprintf(out, "\nRooms: %s in rooms of %d members (small: the fixed echo-room) and %s in rooms of %d (big), each user its own room; %s measured per phase\n\n",
		count(o.users, "user", "users"), smallRoomMembers, count(o.users, "user", "users"), o.roomMembers, o.duration)
	printJoins(out, sets, joins, joinCPU)
	fmt.Fprintln(out)
	printRoomTable(out, results)
	printRoomRatios(out, results)
	fmt.Fprintf(out, "\nmemory: gateway %s before the joins, %s with every room joined, peak %s (VmHWM, the whole run)\n", mib(rssBefore), mib(rssJoined), mib(peak))
	return nil
}

// firstJoin joins, retrying while the gateway has no session yet.
func firstJoin(ctx context.Context, c *client, room string) (joinResult, error) {
	for {
		j, err := joinOnce(ctx, c, room)
		if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "registration-required") && !strings.Contains(err.Error(), "item-not-found") {
			return j, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// joinOnce sends a join presence (no history) and reads until the
// subject, counting the occupant presences before the self-presence.
func joinOnce(ctx context.Context, c *client, room string) (joinResult, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.conn.SetReadDeadline(dl)
		defer c.conn.SetReadDeadline(time.Time{})
	}
	user := bareJID(c.jid)
	nick := user[:strings.IndexByte(user, '@')]
	var j joinResult
	seen := map[string]bool{} // the occupants' JIDs counted
	t0 := time.Now()
	if err := c.write(`<presence to='` + room + `/` + nick + `'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`); err != nil {
		return j, err
	}
	for {
		el, err := c.fr.next()
		if err != nil {
			return j, fmt.Errorf("join %s: %w", room, err)
		}
		from := attr(el, "from")
		if bareJID(from) != room {
			continue
		}
		switch {
		case bytes.HasPrefix(el, []byte("<presence")):
			if attr(el, "type") == "error" {
				return j, fmt.Errorf("join %s: %.300s", room, el)
			}
			if bytes.Contains(el, []byte(`code='110'`)) || bytes.Contains(el, []byte(`code="110"`)) {
				j.self, j.nick = time.Since(t0), from[len(room)+1:]
			} else if j.nick == "" && from != room && attr(el, "type") != "unavailable" && !seen[from] {
				// (The room's own presence, its picture's hash, is no
				// occupant: it may come amid the first join's.)
				// By nick: a member's presence may change while the
				// join is sent (the CI's smoke run once saw 51 of 50).
				seen[from] = true
				j.occupants++
			}
		case bytes.HasPrefix(el, []byte("<message")) && bytes.Contains(el, []byte("<subject")):
			if j.nick == "" {
				return j, fmt.Errorf("join %s: the subject before the self-presence", room)
			}
			j.subject = time.Since(t0)
			return j, nil
		}
	}
}

func printJoins(out io.Writer, sets []*roomSet, joins map[string][]joinResult, cpu map[string]float64) {
	fmt.Fprintln(out, "| room | members | occupants presented | joins | self-presence p50 | max | subject (join done) p50 | max | gateway CPU per join |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, rs := range sets {
		js := joins[rs.label]
		var self, subj []time.Duration
		for _, j := range js {
			self, subj = append(self, j.self), append(subj, j.subject)
		}
		slices.Sort(self)
		slices.Sort(subj)
		fmt.Fprintf(out, "| %s | %d | %d | %d | %s | %s | %s | %s | %.2f ms |\n", rs.label, rs.members, rs.presented, len(js),
			ms(pctOf(self, 50)), ms(pctOf(self, 100)), ms(pctOf(subj, 50)), ms(pctOf(subj, 100)), cpu[rs.label]*1000/float64(max(len(js), 1)))
	}
}

func printRoomTable(out io.Writer, results [][]*phaseResult) {
	fmt.Fprintln(out, "| room | window | msgs/s | p50 | p99 | gateway CPU ms/msg | plugin CPU ms/msg | prosody CPU ms/msg | stanzas in per msg | errors | lost |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, pair := range results {
		for _, r := range pair {
			per := func(p string) float64 { return r.cpu[p] / float64(max(r.n, 1)) * 1000 }
			fmt.Fprintf(out, "| %s | %d | %.0f | %s | %s | %.3f | %.3f | %.3f | %.1f | %d | %d |\n", r.spec.path, r.spec.window, r.rate(),
				ms(r.pct(50)), ms(r.pct(99)), per("gateway"), per("plugin"), per("prosody"), float64(r.stanzas)/float64(max(r.n, 1)), r.errors, r.lost)
		}
	}
}

// printRoomRatios is big over small, taken within each round, then the
// median of the rounds, per window.
func printRoomRatios(out io.Writer, results [][]*phaseResult) {
	var windows []int
	vals := map[int][4][]float64{} // msgs/s, p50, p99, gateway CPU per msg
	for _, pair := range results {
		small, big := pair[0], pair[1]
		w := small.spec.window
		v, seen := vals[w]
		if !seen {
			windows = append(windows, w)
		}
		gw := func(r *phaseResult) float64 { return r.cpu["gateway"] / float64(max(r.n, 1)) }
		v[0] = append(v[0], big.rate()/small.rate())
		v[1] = append(v[1], float64(big.pct(50))/float64(small.pct(50)))
		v[2] = append(v[2], float64(big.pct(99))/float64(small.pct(99)))
		v[3] = append(v[3], gw(big)/gw(small))
		vals[w] = v
	}
	fmt.Fprintf(out, "\nbig room / small room, median of %d rounds (1 is no per-member cost):\n\n", len(results)/max(len(windows), 1))
	fmt.Fprintln(out, "| window | msgs/s | p50 | p99 | gateway CPU per msg |")
	fmt.Fprintln(out, "| ---: | ---: | ---: | ---: | ---: |")
	for _, w := range windows {
		v := vals[w]
		fmt.Fprintf(out, "| %d | %.2f | %.2f | %.2f | %.2f |\n", w, median(v[0]), median(v[1]), median(v[2]), median(v[3]))
	}
}
