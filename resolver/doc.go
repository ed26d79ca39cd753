// Package resolver is scamblock's DNS server: UDP and TCP listeners, an
// explicit handler chain (ACL → local zones → blocklist → cache → upstreams),
// block answers with a SOA and EDE 15, an RFC 2308/8767 cache, and
// forwarding to UDP, TCP and DNS-over-TLS upstreams with failover.
//
// On Linux each listen address gets one SO_REUSEPORT UDP socket per core,
// read and written in batches (recvmmsg/sendmmsg) by a loop of its own.
//
// It knows nothing about feed formats: it asks a Blocklist (lists.Live) per
// query and LocalZones (the wallet HashBL zone) before that. See README.md
// for the chain, the fast path and the measured numbers.
package resolver
