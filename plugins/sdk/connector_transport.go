package sdk

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	pb "passerelle.im/passerelle/plugins/proto"
)

// connectorTransport serves the contract with a Connector: it keeps the
// login processes and one session per login, and routes each call to the
// one it names.
type connectorTransport[S Session] struct {
	c     Connector[S]
	feats atomic.Pointer[pb.Features] // advertised, set by Init
	log   atomic.Pointer[slog.Logger] // the host's, set by Init

	// mu guards the maps; commands only read them (RLock).
	mu        sync.RWMutex
	processes map[string]*loginProc
	logins    map[string]*login[S]
}

// loginProc is a login process under way. ended is closed when it is
// cancelled or over: a Submit or Wait under way then has its context
// ended, and what it returns is not handed to the host, which has
// forgotten the process (and removed its folder).
type loginProc struct {
	p     LoginProcess
	req   LoginRequest // what started it, to log out a login refused (refuseLogin)
	ended chan struct{}
	once  sync.Once
}

func (lp *loginProc) end() { lp.once.Do(func() { close(lp.ended) }) }

// errLoginCancelled answers a step under way when its process was
// cancelled, as any call on an unknown process.
var errLoginCancelled = Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "the login was cancelled")

// login is one login's slot: mu orders its Connect, Disconnect and Logout;
// commands read the session without it.
type login[S Session] struct {
	mu  sync.Mutex
	cur atomic.Pointer[S] // nil: not loaded
}

func newConnectorTransport[S Session](c Connector[S]) *connectorTransport[S] {
	return &connectorTransport[S]{c: c, processes: map[string]*loginProc{}, logins: map[string]*login[S]{}}
}

func (t *connectorTransport[S]) Init(ctx context.Context, req InitRequest, host Host) (*pb.Capabilities, error) {
	t.log.Store(host.Logger())
	caps, err := t.c.Init(ctx, req, host)
	if err != nil {
		return nil, err
	}
	if caps == nil {
		return nil, fmt.Errorf("sdk: Init returned no capabilities")
	}
	if caps.ApiVersion != 0 && caps.ApiVersion != APIVersion {
		return nil, fmt.Errorf("sdk: Init declares api_version %d, this SDK speaks %d", caps.ApiVersion, APIVersion)
	}
	var zero S
	f, masked := Features(zero, caps.Features)
	if len(masked) > 0 {
		host.Logger().Warn("features declared but not implemented; not advertised", "features", strings.Join(masked, ", "))
	}
	if implements[ChatLister](zero) && !f.GetGroups() {
		// The gateway asks for the chat list, and makes rooms, only for
		// a network with groups: without the flag the session's groups
		// are never seen, and nothing else says why.
		host.Logger().Warn("the session is an sdk.ChatLister but Init's Features do not declare groups: the gateway will not ask for its chats nor make rooms; set Features.Groups (with sdk.ChatInfoer)")
	}
	caps.Features, caps.ApiVersion = f, APIVersion
	t.feats.Store(f)
	return caps, nil
}

// features are the advertised features (none before Init). Callers do
// not modify them.
func (t *connectorTransport[S]) features() *pb.Features {
	if f := t.feats.Load(); f != nil {
		return f
	}
	return &pb.Features{}
}

func (t *connectorTransport[S]) LoginFlows(ctx context.Context) ([]*pb.LoginFlow, error) {
	return t.c.LoginFlows(ctx)
}

func (t *connectorTransport[S]) StartLogin(ctx context.Context, req *pb.StartLoginRequest) (*pb.LoginStep, error) {
	id := rand.Text()
	lr := LoginRequest{ProcessID: id, UserJID: req.UserJid, FlowID: req.FlowId, Dir: req.LoginDir}
	p, err := t.c.StartLogin(ctx, lr)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("sdk: StartLogin returned no login process and no error")
	}
	lp := &loginProc{p: p, req: lr, ended: make(chan struct{})}
	t.mu.Lock()
	t.processes[id] = lp
	t.mu.Unlock()
	step, err := p.Start(ctx)
	return t.step(ctx, id, lp, step, err)
}

