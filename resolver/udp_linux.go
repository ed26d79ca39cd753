//go:build linux

package resolver

import (
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

const reusePortSupported = true

// reusePort is a net.ListenConfig.Control that sets SO_REUSEPORT.
func reusePort(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// spreadEvenly makes the kernel pick a socket of c's SO_REUSEPORT group of
// n sockets at random for each datagram (a classic BPF program: A = a
// random number; return A mod n). Without it the kernel hashes the
// client's address and port, and a few busy clients (a benchmark's 4
// sockets, a NATed network, a forwarding resolver) can land on the same
// socket and leave the other read loops idle.
func spreadEvenly(c *net.UDPConn, n int) error {
	const skfAdRandom = 0xFFFFF000 + 56 // SKF_AD_OFF + SKF_AD_RANDOM (linux/filter.h)
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: skfAdRandom},
		{Code: unix.BPF_ALU | unix.BPF_MOD | unix.BPF_K, K: uint32(n)},
		{Code: unix.BPF_RET | unix.BPF_A},
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptSockFprog(int(fd), unix.SOL_SOCKET, unix.SO_ATTACH_REUSEPORT_CBPF,
			&unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]})
	})
	if err != nil {
		return err
	}
	return serr
}

// udpBatch is how many datagrams one recvmmsg or sendmmsg moves at most.
const udpBatch = 32

// mmsg holds a read loop's batch: the datagrams of the last recvmmsg with
// their senders' addresses, and the answers queued for the next sendmmsg.
// Everything is allocated once per loop; nothing per datagram.
type mmsg struct {
	rc syscall.RawConn

	hdrs  [udpBatch]unix.Mmsghdr
	iovs  [udpBatch]unix.Iovec
	names [udpBatch]unix.RawSockaddrInet6 // large enough for IPv4 too
	bufs  [udpBatch][]byte                // udpReadLen each
	n     int                             // datagrams in the last read
	rerr  error

	out     [udpBatch]unix.Mmsghdr
	outIovs [udpBatch]unix.Iovec
	outBufs [udpBatch][]byte // packBufLen each: where answers are written
	outKeep [udpBatch][]byte // the queued answers (kept referenced until sent)
	queued  int
	sent    int
	werr    error

	recvFn, sendFn func(fd uintptr) bool
}

func newMmsg(rc syscall.RawConn) *mmsg {
	m := &mmsg{rc: rc}
	in := make([]byte, udpBatch*udpReadLen)
	out := make([]byte, udpBatch*packBufLen)
	for i := range udpBatch {
		m.bufs[i] = in[i*udpReadLen : (i+1)*udpReadLen : (i+1)*udpReadLen]
		m.outBufs[i] = out[i*packBufLen : (i+1)*packBufLen : (i+1)*packBufLen]
		m.iovs[i].Base = &m.bufs[i][0]
		m.iovs[i].SetLen(udpReadLen)
		m.hdrs[i].Hdr.Iov = &m.iovs[i]
		m.hdrs[i].Hdr.SetIovlen(1)
		m.hdrs[i].Hdr.Name = (*byte)(unsafe.Pointer(&m.names[i]))
		m.out[i].Hdr.Iov = &m.outIovs[i]
		m.out[i].Hdr.SetIovlen(1)
	}
	m.recvFn = m.recv
	m.sendFn = m.send
	return m
}

// read waits for datagrams and reads up to udpBatch of them.
func (m *mmsg) read() (int, error) {
	if err := m.rc.Read(m.recvFn); err != nil {
		return 0, err
	}
	return m.n, m.rerr
}

// recv and send are the RawConn callbacks. They use RawSyscall6: with
// MSG_DONTWAIT on a non-blocking socket the calls never block, and
// Syscall6 would tell the scheduler about every one of them, after which
// sysmon wakes every 20 µs to retake the P (8–10 % of the CPU under load,
// in context switches). EAGAIN returns false: the runtime's poller then
// waits for the socket and calls again.
func (m *mmsg) recv(fd uintptr) bool {
	for i := range m.hdrs {
		m.hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
		m.hdrs[i].Hdr.Flags = 0
	}
	for {
		r, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&m.hdrs[0])), udpBatch, unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			m.n, m.rerr = int(r), nil
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false // wait until readable
		default:
			m.n, m.rerr = 0, e
			return true
		}
	}
}

