package resolver

// transport is how a query reached the server; a metrics label.
type transport uint8

const (
	transportUDP transport = iota
	transportTCP
	transportDoT // DNS over TLS, RFC 7858
	transportDoH // DNS over HTTPS, RFC 8484
	numTransports
)

var transportNames = [numTransports]string{"udp", "tcp", "dot", "doh"}

func (t transport) String() string { return transportNames[t] }
