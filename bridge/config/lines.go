package config

import (
	"strconv"
	"strings"
)

// keyLines maps the keys of a TOML file that parsed, named as Error.Key
// names them ("xmpp.server", "transport[1].secret",
// "transport[0].config"), to the line (from 1) that sets or opens them,
// so that a problem found after parsing can point at its line. The TOML
// decoder keeps no positions; this is a line scanner that knows headers,
// key = value lines and multi-line strings, enough for a configuration
// file. A key it does not find has no line.
func keyLines(data string) map[string]int {
	lines := map[string]int{}
	record := func(key string, n int) {
		if _, ok := lines[key]; !ok {
			lines[key] = n
		}
	}
	counts := map[string]int{} // array of tables -> blocks seen
	// resolve names a header's dotted parts: an array of tables met on
	// the way stands for its latest block.
	resolve := func(parts []string) string {
		path := ""
		for _, p := range parts {
			if path != "" {
				path += "."
			}
			path += p
			if n, ok := counts[path]; ok {
				path += "[" + strconv.Itoa(n-1) + "]"
			}
		}
		return path
	}
	prefix := ""
	inString := "" // the delimiter of the multi-line string we are in
	for i, line := range strings.Split(data, "\n") {
		n := i + 1
		s := strings.TrimSpace(line)
		if inString != "" {
			if strings.Count(s, inString)%2 == 1 {
				inString = ""
			}
			continue
		}
		switch {
		case strings.HasPrefix(s, "[["):
			parts, ok := keyParts(s[2:], "]]")
			if !ok {
				continue
			}
			parent := resolve(parts[:len(parts)-1])
			raw := parts[len(parts)-1]
			if parent != "" {
				raw = parent + "." + raw
			}
			record(raw, n)
			prefix = raw + "[" + strconv.Itoa(counts[raw]) + "]"
			counts[raw]++
			record(prefix, n)
		case strings.HasPrefix(s, "["):
			parts, ok := keyParts(s[1:], "]")
			if !ok {
				continue
			}
			prefix = resolve(parts)
			record(prefix, n)
		default:
			parts, ok := keyParts(s, "=")
			if !ok {
				continue
			}
			key := strings.Join(parts, ".")
			if prefix != "" {
				key = prefix + "." + key
			}
			record(key, n)
			_, value, _ := strings.Cut(s, "=")
			for _, delim := range []string{`"""`, `'''`} {
				if strings.Count(value, delim)%2 == 1 {
					inString = delim
				}
			}
		}
	}
	return lines
}

// keyParts reads a dotted key (bare or quoted parts) at the start of s,
// up to end; ok is false when s does not start that way.
func keyParts(s, end string) (parts []string, ok bool) {
	for {
		s = strings.TrimLeft(s, " \t")
		var part string
		switch {
		case strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "'"):
			q := s[:1]
			j := strings.Index(s[1:], q)
			if j < 0 {
				return nil, false
			}
			part, s = s[1:1+j], s[2+j:]
			if q == `"` {
				if u, err := strconv.Unquote(`"` + part + `"`); err == nil {
					part = u
				}
			}
		default:
			j := strings.IndexFunc(s, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
			})
			if j <= 0 {
				return nil, false
			}
			part, s = s[:j], s[j:]
		}
		parts = append(parts, part)
		s = strings.TrimLeft(s, " \t")
		switch {
		case strings.HasPrefix(s, end):
			return parts, true
		case strings.HasPrefix(s, "."):
			s = s[1:]
		default:
			return nil, false
		}
	}
}

// lineOf is the line of key, else of the nearest table around it that
// has one (a missing key's table), else 0. An array element's key
// ("access.allow[1]") is its array's.
func lineOf(lines map[string]int, key string) int {
	for key != "" {
		if n, ok := lines[key]; ok {
			return n
		}
		if strings.HasSuffix(key, "]") {
			if i := strings.LastIndexByte(key, '['); i > 0 {
				key = key[:i]
				continue
			}
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			return 0
		}
		key = key[:i]
	}
	return 0
}
