package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"sync/atomic"
	"syscall"
	"time"
)

// loopbackURL parses raw and refuses any host that is not on this
// machine: the tool sends tens of thousands of connections and must never
// point them at someone else's server.
func loopbackURL(ctx context.Context, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("-url: %v", err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("-url: want http://host:port, got %q", raw)
	}
	host := u.Hostname()
	if host == "" || u.Port() == "" {
		return nil, fmt.Errorf("-url: want http://host:port with a port, got %q", raw)
	}
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("-url: %v", err)
		}
		ips = ips[:0]
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("-url: %s has no address", host)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("-url: refusing %s (%s): loadtest only targets servers on this machine's loopback", host, ip)
		}
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// sources dials from several loopback source addresses in turn. Each
// (source, destination) pair has its own ~28k ephemeral ports
// (net.ipv4.ip_local_port_range 32768-60999), so four sources are room
// for over 100k connections to one server port.
type sources struct {
	addrs []*net.TCPAddr
	next  atomic.Uint64
}

// newSources returns n source addresses 127.0.0.2, 127.0.0.3, ... when
// target is an IPv4 loopback address; otherwise the kernel's choice.
func newSources(target *url.URL, n int) *sources {
	s := &sources{}
	ip := net.ParseIP(target.Hostname())
	if ip == nil {
		if addrs, err := net.LookupIP(target.Hostname()); err == nil && len(addrs) > 0 {
			ip = addrs[0]
		}
	}
	if ip4 := ip.To4(); ip4 != nil && ip4[0] == 127 {
		for i := range n {
			s.addrs = append(s.addrs, &net.TCPAddr{IP: net.IPv4(127, 0, byte((i+2)>>8), byte((i+2)&0xff))})
		}
	}
	return s
}

// ipBindAddressNoPort is Linux's IP_BIND_ADDRESS_NO_PORT: bind the source
// address but pick the port at connect time, by the whole 4-tuple, so
// that the sources do not share one pool of ports.
const ipBindAddressNoPort = 24

// dialer returns a dial function for the next source address; rcvbuf,
// when positive, shrinks the socket's receive buffer (set before connect,
// so the window is small from the start).
func (s *sources) dialer(rcvbuf int) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if len(s.addrs) > 0 {
		d.LocalAddr = s.addrs[s.next.Add(1)%uint64(len(s.addrs))]
	}
	d.Control = func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if len(s.addrs) > 0 {
				serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
			}
			if serr == nil && rcvbuf > 0 {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
	return d.DialContext
}
