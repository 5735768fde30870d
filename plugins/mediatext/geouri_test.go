package mediatext

import "testing"

func TestGeoURI(t *testing.T) {
	for _, c := range []struct {
		in   string
		want SentLocation
	}{
		{"geo:48.8584,2.2945", SentLocation{Lat: 48.8584, Long: 2.2945}},
		{"  geo:-33.8568,151.2153\n", SentLocation{Lat: -33.8568, Long: 151.2153}},
		{"GEO:1,2,30", SentLocation{Lat: 1, Long: 2}},
		{"geo:48.2,16.3;u=35", SentLocation{Lat: 48.2, Long: 16.3, Accuracy: 35}},
		{"geo:48.2,16.3;crs=WGS84;u=6.5;foo=bar", SentLocation{Lat: 48.2, Long: 16.3, Accuracy: 6.5}},
		{"geo:48.2,16.3?z=15", SentLocation{Lat: 48.2, Long: 16.3}},
		{"geo:90,-180", SentLocation{Lat: 90, Long: -180}},
	} {
		got, ok := GeoURI(c.in)
		if !ok || got != c.want {
			t.Errorf("GeoURI(%q) = %+v, %v; want %+v", c.in, got, ok, c.want)
		}
	}
	for _, in := range []string{
		"", "geo:", "geo:48.2", "geo:48.2,", "geo:,16", "geo:1,2,3,4",
		"meet me at geo:48.2,16.3", "geo:48.2,16.3 tonight", "geo:48.2,\n16.3",
		"geo:91,0", "geo:0,180.5", "geo:-90.01,0",
		"geo:1e1,2", "geo:NaN,0", "geo:Inf,0", "geo:0x1p-2,0", "geo:+1,2", "geo:1.,2", "geo:.5,2",
		"geo:1,2;crs=nad27", "geo:1,2;u=-3", "geo:1,2;u=lots",
		"https://www.openstreetmap.org/?mlat=1&mlon=2", "Location\ngeo:1,2",
	} {
		if got, ok := GeoURI(in); ok {
			t.Errorf("GeoURI(%q) = %+v, want not a location", in, got)
		}
	}
}
