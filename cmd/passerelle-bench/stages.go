package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"passerelle.im/passerelle/internal/stagetrace"
)

// stamp is when the tool sent and got back one measured echo message.
type stamp struct {
	key        string
	sent, recv int64 // Unix nanoseconds
}

// hop is one leg of the echo round trip, between two recorded points.
type hop struct {
	name     string
	from, to string // stage names; "sent" and "recv" are the tool's own
}

var hops = []hop{
	{"tool -> Prosody -> gateway read", "sent", stagetrace.GatewayIn},
	{"gateway: stanza -> command sent", stagetrace.GatewayIn, stagetrace.GatewayCmd},
	{"gRPC -> plugin read", stagetrace.GatewayCmd, stagetrace.PluginCmd},
	{"plugin: command -> event sent", stagetrace.PluginCmd, stagetrace.PluginEv},
	{"gRPC -> gateway read", stagetrace.PluginEv, stagetrace.GatewayEv},
	{"gateway: event -> stanza written", stagetrace.GatewayEv, stagetrace.GatewayOut},
	{"Prosody -> tool read", stagetrace.GatewayOut, "recv"},
}

// hopStats is how long each hop took, over the messages every stage saw.
type hopStats struct {
	n      int               // messages with every stage recorded
	of     int               // measured messages
	byHop  [][]time.Duration // sorted, per hop
	tail   []time.Duration   // per hop, the mean over the slowest 1 % of round trips
	totals []time.Duration   // sorted round trips of the n messages
}

// joinStages matches the tool's stamps with the stages the gateway and
// the plugin recorded for phase.
func joinStages(dir string, phase int, stamps []stamp) (*hopStats, error) {
	recs, err := stagetrace.ReadDir(dir, fmt.Sprintf("pb%d:", phase))
	if err != nil {
		return nil, err
	}
	at := map[string]map[string]int64{}
	for _, r := range recs {
		m := at[r.Key]
		if m == nil {
			m = map[string]int64{}
			at[r.Key] = m
		}
		if _, dup := m[r.Stage]; !dup { // the first pass counts
			m[r.Stage] = r.At
		}
	}
	type row struct {
		total time.Duration
		hop   []time.Duration
	}
	var rows []row
	// Every message's times, for a closer look: key, then the offset of
	// each stage from the send, in microseconds.
	var tsv bytes.Buffer
	tsv.WriteString("key")
	for _, h := range hops {
		tsv.WriteString("\t" + h.to)
	}
	tsv.WriteString("\tsent_unix_ns\n")
	for _, s := range stamps {
		m := at[s.key]
		if m == nil {
			continue
		}
		m["sent"], m["recv"] = s.sent, s.recv
		r := row{total: time.Duration(s.recv - s.sent)}
		ok := true
		for _, h := range hops {
			a, okA := m[h.from]
			b, okB := m[h.to]
			if !okA || !okB {
				ok = false
				break
			}
			r.hop = append(r.hop, time.Duration(b-a))
		}
		if ok {
			rows = append(rows, r)
			tsv.WriteString(s.key)
			for _, h := range hops {
				fmt.Fprintf(&tsv, "\t%d", (m[h.to]-s.sent)/1000)
			}
			fmt.Fprintf(&tsv, "\t%d\n", s.sent)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("phase%d.tsv", phase)), tsv.Bytes(), 0o600); err != nil {
		return nil, err
	}
	st := &hopStats{n: len(rows), of: len(stamps), byHop: make([][]time.Duration, len(hops)), tail: make([]time.Duration, len(hops))}
	if len(rows) == 0 {
		return st, nil
	}
	slices.SortFunc(rows, func(a, b row) int { return int(a.total - b.total) })
	slow := rows[len(rows)-max(1, len(rows)/100):]
	for i := range hops {
		var sum time.Duration
		for _, r := range slow {
			sum += r.hop[i]
		}
		st.tail[i] = sum / time.Duration(len(slow))
		for _, r := range rows {
			st.byHop[i] = append(st.byHop[i], r.hop[i])
		}
		slices.Sort(st.byHop[i])
	}
	for _, r := range rows {
		st.totals = append(st.totals, r.total)
	}
	return st, nil
}

func pctOf(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d))*p/100+0.5) - 1
	return d[max(0, min(i, len(d)-1))]
}

func meanOf(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	var s time.Duration
	for _, v := range d {
		s += v
	}
	return s / time.Duration(len(d))
}

// printStages prints where the echo round trips of one phase spent their
// time, hop by hop.
func printStages(out io.Writer, r *phaseResult) {
	st := r.hops
	if st == nil {
		return
	}
	fmt.Fprintf(out, "\nwhere an echo round trip waits, window %d (%d of %d measured messages seen at every stage; wall-clock times of each process):\n\n", r.spec.window, st.n, st.of)
	if st.n == 0 {
		fmt.Fprintln(out, "no message was seen at every stage: was the gateway built from this tree?")
		return
	}
	fmt.Fprintln(out, "| hop | p50 | p90 | p99 | mean | share of the mean | mean in the slowest 1 % |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	total := meanOf(st.totals)
	for i, h := range hops {
		d := st.byHop[i]
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %.0f %% | %s |\n", h.name, ms(pctOf(d, 50)), ms(pctOf(d, 90)), ms(pctOf(d, 99)), ms(meanOf(d)),
			100*float64(meanOf(d))/float64(total), ms(st.tail[i]))
	}
	var tailSum time.Duration
	for _, v := range st.tail {
		tailSum += v
	}
	fmt.Fprintf(out, "| round trip | %s | %s | %s | %s | 100 %% | %s |\n", ms(pctOf(st.totals, 50)), ms(pctOf(st.totals, 90)), ms(pctOf(st.totals, 99)), ms(total), ms(tailSum))
}
