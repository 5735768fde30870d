package irc

import (
	"fmt"
	"testing"
)

// A line of history is checked against the login's commands after
// connecting (a PRIVMSG among them may carry a password) without
// parsing them again: a CHATHISTORY batch of thousands of lines, a
// login with a few commands, parsed them for each line. The check still
// finds the command's line, in any case of its target.
func TestSecretLineParsesCommandsOnce(t *testing.T) {
	var cmds []string
	for i := range 10 {
		cmds = append(cmds, fmt.Sprintf("MODE kit +x%d", i))
	}
	cmds = append(cmds, "PRIVMSG Q@CServe.quakenet.org :AUTH kit s3cret")
	s := newSession(&Network{}, "kit@irc.test:6667", Account{Commands: cmds})
	if !s.secretLine("q@cserve.quakenet.org", "AUTH kit s3cret") {
		t.Error("the command's PRIVMSG is not taken for a secret line")
	}
	if s.secretLine("dave", "hello") {
		t.Error("a line to dave is taken for a secret one")
	}
	if n := testing.AllocsPerRun(100, func() { s.secretLine("dave", "hello") }); n != 0 {
		t.Errorf("checking a line of history allocates %v times: the commands are parsed again", n)
	}
}
