package config

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// problems collects every error found in one file, so that one run of
// check-config reports them all.
type problems struct {
	file string
	errs []error
}

// add records a problem with key (empty for the whole file).
func (p *problems) add(key string, err error) {
	p.errs = append(p.errs, &Error{File: p.file, Key: key, Err: err})
}

// err returns the problems found in the file's data joined, nil when
// none, each pointed at its line: in a long file a key's name alone
// ("transport[2].secret") leaves the admin counting blocks.
func (p *problems) err(data []byte) error {
	if len(p.errs) == 0 {
		return nil
	}
	lines := keyLines(string(data))
	for _, err := range p.errs {
		if e, ok := err.(*Error); ok && e.Line == 0 && e.Key != "" {
			e.Line = lineOf(lines, e.Key)
		}
	}
	// In the file's order, as an admin fixes them (they were in the
	// order read: a block's enabled before its domain); those of no line
	// last.
	slices.SortStableFunc(p.errs, func(a, b error) int {
		return cmp.Compare(sortLine(a), sortLine(b))
	})
	return errors.Join(p.errs...)
}

// sortLine is err's line for sorting, the problems of no line last.
func sortLine(err error) int {
	if e, ok := err.(*Error); ok && e.Line > 0 {
		return e.Line
	}
	return math.MaxInt
}

// addf records a problem with key, formatted.
func (p *problems) addf(key, format string, args ...any) {
	p.add(key, fmt.Errorf(format, args...))
}

// table reads typed values out of one decoded TOML table, reporting wrong
// types with the key's full path and remembering which keys were read, so
// that the rest can be refused as unknown.
type table struct {
	path string // "" for the root, "xmpp", "transport[1]", ...
	m    map[string]any
	p    *problems
	seen map[string]bool
}

func newTable(path string, m map[string]any, p *problems) *table {
	return &table{path: path, m: m, p: p, seen: map[string]bool{}}
}

// key returns the full path of name, as used in error messages.
func (t *table) key(name string) string {
	if t.path == "" {
		return name
	}
	return t.path + "." + name
}

// get returns the raw value of name and marks it read.
func (t *table) get(name string) (any, bool) {
	t.seen[name] = true
	v, ok := t.m[name]
	return v, ok
}

func (t *table) wrongType(name, want string, v any) {
	t.p.addf(t.key(name), "want %s, got %s", want, tomlType(v))
}

// str returns the string name; ok is false when it is absent or mistyped.
func (t *table) str(name string) (s string, ok bool) {
	v, ok := t.get(name)
	if !ok {
		return "", false
	}
	if s, ok = v.(string); !ok {
		switch v.(type) {
		case int64, float64, bool:
			// server = 5347, secret = 1234: TOML wants the quotes.
			t.p.addf(t.key(name), "want a string, got %s (put the value in quotes)", tomlType(v))
		default:
			t.wrongType(name, "a string", v)
		}
	}
	return s, ok
}

// strings returns the array of strings name.
func (t *table) strings(name string) []string {
	v, ok := t.get(name)
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		if s, one := v.(string); one {
			t.p.addf(t.key(name), "want an array of strings, got a string (write [%s])", strconv.Quote(s))
			return nil
		}
		t.wrongType(name, "an array of strings", v)
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			t.p.addf(fmt.Sprintf("%s[%d]", t.key(name), i), "want a string, got %s", tomlType(e))
			continue
		}
		out = append(out, s)
	}
	return out
}

// integer returns the integer name, or def when absent or mistyped.
func (t *table) integer(name string, def int64) int64 {
	v, ok := t.get(name)
	if !ok {
		return def
	}
	n, ok := v.(int64)
	if !ok {
		if _, quoted := v.(string); quoted {
			t.p.addf(t.key(name), "want an integer, got a string (take out the quotes)")
			return def
		}
		t.wrongType(name, "an integer", v)
		return def
	}
	return n
}

// boolean returns the boolean name, or def when absent or mistyped.
func (t *table) boolean(name string, def bool) bool {
	v, ok := t.get(name)
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		if _, quoted := v.(string); quoted {
			t.p.addf(t.key(name), "want true or false, got a string (write it without quotes)")
			return def
		}
		t.wrongType(name, "true or false", v)
		return def
	}
	return b
}

// duration returns the positive duration name, written as a Go duration
// string ("30s", "1m30s") or with days first ("90d", see ParseDuration),
// or def when absent or invalid.
func (t *table) duration(name string, def time.Duration) time.Duration {
	if v, set := t.m[name]; set {
		if _, isString := v.(string); !isString {
			// ping_interval = 30: seconds? minutes? Say how to write it.
			t.get(name)
			t.p.addf(t.key(name), "want a duration in quotes, such as \"30s\", \"5m\" or \"90d\", got %s", tomlType(v))
			return def
		}
	}
	s, ok := t.str(name)
	if !ok {
		return def
	}
	d, err := ParseDuration(s)
	if err != nil {
		t.p.addf(t.key(name), "invalid duration %q (write e.g. \"30s\", \"1m30s\" or \"90d\")", s)
		return def
	}
	if d <= 0 {
		t.p.addf(t.key(name), "duration %q must be positive", s)
		return def
	}
	return d
}

// sub returns the table name; an absent table reads as empty.
func (t *table) sub(name string) *table {
	v, ok := t.get(name)
	m, isMap := v.(map[string]any)
	if ok && !isMap {
		t.wrongType(name, "a table", v)
	}
	return newTable(t.key(name), m, t.p)
}

// tables returns the array of tables name ([[name]] blocks).
func (t *table) tables(name string) []*table {
	v, ok := t.get(name)
	if !ok {
		return nil
	}
	var ms []map[string]any
	switch v := v.(type) {
	case []map[string]any:
		ms = v
	case []any: // name = [{...}, {...}]
		for i, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				t.p.addf(fmt.Sprintf("%s[%d]", t.key(name), i), "want a table, got %s", tomlType(e))
				continue
			}
			ms = append(ms, m)
		}
	default:
		t.wrongType(name, "an array of tables ([["+name+"]])", v)
		return nil
	}
	out := make([]*table, len(ms))
	for i, m := range ms {
		out[i] = newTable(fmt.Sprintf("%s[%d]", t.key(name), i), m, t.p)
	}
	return out
}

// done refuses the keys of t that were never read: a misspelt key must not
// silently fall back to its default.
func (t *table) done() {
	var unknown []string
	for k := range t.m {
		if !t.seen[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		if near := t.near(k); near != "" {
			t.p.addf(t.key(k), "unknown key (did you mean %s?)", near)
		} else {
			t.p.addf(t.key(k), "unknown key")
		}
	}
}

// near returns the known key of t closest to the unknown k when it is
// likely a typo of it (an edit or two away), else "".
func (t *table) near(k string) string {
	best, bestD := "", 3
	if len(k) < 5 {
		bestD = 2 // few letters: one edit at most
	}
	for known := range t.seen {
		if _, set := t.m[known]; set {
			continue // set too: k is not a misspelling of it
		}
		if d := editDistance(k, known); d < bestD || d == bestD && known < best {
			best, bestD = known, d
		}
	}
	return best
}

// tomlType names the TOML type of a decoded value for error messages.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date-time"
	case []any:
		return "an array"
	case []map[string]any:
		return "an array of tables"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}
