package bridge

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// linksUpWithin is how long the start waits for every transport's link
// before it says which are up and which are not.
const linksUpWithin = time.Minute

// upWaiter is a component link as linksUp sees it (xmpplink.Link).
type upWaiter interface {
	WaitUp(ctx context.Context) error
}

// linksUp logs one line once every transport's link (links, by domain)
// is first up: "connected to SERVER with transports A, B", so an
// operator reading the log at info sees the start is done. If some are
// not up within, a warning names those up and those not, and the line
// still comes once they are. It returns when all are up or ctx ends.
func linksUp(ctx context.Context, log *slog.Logger, server string, links map[string]upWaiter, within time.Duration) {
	if len(links) == 0 {
		return
	}
	var mu sync.Mutex
	up := map[string]bool{}
	all := make(chan struct{})
	var wg sync.WaitGroup
	for name, l := range links {
		wg.Go(func() {
			if l.WaitUp(ctx) != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			up[name] = true
			if len(up) == len(links) {
				close(all)
			}
		})
	}
	defer wg.Wait()
	lists := func() (yes, no string) {
		mu.Lock()
		defer mu.Unlock()
		var y, n []string
		for name := range links {
			if up[name] {
				y = append(y, name)
			} else {
				n = append(n, name)
			}
		}
		return sortedList(y), sortedList(n)
	}
	timer := time.NewTimer(within)
	defer timer.Stop()
	select {
	case <-all:
	case <-ctx.Done():
		return
	case <-timer.C:
		yes, no := lists()
		log.Warn("not every transport connected to "+server+" yet", "up", yes, "not_up", no, "waited", within)
		select {
		case <-all:
		case <-ctx.Done():
			return
		}
	}
	yes, _ := lists()
	log.Info("connected to " + server + " with transports " + yes)
}

// sortedList is names sorted, joined by ", ", or "none".
func sortedList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
