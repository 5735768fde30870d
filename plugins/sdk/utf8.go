package sdk

import (
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// repairUTF8 replaces what is not UTF-8 in m's strings (nested messages,
// lists and map values included) with U+FFFD, and reports whether it
// changed any. Protobuf strings must be UTF-8: a plugin that hands the SDK
// a network's text in another charset would otherwise have an event that
// can be neither journaled nor sent, and that breaks the event stream at
// every try.
func repairUTF8(m protoreflect.Message) bool {
	changed := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				if nv, ok := repairValue(fd, l.Get(i)); ok {
					l.Set(i, nv)
					changed = true
				}
			}
		case fd.IsMap():
			mp := v.Map()
			mp.Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if nv, ok := repairValue(fd.MapValue(), mv); ok {
					mp.Set(k, nv)
					changed = true
				}
				return true
			})
		default:
			if nv, ok := repairValue(fd, v); ok {
				m.Set(fd, nv)
				changed = true
			}
		}
		return true
	})
	return changed
}

// repairValue is v repaired, for a string or a message (repaired in
// place); ok reports a change.
func repairValue(fd protoreflect.FieldDescriptor, v protoreflect.Value) (protoreflect.Value, bool) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		if s := v.String(); !utf8.ValidString(s) {
			return protoreflect.ValueOfString(strings.ToValidUTF8(s, "\uFFFD")), true
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return v, repairUTF8(v.Message())
	}
	return v, false
}
