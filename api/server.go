package api

import (
	"log/slog"
	"net/http"
	"time"
)

// Server timeouts: long enough for a 1,000-indicator submission or a full
// export on a slow link, short enough that idle or stalled clients cannot
// hold connections (slowloris).
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
	MaxHeaderBytes    = 64 << 10
)

// NewServer returns an http.Server for handler on addr with the timeouts
// above. Request bodies are limited by the API handler itself
// (Options.MaxBodyBytes). The caller runs ListenAndServe (or Serve) and
// Shutdown.
func NewServer(addr string, handler http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           handler,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelDebug),
	}
}
