package irc

import (
	"bytes"
	"fmt"
	"net"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A login's server encoding (Account.Encoding): the charset its server's
// users write in where it is not UTF-8 (koi8-r, iso-8859-15, cp1252).
// Lines come in UTF-8 or in it, and the user's go out in it; it is
// applied on the connection itself (codecConn), so that all the plugin
// reads is UTF-8 and all it writes goes out in the server's encoding.

// codec is a login's server encoding; the zero codec is UTF-8 (lines
// that are not UTF-8 read as Windows-1252 by decodeText).
type codec struct {
	name string // as the user named it, lower case
	enc  encoding.Encoding
}

// multiByte are the encodings of more than one byte a character that
// IRC's lines can be in: ASCII stands for itself in them, no byte of a
// character is a space, a colon, a comma, CR, LF or NUL, and none
// writes a character in more bytes than UTF-8 (so a line that fits 512
// bytes in UTF-8 fits in them).
var multiByte = []encoding.Encoding{japanese.ShiftJIS, japanese.EUCJP, korean.EUCKR,
	traditionalchinese.Big5, simplifiedchinese.GBK}

// encodingExamples are encodings lookupEncoding takes, named in its
// refusals.
const encodingExamples = "latin1, cp1252, iso-8859-15, koi8-r, cp1251 or shift_jis"

// lookupEncoding is the codec of an encoding's name (its IANA name or
// alias, or a name browsers take: latin1, cp1252, koi8-r, iso-8859-15,
// shift_jis); "" and UTF-8 are the zero codec. An encoding IRC's lines
// cannot be in is refused: one where ASCII is not itself (UTF-16,
// EBCDIC), a stateful one (ISO-2022-JP, whose escapes make a line
// longer than its UTF-8), GB18030 (4 bytes for some 2-byte UTF-8
// characters), browsers' x-user-defined (no charset: its bytes beyond
// ASCII are private-use characters); and ASCII, which UTF-8 is a
// superset of (browsers take its names for Windows-1252).
func lookupEncoding(name string) (codec, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return codec{}, nil
	}
	if slices.Contains([]string{"ascii", "us-ascii", "ansi_x3.4-1968", "iso646-us", "us"}, name) {
		// Browsers read these as Windows-1252, which this is not.
		return codec{}, fmt.Errorf("%q: ASCII is the part of UTF-8 every server takes: leave the encoding empty", name)
	}
	enc, err := ianaindex.IANA.Encoding(name)
	if enc == nil || err != nil {
		enc, err = htmlindex.Get(name)
	}
	if enc == nil || err != nil {
		return codec{}, fmt.Errorf("%q is no encoding known here: name one such as %s", name, encodingExamples)
	}
	if enc == encoding.Nop || isUTF8(enc) {
		return codec{}, nil
	}
	if cm, ok := enc.(*charmap.Charmap); ok && asciiCompatible(cm) && enc != charmap.XUserDefined {
		return codec{name: name, enc: enc}, nil
	}
	for _, m := range multiByte {
		if enc == m {
			return codec{name: name, enc: enc}, nil
		}
	}
	return codec{}, fmt.Errorf("%q cannot carry IRC's lines (ASCII must stand for itself, in at most the bytes of UTF-8): name one such as %s", name, encodingExamples)
}

// isUTF8 reports whether enc is UTF-8 (whose names the indexes give
// as one of several values).
func isUTF8(enc encoding.Encoding) bool {
	n, err := ianaindex.IANA.Name(enc)
	return err == nil && n == "UTF-8"
}

// asciiCompatible reports whether cm reads the bytes of ASCII as ASCII.
func asciiCompatible(cm *charmap.Charmap) bool {
	for c := range utf8.RuneSelf {
		if cm.DecodeByte(byte(c)) != rune(c) {
			return false
		}
	}
	return true
}

// decodeLine is an IRC line (without its CR LF) in UTF-8: as it is
// where it is UTF-8 (or UTF-8 a server cut within its last character),
// else read in the server's encoding.
func (c codec) decodeLine(line []byte) []byte {
	if utf8.Valid(line) {
		return line
	}
	if cut, ok := cutUTF8(string(line)); ok {
		return []byte(cut)
	}
	out, err := c.enc.NewDecoder().Bytes(line)
	if err != nil {
		return []byte(strings.ToValidUTF8(string(line), "\uFFFD"))
	}
	return bytes.ToValidUTF8(out, []byte("\uFFFD"))
}

// unencodable is the first character of text the encoding cannot carry,
// and false if it carries all.
func (c codec) unencodable(text string) (rune, bool) {
	if c.enc == nil {
		return 0, false
	}
	e := c.enc.NewEncoder()
	for _, r := range text {
		if r < utf8.RuneSelf {
			continue
		}
		if _, err := e.String(string(r)); err != nil {
			return r, true
		}
	}
	return 0, false
}

// carries refuses text (what it is: "the message") holding a character
// the login's server encoding cannot carry, as BAD_REQUEST naming both:
// sent, it would reach the server as another character.
func (s *Session) carries(what, text string) error {
	if r, bad := s.codec.unencodable(text); bad {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST,
			"%s has %q, which the server's encoding (%s, set at login) cannot carry: it was not sent", what, string(r), s.codec.name)
	}
	return nil
}

