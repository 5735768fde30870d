package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"passerelle.im/passerelle/bridge/config"
)

// watchHangup answers SIGHUP until the returned func is called, through
// the stop too, which a SIGHUP must not cut short either. Go's default
// for it is to exit at once, without the stop SIGTERM makes: an admin's
// "kill -HUP" (what most daemons take as "reload") cut every link and
// left the plugins to notice alone. The gateway does not reload while
// running, so it says so, and says whether the file at path would load
// now: whether a restart would apply it or stop at its problems.
func watchHangup(path string, log *slog.Logger) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				answerHangup(path, log)
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		cancel()
		<-done
	}
}

// answerHangup logs what a SIGHUP does: nothing but this check of the
// configuration file.
func answerHangup(path string, log *slog.Logger) {
	log.Warn("SIGHUP: the configuration is not reloaded while running; restart the gateway to apply a change (systemctl restart passerelle)", "config", path)
	if config.FromStream(path) {
		// Read to its end at the start: read again, a pipe or stdin
		// gives nothing, which would be "no transport" and the like.
		log.Info("SIGHUP: the configuration was read from a stream (stdin, a pipe), which cannot be read again: not checked", "config", path)
		return
	}
	if _, err := config.Load(path); err != nil {
		log.Error("SIGHUP: the configuration file has problems now: a restart would stop at them (passerelle check-config lists them)", "config", path, "err", err)
		return
	}
	log.Info("SIGHUP: the configuration file loads without problems; a restart applies it", "config", path)
}
