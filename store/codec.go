package store

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// recV1 is the first byte of every record value written by schema 1, so a
// later schema can tell old records from new ones without a full rewrite.
const recV1 = 1

// Kinds of entries in the per-login age index.
const (
	ageMsg   = 'm'
	ageDedup = 'd'
	ageTxn   = 't'
)

// checkPart validates one key part. what names it in the error.
func checkPart(what, s string, allowEmpty bool) error {
	switch {
	case s == "" && !allowEmpty:
		return fmt.Errorf("%w: empty %s", ErrInvalid, what)
	case strings.IndexByte(s, 0) >= 0:
		return fmt.Errorf("%w: %s %q contains NUL", ErrInvalid, what, s)
	case len(s) > MaxKeyPart:
		return fmt.Errorf("%w: %s is %d bytes, longer than %d", ErrInvalid, what, len(s), MaxKeyPart)
	}
	return nil
}

// comp encodes parts as a composite key: uvarint length, then bytes, for
// each part. Length prefixes make the encoding injective even for empty
// parts, and keep keys of one chat adjacent in bbolt's order.
func comp(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += binary.MaxVarintLen64 + len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}

// splitComp decodes a composite key made by comp.
func splitComp(b []byte) ([]string, error) {
	var parts []string
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, fmt.Errorf("%w: composite key", ErrCorrupt)
		}
		parts = append(parts, string(b[k:k+int(n)]))
		b = b[k+int(n):]
	}
	return parts, nil
}

// timeKeyLen is the length of timeKey's output.
const timeKeyLen = 12

// timeKey encodes t so that byte order is time order: seconds with the sign
// bit flipped, then nanoseconds, both big-endian. Works for any time.Time,
// unlike UnixNano.
func timeKey(t time.Time) []byte {
	b := make([]byte, timeKeyLen)
	binary.BigEndian.PutUint64(b, uint64(t.Unix())^(1<<63))
	binary.BigEndian.PutUint32(b[8:], uint32(t.Nanosecond()))
	return b
}

// keyTime reads a time key back (timeKey's inverse, in UTC).
func keyTime(b []byte) time.Time {
	return time.Unix(int64(binary.BigEndian.Uint64(b)^(1<<63)), int64(binary.BigEndian.Uint32(b[8:]))).UTC()
}

// ageKey is an age index key: when, what kind, and the record's key in its
// own bucket.
func ageKey(t time.Time, kind byte, key []byte) []byte {
	b := make([]byte, 0, timeKeyLen+1+len(key))
	b = append(b, timeKey(t)...)
	b = append(b, kind)
	return append(b, key...)
}

// u64 encodes an outbox key; big-endian so bbolt order is numeric order.
func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// enc builds a record value.
type enc struct{ b []byte }

func newEnc(size int) *enc {
	e := &enc{b: make([]byte, 0, size+1)}
	e.b = append(e.b, recV1)
	return e
}

func (e *enc) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

func (e *enc) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *enc) bytes(p []byte) {
	e.uvarint(uint64(len(p)))
	e.b = append(e.b, p...)
}

func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// time keeps seconds and nanoseconds, which round-trips every time.Time
// (including the zero value) except for its location and monotonic reading.
func (e *enc) time(t time.Time) {
	e.b = binary.AppendVarint(e.b, t.Unix())
	e.uvarint(uint64(t.Nanosecond()))
}

// dec reads a record value; the first error sticks and later reads return
// zero values, so callers check err once at the end.
type dec struct {
	b   []byte
	err error
}

func newDec(b []byte) *dec {
	d := &dec{b: b}
	if len(b) == 0 || b[0] != recV1 {
		d.err = fmt.Errorf("%w: unknown record format", ErrCorrupt)
		return d
	}
	d.b = b[1:]
	return d
}

func (d *dec) fail() { d.err = fmt.Errorf("%w: truncated record", ErrCorrupt) }

func (d *dec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// raw returns the next length-prefixed field, still pointing into bbolt's
// memory: copy before the transaction ends.
func (d *dec) raw() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *dec) str() string { return string(d.raw()) }

// bytes returns a copy; nil for an empty field.
func (d *dec) bytes() []byte {
	p := d.raw()
	if len(p) == 0 {
		return nil
	}
	return append([]byte(nil), p...)
}

func (d *dec) bool() bool {
	if d.err != nil {
		return false
	}
	if len(d.b) == 0 {
		d.fail()
		return false
	}
	v := d.b[0] != 0
	d.b = d.b[1:]
	return v
}

// time returns UTC so that stored times compare equal with == too.
func (d *dec) time() time.Time {
	sec := d.varint()
	nsec := d.uvarint()
	if d.err != nil {
		return time.Time{}
	}
	if nsec >= uint64(time.Second) {
		d.fail()
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// rest returns a copy of what is left; nil when nothing is.
func (d *dec) rest() []byte {
	if d.err != nil || len(d.b) == 0 {
		return nil
	}
	return append([]byte(nil), d.b...)
}
