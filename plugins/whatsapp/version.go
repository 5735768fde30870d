package whatsapp

import (
	"context"
	"net/http"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/store"
)

// The pinned whatsmeow announces the WhatsApp Web version of its day.
// When WhatsApp refuses it (ClientOutdated), the plugin asks WhatsApp Web
// for its current version once, announces that one and connects again:
// that often helps for a while; when it does not, only a newer passerelle
// (a newer whatsmeow) will. The config's web_version pins a version
// instead, and "pinned" turns the look-up off.

// VersionFunc finds WhatsApp Web's current version.
type VersionFunc func(ctx context.Context) (store.WAVersionContainer, error)

var versionClient = &http.Client{Timeout: 30 * time.Second}

func latestWebVersion(ctx context.Context) (store.WAVersionContainer, error) {
	v, err := whatsmeow.GetLatestVersion(ctx, versionClient)
	if err != nil {
		return store.WAVersionContainer{}, err
	}
	return *v, nil
}

// versionUpdate is the one look-up a plugin process makes.
type versionUpdate struct {
	mu    sync.Mutex
	tried bool
	newer bool
	found store.WAVersionContainer
}

// tryNewerVersion looks WhatsApp Web's version up, once per process, and
// announces it when it is newer than the one in use: true when the next
// connection has a newer version to show.
func (n *Network) tryNewerVersion(ctx context.Context) bool {
	if n.cfg.WebVersion != "" || n.latest == nil {
		return false // pinned by the config, or no look-up
	}
	u := &n.version
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.tried {
		return false
	}
	u.tried = true
	v, err := n.latest(ctx)
	if err != nil {
		n.log.Warn("WhatsApp Web's version not found", "err", err)
		return false
	}
	if !store.GetWAVersion().LessThan(v) {
		n.log.Warn("WhatsApp refuses this client, and WhatsApp Web's version is no newer", "current", store.GetWAVersion().String(), "web", v.String())
		return false
	}
	n.log.Info("announcing WhatsApp Web's current version", "from", store.GetWAVersion().String(), "to", v.String())
	store.SetWAVersion(v)
	u.newer, u.found = true, v
	return true
}
