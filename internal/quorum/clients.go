package quorum

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/zkit-go/zkit/internal/engine"
)

// acceptClients hands client connections to the engine serving now; with
// none, a four-letter word gets ZooKeeper's "not serving" text and any
// other connection is closed, so the client tries another member.
func (p *Peer) acceptClients(ln net.Listener) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if p.stopped() || errors.Is(err, net.ErrClosed) {
				return
			}
			p.log.Warn("client accept failed", "err", err)
			select {
			case <-time.After(50 * time.Millisecond):
			case <-p.stop:
				return
			}
			continue
		}
		if eng := p.Engine(); eng != nil {
			eng.ServeConn(nc)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			notServing(nc)
		}()
	}
}

func notServing(nc net.Conn) {
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(2 * time.Second))
	var head [4]byte
	if _, err := io.ReadFull(nc, head[:]); err != nil {
		return
	}
	if engine.IsFourLetterWord(string(head[:])) {
		io.WriteString(nc, "This ZooKeeper instance is not currently serving requests\n")
	}
}
