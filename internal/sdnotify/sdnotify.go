// Package sdnotify tells systemd about the service's state (sd_notify(3)):
// one datagram to the unix socket named by $NOTIFY_SOCKET, as a
// Type=notify unit expects: READY=1 once the service is ready, STOPPING=1
// when it begins to stop, STATUS=... for `systemctl status`. Without
// $NOTIFY_SOCKET (not started by systemd) it does nothing.
//
// It is the whole protocol a service needs (no watchdog, no file
// descriptor store), in the form systemd documents and
// github.com/coreos/go-systemd's daemon.SdNotify implements: a path, or
// an abstract socket when it starts with "@".
package sdnotify

import (
	"fmt"
	"net"
	"strings"
)

// Env is the variable systemd sets for a Type=notify service.
const Env = "NOTIFY_SOCKET"

// Notifier sends state changes to the socket in Env.
type Notifier struct {
	socket string // "" when not started by systemd
}

// New reads the socket from lookup (os.LookupEnv).
func New(lookup func(string) (string, bool)) Notifier {
	s, _ := lookup(Env)
	return Notifier{socket: s}
}

// Enabled says whether systemd is listening.
func (n Notifier) Enabled() bool { return n.socket != "" }

// Ready says the service is ready: its lists are loaded and its listeners
// bound. status is shown by `systemctl status` ("" for none).
func (n Notifier) Ready(status string) error { return n.Send(withStatus("READY=1", status)) }

// Stopping says the service is stopping (draining queries).
func (n Notifier) Stopping() error { return n.Send("STOPPING=1") }

// Send sends state, newline-separated VAR=value assignments, in one
// datagram. Without a socket it does nothing and returns nil.
func (n Notifier) Send(state string) error {
	if n.socket == "" || state == "" {
		return nil
	}
	addr := &net.UnixAddr{Name: n.socket, Net: "unixgram"}
	if strings.HasPrefix(n.socket, "@") {
		addr.Name = "\x00" + n.socket[1:] // Linux abstract namespace
	}
	conn, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		return fmt.Errorf("sd_notify: %s=%s: %w", Env, n.socket, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %s=%s: %w", Env, n.socket, err)
	}
	return nil
}

func withStatus(state, status string) string {
	if status == "" {
		return state
	}
	// A status is one line: a newline would start another assignment.
	return state + "\nSTATUS=" + strings.ReplaceAll(status, "\n", " ")
}
