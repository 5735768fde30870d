#!/usr/bin/python3
"""passerelle-python-echo: a passerelle transport plugin in Python.

The echo network: a login is a username; the one contact, "echo", answers
every message with the same text, edits its answer when the user edits
theirs, types when the user types, and has a short history. It shows what a
plugin in any language other than Go does by hand (docs/plugins.md):

- the go-plugin handshake and services (goplugin.py);
- contract v2 (plugins/proto/transport.proto; transport_pb2*.py are
  generated from it, see generate.sh): Init and capabilities, login steps
  (a form; a pairing code shown and waited on), Connect, the lists,
  commands with txn_id answers and per-message metadata, typed errors;
- the Events stream with seqs, replays and acks, journalled in the data
  folder (journal.py), and the History stream for backfill (history.py).

It runs on Debian's python3-grpcio and python3-protobuf, with
/usr/bin/python3. The gateway starts it like any plugin binary:

    [[transport]]
    name = "pyecho"
    domain = "pyecho.example.org"
    secret_file = "/etc/passerelle/pyecho.secret"
    plugin = "/path/to/examples/python-echo/passerelle_echo.py"

plugins/plugintest's conformance checks run against it from
examples/python-echo/pythonecho_test.go, as part of `make test`.
"""

import sys

# The plugin's folder may not be writable where it is installed.
sys.dont_write_bytecode = True

import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import unicodedata  # noqa: E402
import uuid  # noqa: E402

try:
    import grpc

    import transport_pb2 as pb
    import transport_pb2_grpc as pb_grpc
except ImportError as e:  # pragma: no cover
    sys.stderr.write(
        "passerelle-python-echo needs gRPC and protobuf for Python "
        "(Debian: apt-get install python3-grpcio python3-protobuf): %s\n" % e
    )
    sys.exit(1)

import goplugin  # noqa: E402
from history import HistoryQueue  # noqa: E402
from journal import Journal  # noqa: E402

VERSION = "0.1.0"

# The one contact; its chat has the same ID.
ECHO = "echo"
# The keys of [transport.config]: any other is refused by name, so that a
# typo is not a setting silently ignored.
CONFIG_KEYS = ("contact_name",)
# How many messages of history the echo chat has.
HISTORY = ["Welcome to the echo network.", "Say anything: I say it back.", "Edit it and so do I."]
# A test knob: seconds a send waits after its echo before it is answered,
# as a network slow to confirm a message it has shown already. The gateway
# does not pass it on; a test starts the plugin through env(1).
SEND_DELAY = float(os.environ.get("PASSERELLE_PYECHO_SEND_DELAY") or 0)

log = logging.getLogger("pyecho")


# ---------------------------------------------------------------- errors

# A typed error crosses a unary call as the gRPC status code; the host
# maps it back to the contract's ErrorCode (sdk.FromGRPC). In a
# CommandResult it is the Error message itself.
GRPC_CODES = {
    pb.ERROR_CODE_UNSPECIFIED: grpc.StatusCode.INTERNAL,
    pb.ERROR_CODE_BAD_REQUEST: grpc.StatusCode.INVALID_ARGUMENT,
    pb.ERROR_CODE_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    pb.ERROR_CODE_NOT_ALLOWED: grpc.StatusCode.PERMISSION_DENIED,
    pb.ERROR_CODE_UNSUPPORTED: grpc.StatusCode.UNIMPLEMENTED,
    pb.ERROR_CODE_UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    pb.ERROR_CODE_UNAUTHORIZED: grpc.StatusCode.UNAUTHENTICATED,
    pb.ERROR_CODE_TOO_LARGE: grpc.StatusCode.OUT_OF_RANGE,
    pb.ERROR_CODE_RATE_LIMITED: grpc.StatusCode.RESOURCE_EXHAUSTED,
    pb.ERROR_CODE_CONFLICT: grpc.StatusCode.ALREADY_EXISTS,
    pb.ERROR_CODE_LOGIN_REQUIRED: grpc.StatusCode.FAILED_PRECONDITION,
    pb.ERROR_CODE_EXPIRED: grpc.StatusCode.DEADLINE_EXCEEDED,
    # No gRPC code says banned: ABORTED, which no other error uses.
    pb.ERROR_CODE_BANNED: grpc.StatusCode.ABORTED,
}


