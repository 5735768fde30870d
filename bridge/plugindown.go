package bridge

import (
	"context"
	"errors"
	"sync"
	"time"

	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/internal/stopwait"
)

// While the plugin is down no login is connected to its network: a
// message waits for the plugin, then fails. A plugin that restarts at once
// (a crash) is not worth a word, but one that stays down (a broken
// upgrade, a crash at every start) is a disconnect like a network's, and
// the users are told as they are of one: the gateway's presence says it,
// until the plugin is back and the logins connected again.

// pluginDownGrace is how long the plugin may be down before the users are
// told: longer than a restart takes, shorter than a message's wait for
// the plugin (pluginhost's HoldTimeout).
const pluginDownGrace = 3 * time.Second

// pluginDown follows the plugin's absence.
type pluginDown struct {
	mu    sync.Mutex
	timer *time.Timer // running from the stop until the grace ends
	told  bool        // the users were told it is down
	// refused: its last start ended in a refusal of its Init (its
	// config, what it needs on the machine), which only the admin mends.
	refused bool
}

// stopped notes the plugin's stop, and why: tell runs once the grace has
// passed with the plugin still down, counted for the transport's stop
// (bg), and not once the stop waits: the link is gone.
func (d *pluginDown) stopped(err error, tell func(), bg *stopwait.Group) {
	var ie *pluginhost.InitError
	refused := errors.As(err, &ie)
	d.mu.Lock()
	retell := d.told && refused != d.refused
	d.refused = refused
	if d.timer == nil && !d.told {
		var timer *time.Timer
		timer = time.AfterFunc(pluginDownGrace, func() {
			bg.RunLive(func() {
				d.mu.Lock()
				if d.timer != timer {
					d.mu.Unlock()
					return // the plugin came back meanwhile
				}
				d.timer, d.told = nil, true
				d.mu.Unlock()
				tell()
			})
		})
		d.timer = timer
	}
	d.mu.Unlock()
	if retell {
		// Told already, now of another cause. Outside d.mu, which tell
		// takes (shown): once the stop waits, Go runs it here.
		bg.Go(tell)
	}
}

// up notes the plugin running again and reports whether the users were
// told it was down.
func (d *pluginDown) up() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	told := d.told
	d.told = false
	return told
}

// shown reports whether the users are told the plugin is down, and
// whether it refused to start.
func (d *pluginDown) shown() (told, refused bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.told, d.refused
}

// pluginDownText is the status that says the plugin is down: one that
// refuses to start waits for the admin, not for a restart.
func (t *transport) pluginDownText(refused bool) string {
	if refused {
		return "the gateway's " + t.displayName() + " plugin refused to start: its setup needs the gateway's admin (the gateway's log says why)"
	}
	return "the gateway's " + t.displayName() + " plugin is not running; it is being restarted"
}

// showPluginDown tells every user the plugin is down.
func (t *transport) showPluginDown() {
	t.log.Warn("the transport plugin stays down; its users are told", "for", pluginDownGrace)
	// Ends with the stop: bg's Stop waits for it.
	ctx, cancel := context.WithTimeout(t.runCtx(), 10*time.Second)
	defer cancel()
	for _, s := range t.allSessions() {
		t.send(ctx, s.gatewayPresence())
	}
}
