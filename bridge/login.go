package bridge

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"passerelle.im/passerelle/plugins/limits"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// loginIdle is how long a login process may wait for the user before it
// is dropped (and the plugin's process cancelled).
const loginIdle = 10 * time.Minute

// errLoginInProgress refuses a second concurrent login of one user.
var errLoginInProgress = errors.New("a login is already in progress; finish or cancel it first")

// errLoginCancelled ends a login process that was cancelled, or that a
// new one took over.
var errLoginCancelled = errors.New("the login was cancelled")

// errEmptyStep ends a login whose plugin sent a step with nothing in it:
// no form, display or completion to show, it left the user's request
// unanswered and the login open until it went idle.
var errEmptyStep = errors.New("the plugin sent a login step with nothing to do; try again or tell the gateway's administrator")

// loginProc is one user's login in progress, driven through ad-hoc
// commands or chat. The gateway, not the client, waits on display steps
// (QR codes, pairing codes), so the login completes even when the client
// does not ask again.
type loginProc struct {
	t    *transport
	user string
	via  string // "adhoc" or "chat"
	// from is the full JID of the client whose command began it (adhoc).
	from string

	mu      sync.Mutex
	step    *pb.LoginStep
	changed chan struct{} // closed when step changes
	waiting bool          // a WaitLogin call is under way
	// checking: the user's answers in the chat are with the plugin (see
	// checkAnswers); the chat says so until the next step comes.
	checking bool
	done     bool
	err      error // set when the process failed for good
	touched  time.Time
	// report is the answer to the completed login, once its connection
	// said how it went (login_connected.go).
	report *loginReport
	// answering: a login command's request waits for the next step and
	// answers it (adhoc.go's loginStage): a completed login's answer is
	// then its note, not a chat message.
	answering bool
	// dir is the folder made for the login (its name, see logindir.go):
	// the login keeps it once stored; until then it goes with the
	// process.
	dir string

	// Chat dialogue state: the field being asked and the answers so far.
	field   int
	answers map[string]string
	// own: of a refused form whose answers were kept (keepAnswers), each
	// kept field's own default, which "clear" goes back to; nextOwn is
	// it for the step setStep takes next. edited: a field was answered
	// again since the refusal, whose error the review no longer shows.
	own, nextOwn map[string]string
	edited       bool
}

// startedBy is the full JID of the client whose login command began p
// ("" for a login in a chat).
func (p *loginProc) startedBy() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.from
}

// setAnswering says whether a login command's request waits for p's
// next step and answers it (see answering).
func (p *loginProc) setAnswering(on bool) {
	p.mu.Lock()
	p.answering = on
	p.mu.Unlock()
}

// loginReport is the answer to p's completed login (login_connected.go).
func (p *loginProc) loginReport() *loginReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.report
}

func (p *loginProc) current() (*pb.LoginStep, <-chan struct{}, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.touched = time.Now()
	return p.step, p.changed, p.err
}

// setStep records the plugin's next step and acts on it. A completed
// login is stored before anyone waiting on the process hears of it.
func (p *loginProc) setStep(ctx context.Context, step *pb.LoginStep, err error) {
	p.mu.Lock()
	finished := p.done
	p.mu.Unlock()
	if finished {
		return
	}
	if err == nil && step.GetForm() == nil && step.GetDisplay() == nil && step.GetComplete() == nil {
		p.t.log.Error("the plugin sent a login step with nothing to do; the login is dropped", "user", p.user, "process", step.GetProcessId())
		err = errEmptyStep
	}
	var (
		l     store.Login
		fresh *freshLogin
	)
	if err == nil && step.GetComplete() != nil {
		p.mu.Lock()
		dir := p.dir
		p.mu.Unlock()
		if l, fresh, err = p.t.completeLogin(context.WithoutCancel(ctx), p.user, step.GetComplete(), dir, true); err == nil {
			p.mu.Lock()
			p.dir = "" // the login's now
			p.mu.Unlock()
		}
	}

	var report *loginReport
	cancelID := "" // the plugin's process, ended with this one
	p.mu.Lock()
	if err != nil {
		p.err = err
		p.done = true
		if step.GetComplete() == nil { // a completed one is over there
			cancelID = cmp.Or(step.GetProcessId(), p.step.GetProcessId())
		}
	} else {
		p.step = step
		p.field, p.answers = 0, map[string]string{}
		p.own, p.nextOwn, p.edited = p.nextOwn, nil, false
		p.done = step.GetComplete() != nil
		if p.done {
			// answering is read as the step is set: a command's
			// stage that stops waiting (adhoc.go's loginStage) then
			// sees this step and answers it, or is not counted on.
			report = newLoginReport(l.DisplayName, step.Instructions, p.answering)
			p.report = report
		}
	}
	close(p.changed)
	p.changed = make(chan struct{})
	p.touched = time.Now()
	p.checking = false
	wait := err == nil && step.GetDisplay() != nil && !p.waiting
	if wait {
		p.waiting = true
	}
	p.mu.Unlock()

	switch {
	case err != nil:
		if cancelID == "" {
			p.t.endLogin(p)
		} else {
			// The plugin keeps a process whose step failed (or was
			// empty), for another try: nothing will drive it on. The
			// user may start another login at once; the folder goes
			// once the plugin is done with the process (cancelProc).
			p.t.forgetProc(p)
			p.t.goDetached(ctx, func(ctx context.Context) {
				p.t.cancelAtPlugin(ctx, cancelID)
				p.t.endLogin(p)
			})
		}
		p.t.send(ctx, p.t.chat(p.user, "The login failed: "+errText(err)))
	case step.GetComplete() != nil:
		p.t.endLogin(p)
		// Told once the network said how the connection went: the
		// login's process is over meanwhile (the chat takes commands).
		p.t.tellLogin(ctx, report, fresh)
	case step.GetDisplay() != nil:
		p.t.sendDisplay(ctx, p.user, step)
		if wait {
			p.t.goDetached(ctx, func(ctx context.Context) { p.wait(ctx, step.ProcessId) })
		}
	case p.via == "chat":
		p.t.askNext(ctx, p)
	}
}

