// Package rawio does the message path's socket reads and writes without
// telling the Go scheduler they are system calls.
//
// Go wraps every read and write in entersyscall/exitsyscall, and
// entersyscall wakes the runtime's monitor thread (sysmon) whenever it
// sleeps because every P was idle. A gateway or plugin at a message in
// flight goes idle between nearly every message, so each message paid a
// futex wake-up and a few 20 µs polls of sysmon: measured on 2 vCPUs at
// one message in flight per user, sysmon used 5 % of a core in the
// gateway and 3 % in the plugin, 13 and 20 % of their CPU, invisible to
// pprof. Reads and writes of a non-blocking socket never block, so
// entersyscall (which lets another thread take the P during a long call)
// buys them nothing.
package rawio

import (
	"context"
	"net"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Wrap returns c with raw reads and writes where the platform allows it,
// else c itself. Deadlines, Close and the rest are c's.
func Wrap(c net.Conn) net.Conn { return wrap(c) }

// Insecure is gRPC's insecure transport credentials with Wrap applied to
// the connections, on either end: the only way to reach the connection
// gRPC reads and writes, on a server whose listener go-plugin owns.
func Insecure() credentials.TransportCredentials { return creds{insecure.NewCredentials()} }

type creds struct {
	credentials.TransportCredentials
}

func (c creds) ClientHandshake(ctx context.Context, authority string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := c.TransportCredentials.ClientHandshake(ctx, authority, conn)
	if err != nil {
		return nil, nil, err
	}
	return Wrap(conn), info, nil
}

func (c creds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := c.TransportCredentials.ServerHandshake(conn)
	if err != nil {
		return nil, nil, err
	}
	return Wrap(conn), info, nil
}

func (c creds) Clone() credentials.TransportCredentials { return creds{c.TransportCredentials.Clone()} }
