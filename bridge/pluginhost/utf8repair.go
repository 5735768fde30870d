package pluginhost

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxRepairDepth bounds how deep repairUTF8 follows nested messages, as
// protobuf's own decoder does (its default recursion limit), so that
// garbage cannot grow the stack without end.
const maxRepairDepth = 10000

// errRepairDepth is repairUTF8's answer to messages nested deeper than
// maxRepairDepth.
var errRepairDepth = errors.New("messages nested too deep")

// repairUTF8 returns the wire bytes b of a message of type md with every
// invalid UTF-8 sequence in its string fields replaced by U+FFFD, in
// nested messages too (repeated and map fields included), and whether
// anything changed. Unknown fields, other kinds and other wire types
// are copied as they are: the decoder judges them. Bytes that do not
// parse as protobuf are an error.
func repairUTF8(b []byte, md protoreflect.MessageDescriptor) ([]byte, bool, error) {
	out, changed, err := repairMessage(b, md, 0)
	if err != nil {
		return nil, false, fmt.Errorf("repair strings of %s: %w", md.FullName(), err)
	}
	return out, changed, nil
}

func repairMessage(b []byte, md protoreflect.MessageDescriptor, depth int) ([]byte, bool, error) {
	if depth > maxRepairDepth {
		return nil, false, errRepairDepth
	}
	// out stays nil until a field changes; the fields before it are
	// then copied from whole, the ones after it appended one by one.
	var out []byte
	whole := b
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, false, fmt.Errorf("field tag: %w", protowire.ParseError(n))
		}
		tag := b[:n]
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return nil, false, fmt.Errorf("field %d: %w", num, protowire.ParseError(m))
		}
		field := b[:n+m]
		done := len(whole) - len(b) // bytes before this field
		b = b[n+m:]
		var fd protoreflect.FieldDescriptor
		if md != nil {
			fd = md.Fields().ByNumber(num)
		}
		var value []byte // the field's new value, if it changed
		if typ == protowire.BytesType && fd != nil {
			v, _ := protowire.ConsumeBytes(field[n:]) // parsed above
			switch fd.Kind() {
			case protoreflect.StringKind:
				if !utf8.Valid(v) {
					value = []byte(strings.ToValidUTF8(string(v), "\uFFFD"))
				}
			case protoreflect.MessageKind:
				// A map's entries are messages of their own descriptor.
				sub, changed, err := repairMessage(v, fd.Message(), depth+1)
				if err != nil {
					// Not wrapped at each level: nested deep, the
					// message would grow as the square of the depth.
					return nil, false, err
				}
				if changed {
					value = sub
				}
			}
			// bytes, and packed repeated numbers: no text in them.
		}
		switch {
		case value != nil:
			if out == nil {
				out = append(make([]byte, 0, len(whole)+8), whole[:done]...)
			}
			out = append(out, tag...)
			out = protowire.AppendBytes(out, value)
		case out != nil:
			out = append(out, field...)
		}
	}
	if out == nil {
		return whole, false, nil
	}
	return out, true, nil
}
