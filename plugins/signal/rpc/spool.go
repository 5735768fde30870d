package rpc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// signal-cli answers a file (getAttachment, getSticker, getAvatar) whole,
// base64 in its result's "data" field, in one line: an attachment of
// 100 MiB is a line of 134 MiB. With Options.SpoolDir set, a line longer
// than the reader's buffer is parsed as it is read, and such a "data"
// string is decoded into a file there, never held whole; CallFile hands
// it over. The answer's "id" may come before or after the result (Go's
// encoder sorts keys, Jackson writes them in order: id last).

// ErrTooLarge: a file answered is larger than Options.MaxFile.
var ErrTooLarge = errors.New("rpc: the file signal-cli answered is too large")

// spooled is the "data" of a long answer, decoded into a file.
type spooled struct {
	path     string // "" when none
	size     int64
	tooLarge bool
	err      error // the data could not be decoded or written
}

// CallFile is Call for a method that answers a file whole, base64 in its
// result's "data" field: the file decoded, in a file of its own in
// Options.SpoolDir (the caller removes it), and its size. A file over
// Options.MaxFile is ErrTooLarge, read past without being kept.
func (c *Client) CallFile(ctx context.Context, method string, params any) (path string, size int64, err error) {
	if c.opt.SpoolDir == "" {
		return "", 0, errors.New("rpc: CallFile needs Options.SpoolDir")
	}
	var raw json.RawMessage
	a, err := c.callAnswer(ctx, 0, method, params)
	if err != nil {
		return "", 0, err
	}
	switch {
	case a.file.tooLarge:
		return "", 0, fmt.Errorf("rpc: %s: %w", method, ErrTooLarge)
	case a.file.err != nil:
		return "", 0, fmt.Errorf("rpc: %s: %w", method, a.file.err)
	case a.file.path != "":
		return a.file.path, a.file.size, nil
	}
	// A short answer, read whole: written out the same way.
	raw = a.result
	var res struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return "", 0, fmt.Errorf("rpc: %s: the answer cannot be read: %w", method, err)
	}
	sp := c.spoolData(bufio.NewReader(bytes.NewReader([]byte(res.Data + `"`))))
	if sp.tooLarge {
		return "", 0, fmt.Errorf("rpc: %s: %w", method, ErrTooLarge)
	}
	if sp.err != nil {
		return "", 0, fmt.Errorf("rpc: %s: %w", method, sp.err)
	}
	return sp.path, sp.size, nil
}

// readLong parses a line longer than br's buffer, whose start is first
// (a copy), up to its newline: the message, with a result's "data"
// string decoded into a file (sp).
func (c *Client) readLong(first []byte, br *bufio.Reader) (m message, sp spooled, err error) {
	r := bufio.NewReader(io.MultiReader(bytes.NewReader(first), &lineReader{br: br}))
	defer io.Copy(io.Discard, r) // the rest of the line
	if b, err := skipSpace(r); err != nil || b != '{' {
		return m, sp, errors.New("rpc: a long line that is no object")
	}
	for {
		b, err := skipSpace(r)
		if err != nil {
			return m, sp, err
		}
		if b == '}' {
			return m, sp, nil
		}
		if b == ',' {
			continue
		}
		if b != '"' {
			return m, sp, errors.New("rpc: a long line that cannot be read")
		}
		key, err := readKey(r)
		if err != nil {
			return m, sp, err
		}
		if b, err := skipSpace(r); err != nil || b != ':' {
			return m, sp, errors.New("rpc: a long line that cannot be read")
		}
		if key == "result" {
			b, err := skipSpace(r)
			if err != nil {
				return m, sp, err
			}
			r.UnreadByte()
			if b == '{' {
				m.Result, sp, err = c.readResult(r)
				if err != nil {
					return m, sp, err
				}
				continue
			}
		}
		var buf bytes.Buffer
		if err := captureValue(r, &buf); err != nil {
			return m, sp, err
		}
		switch key {
		case "id":
			m.ID = bytes.TrimSpace(buf.Bytes())
		case "method":
			json.Unmarshal(buf.Bytes(), &m.Method)
		case "params":
			m.Params = buf.Bytes()
		case "error":
			json.Unmarshal(buf.Bytes(), &m.Error)
		}
	}
}

// readResult reads a result object, its "data" string into a file, the
// rest kept.
func (c *Client) readResult(r *bufio.Reader) (json.RawMessage, spooled, error) {
	var sp spooled
	out := map[string]json.RawMessage{}
	r.ReadByte() // '{'
	for {
		b, err := skipSpace(r)
		if err != nil {
			return nil, sp, err
		}
		if b == '}' {
			raw, err := json.Marshal(out)
			return raw, sp, err
		}
		if b == ',' {
			continue
		}
		if b != '"' {
			return nil, sp, errors.New("rpc: a result that cannot be read")
		}
		key, err := readKey(r)
		if err != nil {
			return nil, sp, err
		}
		if b, err := skipSpace(r); err != nil || b != ':' {
			return nil, sp, errors.New("rpc: a result that cannot be read")
		}
		if key == "data" {
			if b, err := skipSpace(r); err == nil && b == '"' {
				sp = c.spoolData(r)
				if sp.err != nil && !errors.Is(sp.err, errSpoolWrite) {
					return nil, sp, sp.err
				}
				continue
			}
			r.UnreadByte()
		}
		var buf bytes.Buffer
		if err := captureValue(r, &buf); err != nil {
			return nil, sp, err
		}
		out[key] = bytes.TrimSpace(buf.Bytes())
	}
}

var errSpoolWrite = errors.New("rpc: the file cannot be written")

