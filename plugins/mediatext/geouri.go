package mediatext

import (
	"strconv"
	"strings"
)

// SentLocation is a location an XMPP user sent, to be sent on as the
// network's own location message.
type SentLocation struct {
	Lat, Long float64
	// Accuracy is the uncertainty in metres (the URI's u=), 0 = not given.
	Accuracy float64
}

// GeoURI reads a message whose whole text is one geo: URI (RFC 5870),
// as XMPP clients send a location (Conversations' "Share location"
// sends "geo:<lat>,<long>"): "geo:<lat>,<long>[,<alt>][;crs=wgs84]
// [;u=<metres>][;<other parameters>][?<query>]", the altitude, the
// other parameters and the query ignored. Anything else is not a
// location (false) and goes as text: other words around the URI, a
// coordinate reference system other than WGS-84, a number not written
// as RFC 5870 writes one, a latitude past ±90 or a longitude past ±180.
func GeoURI(text string) (SentLocation, bool) {
	s := strings.TrimSpace(text)
	if len(s) < 4 || !strings.EqualFold(s[:4], "geo:") || strings.ContainsAny(s, " \t\r\n") {
		return SentLocation{}, false
	}
	s, _, _ = strings.Cut(s[4:], "?")
	coords, params, _ := strings.Cut(s, ";")
	parts := strings.Split(coords, ",")
	if len(parts) != 2 && len(parts) != 3 {
		return SentLocation{}, false
	}
	var nums [3]float64
	for i, p := range parts {
		f, ok := geoNum(p)
		if !ok {
			return SentLocation{}, false
		}
		nums[i] = f
	}
	l := SentLocation{Lat: nums[0], Long: nums[1]}
	if l.Lat < -90 || l.Lat > 90 || l.Long < -180 || l.Long > 180 {
		return SentLocation{}, false
	}
	for p := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(p, "=")
		switch strings.ToLower(name) {
		case "crs":
			if !strings.EqualFold(value, "wgs84") {
				return SentLocation{}, false
			}
		case "u":
			u, ok := geoNum(value)
			if !ok || u < 0 {
				return SentLocation{}, false
			}
			l.Accuracy = u
		}
	}
	return l, true
}

// geoNum is a number as RFC 5870 writes one: an optional minus, digits,
// and optionally a dot and digits (no exponent, no "Inf", no "NaN",
// which strconv alone would take).
func geoNum(s string) (float64, bool) {
	digits := strings.TrimPrefix(s, "-")
	whole, frac, dotted := strings.Cut(digits, ".")
	if whole == "" || (dotted && frac == "") || strings.Trim(whole+frac, "0123456789") != "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}