// wait asks the plugin for what follows a display step.
func (p *loginProc) wait(ctx context.Context, processID string) {
	p.waitAtMost(ctx, processID, loginIdle)
}

// waitAtMost is wait, giving up after idle. What follows is acted on
// under ctx, not under the wait's deadline: once that passed, the link
// refuses a stanza under it, and a user who let the login run out was
// never told it failed.
func (p *loginProc) waitAtMost(ctx context.Context, processID string, idle time.Duration) {
	wctx, cancel := context.WithTimeout(ctx, idle)
	defer cancel()
	client, err := p.t.client(wctx)
	var step *pb.LoginStep
	if err == nil {
		step, err = client.WaitLogin(wctx, &pb.LoginProcessRef{ProcessId: processID})
	}
	p.mu.Lock()
	p.waiting = false
	p.mu.Unlock()
	p.setStep(ctx, step, err)
}

// startLogin begins a login for user on a flow of the plugin.
func (t *transport) startLogin(ctx context.Context, user, flowID, via string) (*loginProc, error) {
	p, err := t.claimLogin(ctx, user, via)
	if err != nil {
		return nil, err
	}

	// The login's folder exists from the first step on: the network
	// library may write there before the login completes.
	dir, path, err := t.newLoginDir(user)
	if err != nil {
		t.endLogin(p)
		return nil, err
	}
	p.mu.Lock()
	p.dir = dir
	// A login command's request waits for the first step (adhoc.go's
	// beginCmdLogin), which may be the completed login.
	p.answering = via == "adhoc"
	p.mu.Unlock()
	client, err := t.client(ctx)
	var step *pb.LoginStep
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		step, err = client.StartLogin(cctx, &pb.StartLoginRequest{UserJid: user, FlowId: flowID, LoginDir: path})
		cancel()
	}
	if err != nil {
		t.endLogin(p)
		return nil, err
	}
	p.setStep(ctx, step, nil)
	return p, nil
}

// claimLogin makes user's login in progress, p, before any login process
// starts at the plugin: one login of a user at a time, whichever way it
// comes (a command, a chat, an in-band registration). A login in
// progress is errLoginInProgress, unless it went idle: it is cancelled.
// endLogin gives the claim back.
func (t *transport) claimLogin(ctx context.Context, user, via string) (*loginProc, error) {
	t.procMu.Lock()
	if old, ok := t.procs[user]; ok {
		old.mu.Lock()
		stale := time.Since(old.touched) > loginIdle
		old.mu.Unlock()
		if !stale {
			t.procMu.Unlock()
			return nil, errLoginInProgress
		}
		delete(t.procs, user)
		t.goDetached(ctx, func(ctx context.Context) { t.cancelProc(ctx, old) })
	}
	p := &loginProc{t: t, user: user, via: via, changed: make(chan struct{}), touched: time.Now(), answers: map[string]string{}}
	t.procs[user] = p
	t.procMu.Unlock()
	return p, nil
}

// submit hands the user's answers to the current form step.
func (t *transport) submit(ctx context.Context, p *loginProc, fields map[string]string) {
	next, err := t.submitted(ctx, p, fields)
	p.setStep(ctx, next, err)
}

// submitted hands fields to the plugin and returns its next step.
func (t *transport) submitted(ctx context.Context, p *loginProc, fields map[string]string) (*pb.LoginStep, error) {
	step, _, _ := p.current()
	client, err := t.client(ctx)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return client.SubmitLoginInput(cctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: fields})
}

