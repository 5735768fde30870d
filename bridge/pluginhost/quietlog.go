package pluginhost

import (
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
)

// quietLogger is go-plugin's logger that, once quiet is set (a start
// that failed is being cleaned up: abort), logs its info lines,
// warnings and errors at debug. go-plugin's kill of a plugin that never came up adds "plugin
// failed to exit gracefully" and "plugin process exited error=context
// canceled" to each failed start, which say nothing of the cause: the
// host's own line says it (Run).
type quietLogger struct {
	hclog.Logger
	quiet *atomic.Bool
}

func (l quietLogger) level(level hclog.Level) hclog.Level {
	if l.quiet.Load() && level > hclog.Debug {
		return hclog.Debug
	}
	return level
}

func (l quietLogger) Log(level hclog.Level, msg string, args ...any) {
	l.Logger.Log(l.level(level), msg, args...)
}

func (l quietLogger) Info(msg string, args ...any)  { l.Log(hclog.Info, msg, args...) }
func (l quietLogger) Warn(msg string, args ...any)  { l.Log(hclog.Warn, msg, args...) }
func (l quietLogger) Error(msg string, args ...any) { l.Log(hclog.Error, msg, args...) }

func (l quietLogger) With(args ...any) hclog.Logger {
	return quietLogger{Logger: l.Logger.With(args...), quiet: l.quiet}
}

func (l quietLogger) Named(name string) hclog.Logger {
	return quietLogger{Logger: l.Logger.Named(name), quiet: l.quiet}
}

func (l quietLogger) ResetNamed(name string) hclog.Logger {
	return quietLogger{Logger: l.Logger.ResetNamed(name), quiet: l.quiet}
}