class PluginError(Exception):
    """A typed error: the user sees text, the host maps code to XMPP."""

    def __init__(self, code, text):
        super().__init__(text)
        self.code = code
        self.text = text


def unsupported(what):
    return PluginError(pb.ERROR_CODE_UNSUPPORTED, "the echo network does not do " + what)


def unary(method):
    """Turns a PluginError raised by a unary method into its gRPC status."""

    def wrapper(self, request, context):
        try:
            return method(self, request, context)
        except PluginError as e:
            context.abort(GRPC_CODES.get(e.code, grpc.StatusCode.INTERNAL), e.text)

    wrapper.__name__ = method.__name__
    return wrapper


def now_micro():
    return time.time_ns() // 1000


# ---------------------------------------------------------------- logins


class LoginProcess:
    """A login in progress: a form asks for a username; the "pairing" flow
    then shows a code to type on the user's other device and waits."""

    def __init__(self, flow, user_jid, login_dir):
        self.id = secrets.token_hex(8)
        self.flow = flow
        self.user_jid = user_jid
        self.login_dir = login_dir
        self.stage = "username"
        self.username = ""
        self.cancelled = threading.Event()


class Session:
    """One connected login."""

    def __init__(self, login_id, username, since):
        self.login_id = login_id
        self.username = username
        self.since = since  # when the account logged in, for its history


def username_form(process_id, error=""):
    return pb.LoginStep(
        process_id=process_id,
        instructions="Choose a username on the echo network.",
        error=error,
        form=pb.FormStep(
            fields=[
                pb.FormField(
                    id="username",
                    label="Username",
                    type=pb.FIELD_TYPE_USERNAME,
                    required=True,
                    description="letters, digits, - and _",
                )
            ]
        ),
    )


def username_problem(name):
    """What is wrong with a username, or "": the reason the user reads
    (as examples/echo says it: a line break or a control character is
    named, not only the rule)."""
    if not name:
        return "The username must not be empty."
    for c in name:
        if c in "\r\n":
            return "The username must be one line: it holds a line break."
        if unicodedata.category(c) == "Cc":
            return "The username must not hold control characters: it holds U+%04X." % ord(c)
    if len(name) > 64 or not all(c.isalnum() or c in "-_" for c in name):
        return "A username is 1 to 64 letters, digits, - or _."
    return ""


# ---------------------------------------------------------------- the transport