// procOf returns the user's login in progress, or nil.
func (t *transport) procOf(user string) *loginProc {
	t.procMu.Lock()
	defer t.procMu.Unlock()
	return t.procs[user]
}

func (t *transport) procByID(processID string) *loginProc {
	t.procMu.Lock()
	defer t.procMu.Unlock()
	for _, p := range t.procs {
		if step, _, _ := p.current(); step != nil && step.ProcessId == processID {
			return p
		}
	}
	return nil
}

// endLogin forgets a login process that ended; the folder made for it
// goes unless the login completed and kept it.
func (t *transport) endLogin(p *loginProc) {
	t.forgetProc(p)
	p.mu.Lock()
	dir := p.dir
	p.dir = ""
	p.mu.Unlock()
	t.removeLoginDir(dir)
}

// forgetProc drops a login process from the user's: another may start.
func (t *transport) forgetProc(p *loginProc) {
	t.procMu.Lock()
	defer t.procMu.Unlock()
	if t.procs[p.user] == p {
		delete(t.procs, p.user)
	}
}

// cancelProc ends a login process on both sides: the user may start
// another at once. The plugin's side ends beside the caller, on a
// context the stop ends (the caller is often the user's chat, whose
// worker a Cancel that hangs held up to the call's timeout); the folder
// goes last, once the plugin is done with the process (endLogin: taken
// then, it is not one a step completing meanwhile made the login's).
func (t *transport) cancelProc(ctx context.Context, p *loginProc) {
	t.forgetProc(p)
	p.mu.Lock()
	p.done = true
	if p.err == nil {
		// A command session still holding it says so at its next step.
		p.err = errLoginCancelled
	}
	step := p.step
	p.mu.Unlock()
	if step == nil {
		t.endLogin(p)
		return
	}
	t.goDetached(ctx, func(ctx context.Context) {
		t.cancelAtPlugin(ctx, step.ProcessId)
		t.endLogin(p)
	})
}

// cancelAtPlugin ends the plugin's login process processID.
func (t *transport) cancelAtPlugin(ctx context.Context, processID string) {
	if client, err := t.client(ctx); err == nil {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		client.CancelLogin(cctx, &pb.LoginProcessRef{ProcessId: processID})
		cancel()
	}
}

// dropAtPlugin ends the plugin's login process processID beside the
// caller, then removes dir, the login folder the process was given
// ("": none), once the plugin is done with it. Its context ends with the
// stop: a plugin whose cancel hangs holds neither the user's chat (the
// caller is its worker: the user's next stanza waited for the call's
// timeout, or for ever) nor the stop.
func (t *transport) dropAtPlugin(ctx context.Context, processID, dir string) {
	t.goDetached(ctx, func(ctx context.Context) {
		t.cancelAtPlugin(ctx, processID)
		t.removeLoginDir(dir)
	})
}