// step stamps a step with its process ID and forgets a process that
// completed or failed at its first step. A step of a process cancelled
// meanwhile is NOT_FOUND; a completed login the gateway cannot keep is
// refused (refuseLogin).
func (t *connectorTransport[S]) step(ctx context.Context, id string, lp *loginProc, step *pb.LoginStep, err error) (*pb.LoginStep, error) {
	t.mu.Lock()
	current := t.processes[id] == lp
	if current && (err != nil || step.GetComplete() != nil) {
		delete(t.processes, id)
		lp.end()
	}
	t.mu.Unlock()
	if !current {
		return nil, errLoginCancelled
	}
	if done := step.GetComplete(); err == nil && done != nil {
		if err := t.refuseLogin(ctx, lp.req, done); err != nil {
			return nil, err
		}
	}
	if step != nil {
		step.ProcessId = id
	}
	return step, err
}

func (t *connectorTransport[S]) process(id string) (*loginProc, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	lp, ok := t.processes[id]
	if !ok {
		return nil, Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no login in progress with ID %q", id)
	}
	return lp, nil
}

// stepCtx is ctx, ended also when lp is cancelled.
func stepCtx(ctx context.Context, lp *loginProc) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-lp.ended:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

func (t *connectorTransport[S]) SubmitLoginInput(ctx context.Context, id string, fields map[string]string) (*pb.LoginStep, error) {
	lp, err := t.process(id)
	if err != nil {
		return nil, err
	}
	sub, ok := lp.p.(LoginSubmitter)
	if !ok {
		return nil, Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "this login step takes no input")
	}
	ctx, cancel := stepCtx(ctx, lp)
	defer cancel()
	step, err := sub.Submit(ctx, fields)
	return t.stepKeep(ctx, id, lp, step, err)
}

func (t *connectorTransport[S]) WaitLogin(ctx context.Context, id string) (*pb.LoginStep, error) {
	lp, err := t.process(id)
	if err != nil {
		return nil, err
	}
	w, ok := lp.p.(LoginWaiter)
	if !ok {
		return nil, Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "this login step has nothing to wait for")
	}
	ctx, cancel := stepCtx(ctx, lp)
	defer cancel()
	step, err := w.Wait(ctx)
	return t.stepKeep(ctx, id, lp, step, err)
}

// stepKeep is step for a later step: an error keeps the process, so that
// the user may try again.
func (t *connectorTransport[S]) stepKeep(ctx context.Context, id string, lp *loginProc, step *pb.LoginStep, err error) (*pb.LoginStep, error) {
	if err != nil {
		t.mu.Lock()
		cancelled := t.processes[id] != lp
		t.mu.Unlock()
		if cancelled {
			return nil, errLoginCancelled
		}
		return nil, err
	}
	return t.step(ctx, id, lp, step, nil)
}

func (t *connectorTransport[S]) CancelLogin(_ context.Context, id string) error {
	t.mu.Lock()
	lp, ok := t.processes[id]
	delete(t.processes, id)
	t.mu.Unlock()
	if ok {
		lp.p.Cancel()
		lp.end()
	}
	return nil
}

// lockSlot returns loginID's slot, locked. A slot is dropped (by
// Disconnect or Logout) while locked; a caller that waited for a dropped
// one takes the new one instead.
func (t *connectorTransport[S]) lockSlot(loginID string) *login[S] {
	for {
		t.mu.Lock()
		l, ok := t.logins[loginID]
		if !ok {
			l = &login[S]{}
			t.logins[loginID] = l
		}
		t.mu.Unlock()
		l.mu.Lock()
		t.mu.Lock()
		current := t.logins[loginID] == l
		t.mu.Unlock()
		if current {
			return l
		}
		l.mu.Unlock()
	}
}

