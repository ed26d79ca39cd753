// Package rpz serves the compiled blocklist as a Response Policy Zone
// (draft-vixie-dnsop-dns-rpz), so that BIND and Unbound can follow it by
// zone transfer: Zone is an immutable snapshot of a lists.Matcher's
// decisions (SOA, NS and one CNAME policy record per name); Server answers
// SOA/NS at the apex, AXFR, IXFR from a journal of recent deltas, sends
// NOTIFY, and limits transfers by ACL and optional TSIG. Server.Update
// swaps in the next snapshot off the query path.
//
// It does not answer ordinary queries for names in the zone, keep its
// journal across restarts, or express what RPZ cannot (look-alikes, URL
// paths, wallet addresses). Following another primary's RPZ into
// scamblock's own lists is package rpz/follow.
package rpz
