package tgfake

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net"
	"sync"

	"github.com/gotd/td/crypto"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgtest"
	"github.com/gotd/td/tgtest/services"
	"github.com/gotd/td/tgtest/services/config"
	"github.com/gotd/td/transport"
)

// The fake's one data centre, as gotd's tgtest/cluster sets one up (a
// tgtest.Server on a loopback listener, help.getConfig naming it), but
// with an RSA key made once per process: the cluster made a 2048-bit key
// per server, up to a second or so under -race, and tests start a fake
// Telegram each.

// serverKey is the process's RSA key for the fakes' key exchanges.
var serverKey struct {
	once sync.Once
	key  *rsa.PrivateKey
	err  error
}

func rsaKey() (*rsa.PrivateKey, error) {
	serverKey.once.Do(func() {
		serverKey.key, serverKey.err = rsa.GenerateKey(rand.Reader, crypto.RSAKeyBits)
	})
	return serverKey.key, serverKey.err
}

// dc is a data centre: its MTProto server, the dispatcher of its
// requests, its listener.
type dc struct {
	srv *tgtest.Server
	d   *tgtest.Dispatcher
	l   net.Listener
}

// newDC makes data centre id on a loopback port; serve runs it.
func newDC(ctx context.Context, id int) (*dc, error) {
	key, err := rsaKey()
	if err != nil {
		return nil, fmt.Errorf("tgfake: RSA key: %w", err)
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("tgfake: listen: %w", err)
	}
	addr := l.Addr().(*net.TCPAddr)
	// As the cluster says it (To16 is set for an IPv4 address too).
	cfg := tg.Config{DCOptions: []tg.DCOption{{Ipv6: addr.IP.To16() != nil, Static: true, ID: id, IPAddress: addr.IP.String(), Port: addr.Port}}}
	common := tgtest.NewDispatcher()
	config.NewService(&cfg, &tg.CDNConfig{}).Register(common)
	common.Fallback(services.NotImplemented)
	d := tgtest.NewDispatcher()
	d.Fallback(common)
	srv := tgtest.NewServer(tgtest.NewPrivateKey(key), tgtest.UnpackInvoke(d), tgtest.ServerOptions{
		DC: id, Codec: transport.Intermediate.Codec,
	})
	return &dc{srv: srv, d: d, l: l}, nil
}

// serve runs the data centre until ctx is done.
func (c *dc) serve(ctx context.Context) error {
	return c.srv.Serve(ctx, transport.ListenCodec(nil, c.l))
}

// addr is where the data centre listens.
func (c *dc) addr() *net.TCPAddr { return c.l.Addr().(*net.TCPAddr) }
