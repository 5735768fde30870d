package main

import (
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"

	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/puppet"
)

// ownPlugin is -plugin or -config and their flags: a plugin author's
// transport (or one of passerelle's, with its [transport.config] from a
// file in passerelle.toml's format) run in the demo's stack instead of
// the echo one, the demo user logged in to it with the answers of each
// step of its login, and a message sent to one of its contacts, so that
// a plugin is tried under the real gateway and Prosody without writing
// their configs.
type ownPlugin struct {
	path, name, flow, contact, config string
	// logins are the -login flags, one a step of the login; steps are
	// their answers, by field ID.
	logins loginFlags
	steps  []map[string]string
	// file is -config's [[transport]].
	file *transportFile
	// to is the contact's JID on the transport, its ID escaped as the
	// gateway maps IDs (puppet.JID): Friend is \friend@.
	to string
}

// loginFlags collects -login, which may be given once a login step.
type loginFlags []string

func (l *loginFlags) String() string { return strings.Join(*l, " ") }

func (l *loginFlags) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func (o *ownPlugin) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.path, "plugin", "", "run this transport plugin (an executable, as a [[transport]]'s plugin) instead of the echo one")
	fs.StringVar(&o.config, "config", "", "run the one [[transport]] of this file, in passerelle.toml's format, its [transport.config] as written (examples/demo-irc.toml), instead of the echo transport; its domain becomes NAME.localhost (_ as -), its secret the demo's and its data_dir the work folder's")
	fs.StringVar(&o.name, "name", "", "with -plugin: the transport's name, its domain NAME.localhost (default: the file's name without passerelle- or passerelle_ and its extension, _ as -)")
	fs.Var(&o.logins, "login", "with -plugin or -config: log the demo user in with these answers of the plugin's login form, by field ID: FIELD=VALUE,FIELD=VALUE (a part without = continues the value before it: channels=#a,#b); given again, the answers of the next step of the login (default: log in from your client)")
	fs.StringVar(&o.flow, "flow", "", "with -plugin or -config and -login: the login flow's ID, when the plugin offers several")
	fs.StringVar(&o.contact, "contact", "", "with -plugin or -config and -login: a contact's ID to send a message to, whose answer the demo waits for")
}

// check refuses flags that do nothing, or that name no plugin to run.
func (o *ownPlugin) check() error {
	if o.path == "" && o.config == "" {
		if o.name != "" {
			// Not with -config either, whose [[transport]] has its name.
			return errors.New("-name goes with -plugin (it names the plugin's transport)")
		}
		if len(o.logins) > 0 || o.flow != "" || o.contact != "" {
			return errors.New("-login, -flow and -contact go with -plugin or -config")
		}
		return nil
	}
	if o.path != "" && o.config != "" {
		return errors.New("-plugin and -config both name the transport to run: give one (a file's [[transport]] names its plugin with plugin = PATH)")
	}
	if o.config != "" && o.name != "" {
		return errors.New("-name goes with -plugin: with -config, the [[transport]]'s name is the transport's")
	}
	if (o.flow != "" || o.contact != "") && len(o.logins) == 0 {
		return errors.New("-flow and -contact go with -login: the demo user logs in first")
	}
	if o.config != "" {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		name, plugin, tf, err := readTransportFile(o.config, filepath.Dir(self))
		if err != nil {
			return err
		}
		o.name, o.path, o.file = name, plugin, &tf
	}
	abs, err := filepath.Abs(o.path)
	if err != nil {
		return err
	}
	if err := executable(abs); err != nil {
		return fmt.Errorf("-plugin: %w", err)
	}
	o.path = abs
	what := "-name"
	if o.name == "" {
		o.name = nameOfFile(abs)
		what = "the name taken from -plugin's file name (-name sets another):"
	}
	// A -config file's name passerelle's loader checked (keyProblems):
	// its '_' (my_net) becomes '-' in the domain alone.
	if o.config == "" && !transportName.MatchString(o.name) {
		return fmt.Errorf("%s %q: a transport's name here is lower-case letters, digits and - (its domain is NAME.localhost)", what, o.name)
	}
	if o.contact != "" {
		to, err := puppet.JID(o.contact, o.domain())
		if err != nil {
			return fmt.Errorf("-contact %q: %w", o.contact, err)
		}
		o.to = to.String()
	}
	for _, login := range o.logins {
		fields := map[string]string{}
		last := ""
		for pair := range strings.SplitSeq(login, ",") {
			k, v, ok := strings.Cut(pair, "=")
			switch {
			case !ok && last != "":
				// A comma of the value (IRC's channels=#a,#b): the
				// part without '=' continues it.
				fields[last] += "," + pair
			case !ok || strings.TrimSpace(k) == "":
				return fmt.Errorf("-login: %q is not FIELD=VALUE", pair)
			default:
				last = strings.TrimSpace(k)
				fields[last] = v
			}
		}
		o.steps = append(o.steps, fields)
	}
	return nil
}