// spoolData decodes a base64 string (its opening quote read) up to its
// closing quote into a new file in SpoolDir, stopping at MaxFile: the
// rest of the string is then read and dropped.
func (c *Client) spoolData(r *bufio.Reader) (sp spooled) {
	f, err := os.CreateTemp(c.opt.SpoolDir, "getfile-*")
	if err != nil {
		sp.err = fmt.Errorf("%w: %w", errSpoolWrite, err)
	}
	keep := func() {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
			f = nil
		}
	}
	defer func() {
		if f != nil && sp.err == nil && !sp.tooLarge {
			if err := f.Close(); err != nil {
				sp.err = fmt.Errorf("%w: %w", errSpoolWrite, err)
				os.Remove(f.Name())
				return
			}
			sp.path = f.Name()
			return
		}
		keep()
	}()
	chunk := make([]byte, 0, 64<<10) // a multiple of 4
	out := make([]byte, base64.StdEncoding.DecodedLen(cap(chunk)))
	write := func(final bool) {
		if len(chunk) == 0 || sp.err != nil || sp.tooLarge {
			chunk = chunk[:0]
			return
		}
		n, err := base64.StdEncoding.Decode(out, chunk)
		chunk = chunk[:0]
		if err != nil {
			sp.err = fmt.Errorf("rpc: the file is no base64: %w", err)
			return
		}
		sp.size += int64(n)
		if c.opt.MaxFile > 0 && sp.size > c.opt.MaxFile {
			sp.tooLarge = true
			return
		}
		if f != nil {
			if _, err := f.Write(out[:n]); err != nil {
				sp.err = fmt.Errorf("%w: %w", errSpoolWrite, err)
			}
		}
	}
	for {
		b, err := r.ReadByte()
		if err != nil {
			sp.err = fmt.Errorf("rpc: the file's data was cut short: %w", err)
			return sp
		}
		switch b {
		case '"':
			write(true)
			return sp
		case '\\':
			// Base64 needs no escape; a writer may escape '/'.
			e, err := r.ReadByte()
			if err != nil || e != '/' {
				sp.err = errors.New("rpc: the file's data has an escape base64 has not")
				continue
			}
			b = '/'
		}
		chunk = append(chunk, b)
		if len(chunk) == cap(chunk) {
			write(false)
		}
	}
}

// lineReader reads br up to and with the end of the line.
type lineReader struct {
	br   *bufio.Reader
	rest []byte // of br's buffer, not read again until it is used
	done bool
	err  error
}

func (l *lineReader) Read(p []byte) (int, error) {
	if len(l.rest) == 0 {
		if l.done {
			if l.err != nil {
				return 0, l.err
			}
			return 0, io.EOF
		}
		frag, err := l.br.ReadSlice('\n')
		l.rest = frag
		switch {
		case err == nil:
			l.done = true
		case !errors.Is(err, bufio.ErrBufferFull):
			l.done, l.err = true, err
		}
	}
	n := copy(p, l.rest)
	l.rest = l.rest[n:]
	return n, nil
}

func skipSpace(r *bufio.Reader) (byte, error) {
	for {
		b, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, nil
	}
}

// readKey reads a string (its opening quote read), at most 1 KiB.
func readKey(r *bufio.Reader) (string, error) {
	var buf bytes.Buffer
	buf.WriteByte('"')
	if err := captureString(r, &buf, 1<<10); err != nil {
		return "", err
	}
	var s string
	err := json.Unmarshal(buf.Bytes(), &s)
	return s, err
}

// captureString copies a string's rest (its opening quote read) into buf,
// closing quote included; limit > 0 bounds it.
func captureString(r *bufio.Reader, buf *bytes.Buffer, limit int) error {
	for {
		b, err := r.ReadByte()
		if err != nil {
			return err
		}
		buf.WriteByte(b)
		if limit > 0 && buf.Len() > limit {
			return errors.New("rpc: a key too long")
		}
		switch b {
		case '"':
			return nil
		case '\\':
			e, err := r.ReadByte()
			if err != nil {
				return err
			}
			buf.WriteByte(e)
		}
	}
}

// captureValue copies one JSON value into buf, at most MaxLine bytes.
func captureValue(r *bufio.Reader, buf *bytes.Buffer) error {
	b, err := skipSpace(r)
	if err != nil {
		return err
	}
	depth := 0
	for {
		if buf.Len() > MaxLine {
			return bufio.ErrTooLong
		}
		switch b {
		case '"':
			buf.WriteByte(b)
			if err := captureString(r, buf, 0); err != nil {
				return err
			}
		case '{', '[':
			depth++
			buf.WriteByte(b)
		case '}', ']':
			if depth == 0 {
				r.UnreadByte()
				return nil
			}
			depth--
			buf.WriteByte(b)
		case ',':
			if depth == 0 {
				r.UnreadByte()
				return nil
			}
			buf.WriteByte(b)
		default:
			buf.WriteByte(b)
		}
		if depth == 0 && (b == '"' || b == '}' || b == ']') {
			return nil
		}
		if b, err = r.ReadByte(); err != nil {
			if depth == 0 && errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// inline is result with the spooled data put back in it, base64, for a
// plain call; the file is removed.
func (sp spooled) inline(result json.RawMessage) (json.RawMessage, error) {
	if sp.path != "" {
		defer os.Remove(sp.path)
	}
	if sp.tooLarge {
		return nil, ErrTooLarge
	}
	if sp.err != nil {
		return nil, sp.err
	}
	b, err := os.ReadFile(sp.path)
	if err != nil {
		return nil, err
	}
	m := map[string]json.RawMessage{}
	if len(result) > 0 {
		if err := json.Unmarshal(result, &m); err != nil {
			return nil, err
		}
	}
	data, _ := json.Marshal(base64.StdEncoding.EncodeToString(b))
	m["data"] = data
	return json.Marshal(m)
}
