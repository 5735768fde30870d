// Package bridge is the XMPP side of passerelle: for each transport, one
// component link to the XMPP server, one supervised plugin process, and
// the routing between them (XEP handlers, logins, message delivery).
package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	bolterrors "go.etcd.io/bbolt/errors"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/bridge/media"
	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/store"
)

// Version is the gateway's version, shown by XEP-0092; the build may set
// it with -ldflags "-X passerelle.im/passerelle/bridge.Version=...".
var Version = ""

// version returns Version, else what the build says (sdk.BuildVersion),
// as `passerelle version` and the plugins do.
func version() string {
	return sdk.BuildVersion(Version)
}

// ErrStoreUnusable wraps Run's error when store.path is no store the
// gateway can open as it is: only the admin can help, not a restart.
var ErrStoreUnusable = errors.New("the store cannot be used")

// Run runs the gateway until ctx is cancelled: it opens the store, then
// runs every enabled transport side by side. A transport whose plugin or
// link fails keeps retrying on its own; it never stops the others.
func Run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	db, err := store.Open(cfg.Store.Path)
	if errors.Is(err, bolterrors.ErrInvalid) {
		// Restarting cannot help: said so, with what to do.
		// Neither bbolt nor check-store can tell another program's file
		// from a store whose first pages are damaged: both are said, as
		// check-store says them, each with its fix.
		return fmt.Errorf("%w: open store: %w: %s is not a passerelle store that can be read: either it is another program's file (check store.path; for a new store, point it at a path that does not exist yet) or the gateway's store with its first pages damaged (restore a backup, and check it with `passerelle check-store` before starting)",
			ErrStoreUnusable, err, cfg.Store.Path)
	}
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer db.Close()
	log.Info("passerelle starting", "version", version(), "store", cfg.Store.Path, "server", cfg.XMPP.Server)
	muc.SetLog(log) // a bad occupant nick replaced (muc.OccupantJID)

	var wg sync.WaitGroup
	reg, err := serveMetrics(ctx, cfg.Metrics.Listen, &wg, log)
	if err != nil {
		return err
	}
	var ms *media.Server
	if cfg.Media.Listen != "" {
		ms, err = media.NewServer(media.Config{Listen: cfg.Media.Listen, PublicURL: cfg.Media.PublicURL,
			MaxBytes: cfg.Media.MaxBytes, Expiry: cfg.Media.Expiry, Dir: cfg.Media.Dir, Log: log.With("part", "media")})
		if err != nil {
			return fmt.Errorf("media endpoint: %w", err)
		}
		wg.Go(func() {
			if err := ms.Run(ctx); err != nil {
				log.Error("media endpoint stopped", "err", err)
			}
		})
		log.Info("media endpoint listening", "listen", cfg.Media.Listen, "public_url", cfg.Media.PublicURL)
	}
	wg.Go(func() { prune(ctx, db, cfg.Store.MessageRetention, log) })
	links := map[string]upWaiter{}
	for _, tc := range cfg.Transports {
		if !tc.Enabled {
			continue
		}
		t := newTransport(cfg, tc, db, ms, log)
		t.metrics = reg.Transport(t.name, t.probe())
		links[tc.Domain] = t.link
		wg.Go(func() { t.run(ctx) })
	}
	wg.Go(func() { linksUp(ctx, log, cfg.XMPP.Server, links, linksUpWithin) })
	wg.Wait()
	log.Info("passerelle stopped")
	return nil
}

// prune drops message map and duplicate-filter entries past the retention,
// once soon after start and then every hour. The store deletes in small
// transactions, so traffic never waits long behind it.
func prune(ctx context.Context, db *store.DB, retention time.Duration, log *slog.Logger) {
	wait := time.Minute
	for {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
		wait = time.Hour
		n, err := db.PruneMessages(ctx, time.Now().Add(-retention))
		if err != nil && ctx.Err() == nil {
			log.Error("pruning the message map failed", "err", err)
			continue
		}
		if n > 0 {
			log.Info("message map pruned", "entries", n, "retention", retention)
		}
	}
}