// executable says why the plugin at path cannot be run, nil when it can.
func executable(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return err
	case fi.IsDir() || fi.Mode()&0o111 == 0:
		return fmt.Errorf("%s is not an executable file (the gateway runs the plugin by its path, without arguments)", path)
	}
	return nil
}

var transportName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// nameOfFile is the transport's name -plugin's file gives: its name
// without passerelle- (or passerelle_, a script's way: the Python
// example's passerelle_echo.py) and its extension, '_' as '-', which a
// domain label cannot hold.
func nameOfFile(path string) string {
	base := filepath.Base(path)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	for _, prefix := range []string{"passerelle-", "passerelle_"} {
		base = strings.TrimPrefix(base, prefix)
	}
	return strings.ReplaceAll(base, "_", "-")
}

// domain is the transport's domain in the demo's Prosody: its name's,
// '_' as '-', which a domain label cannot hold.
func (o *ownPlugin) domain() string { return strings.ReplaceAll(o.name, "_", "-") + ".localhost" }

// loginWait bounds the ad-hoc login's steps, its last answer waiting
// for the login's connection: the plugin's Connect (30 s at most), then
// the network's first word on it (30 s at most).
const loginWait = 90 * time.Second

// run logs the demo user in and sends the message, as -login and
// -contact say, then leaves the stack running as the echo demo does.
func (o *ownPlugin) run(ctx, dctx context.Context, out *console, c *xmpptest.Client, once bool, c2s, user, password string, exited <-chan error, logPath, cfgPath string) error {
	domain := o.domain()
	if len(o.steps) > 0 {
		out.step("logging " + user + " in to " + domain + " with the ad-hoc command \"login\"")
		// Not dctx: the login's last answer waits for how its connection
		// went (up to 30 s after a Connect of up to 30 s).
		lctx, cancel := context.WithTimeout(ctx, loginWait)
		err := o.logIn(lctx, out, c, logPath)
		cancel()
		if err != nil {
			return err
		}
		// The exchange's own time, what the login took not counted.
		var cancelX context.CancelFunc
		dctx, cancelX = context.WithTimeout(ctx, 30*time.Second)
		defer cancelX()
	}
	if o.to != "" {
		if err := exchange(dctx, out, c, o.to, logPath); err != nil {
			return err
		}
	}
	if once {
		if len(o.steps) == 0 {
			// Else it ended at "logging in", saying nothing of the gateway.
			out.step(domain + " is up; -once without -login has nothing more to try: stopping")
		}
		return nil
	}
	c.Close()
	login := "It is logged in to " + domain + "."
	if len(o.steps) == 0 {
		login = "Log in from your client: the ad-hoc command \"Log in\" on " + domain + "."
	}
	out.printf(`
The stack is running with your transport. Connect an XMPP client that
can log in without TLS (Profanity, Gajim; not Dino):

  server    127.0.0.1, port %s (plain connection on loopback, no TLS)
  account   %s
  password  %s

%s
%s
Write to CONTACT@%s; your groups are rooms ROOM@%s.

  gateway log  %s (your plugin's stderr is in it, tagged transport=%s)
  config       %s

Press Ctrl-C to stop.
`, portOf(c2s), user, password, clientHint(portOf(c2s), user), login, domain, domain, logPath, o.name, cfgPath)
	return waitStop(ctx, out, exited, logPath)
}