// size is how many bytes text takes in the encoding (a character it
// cannot carry, one: its "?").
func (c codec) size(text string) int {
	if c.enc == nil {
		return len(text)
	}
	return c.measure(text, -1)
}

// fit is the length in UTF-8 of text's longest start that takes at most
// n bytes in the encoding, cut between characters.
func (c codec) fit(text string, n int) int {
	if c.enc == nil {
		if n >= len(text) {
			return len(text)
		}
		for n > 0 && !utf8.RuneStart(text[n]) {
			n--
		}
		return n
	}
	return c.measure(text, n)
}

// measure is text's size in the encoding where limit < 0, else the
// length in UTF-8 of its longest start of at most limit bytes in it.
func (c codec) measure(text string, limit int) int {
	_, single := c.enc.(*charmap.Charmap)
	e := c.enc.NewEncoder()
	n := 0
	for i, r := range text {
		if r < utf8.RuneSelf || single {
			n++
		} else if out, err := e.String(string(r)); err == nil && out != "" {
			n += len(out)
		} else {
			n++
		}
		if limit >= 0 && n > limit {
			return i
		}
	}
	if limit >= 0 {
		return len(text)
	}
	return n
}

// encode is text in the encoding, each character it cannot carry a "?"
// (carries refuses those first where the user typed them).
func (c codec) encode(text []byte) []byte {
	e := c.enc.NewEncoder()
	if out, err := e.Bytes(text); err == nil {
		return out
	}
	var b []byte
	for _, r := range string(text) {
		out, err := e.String(string(r))
		if err != nil {
			out = "?"
		}
		b = append(b, out...)
	}
	return b
}

// codecConn is a connection to a server with an encoding: what is read
// comes as UTF-8 (decodeLine, a line at a time), what is written goes in
// the encoding.
type codecConn struct {
	net.Conn
	c codec
	// chans is the codec of a channel with its own encoding
	// (chanenc.go), by its name as read.
	chans func(name string) (codec, bool)
	buf   []byte // for reads
	raw   []byte // read, not a whole line yet
	out   []byte // decoded, read up to outAt
	outAt int
}

// maxPending is how much of a line without its end is held for decoding:
// longer (no IRC line is), it is passed on as it came in.
const maxPending = 16 << 10

func newCodecConn(conn net.Conn, c codec, chans func(string) (codec, bool)) net.Conn {
	if c.enc == nil && chans == nil {
		return conn
	}
	return &codecConn{Conn: conn, c: c, chans: chans, buf: make([]byte, 4096)}
}

// read is line in UTF-8 where the codec has an encoding, else as it is
// (decodeText reads it).
func (c codec) read(line []byte) []byte {
	if c.enc == nil {
		return line
	}
	return c.decodeLine(line)
}

// write is text in the codec's encoding, as it is for UTF-8.
func (c codec) write(text []byte) []byte {
	if c.enc == nil {
		return text
	}
	return c.encode(text)
}

// decode is a line read: a channel's text in the channel's encoding,
// the rest in the server's.
func (c *codecConn) decode(line []byte) []byte {
	if c.chans != nil && !utf8.Valid(line) {
		if head, target, rest, ok := lineTarget(line); ok {
			if cc, ok := c.chans(string(c.c.read(target))); ok {
				return append(slices.Clone(c.c.read(head)), cc.read(rest)...)
			}
		}
	}
	return c.c.read(line)
}

func (c *codecConn) Read(b []byte) (int, error) {
	for c.outAt == len(c.out) {
		// The buffers' room is used again: BenchmarkLineDecode, a line
		// read in 1.3 µs where each read took new ones, in 0.1.
		c.out, c.outAt = c.out[:0], 0
		n, err := c.Conn.Read(c.buf)
		c.raw = append(c.raw, c.buf[:n]...)
		start := 0
		for {
			i := bytes.IndexByte(c.raw[start:], '\n')
			if i < 0 {
				break
			}
			line, end := c.raw[start:start+i], "\n"
			if l, ok := bytes.CutSuffix(line, []byte("\r")); ok {
				line, end = l, "\r\n"
			}
			c.out = append(append(c.out, c.decode(line)...), end...)
			start += i + 1
		}
		c.raw = c.raw[:copy(c.raw, c.raw[start:])]
		if len(c.raw) > maxPending || (err != nil && len(c.raw) > 0) {
			// Too long for a line, or the last bytes before the end:
			// passed on as they came.
			c.out, c.raw = append(c.out, c.raw...), c.raw[:0]
		}
		if err != nil && len(c.out) == 0 {
			return 0, err
		}
	}
	n := copy(b, c.out[c.outAt:])
	c.outAt += n
	return n, nil
}

// Write writes b, a whole line (irc-go writes a line at a time), in the
// encoding.
func (c *codecConn) Write(b []byte) (int, error) {
	if !bytes.ContainsFunc(b, func(r rune) bool { return r >= utf8.RuneSelf }) {
		return c.Conn.Write(b)
	}
	out := c.c.write(b)
	if c.chans != nil {
		if head, target, rest, ok := lineTarget(b); ok {
			if cc, ok := c.chans(string(target)); ok {
				out = append(slices.Clone(c.c.write(head)), cc.write(rest)...)
			}
		}
	}
	if _, err := c.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
