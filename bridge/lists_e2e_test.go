package bridge_test

import (
	"encoding/xml"
	"strings"
	"testing"
)

// resultForm reads a command's result form (XEP-0004 §3.4), which
// xmpptest's CommandResponse leaves out: its reported fields' vars, and
// each item's values by var.
func resultForm(t *testing.T, r cmdResponse) (reported []string, items []map[string]string) {
	t.Helper()
	var v struct {
		Command struct {
			X struct {
				Type     string `xml:"type,attr"`
				Reported struct {
					Fields []struct {
						Var string `xml:"var,attr"`
					} `xml:"field"`
				} `xml:"reported"`
				Items []struct {
					Fields []struct {
						Var   string `xml:"var,attr"`
						Value string `xml:"value"`
					} `xml:"field"`
				} `xml:"item"`
			} `xml:"jabber:x:data x"`
		} `xml:"http://jabber.org/protocol/commands command"`
	}
	if err := xml.Unmarshal([]byte(r.XML), &v); err != nil {
		t.Fatalf("answer unreadable: %v\n%s", err, r.XML)
	}
	if v.Command.X.Type != "result" {
		t.Fatalf("no result form: %s", r.XML)
	}
	for _, f := range v.Command.X.Reported.Fields {
		reported = append(reported, f.Var)
	}
	for _, it := range v.Command.X.Items {
		f := map[string]string{}
		for _, fl := range it.Fields {
			f[fl.Var] = fl.Value
		}
		items = append(items, f)
	}
	return reported, items
}

// listItems reads the contacts and groups commands' result form, its
// reported fields the address and the name, as its items "name=jid".
func listItems(t *testing.T, r cmdResponse) []string {
	t.Helper()
	reported, items := resultForm(t, r)
	if strings.Join(reported, ",") != "jid,name" {
		t.Errorf("reported fields %v, want jid,name: %s", reported, r.XML)
	}
	var out []string
	for _, f := range items {
		out = append(out, f["name"]+"="+f["jid"])
	}
	return out
}

// TestListContactsAndGroups: the contacts and groups commands (ad-hoc,
// listed once logged in, and in the gateway's chat, where TEXT narrows
// the list) give each contact's and group's address and name, by name,
// as slidge's Contacts and Groups commands do; without a login the chat
// command says so. There were no such commands: a contact or group the
// client lost could be found only by its guessed address.
func TestListContactsAndGroups(t *testing.T) {
	s := newStack(t, stackOptions{})
	bob := s.user("bob")
	s.waitGateway(bob)
	sendChat(t, bob, domain, "contacts")
	if m := nextMessage(t, bob, domain, timeout); !strings.Contains(m.Body, "You are not logged in") {
		t.Errorf("contacts without a login: %q", m.Body)
	}

	alice := roomUser(t, s, "alice")
	items, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`)
	if err != nil || !strings.Contains(items.XML, `node="contacts"`) || !strings.Contains(items.XML, `node="groups"`) {
		t.Fatalf("contacts and groups not listed: %v %s", err, items.XML)
	}
	r, _ := command(t, alice, "contacts", "", "", nil)
	if r.Command.Status != "completed" || !strings.Contains(r.Notes(), "info: 3 contacts on Echo.") {
		t.Errorf("contacts: %s", r.XML)
	}
	want := "Echo One=echo-1@" + domain + ",Echo Three=echo-3@" + domain + ",Echo Two=echo-2@" + domain
	if got := strings.Join(listItems(t, r), ","); got != want {
		t.Errorf("contacts listed %s, want %s", got, want)
	}
	r, _ = command(t, alice, "groups", "", "", nil)
	if got := strings.Join(listItems(t, r), ","); r.Command.Status != "completed" || got != "Echo room="+room {
		t.Errorf("groups listed %s: %s", got, r.XML)
	}

	ask := func(text, want string) {
		t.Helper()
		sendChat(t, alice, domain, text)
		for {
			m := nextMessage(t, alice, domain, timeout)
			if strings.Contains(m.Body, want) {
				return
			}
			if strings.Contains(m.Body, "Unknown command") {
				t.Fatalf("%s: %q", text, m.Body)
			}
		}
	}
	ask("contacts two", "1 contact:\n  Echo Two: echo-2@"+domain)
	ask("contacts", "3 contacts:\n  Echo One: echo-1@"+domain+"\n  Echo Three: echo-3@"+domain+"\n  Echo Two: echo-2@"+domain)
	ask("groups", "1 group:\n  Echo room: "+room)
	ask("groups nothing", "No group of yours on Echo has “nothing” in its name or address.")
}