// completeLogin stores a completed login, with dir, the folder its login
// process was given, and connects it. A network account already bridged
// for another XMPP user is refused. With watch, the login is not
// connected yet: fresh connects it (tellLogin, off the caller's
// goroutine, as a slow Connect must not hold the login command's
// answer), its first settled state from its Connect on caught for the
// answer to the login (login_connected.go), which then tells it.
func (t *transport) completeLogin(ctx context.Context, user string, done *pb.CompleteStep, dir string, watch bool) (l store.Login, fresh *freshLogin, err error) {
	if err := unusableLoginID(done.LoginId); err != nil {
		t.undoLogin(ctx, user, done, dir)
		return store.Login{}, nil, err
	}
	if other := t.userOf(done.LoginId); other != "" && other != user {
		return store.Login{}, nil, errConflict
	}
	client, err := t.client(ctx)
	if err != nil {
		return store.Login{}, nil, err
	}
	if old := t.session(user); old != nil && old.LoginID() != done.LoginId {
		// A different account replaces the old one: it goes as a logout
		// takes it (contacts, folder and all).
		if err := t.dropAccount(ctx, client, old); err != nil {
			return store.Login{}, nil, err
		}
	}
	prev, relogin := t.loginOf(user) // the same account, logged in again
	if old := t.session(user); relogin && old != nil {
		// Its login's first Connect may still run (a login logged out
		// lets the user in again): it ends first, told nothing, not
		// left to hold the Disconnect below and to answer its login
		// beside this one's.
		old.stopConnect(ctx)
	}
	name := done.DisplayName
	if name == "" {
		name = done.LoginId
	}
	l = store.Login{Transport: t.name, UserJID: user, LoginID: done.LoginId, DisplayName: name, SavedState: done.SavedState, DataDir: dir}
	if relogin {
		// The same account keeps the user's choice to share their
		// avatar, and what it said it can do (until it says it again).
		l.ShareAvatar, l.SharedAvatar, l.Features = prev.ShareAvatar, prev.SharedAvatar, prev.Features
	}
	if len(l.Features) == 0 {
		// Not known until its first CONNECTED, also after a restart
		// before it (login_features.go).
		l.Features = featuresUnknown
	}
	if err := t.db.PutLogin(ctx, l); err != nil {
		t.log.Error("storing the login failed", "user", user, "err", err)
		return store.Login{}, nil, gatewayFault("the gateway could not store the login", err)
	}
	if relogin && dir != "" && prev.DataDir != dir {
		// The new process's folder is the login's now: the plugin drops
		// the session it has on the old one, which then goes.
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		if _, err := client.Disconnect(cctx, &pb.LoginRef{LoginId: prev.LoginID}); err != nil {
			t.log.Warn("disconnect before the new login folder failed", "user", user, "err", err)
		}
		cancel()
		t.removeLoginDir(prev.DataDir)
	}
	s := t.setFreshLogin(l)
	t.log.Info("user logged in", "user", user, "login", l.LoginID)
	// XEP-0100: the gateway asks to be in the user's roster.
	t.send(ctx, t.presence(user, "subscribe"))
	// Contacts follow in the background.
	connect := func() {
		if t.connect(context.WithoutCancel(ctx), client, l) {
			t.goDetached(ctx, s.syncContacts)
		}
	}
	if !watch {
		// Connected before the user hears the login is done: the first
		// message must not find it half-ready.
		connect()
		return l, nil, nil
	}
	fs := s.watchFirstState() // before Connect: its states come after
	// The user's messages wait for the Connect as for a relogin's
	// (relogin_wait.go): the first must not find the login half-ready.
	end := s.relogins.beginRelogin()
	run := s.beginConnect() // login_connecting.go
	return l, &freshLogin{s: s, fs: fs, connect: func(wctx context.Context) {
		defer s.finishConnect(run)
		defer end()
		if wctx.Err() != nil {
			return // stopped: the next start connects it
		}
		// Ends with the transport (the login stays, for the next
		// start), or as the login goes (stopConnect).
		cctx, cancel := context.WithCancel(wctx)
		defer cancel()
		stop := context.AfterFunc(run.ctx, cancel)
		defer stop()
		if t.connect(cctx, client, l) && run.ctx.Err() == nil {
			t.goDetached(ctx, s.syncContacts)
		}
	}}, nil
}

// replacedLoginText tells the chat that p, a login command's login in
// progress, was cancelled for the chat's.
func replacedLoginText(p *loginProc) string {
	return "The login begun by the login command of " + p.startedBy() + " was cancelled; this one takes its place."
}

var errConflict = errors.New("this network account is already bridged for another XMPP user")

// errLoginIDUnusable: a plugin completed a login whose ID the store
// cannot key by (limits.CheckID); reply makes it not-acceptable. The
// SDK refuses such a login before it leaves the plugin; a plugin built
// without it (or with an older one) can still send one.
var errLoginIDUnusable = errors.New("the network gave this account an ID the gateway cannot keep")

// unusableLoginID is errLoginIDUnusable, saying why, for a login ID
// that limits.CheckID refuses, or nil.
func unusableLoginID(id string) error {
	switch err := limits.CheckID(id); {
	case errors.Is(err, limits.ErrTooLong):
		return fmt.Errorf("%w (%d bytes, over %d); the login was undone", errLoginIDUnusable, len(id), limits.IDBytes)
	case err != nil:
		return fmt.Errorf("%w (it %v); the login was undone", errLoginIDUnusable, err)
	}
	return nil
}

// undoLogin asks the plugin to log out done, a completed login the
// gateway does not keep (unusableLoginID), in its folder dir: stored
// nowhere, it would stay linked on the network (a device paired) with
// nothing of the gateway's to use or end it.
func (t *transport) undoLogin(ctx context.Context, user string, done *pb.CompleteStep, dir string) {
	t.log.Warn("the plugin completed a login whose ID the gateway cannot keep; asking it to log the login out",
		"user", user, "login_id_bytes", len(done.LoginId))
	client, err := t.client(ctx)
	if err != nil {
		t.log.Warn("the refused login could not be logged out: the plugin is down", "user", user, "err", err)
		return
	}
	req := &pb.LogoutRequest{LoginId: done.LoginId, UserJid: user, SavedState: done.SavedState}
	if dir != "" {
		if path, err := t.loginDirPath(dir); err == nil {
			req.LoginDir = path
		}
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
	defer cancel()
	if _, err := client.Logout(cctx, req); err != nil {
		t.log.Warn("the refused login could not be logged out", "user", user, "err", err)
	}
}