// logIn runs the ad-hoc command "login": the flow -flow names when the
// gateway asks for one, then the plugin's steps, each answered with its
// -login's answers and shown as it goes. A step the plugin asks again
// (a wrong answer), or one past the last -login, ends the walk with the
// plugin's words: the rest is the user's to do from a client.
func (o *ownPlugin) logIn(ctx context.Context, out *console, c *xmpptest.Client, logPath string) error {
	domain := o.domain()
	r, st, err := c.Command(ctx, domain, "login", "", "", nil)
	if err != nil || st.Type != "result" {
		return fmt.Errorf("the login command failed: %s (see %s)", iqProblem(err, st), logPath)
	}
	if _, _, ok := r.Field("flow"); ok {
		flows := flowList(r)
		if o.flow == "" {
			return fmt.Errorf("the plugin offers several login flows: name one with -flow: %s", flows)
		}
		if r, st, err = c.Command(ctx, domain, "login", r.Command.SessionID, "next", map[string]string{"flow": o.flow}); err != nil || st.Type != "result" {
			return fmt.Errorf("-flow %s: %s; the plugin's flows: %s (see %s)", o.flow, iqProblem(err, st), flows, logPath)
		}
	}
	for i, fields := range o.steps {
		if r.Command.Status == "completed" {
			return fmt.Errorf("the login completed after step %d: drop the -login flags after flag %d, which answer no step", i, i)
		}
		out.printf("   step %d: %s\n", i+1, stepText(r))
		for _, id := range slices.Sorted(maps.Keys(fields)) {
			if _, _, ok := r.Field(id); !ok {
				return fmt.Errorf("-login names the field %q, which the plugin's login form does not have at step %d%s", id, i+1, unknownField(r, id))
			}
		}
		out.printf("           answered %s\n", o.logins[i])
		r, st, err = c.Command(ctx, domain, "login", r.Command.SessionID, "next", fields)
		if err != nil || st.Type != "result" {
			return fmt.Errorf("the login failed at step %d: %s (see %s)", i+1, iqProblem(err, st), logPath)
		}
		if problem := noteOf(r, "error"); problem != "" {
			return fmt.Errorf("the plugin refused the answers of step %d: %s", i+1, problem)
		}
	}
	if r.Command.Status != "completed" {
		return fmt.Errorf("the login asks for more after step %d: %s; answer it with one more -login FIELD=VALUE, or log in from a client", len(o.steps), stepText(r))
	}
	if warn := noteOf(r, "warn"); warn != "" {
		// Saved, but not connected: nothing would go through it.
		return fmt.Errorf("the login completed, but its connection failed: %s", warn)
	}
	note := noteOf(r, "info")
	if strings.Contains(note, "Still connecting: a chat message") {
		// The network had not answered within the command's time: the
		// gateway tells how the connection went in a chat message.
		out.printf("   logged in, connecting: %s\n", note)
		m, err := c.Next(ctx, func(st xmpptest.Stanza) bool {
			return st.Name == "message" && st.From == domain && strings.Contains(st.Body, "You are logged in to ")
		})
		if err != nil {
			return fmt.Errorf("no word of the login's connection from %s: %w (see %s)", domain, err, logPath)
		}
		if strings.Contains(m.Body, "the login is saved, but") {
			return fmt.Errorf("the login completed, but its connection failed: %s", m.Body)
		}
		note = m.Body
	}
	if note != "" {
		out.printf("   logged in: %s\n", note)
	} else {
		out.printf("   logged in\n")
	}
	return nil
}

// iqProblem is why a command's request failed, in words: the error,
// else the error stanza's text or condition, else the answer itself.
func iqProblem(err error, st xmpptest.Stanza) string {
	switch {
	case err != nil:
		return err.Error()
	case st.Err != nil && st.Err.Text != "":
		return st.Err.Text
	case st.Err != nil:
		return st.Err.Condition
	}
	return st.XML
}

// flowList is the login flows r's flow field offers, "ID (name), ...",
// the IDs -flow takes.
func flowList(r xmpptest.CommandResponse) string {
	var form struct {
		Fields []struct {
			Var     string `xml:"var,attr"`
			Options []struct {
				Label string `xml:"label,attr"`
				Value string `xml:"value"`
			} `xml:"option"`
		} `xml:"command>x>field"`
	}
	if err := xml.Unmarshal([]byte(r.XML), &form); err != nil {
		return r.XML
	}
	var flows []string
	for _, f := range form.Fields {
		if f.Var != "flow" {
			continue
		}
		for _, o := range f.Options {
			if o.Label != "" && o.Label != o.Value {
				flows = append(flows, o.Value+" ("+o.Label+")")
			} else {
				flows = append(flows, o.Value)
			}
		}
	}
	return strings.Join(flows, ", ")
}

// unknownField is what follows the refusal of the -login field id,
// which r's form lacks: the field it likely misspells and the form's
// fields, "" when it has none.
func unknownField(r xmpptest.CommandResponse, id string) string {
	ids := fieldIDs(r)
	if len(ids) == 0 {
		return ""
	}
	return didYouMean(id, ids) + "; its fields: " + strings.Join(ids, ", ")
}

// didYouMean is " (did you mean W?)", W the word of among that word
// likely misspells (two edits at most), "" when none is.
func didYouMean(word string, among []string) string {
	best, bestD := "", 3
	for _, w := range among {
		if d := levenshtein.ComputeDistance(word, w); d < bestD {
			best, bestD = w, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// fieldIDs are the IDs of r's form fields a -login answers.
func fieldIDs(r xmpptest.CommandResponse) []string {
	var ids []string
	for _, f := range r.Command.Form.Fields {
		if f.Var != "" && f.Type != "hidden" && f.Type != "fixed" {
			ids = append(ids, f.Var)
		}
	}
	return ids
}

// stepText is a login step as a line: its instructions and the IDs of
// its fields, which -login answers.
func stepText(r xmpptest.CommandResponse) string {
	ids := fieldIDs(r)
	text := strings.Join(r.Command.Form.Instructions, " ")
	if len(ids) > 0 {
		text += " (fields: " + strings.Join(ids, ", ") + ")"
	}
	return text
}

// noteOf is the text of the answer's notes of the type typ.
func noteOf(r xmpptest.CommandResponse, typ string) string {
	var texts []string
	for _, n := range r.Command.Notes {
		if n.Type == typ {
			texts = append(texts, n.Text)
		}
	}
	return strings.Join(texts, " ")
}
