package whatsapp

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	waLog "go.mau.fi/whatsmeow/util/log"

	// The pure-Go SQLite driver, "sqlite": binaries stay CGO_ENABLED=0.
	_ "modernc.org/sqlite"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// dbName is whatsmeow's database in the login's folder: the device's
// keys, sessions, contacts and LID map.
const dbName = "whatsapp.db"

// dsn opens path with foreign keys on (sqlstore's Upgrade fails without
// them), a wait on a busy database and the WAL journal.
func dsn(path string) string {
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
}

// device is one linked device: its store and its client.
type device struct {
	container *sqlstore.Container
	dev       *store.Device // nil: the folder holds no paired device
	cli       Client        // nil when dev is
	// held keeps what whatsmeow dispatches between the end of a login
	// and its session's Connect (the first history sync comes then);
	// nil for a device opened from its folder.
	held *heldEvents
}

// heldEvents is a whatsmeow handler that keeps events until a target
// takes them, then passes everything on to it, in order.
type heldEvents struct {
	id uint32 // its handler ID on the client

	mu     sync.Mutex
	events []any
	target func(any)
}

func (h *heldEvents) handle(evt any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.target != nil {
		h.target(evt)
		return
	}
	h.events = append(h.events, evt)
}

// attach hands the kept events to target, then every later one.
func (h *heldEvents) attach(target func(any)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, evt := range h.events {
		target(evt)
	}
	h.events, h.target = nil, target
}

// hold starts keeping d's events.
func (d *device) hold() {
	d.held = &heldEvents{}
	d.held.id = d.cli.AddEventHandler(d.held.handle)
}

// openContainer opens (creating) the database in dir.
func openContainer(ctx context.Context, dir string, log waLog.Logger) (*sqlstore.Container, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, errf("login folder: %w", err)
	}
	c, err := sqlstore.New(ctx, "sqlite", dsn(filepath.Join(dir, dbName)), log)
	if err != nil {
		return nil, errf("open the database in %s: %w", dir, err)
	}
	return c, nil
}

// openDevice opens the paired device of a login's folder: jid's, or the
// only one. A folder without one gives a device with dev nil, which the
// session reports as logged out.
func openDevice(ctx context.Context, n *Network, dir, jid string) (*device, error) {
	log := slogWA(n.log, "store")
	c, err := openContainer(ctx, dir, log)
	if err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%v", err)
	}
	var dev *store.Device
	if jid != "" {
		j, perr := types.ParseJID(jid)
		if perr != nil {
			c.Close()
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: the saved login names %q, not a WhatsApp JID", jid)
		}
		dev, err = c.GetDevice(ctx, j)
	} else {
		dev, err = c.GetFirstDevice(ctx)
		if err == nil && dev.ID == nil {
			dev = nil // GetFirstDevice makes a new one when there is none
		}
	}
	if err != nil {
		c.Close()
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: read the device: %v", err)
	}
	d := &device{container: c, dev: dev}
	if dev != nil {
		d.cli = n.newClient(dev, slogWA(n.log, "client"))
	}
	return d, nil
}

// close ends the connection and closes the database.
func (d *device) close() {
	if d == nil {
		return
	}
	if d.cli != nil {
		d.cli.Disconnect()
	}
	if d.container != nil {
		d.container.Close()
	}
}

// waLogger is whatsmeow's logger onto the gateway's slog.
type waLogger struct{ l *slog.Logger }

func slogWA(l *slog.Logger, module string) waLog.Logger {
	return waLogger{l.With("whatsmeow", module)}
}

func (w waLogger) Errorf(msg string, args ...any) { w.l.Error(fmt.Sprintf(msg, args...)) }
func (w waLogger) Warnf(msg string, args ...any)  { w.l.Warn(fmt.Sprintf(msg, args...)) }
func (w waLogger) Infof(msg string, args ...any)  { w.l.Info(fmt.Sprintf(msg, args...)) }
func (w waLogger) Debugf(msg string, args ...any) {
	// whatsmeow logs much at debug: formatted only when it is wanted.
	if w.l.Enabled(context.Background(), slog.LevelDebug) {
		w.l.Debug(fmt.Sprintf(msg, args...))
	}
}
func (w waLogger) Sub(module string) waLog.Logger { return waLogger{w.l.With("sub", module)} }
