package irc

import (
	"net"
	"strings"
	"testing"

	"github.com/ergochat/irc-go/ircmsg"
	"github.com/ergochat/irc-go/ircreader"
)

// loopConn is a connection whose reads give lines again and again, as a
// busy server's socket would, with no system call: what is measured is
// the plugin's side alone.
type loopConn struct {
	net.Conn
	wire []byte
	at   int
}

func (c *loopConn) Read(b []byte) (int, error) {
	n := copy(b, c.wire[c.at:])
	c.at = (c.at + n) % len(c.wire)
	return n, nil
}

// busyWire is lines of a busy UTF-8 channel: messages with IRCv3 tags,
// joins, parts, a NAMES line, some non-ASCII text.
var busyWire = strings.Repeat(strings.Join([]string{
	"@time=2026-12-06T16:50:01.123Z;msgid=abcdefgh12345 :dave!~dave@host-1.example.net PRIVMSG #go-nuts :has anyone tried the new range-over-func iterators with bbolt cursors?",
	":erin!~erin@198.51.100.7 JOIN #go-nuts",
	"@time=2026-12-06T16:50:02.456Z;msgid=abcdefgh12346 :frank!~f@h.example.org PRIVMSG #go-nuts :déjà vu: ça marche très bien, merci — même en production",
	":irc.example.net 353 kit = #go-nuts :@dave +erin frank gina hank ivan judy ken lana mike nora oscar pat quinn rose sam tom uma vic",
	":gina!~g@h PART #go-nuts :Leaving",
	"@time=2026-12-06T16:50:03.789Z;msgid=abcdefgh12347 :hank!~h@h PRIVMSG #go-nuts :привет всем, как дела?",
	"PING :irc.example.net",
	":ivan!~i@h NOTICE kit :\x01VERSION\x01",
}, "\r\n")+"\r\n", 64)

// BenchmarkLineDecode measures a line's way from the socket to the
// plugin on a UTF-8 login, in pairs: through the encoding layer (codecConn,
// as every connection is read, here where another channel has an
// encoding of its own, so that each line is looked at), and bypassing it
// (the socket read as it is); each alone (read) and with irc-go's parse
// of the line after it (read+parse), the work every line gets. The pairs
// go in turn, in rounds, so that a busy machine weighs on both alike:
//
//	go test -run '^$' -bench BenchmarkLineDecode ./plugins/irc/
func BenchmarkLineDecode(b *testing.B) {
	lines := strings.Count(busyWire, "\n")
	other := func(string) (codec, bool) { return codec{}, false }
	for range 3 {
		for _, parse := range []bool{false, true} {
			for _, layer := range []bool{true, false} {
				name := map[bool]string{false: "read", true: "read+parse"}[parse] + "/" + map[bool]string{true: "layer", false: "bypass"}[layer]
				b.Run(name, func(b *testing.B) {
					var conn net.Conn = &loopConn{wire: []byte(busyWire)}
					if layer {
						conn = newCodecConn(conn, codec{}, other)
					}
					var r ircreader.Reader
					r.Initialize(conn, 1024, 8192+1024) // as ircevent reads
					b.SetBytes(int64(len(busyWire) / lines))
					b.ReportAllocs()
					b.ResetTimer()
					for range b.N {
						line, err := r.ReadLine()
						if err != nil {
							b.Fatal(err)
						}
						if parse {
							if _, err := ircmsg.ParseLine(string(line)); err != nil {
								b.Fatal(err)
							}
						}
					}
				})
			}
		}
	}
}
