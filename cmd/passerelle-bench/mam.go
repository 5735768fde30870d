package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"passerelle.im/passerelle/store"
)

// The -mam phase: the gateway is stopped, the first user's archive of the
// room echo-room is filled with N messages (store.AppendArchive, as the
// room archives live messages), the gateway starts again, and the user's
// client pages back from the newest message with MAM (XEP-0313), 50 a
// page, one query at a time: the time from the query to its <fin/>, with
// the 50 result messages before it, and the gateway's and Prosody's CPU
// per page.

// mamRoom is the room the -mam phase fills: the echo network's group, a
// room of every echo login.
const mamRoom = "echo-room"

// mamPages is how many pages the -mam phase asks for (at most).
const mamPages = 400

func runMAM(ctx context.Context, s *stack, o options, c *client, out io.Writer) error {
	if err := s.stopGateway(); err != nil {
		return err
	}
	user := bareJID(c.jid)
	fillStart := time.Now()
	if err := fillArchive(ctx, s.storePath(), user, o.mam); err != nil {
		return fmt.Errorf("fill the archive: %w", err)
	}
	fillTook := time.Since(fillStart)
	if err := s.startGateway(); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.waitGateway(wctx, c); err != nil {
		return err
	}
	gw := s.gatewayPid()
	room := mamRoom + "@" + echoDomain
	pages := min(mamPages, o.mam/50)
	var lat []time.Duration
	before := ""
	prosody := s.prosodyPid()
	cpu0, _ := procCPU(gw)
	pcpu0, _ := procCPU(prosody)
	t0 := time.Now()
	for i := range pages {
		id := fmt.Sprintf("mam%d", i)
		q := `<iq type='set' id='` + id + `' to='` + room + `'><query xmlns='urn:xmpp:mam:2' queryid='` + id + `'>` +
			`<set xmlns='http://jabber.org/protocol/rsm'><max>50</max><before>` + before + `</before></set></query></iq>`
		qctx, qcancel := context.WithTimeout(ctx, 30*time.Second)
		got := 0
		sent := time.Now()
		el, err := c.iq(qctx, id, q, func(el []byte) {
			if bytes.HasPrefix(el, []byte("<message")) && (bytes.Contains(el, []byte(`queryid='`+id+`'`)) || bytes.Contains(el, []byte(`queryid="`+id+`"`))) {
				got++
			}
		})
		qcancel()
		if err != nil {
			return fmt.Errorf("MAM page %d: %w", i+1, err)
		}
		lat = append(lat, time.Since(sent))
		if attr(el, "type") != "result" || got != 50 {
			return fmt.Errorf("MAM page %d: %d result messages, then %.300s", i+1, got, el)
		}
		before = between(el, "<first>", "</first>")
		if before == "" {
			return fmt.Errorf("MAM page %d: no <first/> in %.300s", i+1, el)
		}
	}
	took := time.Since(t0)
	cpu1, _ := procCPU(gw)
	pcpu1, _ := procCPU(prosody)
	slices.Sort(lat)
	fmt.Fprintf(out, "\nMAM: a room of %d archived messages (filled in %s), %d pages of 50 back from the newest, one at a time: "+
		"p50 %s p90 %s p99 %s, %.0f pages/s; CPU per page: gateway %.2f ms, Prosody %.2f ms\n",
		o.mam, fillTook.Round(time.Millisecond), pages, ms(pctOf(lat, 50)), ms(pctOf(lat, 90)), ms(pctOf(lat, 99)),
		float64(pages)/took.Seconds(), (cpu1-cpu0)*1000/float64(pages), (pcpu1-pcpu0)*1000/float64(pages))
	return nil
}

// fillArchive appends n messages, 1 s apart and ending now, to user's
// archive of mamRoom, in writes of 1,000.
func fillArchive(ctx context.Context, path, user string, n int) error {
	db, err := store.Open(path)
	if err != nil {
		return err
	}
	room := store.RoomKey{Transport: "echo", UserJID: user, RoomID: mamRoom}
	base := time.Now().Add(-time.Duration(n) * time.Second)
	for done := 0; done < n && err == nil; {
		batch := make([]store.ArchivedMessage, min(1000, n-done))
		for i := range batch {
			k := done + i
			nick := fmt.Sprintf("member%d", k%1000)
			batch[i] = store.ArchivedMessage{Time: base.Add(time.Duration(k) * time.Second), Nick: nick,
				SenderJID: fmt.Sprintf("m%d@%s", k%1000, echoDomain), RemoteID: fmt.Sprintf("bench-%d", k),
				Payload: fmt.Appendf(nil, `<message from='%s@%s/%s' type='groupchat' id='bench-%d'><body>archived message %d of the bench room, a body of about a hundred bytes like the others.</body></message>`,
					mamRoom, echoDomain, nick, k, k)}
		}
		_, err = db.AppendArchive(ctx, room, batch)
		done += len(batch)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}
