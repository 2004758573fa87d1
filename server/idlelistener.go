package server

import (
	"net"
	"sync"
)

// idleListener stands in for the client listener when no client port is
// configured: Accept blocks until Close, so the engine's and the peer's
// accept loops need no special case.
type idleListener struct {
	once   sync.Once
	closed chan struct{}
}

func newIdleListener() *idleListener { return &idleListener{closed: make(chan struct{})} }

func (l *idleListener) Accept() (net.Conn, error) {
	<-l.closed
	return nil, net.ErrClosed
}

func (l *idleListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// Addr is a placeholder; Server.Addr reports nil for this listener.
func (l *idleListener) Addr() net.Addr { return &net.TCPAddr{} }

func listenerAddr(ln net.Listener) net.Addr {
	if _, idle := ln.(*idleListener); idle {
		return nil
	}
	return ln.Addr()
}

func addrString(a net.Addr) string {
	if a == nil {
		return "none"
	}
	return a.String()
}