class EchoTransport(pb_grpc.TransportServicer):
    def __init__(self):
        self.mu = threading.Lock()
        # One command at a time, whatever the stream: a txn_id's answer is
        # looked up and acted on as one step.
        self.commanding = threading.Lock()
        self.processes = {}  # process_id -> LoginProcess
        self.sessions = {}  # login_id -> Session
        self.journal = None  # from Init on
        self.history = None
        self.contact_name = "Echo"

    def close(self):
        # grpc's stop returns once calls are cancelled, not once their
        # threads have returned: a command may still be running. Closed
        # under it, the journal would keep its echo and lose its answer,
        # and the host's resend of the txn_id would echo it again.
        with self.commanding:
            if self.journal:
                self.journal.close()
        if self.history:
            self.history.close()

    # ------------------------------------------------------------ init

    @unary
    def Init(self, request, context):
        try:
            config = json.loads(request.config_json or b"{}")
        except ValueError as e:
            raise PluginError(pb.ERROR_CODE_BAD_REQUEST, "config: %s" % e)
        if config is None:
            config = {}
        if not isinstance(config, dict):
            raise PluginError(pb.ERROR_CODE_BAD_REQUEST, "config: a table of keys, not %s" % json.dumps(config))
        unknown = sorted(set(config) - set(CONFIG_KEYS))
        if unknown:
            raise PluginError(pb.ERROR_CODE_BAD_REQUEST, "config: unknown key %s; the known keys are %s"
                              % (json.dumps(unknown[0]), ", ".join(CONFIG_KEYS)))
        self.contact_name = str(config.get("contact_name", "Echo"))
        with self.mu:
            if self.journal is None:
                # The lock keeps a second process off this folder.
                try:
                    self._lock = goplugin.lock_folder(request.data_dir)
                except RuntimeError as e:
                    raise PluginError(pb.ERROR_CODE_UNAVAILABLE, str(e))
                self.journal = Journal(request.data_dir)
                self.history = HistoryQueue(request.data_dir)
        log.info("started", extra={"attrs": {"data_dir": request.data_dir, "version": VERSION}})
        return pb.Capabilities(
            api_version=goplugin.API_VERSION,
            network="python-echo",
            display_name="Echo (Python)",
            version=VERSION,
            # Exactly what this plugin handles: the host offers these to
            # the user, and the conformance kit checks every one, and that
            # the others are refused as UNSUPPORTED.
            features=pb.Features(edits=True, typing=True, add_contacts=True, backfill=True),
            identifier_prompt="Name",
            identifier_description='The echo network has one contact: "echo".',
        )

    # ------------------------------------------------------------ login

    @unary
    def LoginFlows(self, request, context):
        return pb.LoginFlowsResponse(
            flows=[
                pb.LoginFlow(id="username", name="Username", description="Pick a username."),
                pb.LoginFlow(
                    id="pairing",
                    name="Pairing code",
                    description="Pick a username, then confirm a code on your other device.",
                ),
            ]
        )

    @unary
    def StartLogin(self, request, context):
        flow = request.flow_id or "username"
        if flow not in ("username", "pairing"):
            raise PluginError(pb.ERROR_CODE_NOT_FOUND, "no login flow %r" % flow)
        p = LoginProcess(flow, request.user_jid, request.login_dir)
        with self.mu:
            self.processes[p.id] = p
        return username_form(p.id)

    def _process(self, process_id):
        with self.mu:
            p = self.processes.get(process_id)
        if p is None:
            raise PluginError(pb.ERROR_CODE_NOT_FOUND, "this login has ended; start again")
        return p

    @unary
    def SubmitLoginInput(self, request, context):
        p = self._process(request.process_id)
        if p.stage != "username":
            raise PluginError(pb.ERROR_CODE_BAD_REQUEST, "this step takes no input")
        name = request.fields.get("username", "").strip()
        problem = username_problem(name)
        if problem:
            # Wrong input: the same step again, with the error shown.
            return username_form(p.id, problem)
        p.username = name
        if p.flow == "username":
            return self._complete(p)
        p.stage = "code"
        return pb.LoginStep(
            process_id=p.id,
            instructions="Type this code on your other device.",
            display=pb.DisplayStep(type=pb.DISPLAY_TYPE_CODE, data="ECHO-%04d" % secrets.randbelow(10000)),
        )

    @unary
    def WaitLogin(self, request, context):
        p = self._process(request.process_id)
        if p.stage != "code":
            raise PluginError(pb.ERROR_CODE_BAD_REQUEST, "nothing to wait for at this step")
        # The "other device" confirms after a second, unless cancelled.
        if p.cancelled.wait(1):
            raise PluginError(pb.ERROR_CODE_NOT_FOUND, "the login was cancelled")
        return self._complete(p)

    @unary
    def CancelLogin(self, request, context):
        with self.mu:
            p = self.processes.pop(request.process_id, None)
        if p:
            p.cancelled.set()
        return pb.Empty()

    def _complete(self, p):
        with self.mu:
            self.processes.pop(p.id, None)
        since = now_micro()
        if p.login_dir:
            # The login's own folder: a real network library keeps its
            # database here. The host removes it on logout.
            with open(os.path.join(p.login_dir, "account.json"), "w") as f:
                json.dump({"username": p.username, "since": since}, f)
        return pb.LoginStep(
            process_id=p.id,
            complete=pb.CompleteStep(
                login_id=p.username,  # stable: the same account, the same ID
                display_name=p.username,
                saved_state=json.dumps({"username": p.username, "since": since}).encode(),
            ),
        )

    # ------------------------------------------------------------ per login

    def _session(self, login_id):
        with self.mu:
            s = self.sessions.get(login_id)
        if s is None:
            raise PluginError(pb.ERROR_CODE_LOGIN_REQUIRED, "login %r is not connected" % login_id)
        return s

    def _event(self, session, **fields):
        """An event of the echo chat, from the echo contact."""
        return pb.Event(
            login_id=session.login_id,
            chat_id=ECHO,
            chat_type=pb.CHAT_TYPE_DIRECT,
            sender=pb.Sender(user_id=ECHO, name=self.contact_name),
            timestamp_unix_micro=now_micro(),
            **fields,
        )

    @unary
    def Connect(self, request, context):
        try:
            state = json.loads(request.saved_state)
            username = state["username"]
        except (ValueError, KeyError, TypeError):
            raise PluginError(pb.ERROR_CODE_UNAUTHORIZED, "this login's saved state is unreadable; log in again")
        if username != request.login_id:
            raise PluginError(pb.ERROR_CODE_UNAUTHORIZED, "saved state of another login")
        with self.mu:
            self.sessions[request.login_id] = Session(request.login_id, username, state.get("since", 0))
        self.journal.emit(
            pb.Event(
                login_id=request.login_id,
                timestamp_unix_micro=now_micro(),
                # Said back, so that the gateway can tell this
                # connection's state from a late one of a connection gone.
                login_state=pb.LoginStateEvent(state=pb.LOGIN_STATE_CONNECTED, connection=request.connection),
            )
        )
        return pb.Empty()

    @unary
    def Disconnect(self, request, context):
        with self.mu:
            self.sessions.pop(request.login_id, None)
        return pb.Empty()

    @unary
    def Logout(self, request, context):
        # The echo network keeps nothing else; the host removes the
        # login's folder.
        return self.Disconnect(request, context)

    def _contact(self):
        return pb.Contact(
            user_id=ECHO,
            name=self.contact_name,
            username=ECHO,
            presence=pb.Presence(show=pb.PRESENCE_SHOW_AVAILABLE),
        )

    @unary
    def ResolveIdentifier(self, request, context):
        self._session(request.login_id)
        if request.identifier.strip().lower() != ECHO:
            raise PluginError(pb.ERROR_CODE_NOT_FOUND, 'no one called %r here; try "echo"' % request.identifier)
        return self._contact()

    @unary
    def ContactList(self, request, context):
        self._session(request.login_id)
        return pb.ContactListResponse(contacts=[self._contact()])

    @unary
    def UserInfo(self, request, context):
        self._session(request.login_id)
        if request.user_id != ECHO:
            raise PluginError(pb.ERROR_CODE_NOT_FOUND, "no user %r" % request.user_id)
        return self._contact()

    @unary
    def ChatInfo(self, request, context):
        self._session(request.login_id)
        if request.chat_id != ECHO:
            raise PluginError(pb.ERROR_CODE_NOT_FOUND, "no chat %r" % request.chat_id)
        return pb.Chat(chat_id=ECHO, type=pb.CHAT_TYPE_DIRECT, name=self.contact_name)

    @unary
    def ChatList(self, request, context):
        self._session(request.login_id)
        return pb.ChatListResponse()  # no groups; direct chats may be left out

    # ------------------------------------------------------------ history

    @unary
    def Backfill(self, request, context):
        s = self._session(request.login_id)
        if request.chat_id != ECHO:
            raise PluginError(pb.ERROR_CODE_NOT_FOUND, "no chat %r" % request.chat_id)
        try:
            end = int(request.cursor) if request.cursor else len(HISTORY)
        except ValueError:
            raise PluginError(pb.ERROR_CODE_BAD_REQUEST, "bad cursor %r" % request.cursor)
        start = max(0, end - request.limit) if request.limit > 0 else 0
        # Returns at once; the batch goes on the History stream.
        threading.Thread(target=self._send_history, args=(s, start, end), daemon=True).start()
        return pb.Empty()

    def _send_history(self, s, start, end):
        events = []
        for i in range(start, min(end, len(HISTORY))):
            # Before the login, a minute apart; stable IDs, so a message
            # fetched twice is stored once.
            ev = self._event(s, event_id="history-%d" % i, message=pb.MessageEvent(text=HISTORY[i]))
            ev.timestamp_unix_micro = s.since - (len(HISTORY) - i) * 60_000_000
            ev.is_backfill = True
            events.append(ev)
        self.history.send(
            pb.HistoryBatch(
                login_id=s.login_id,
                chat_id=ECHO,
                chat_type=pb.CHAT_TYPE_DIRECT,
                events=events,
                cursor=str(start),  # where the next, older, batch starts
                done=start == 0,  # nothing older: never asked again
                total=len(HISTORY),
            )
        )

    def History(self, request_iterator, context):
        if self.history is None:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "History before Init")
        read_acks(request_iterator, self.history.ack)
        yield from self.history.stream(context)

    # ------------------------------------------------------------ media

    def DownloadMedia(self, request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "the echo network has no files")

    def UploadMedia(self, request_iterator, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "the echo network takes no files")

    # ------------------------------------------------------------ events

    def Events(self, request_iterator, context):
        if self.journal is None:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "Events before Init")
        read_acks(request_iterator, self.journal.ack)
        yield from self.journal.stream(context)

    # ------------------------------------------------------------ commands

    def Commands(self, request_iterator, context):
        # One command at a time, in the order received: one chat's
        # commands must be applied in order. (A network with slow calls
        # would run a queue per chat, and answer in any order.)
        for cmd in request_iterator:
            with self.commanding:
                res = self.command(cmd)
            yield res

    def command(self, cmd):
        if self.journal is None or self.journal.closed:
            # Stopping: nothing done now could be kept.
            return pb.CommandResult(
                correlation_id=cmd.correlation_id,
                error=pb.Error(code=pb.ERROR_CODE_UNAVAILABLE, text="the plugin is stopping"),
            )
        if cmd.txn_id:
            # The same txn_id again (the host retried after a broken
            # stream or a crash): the first answer, without acting.
            prev = self.journal.answer(cmd.login_id, cmd.txn_id)
            if prev is not None:
                again = pb.CommandResult()
                again.CopyFrom(prev)
                again.correlation_id = cmd.correlation_id
                return again
        res = pb.CommandResult(correlation_id=cmd.correlation_id)
        try:
            s = self._session(cmd.login_id)
            action = cmd.WhichOneof("action")
            if action is None and newer_action(cmd):
                # An action of a contract newer than these stubs: one
                # this plugin does not have, as any it has no do_ for.
                raise PluginError(pb.ERROR_CODE_UNSUPPORTED, "this plugin does not know this action (its contract is older than the gateway's)")
            if action is None:
                raise PluginError(pb.ERROR_CODE_BAD_REQUEST, "a command without an action")
            handler = getattr(self, "do_" + action, None)
            if handler is None:
                raise unsupported(action.replace("_", " "))
            handler(s, cmd, getattr(cmd, action), res)
        except PluginError as e:
            # A failure is not remembered: the same txn_id may try again.
            return pb.CommandResult(correlation_id=cmd.correlation_id, error=pb.Error(code=e.code, text=e.text))
        except Exception as e:  # a bug: say so, keep serving
            log.exception("command failed")
            return pb.CommandResult(correlation_id=cmd.correlation_id, error=pb.Error(text=str(e)))
        fault = meta_too_large(cmd, res)
        if fault:
            # A bug of the plugin's. The command acted (a send reached the
            # network): an error would have the user resend it, twice on
            # the network. As the gateway and the Go SDK do, the message
            # stays and its meta goes; the plugin's author reads the log.
            log.error("command's result meta over the contract's limit; answered without it",
                      extra={"attrs": {"err": fault, "login_id": cmd.login_id, "chat_id": cmd.chat_id,
                                       "txn_id": cmd.txn_id, "action": cmd.WhichOneof("action")}})
            res.ClearField("meta")
        if cmd.txn_id:
            self.journal.remember(cmd.login_id, cmd.txn_id, res)
        return res

    def do_send(self, s, cmd, send, res):
        if cmd.chat_id != ECHO:
            raise PluginError(pb.ERROR_CODE_NOT_FOUND, "no contact %r on the echo network" % cmd.chat_id)
        if send.attachments:
            raise unsupported("files")
        if send.HasField("poll"):
            raise unsupported("polls")
        if not send.text:
            raise PluginError(pb.ERROR_CODE_BAD_REQUEST, "an empty message")
        msg_id = uuid.uuid4().hex
        echo_id = "echo-" + msg_id
        res.message_id = msg_id
        res.timestamp_unix_micro = now_micro()
        # What the host hands back in target_meta when a later command
        # names this message: here, which answer is its echo.
        res.meta = json.dumps({"chat": cmd.chat_id, "echo": echo_id}).encode()
        self.journal.emit(self._event(s, event_id=echo_id, message=pb.MessageEvent(text=send.text)))
        if SEND_DELAY > 0:
            time.sleep(SEND_DELAY)

    def do_edit(self, s, cmd, edit, res):
        try:
            meta = json.loads(edit.target_meta)
            echo_id = meta["echo"]
            if meta["chat"] != cmd.chat_id:
                raise ValueError("another chat's message")
        except (ValueError, KeyError, TypeError):
            raise PluginError(pb.ERROR_CODE_BAD_REQUEST, "edit: no metadata for message %r" % edit.target_id)
        self.journal.emit(
            self._event(
                s,
                event_id="%s-edit-%s" % (echo_id, uuid.uuid4().hex[:8]),
                edit=pb.EditEvent(target_id=echo_id, text=edit.text),
            )
        )

    def do_set_typing(self, s, cmd, typing, res):
        if cmd.chat_id != ECHO:
            raise PluginError(pb.ERROR_CODE_NOT_FOUND, "no chat %r" % cmd.chat_id)
        self.journal.emit(self._event(s, typing=pb.TypingEvent(state=typing.state)))


