package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/puppet"
)

// ownPlugin is -plugin and its flags: a plugin author's transport run in
// the demo's stack instead of the echo one, the demo user logged in to it
// with the answers of its login form and a message sent to one of its
// contacts, so that a plugin is tried under the real gateway and Prosody
// without writing their configs.
type ownPlugin struct {
	path, name, login, flow, contact string
	fields                           map[string]string
	// to is the contact's JID on the transport, its ID escaped as the
	// gateway maps IDs (puppet.JID): Friend is \friend@.
	to string
}

func (o *ownPlugin) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.path, "plugin", "", "run this transport plugin (an executable, as a [[transport]]'s plugin) instead of the echo one")
	fs.StringVar(&o.name, "name", "", "with -plugin: the transport's name, its domain NAME.localhost (default: the file's name without passerelle- and its extension)")
	fs.StringVar(&o.login, "login", "", "with -plugin: log the demo user in with these answers of the plugin's login form, by field ID: FIELD=VALUE,FIELD=VALUE (default: log in from your client)")
	fs.StringVar(&o.flow, "flow", "", "with -plugin and -login: the login flow's ID, when the plugin offers several")
	fs.StringVar(&o.contact, "contact", "", "with -plugin and -login: a contact's ID to send a message to, whose answer the demo waits for")
}

// check refuses flags that do nothing, or that name no plugin to run.
func (o *ownPlugin) check() error {
	if o.path == "" {
		if o.name != "" || o.login != "" || o.flow != "" || o.contact != "" {
			return errors.New("-name, -login, -flow and -contact go with -plugin")
		}
		return nil
	}
	if (o.flow != "" || o.contact != "") && o.login == "" {
		return errors.New("-flow and -contact go with -login: the demo user logs in first")
	}
	abs, err := filepath.Abs(o.path)
	if err != nil {
		return err
	}
	fi, err := os.Stat(abs)
	switch {
	case err != nil:
		return fmt.Errorf("-plugin: %w", err)
	case fi.IsDir() || fi.Mode()&0o111 == 0:
		return fmt.Errorf("-plugin: %s is not an executable file (the gateway runs the plugin by its path, without arguments)", abs)
	}
	o.path = abs
	if o.name == "" {
		base := strings.TrimPrefix(filepath.Base(abs), "passerelle-")
		o.name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	if !transportName.MatchString(o.name) {
		return fmt.Errorf("-name %q: a transport's name here is lower-case letters, digits and - (its domain is NAME.localhost)", o.name)
	}
	if o.contact != "" {
		to, err := puppet.JID(o.contact, o.domain())
		if err != nil {
			return fmt.Errorf("-contact %q: %w", o.contact, err)
		}
		o.to = to.String()
	}
	if o.login != "" {
		o.fields = map[string]string{}
		for pair := range strings.SplitSeq(o.login, ",") {
			k, v, ok := strings.Cut(pair, "=")
			if !ok || strings.TrimSpace(k) == "" {
				return fmt.Errorf("-login: %q is not FIELD=VALUE", pair)
			}
			o.fields[strings.TrimSpace(k)] = v
		}
	}
	return nil
}

var transportName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

func (o *ownPlugin) domain() string { return o.name + ".localhost" }

// run logs the demo user in and sends the message, as -login and
// -contact say, then leaves the stack running as the echo demo does.
func (o *ownPlugin) run(ctx, dctx context.Context, out *console, c *xmpptest.Client, once bool, c2s, user, password string, exited <-chan error, logPath, cfgPath string) error {
	domain := o.domain()
	if o.fields != nil {
		out.step("logging " + user + " in to " + domain + " with the ad-hoc command \"login\"")
		if err := o.logIn(dctx, c, logPath); err != nil {
			return err
		}
	}
	if o.to != "" {
		if err := exchange(dctx, out, c, o.to, logPath); err != nil {
			return err
		}
	}
	if once {
		return nil
	}
	c.Close()
	login := "It is logged in to " + domain + "."
	if o.fields == nil {
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
// gateway asks for one, then the plugin's form with -login's answers. A
// login of more than that one form is the user's to make from a client.
func (o *ownPlugin) logIn(ctx context.Context, c *xmpptest.Client, logPath string) error {
	domain := o.domain()
	r, st, err := c.Command(ctx, domain, "login", "", "", nil)
	if err != nil || st.Type != "result" {
		return fmt.Errorf("the login command failed: %v %s (see %s)", err, st.XML, logPath)
	}
	if _, _, ok := r.Field("flow"); ok {
		if o.flow == "" {
			return fmt.Errorf("the plugin offers several login flows: name one with -flow (its LoginFlow's id): %s", r.XML)
		}
		if r, st, err = c.Command(ctx, domain, "login", r.Command.SessionID, "next", map[string]string{"flow": o.flow}); err != nil || st.Type != "result" {
			return fmt.Errorf("login flow %q: %v %s (see %s)", o.flow, err, st.XML, logPath)
		}
	}
	for id := range o.fields {
		if _, _, ok := r.Field(id); !ok {
			return fmt.Errorf("-login names the field %q, which the plugin's login form does not have: %s", id, r.XML)
		}
	}
	r, st, err = c.Command(ctx, domain, "login", r.Command.SessionID, "next", o.fields)
	if err != nil || st.Type != "result" {
		return fmt.Errorf("the login failed: %v %s (see %s)", err, st.XML, logPath)
	}
	if r.Command.Status != "completed" {
		return fmt.Errorf("the login did not complete with the one form -login answers (a wrong answer, or a login of several steps: log in from a client): %s", r.XML)
	}
	return nil
}