// datagram returns the i-th datagram of the last read and its sender.
func (m *mmsg) datagram(i int) ([]byte, netip.AddrPort) {
	pkt := m.bufs[i][:min(int(m.hdrs[i].Len), udpReadLen)]
	sa := &m.names[i]
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		p := (*[2]byte)(unsafe.Pointer(&sa4.Port))
		return pkt, netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), uint16(p[0])<<8|uint16(p[1]))
	case unix.AF_INET6:
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		a := netip.AddrFrom16(sa.Addr)
		if a.Is4In6() {
			a = a.Unmap()
		} else if sa.Scope_id != 0 {
			a = a.WithZone(zoneOf(sa.Scope_id))
		}
		return pkt, netip.AddrPortFrom(a, uint16(p[0])<<8|uint16(p[1]))
	}
	return pkt, netip.AddrPort{}
}

// outBuf is where the next queued answer should be written.
func (m *mmsg) outBuf() []byte { return m.outBufs[m.queued] }

// queue queues ans as the answer to the i-th datagram of the last read.
func (m *mmsg) queue(ans []byte, i int) {
	k := m.queued
	m.outKeep[k] = ans
	m.outIovs[k].Base = &ans[0]
	m.outIovs[k].SetLen(len(ans))
	m.out[k].Hdr.Name = (*byte)(unsafe.Pointer(&m.names[i]))
	m.out[k].Hdr.Namelen = m.hdrs[i].Hdr.Namelen
	m.queued++
}

// flush writes the queued answers.
func (m *mmsg) flush() error {
	if m.queued == 0 {
		return nil
	}
	m.sent, m.werr = 0, nil
	err := m.rc.Write(m.sendFn)
	clear(m.outKeep[:m.queued])
	m.queued = 0
	if err != nil {
		return err
	}
	return m.werr
}

func (m *mmsg) send(fd uintptr) bool {
	for m.sent < m.queued {
		r, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&m.out[m.sent])), uintptr(m.queued-m.sent), unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			m.sent += int(r)
		case unix.EINTR:
		case unix.EAGAIN:
			return false // wait until writable
		default:
			m.werr = e
			m.sent++ // this answer cannot be sent (e.g. the client's address): drop it
		}
	}
	return true
}

// serve is the batched read loop.
func (l *udpLoop) serve() {
	rc, err := l.c.SyscallConn()
	if err != nil || l.s.plainUDP {
		l.servePlain()
		return
	}
	s := l.s
	m := newMmsg(rc)
	flush := func() {
		if err := m.flush(); err != nil {
			s.log.Debug("udp write", "err", err)
		}
	}
	for {
		n, err := m.read()
		if err != nil {
			if l.readFailed(err) {
				return
			}
			continue
		}
		s.metrics.transport[transportUDP].Add(float64(n))
		for i := range n {
			pkt, from := m.datagram(i)
			if s.fast != nil {
				if ans, ok := s.fast.answerBuf(pkt, from.Addr(), false, m.outBuf(), &l.names, &l.miss); ok {
					if ans != nil {
						m.queue(ans, i)
					}
					continue
				}
			}
			if l.tryMiss(from) {
				continue
			}
			l.slow(pkt, from, flush)
		}
		flush()
	}
}

// limitReadBuffer sets the receive buffer (SO_RCVBUF) of a TCP listener:
// the connections it accepts inherit it, and their window is sized from it
// in the handshake, before the first query can arrive. (It lives here
// with the other Linux socket options.)
func limitReadBuffer(l net.Listener, n int) error {
	sc, ok := l.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n)
	})
	if err != nil {
		return err
	}
	return serr
}