// session is the loaded session of loginID, or LOGIN_REQUIRED. It takes
// no lock of the login's: a command does not wait for a Connect.
func (t *connectorTransport[S]) session(loginID string) (S, error) {
	t.mu.RLock()
	l := t.logins[loginID]
	t.mu.RUnlock()
	if l != nil {
		if s := l.cur.Load(); s != nil {
			return *s, nil
		}
	}
	var zero S
	return zero, Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "login %q is not connected", loginID)
}

func (t *connectorTransport[S]) Connect(ctx context.Context, req *pb.ConnectRequest, begin func()) error {
	if req.LoginId == "" {
		return Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "Connect without a login ID")
	}
	l := t.lockSlot(req.LoginId)
	defer l.mu.Unlock()
	// The login's calls before (a Connect, Disconnect or Logout that
	// held the slot) are over: its states from now on are this
	// connection's, those emitted before it stay stamped the earlier's.
	begin()
	s := l.cur.Load()
	if s == nil {
		loaded, err := t.c.LoadLogin(ctx, LoginInfo{LoginID: req.LoginId, UserJID: req.UserJid, SavedState: req.SavedState, Dir: req.LoginDir})
		if err != nil {
			return fmt.Errorf("load login %s: %w", req.LoginId, err)
		}
		s = &loaded
		l.cur.Store(s)
	}
	return (*s).Connect(ctx)
}

// end runs Disconnect or Logout on a loaded session and forgets it. A
// login not loaded needs no Disconnect; for a Logout (load not nil) it
// is loaded first from what the host sent, so that the network hears of
// it.
func (t *connectorTransport[S]) end(ctx context.Context, loginID string, f func(S, context.Context) error, load *LoginInfo) error {
	l := t.lockSlot(loginID)
	defer l.mu.Unlock()
	defer func() {
		l.cur.Store(nil)
		t.mu.Lock()
		if t.logins[loginID] == l {
			delete(t.logins, loginID)
		}
		t.mu.Unlock()
	}()
	s := l.cur.Load()
	if s == nil && load == nil {
		return nil
	}
	if s == nil {
		loaded, err := t.c.LoadLogin(ctx, *load)
		if err != nil {
			return fmt.Errorf("log out %s, which is not connected: %w", loginID, err)
		}
		s = &loaded
	}
	return f(*s, ctx)
}

func (t *connectorTransport[S]) Disconnect(ctx context.Context, loginID string) error {
	return t.end(ctx, loginID, S.Disconnect, nil)
}

func (t *connectorTransport[S]) Logout(ctx context.Context, req *pb.LogoutRequest) error {
	if req.LoginId == "" {
		return Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "Logout without a login ID")
	}
	return t.end(ctx, req.LoginId, S.Logout, &LoginInfo{LoginID: req.LoginId, UserJID: req.UserJid, SavedState: req.SavedState, Dir: req.LoginDir})
}

// optional is the session of loginID as I, or UNSUPPORTED.
func optional[I any, S Session](t *connectorTransport[S], loginID, what string) (I, error) {
	var zero I
	s, err := t.session(loginID)
	if err != nil {
		return zero, err
	}
	i, ok := any(s).(I)
	if !ok {
		return zero, unsupported(what)
	}
	return i, nil
}

func unsupported(what string) error {
	return Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "this network does not support %s", what)
}

func (t *connectorTransport[S]) ResolveIdentifier(ctx context.Context, req *pb.ResolveIdentifierRequest) (*pb.Contact, error) {
	r, err := optional[IdentifierResolver](t, req.LoginId, "looking up contacts")
	if err != nil {
		return nil, err
	}
	return r.ResolveIdentifier(ctx, req.Identifier, req.Create)
}

func (t *connectorTransport[S]) ContactList(ctx context.Context, loginID string) ([]*pb.Contact, error) {
	s, err := t.session(loginID)
	if err != nil {
		return nil, err
	}
	if l, ok := any(s).(ContactLister); ok {
		return l.ContactList(ctx)
	}
	return nil, nil
}

