package sdk

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/agnivade/levenshtein"
)

// DecodeConfig decodes a transport's [transport.config] table
// (InitRequest.ConfigJSON) into cfg, a pointer to a struct whose fields
// carry json tags, and refuses a key that no field stands for, in the
// table or in a table within it: a misspelt key ("api_hsh") is an error
// that names it and the keys there are, not a setting silently ignored.
// Keys match as encoding/json matches them (case aside). Empty input and
// JSON null leave cfg as it is, so set the defaults before the call.
//
// Return its error from Init, with the network's name in front: the
// plugin does not start, and the gateway's log says why.
func DecodeConfig(configJSON []byte, cfg any) error {
	rv := reflect.ValueOf(cfg)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("sdk: DecodeConfig needs a non-nil pointer, not %T", cfg)
	}
	b := bytes.TrimSpace(configJSON)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	if err := checkKeys(b, rv.Type().Elem(), ""); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields() // what checkKeys does not reach
	if err := dec.Decode(cfg); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Type != nil {
			return fmt.Errorf("the transport's config: %w", &configTypeError{te, keyPath(rv.Type().Elem(), te.Field)})
		}
		return fmt.Errorf("the transport's config: %w", err)
	}
	return nil
}

// configTypeError is a value of the wrong type, said in the words of the
// admin's TOML table ("signal_cli: want a string, got a number") rather
// than encoding/json's, which name Go's types and struct.
type configTypeError struct {
	err *json.UnmarshalTypeError
	key string // the key's path in the table
}

func (e *configTypeError) Error() string {
	msg := fmt.Sprintf("want %s, got %s", wantWords(e.err.Type), gotWords(e.err.Value))
	if e.key == "" {
		return msg
	}
	return e.key + ": " + msg
}

// keyPath is UnmarshalTypeError.Field as config keys, from t, the
// config's struct type: encoding/json puts in the Go name of an embedded
// struct, which is no key ("testCommon.verbose" is "verbose").
func keyPath(t reflect.Type, field string) string {
	if field == "" {
		return ""
	}
	var keys []string
	for part := range strings.SplitSeq(field, ".") {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			keys, t = append(keys, part), nil
			continue
		}
		if f, ok := t.FieldByName(part); ok && f.Anonymous && f.Tag.Get("json") == "" {
			t = f.Type // the embedded struct: its fields are the keys
			continue
		}
		keys = append(keys, part)
		f, ok := jsonFields(t)[part]
		if !ok {
			t = nil
			continue
		}
		t = f.Type
	}
	return strings.Join(keys, ".")
}

func (e *configTypeError) Unwrap() error { return e.err }

// wantWords says what a value of Go type t is in a config.
func wantWords(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if t.Bits() < 64 {
			return fmt.Sprintf("a whole number from %d to %d", -(int64(1) << (t.Bits() - 1)), int64(1)<<(t.Bits()-1)-1)
		}
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if t.Bits() < 64 {
			return fmt.Sprintf("a whole number from 0 to %d", uint64(1)<<t.Bits()-1)
		}
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "a table"
	}
	return t.String()
}

// gotWords says what encoding/json's description of a value
// (UnmarshalTypeError.Value: "number", "number 1.5", "object"...) is.
func gotWords(v string) string {
	if n, ok := strings.CutPrefix(v, "number "); ok {
		return n
	}
	switch v {
	case "number":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "array":
		return "an array"
	case "object":
		return "a table"
	}
	return v
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// checkKeys refuses the keys of the JSON object raw that struct type t
// (or the structs within it) has no field for; path names the table
// ("server."), for the message. What is not an object of a struct is
// left to the decoder.
func checkKeys(raw []byte, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return nil // it reads itself
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		for i, item := range items {
			if err := checkKeys(item, t.Elem(), fmt.Sprintf("%s[%d].", strings.TrimSuffix(path, "."), i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		// A table of tables ([transport.config.servers.eu]): each one's
		// keys are checked as the field's struct says.
		var items map[string]json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		keys := slices.Sorted(maps.Keys(items))
		for _, k := range keys {
			if err := checkKeys(items[k], t.Elem(), path+k+"."); err != nil {
				return err
			}
		}
		return nil
	case reflect.Struct:
	default:
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil // not an object: the decoder says what is wrong
	}
	fields := jsonFields(t)
	known := make([]string, 0, len(fields))
	for name := range fields {
		known = append(known, name)
	}
	slices.Sort(known)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the same key named first on every run
	for _, k := range keys {
		f, ok := fields[k]
		if !ok {
			for name, g := range fields {
				if strings.EqualFold(name, k) {
					f, ok = g, true
					break
				}
			}
		}
		if !ok {
			where := "the transport's config"
			if path != "" {
				where += " (" + strings.TrimSuffix(path, ".") + ")"
			}
			msg := fmt.Sprintf("%s: unknown key %q", where, path+k)
			if s := closest(k, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", path+s)
			}
			if len(known) == 0 {
				return fmt.Errorf("%s; this transport takes no config", msg)
			}
			return fmt.Errorf("%s; the known keys are %s", msg, strings.Join(known, ", "))
		}
		if err := checkKeys(obj[k], f.Type, path+k+"."); err != nil {
			return err
		}
	}
	return nil
}

// jsonFields are the fields encoding/json decodes into struct type t, by
// key: exported ones, by their tag's name or their own, and those of an
// untagged embedded struct (a shallower one first); "-" left out.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	m := map[string]reflect.StructField{}
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			embedded = append(embedded, ft)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f
	}
	for _, et := range embedded {
		for name, f := range jsonFields(et) {
			if _, ok := m[name]; !ok {
				m[name] = f
			}
		}
	}
	return m
}

// closest is the known key nearest to k, if one is a typo away (at most
// two letters added, removed or changed).
func closest(k string, known []string) string {
	best, bestD := "", 3
	for _, s := range known {
		if d := levenshtein.ComputeDistance(strings.ToLower(k), strings.ToLower(s)); d < bestD {
			best, bestD = s, d
		}
	}
	return best
}