def newer_action(cmd):
    """Whether cmd carries a field these stubs do not know: an action added
    to the contract after transport_pb2.py was generated."""
    known = pb.Command()
    known.CopyFrom(cmd)
    known.DiscardUnknownFields()
    return known.ByteSize() < cmd.ByteSize()


def meta_too_large(cmd, res):
    """What is wrong with res.meta, over the contract's LIMIT_META_BYTES,
    naming the field, the command and the limit, or "": as the Go SDK."""
    if len(res.meta) <= pb.LIMIT_META_BYTES:
        return ""
    return ("the plugin's CommandResult.meta for a %r command is %d bytes, over the contract's %d (LIMIT_META_BYTES) "
            "that the gateway keeps: the plugin must keep less in it" % (cmd.WhichOneof("action"), len(res.meta), pb.LIMIT_META_BYTES))


def read_acks(request_iterator, ack):
    """Reads a stream's acknowledgements in the background."""

    def run():
        try:
            for a in request_iterator:
                ack(a.up_to_seq)
        except Exception:
            pass  # the stream ended

    threading.Thread(target=run, name="acks", daemon=True).start()


# ---------------------------------------------------------------- main


class JSONLines(logging.Formatter):
    """One JSON object a line, as the gateway reads a plugin's stderr:
    @level, @message and attributes go into its log."""

    def format(self, record):
        line = {"@level": record.levelname.lower(), "@message": record.getMessage()}
        line.update(getattr(record, "attrs", {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line)


def main():
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONLines())
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    # As go-plugin's Go plugins do: Ctrl-C in a terminal is for the
    # gateway, which stops its plugins itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    plugin = goplugin.Plugin()
    transport = EchoTransport()
    plugin.add_service(pb_grpc.add_TransportServicer_to_server, transport)
    plugin.serve(on_stop=transport.close)
    sys.stderr.flush()
    # Streams still open hold worker threads: leave without joining them.
    os._exit(0)


if __name__ == "__main__":
    main()
