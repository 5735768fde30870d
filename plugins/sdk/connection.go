package sdk

import (
	"sync"

	pb "passerelle.im/passerelle/plugins/proto"
)

// connections are the numbers of the logins' connections, as the host
// picked them (ConnectRequest.connection): each login's latest, which its
// states are stamped with as they are emitted. The gateway then tells a
// state of the login's connection before (still on its way as the login
// connects again) from the new one's, which plugin authors need not do.
type connections struct {
	mu  sync.Mutex
	cur map[string]uint64 // login ID -> the number of its latest Connect
}

// begin makes n the number of loginID's connection: that of a Connect
// that now runs, its login's earlier calls over (the login's slot held).
// A number below the login's (a Connect the host sent before the latest,
// that reached the slot after it: its call cut while the slot was held,
// or a waiter taken out of turn) does not replace it: the host ignores
// every state below its latest Connect's, so the login's states would
// all be dropped from then on. The host's numbers grow within its run,
// and a plugin process serves one run.
func (c *connections) begin(loginID string, n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		c.cur = map[string]uint64{}
	}
	c.cur[loginID] = max(c.cur[loginID], n)
}

// stamp sets the connection of ev, a login state without one, to its
// login's current connection. A number the plugin set is kept (it knows
// which connection said it); none known (a host that sends none, no
// Connect yet) leaves 0, which the host takes as the login's state.
func (c *connections) stamp(ev *pb.Event) {
	ls := ev.GetLoginState()
	if ls == nil || ls.Connection != 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ls.Connection = c.cur[ev.LoginId]
}
