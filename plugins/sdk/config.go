package sdk

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
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
		return fmt.Errorf("the transport's config: %w", err)
	}
	return nil
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