func (t *connectorTransport[S]) ChatInfo(ctx context.Context, req *pb.ChatRef) (*pb.Chat, error) {
	s, err := t.session(req.LoginId)
	if err != nil {
		return nil, err
	}
	ci, ok := any(s).(ChatInfoer)
	if !ok {
		return nil, unsupported("chat information")
	}
	chat, err := ci.ChatInfo(ctx, req.ChatId)
	if err != nil || chat == nil {
		return chat, err
	}
	if ca, ok := any(s).(ChatAvatarer); ok && req.WithAvatar {
		data, mime, err := ca.ChatAvatar(ctx, req.ChatId)
		if err != nil {
			return nil, fmt.Errorf("the group's picture: %w", err)
		}
		chat.Avatar, chat.AvatarMime, chat.NoAvatar = data, mime, len(data) == 0
	}
	if pl, ok := any(s).(PinLister); ok && req.WithPins {
		ids, err := pl.PinnedMessages(ctx, req.ChatId)
		if err != nil {
			return nil, fmt.Errorf("the pinned messages: %w", err)
		}
		chat.PinnedIds = ids
	}
	return chat, t.limitChat(ctx, s, chat)
}

func (t *connectorTransport[S]) ChatList(ctx context.Context, loginID string) ([]*pb.Chat, error) {
	s, err := t.session(loginID)
	if err != nil {
		return nil, err
	}
	cl, ok := any(s).(ChatLister)
	if !ok {
		return nil, nil
	}
	chats, err := cl.ChatList(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range chats {
		if err := t.limitChat(ctx, s, c); err != nil {
			return nil, err
		}
	}
	return chats, nil
}

// limitChat sets chat.features to what the chat allows: the session's
// ChatLimits or the chat's own features, within the network's.
func (t *connectorTransport[S]) limitChat(ctx context.Context, s S, chat *pb.Chat) error {
	if lim, ok := any(s).(ChatLimiter); ok {
		l, err := lim.ChatLimits(ctx, chat.ChatId)
		if err != nil {
			return fmt.Errorf("chat limits of %s: %w", chat.ChatId, err)
		}
		if l.Features != nil {
			chat.Features = l.Features
		}
		chat.ReadOnly = chat.ReadOnly || l.ReadOnly
	}
	if chat.Features != nil {
		chat.Features = IntersectFeatures(t.features(), chat.Features)
	}
	return nil
}

func (t *connectorTransport[S]) UserInfo(ctx context.Context, loginID, userID string) (*pb.Contact, error) {
	u, err := optional[UserInfoer](t, loginID, "user information")
	if err != nil {
		return nil, err
	}
	return u.UserInfo(ctx, userID)
}

func (t *connectorTransport[S]) Backfill(ctx context.Context, req *pb.BackfillRequest) error {
	b, err := optional[Backfiller](t, req.LoginId, "history")
	if err != nil {
		return err
	}
	return b.Backfill(ctx, BackfillRequest{ChatID: req.ChatId, Cursor: req.Cursor, Limit: int(req.Limit)})
}

func (t *connectorTransport[S]) DownloadMedia(ctx context.Context, ref *pb.MediaRef) (*pb.MediaInfo, io.ReadCloser, error) {
	d, err := optional[MediaDownloader](t, ref.LoginId, "downloading files")
	if err != nil {
		return nil, nil, err
	}
	return d.DownloadMedia(ctx, ref.ChatId, ref.Ref)
}

func (t *connectorTransport[S]) UploadMedia(ctx context.Context, loginID string, info *pb.MediaInfo, r io.Reader) (string, error) {
	u, err := optional[MediaUploader](t, loginID, "uploading files")
	if err != nil {
		return "", err
	}
	return u.UploadMedia(ctx, info, r)
}
