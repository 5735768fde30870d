"""The host side of hashicorp/go-plugin, as a Python plugin must answer it.

The gateway starts a plugin with go-plugin over gRPC. A plugin in another
language than Go does by hand what go-plugin's Go server does:

1. check the magic cookie in the environment (a binary run by mistake
   refuses to run as a plugin) and that the host speaks our contract
   version (PLUGIN_PROTOCOL_VERSIONS);
2. serve gRPC on a loopback port, with, beside the plugin's own service,
   go-plugin's: the gRPC health service (the host pings it), the
   controller (the host asks the plugin to exit), stdio (the host reads
   the plugin's stdout and stderr through it) and the broker (for extra
   connections, which passerelle does not use);
3. print one line on stdout, "1|2|tcp|127.0.0.1:PORT|grpc": go-plugin's
   own protocol version, the contract's, and where to connect.

The go-plugin services are served here with raw bytes in and out: their
messages are either empty or never sent, so no generated code is needed.
Only grpcio is.
"""

import fcntl
import os
import sys
import threading
import time
from concurrent import futures

import grpc

# The passerelle handshake (plugins/sdk/plugin.go, sdk.Handshake).
MAGIC_COOKIE_KEY = "PASSERELLE_PLUGIN"
MAGIC_COOKIE_VALUE = "4f0c5c7e-passerelle-transport"
# The contract version, plugins/proto/transport.proto (sdk.APIVersion).
API_VERSION = 2
# go-plugin's own protocol version: always 1.
CORE_PROTOCOL_VERSION = 1

# One gRPC message each way, as the Go SDK allows (sdk.MaxMessageBytes).
MAX_MESSAGE_BYTES = 64 << 20

# How long calls under way at a stop have to finish before they are
# cancelled.
GRACE = 0.5

# grpc.health.v1.HealthCheckResponse{status: SERVING}, encoded: field 1,
# varint 1.
_SERVING = b"\x08\x01"


class Plugin:
    """A gRPC server speaking go-plugin's handshake; add the plugin's own
    service with add_service, then call serve()."""

    def __init__(self, max_workers=32):
        check_handshake()
        self.stopping = threading.Event()
        # Every open stream (events, commands, history, stdio, broker)
        # holds a worker for its life: keep plenty.
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers),
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        self.server.add_generic_rpc_handlers((self._goplugin_services(),))

    def add_service(self, add_to_server, servicer):
        """Registers a generated service: add_service(
        transport_pb2_grpc.add_TransportServicer_to_server, servicer)."""
        add_to_server(servicer, self.server)

    def serve(self, on_stop=None):
        """Listens on a loopback port, tells go-plugin where, and blocks
        until the host asks the plugin to stop (or the host dies); then
        stops the server, calls on_stop and returns."""
        port = self.server.add_insecure_port("127.0.0.1:0")
        if port == 0:
            sys.exit("go-plugin: cannot listen on 127.0.0.1")
        self.server.start()
        # The handshake line; nothing else may go to stdout before it.
        sys.stdout.write(
            "%d|%d|tcp|127.0.0.1:%d|grpc\n" % (CORE_PROTOCOL_VERSION, API_VERSION, port)
        )
        sys.stdout.flush()
        watch_parent(self.stopping)
        self.stopping.wait()
        # Calls under way finish first (the Shutdown answer among them, and
        # an ack or a command still on a stream), then on_stop closes what
        # they wrote to: closed before, a command answered in the grace
        # would lose its event. go-plugin closes its connection right
        # after Shutdown, which ends the streams at once.
        self.server.stop(grace=GRACE).wait()
        if on_stop:
            on_stop()

    def stop(self):
        self.stopping.set()

    # ------------------------------------------------------------ services

    def _goplugin_services(self):
        handlers = {
            # go-plugin pings it (service "plugin") to see the plugin is alive.
            "/grpc.health.v1.Health/Check": grpc.unary_unary_rpc_method_handler(
                lambda request, context: _SERVING
            ),
            # The host's Kill: exit. go-plugin waits 2 s for the process to
            # go before it kills it.
            "/plugin.GRPCController/Shutdown": grpc.unary_unary_rpc_method_handler(
                self._shutdown
            ),
            # go-plugin streams the plugin's stdout and stderr through it
            # when the plugin redirects them; ours go to the real stderr,
            # which the gateway reads: send nothing, keep it open.
            "/plugin.GRPCStdio/StreamStdio": grpc.unary_stream_rpc_method_handler(
                self._stdio
            ),
            # Extra connections (go-plugin's broker): unused by passerelle.
            # Read the host's stream until it closes.
            "/plugin.GRPCBroker/StartStream": grpc.stream_stream_rpc_method_handler(
                self._broker
            ),
        }

        class Handler(grpc.GenericRpcHandler):
            def service(self, details):
                return handlers.get(details.method)

        return Handler()

    def _shutdown(self, request, context):
        # serve() stops the server with a grace, which lets this answer
        # go out: no need to wait before stopping.
        self.stop()
        return b""

    def _stdio(self, request, context):
        while context.is_active() and not self.stopping.wait(1):
            pass
        return
        yield  # a generator that sends nothing

    def _broker(self, request_iterator, context):
        for _ in request_iterator:
            pass
        return
        yield


def check_handshake():
    """Exits with a message unless started by a passerelle gateway of our
    contract version."""
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        sys.stderr.write(
            "This is a passerelle transport plugin: the gateway starts it "
            "(plugin = \"%s\" in a [[transport]] block of passerelle.toml).\n"
            % os.path.abspath(sys.argv[0])
        )
        sys.exit(1)
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "")
    offered = {v.strip() for v in versions.split(",") if v.strip()}
    if offered and str(API_VERSION) not in offered:
        sys.stderr.write(
            "plugin speaks contract v%d, the gateway offers %s\n" % (API_VERSION, versions)
        )
        sys.exit(1)


def watch_parent(stopping, poll=0.5):
    """Stops the plugin when the gateway that started it is gone (its
    parent changes), however the gateway died: a plugin never outlives it."""
    parent = os.getppid()

    def watch():
        while not stopping.wait(poll):
            if os.getppid() != parent:
                sys.stderr.write('{"@level":"error","@message":"the gateway is gone; exiting"}\n')
                stopping.set()
                return

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def lock_folder(path):
    """Takes an exclusive lock on a file in the data folder, held until
    the process ends: two plugin processes on one folder would interleave
    their journals. Exits if another process holds it."""
    f = open(os.path.join(path, ".lock"), "a")
    deadline = time.monotonic() + 5
    while True:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return f
        except BlockingIOError:
            # A killed predecessor's lock goes with its process; one
            # still exiting may hold it a moment longer.
            if time.monotonic() > deadline:
                raise RuntimeError("data folder %s is in use by another plugin process" % path)
            time.sleep(0.05)
