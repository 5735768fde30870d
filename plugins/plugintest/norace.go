//go:build !race

package plugintest

// raceEnabled: this test binary runs with the race detector, and so do the
// plugins it builds.
const raceEnabled = false
