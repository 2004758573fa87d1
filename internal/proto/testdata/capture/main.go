//go:build capture

// Command capture records the client-port frames exchanged between Java's
// zkCli.sh and a Java ZooKeeper 3.8 server, for the golden tests of package
// proto. It starts a throwaway server on a free loopback port, puts a small
// TCP proxy in front of it, feeds each script of zkCli commands through the
// proxy and writes every frame, in both directions, to
// internal/proto/testdata/golden/<script>.txt.
//
// Run it from the module root (it needs /usr/share/java/zookeeper.jar):
//
//	go run -tags capture ./internal/proto/testdata/capture
//
// File format, one frame per line, '#' starts a comment line:
//
//	<conn> <C|S> <label> <hex of the frame body, without its length prefix>
//
// conn numbers the proxied TCP connections of a script from 0; C is client
// to server, S server to client; label is informational (the golden tests
// derive each frame's record type themselves).
//
// A client request "sync /dropme..." is not forwarded: the proxy closes both
// sides instead, so the Java client reconnects with its session and
// re-registers its watches (SetWatches or SetWatches2).
package main

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

type script struct {
	name     string
	about    string
	commands []string
}

func digestID(user, pass string) string {
	h := sha1.Sum([]byte(user + ":" + pass))
	return user + ":" + base64.StdEncoding.EncodeToString(h[:])
}

func scripts() []script {
	dig := digestID("user1", "pass1")
	return []script{
		{
			name:  "main",
			about: "one zkCli session: creates of every mode, reads, writes, ACLs, auth, watches, errors",
			commands: []string{
				"whoami",
				"create /golden",
				"create /golden/plain hello",
				"create -e /golden/eph ephemeral-data",
				"create -s /golden/seq- s",
				"create -s -e /golden/eseq- es",
				"create -c /golden/cont",
				"create -t 60000 /golden/ttl t",
				"create /golden/empty",
				"get -s /golden/plain",
				"get -w /golden/plain",
				"set /golden/plain world",
				"set -s /golden/plain again",
				"stat /golden/plain",
				"stat -w /golden/later",
				"create /golden/later x",
				"ls /golden",
				"ls -s -w /golden",
				"create /golden/child2 c",
				"getAcl /golden/plain",
				"setAcl /golden/plain world:anyone:cdrwa",
				"create /golden/ipnode",
				"setAcl /golden/ipnode ip:127.0.0.1:cdrwa",
				"addauth digest user1:pass1",
				"create /golden/digest secret",
				"setAcl /golden/digest digest:" + dig + ":cdrwa",
				"getAcl /golden/digest",
				"whoami",
				"addWatch -m PERSISTENT_RECURSIVE /golden",
				"create /golden/rec r",
				"removewatches /golden -a",
				"getEphemerals /golden",
				"getEphemerals",
				"getAllChildrenNumber /golden",
				"sync /golden",
				"config",
				"get /golden/missing",
				"create /golden/plain dup",
				"set -v 99 /golden/plain x",
				"delete /golden",
				"delete -v 99 /golden/empty",
				"delete /golden/empty",
				"create /golden/tree",
				"create /golden/tree/a",
				"create /golden/tree/b",
				"deleteall /golden/tree",
				"quit",
			},
		},
		{
			name:  "noauth",
			about: "a second session without the digest identity: NoAuth on read, write and ACL change",
			commands: []string{
				"get /golden/digest",
				"set /golden/digest x",
				"getAcl /golden/digest",
				"setAcl /golden/digest world:anyone:r",
				"addauth digest user1:wrong",
				"get /golden/digest",
				"quit",
			},
		},
		{
			name:  "reconnect",
			about: "watches, then a dropped connection: reconnect with session id and SetWatches, then persistent watch and SetWatches2",
			commands: []string{
				"create /rc x",
				"get -w /rc",
				"ls -w /rc",
				"stat -w /rc/none",
				"sync /dropme1",
				"ls /",
				"ls /",
				"set /rc y",
				"addWatch /rc",
				"sync /dropme2",
				"ls /",
				"ls /",
				"set /rc z",
				"quit",
			},
		},
	}
}

type frame struct {
	conn int
	dir  byte // 'C' or 'S'
	body []byte
}

// recorder collects the frames of one script.
type recorder struct {
	mu     sync.Mutex // guards frames and conns
	frames []frame
	conns  int
}

func (r *recorder) add(f frame) {
	r.mu.Lock()
	r.frames = append(r.frames, f)
	r.mu.Unlock()
}

func (r *recorder) nextConn() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.conns
	r.conns++
	return n
}

func (r *recorder) take() []frame {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.frames
	r.frames = nil
	r.conns = 0
	return f
}

func readFrame(rd io.Reader) ([]byte, error) {
	var lb [4]byte
	if _, err := io.ReadFull(rd, lb[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(lb[:]))
	if n < 0 || n > jute.DefaultMaxBuffer+1024 {
		return nil, fmt.Errorf("bad frame length %d", n)
	}
	b := make([]byte, n)
	_, err := io.ReadFull(rd, b)
	return b, err
}

func writeFrame(w io.Writer, b []byte) error {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(b)))
	_, err := w.Write(append(out, b...))
	return err
}

func isDrop(body []byte) bool {
	var h proto.RequestHeader
	d := jute.NewDecoder(body)
	h.Decode(d)
	if d.Err() != nil || h.Type != proto.OpSync {
		return false
	}
	var p proto.SyncRequest
	p.Decode(d)
	return d.Err() == nil && strings.HasPrefix(p.Path, "/dropme")
}

func proxy(ln net.Listener, target string, rec *recorder) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			s, err := net.Dial("tcp", target)
			if err != nil {
				log.Printf("dial server: %v", err)
				return
			}
			defer s.Close()
			id := rec.nextConn()
			done := make(chan struct{}, 2)
			go func() { // server → client
				defer func() { done <- struct{}{} }()
				for {
					b, err := readFrame(s)
					if err != nil {
						return
					}
					rec.add(frame{conn: id, dir: 'S', body: b})
					if writeFrame(c, b) != nil {
						return
					}
				}
			}()
			go func() { // client → server
				defer func() { done <- struct{}{} }()
				first := true
				for {
					b, err := readFrame(c)
					if err != nil {
						return
					}
					if !first && isDrop(b) {
						return
					}
					first = false
					rec.add(frame{conn: id, dir: 'C', body: b})
					if writeFrame(s, b) != nil {
						return
					}
				}
			}()
			<-done
			c.Close()
			s.Close()
			<-done
		}()
	}
}

// labels describes each frame for a reader of the golden file.
func labels(frames []frame) []string {
	type key struct{ conn int }
	started := map[key][2]bool{}
	pending := map[key][]proto.RequestHeader{}
	out := make([]string, len(frames))
	for i, f := range frames {
		k := key{f.conn}
		st := started[k]
		d := jute.NewDecoder(f.body)
		switch {
		case f.dir == 'C' && !st[0]:
			st[0] = true
			out[i] = "connect"
		case f.dir == 'S' && !st[1]:
			st[1] = true
			out[i] = "connected"
		case f.dir == 'C':
			var h proto.RequestHeader
			h.Decode(d)
			if h.Xid >= 0 || h.Xid == proto.XidSetWatches {
				pending[k] = append(pending[k], h)
			}
			out[i] = fmt.Sprintf("xid=%d,%s", h.Xid, h.Type)
		default:
			var h proto.ReplyHeader
			h.Decode(d)
			op := "?"
			switch h.Xid {
			case proto.XidNotification:
				op = "notification"
			case proto.XidPing:
				op = "ping"
			case proto.XidAuth:
				op = "auth"
			default:
				if q := pending[k]; len(q) > 0 {
					op = q[0].Type.String()
					pending[k] = q[1:]
				}
			}
			out[i] = fmt.Sprintf("xid=%d,%s,zxid=0x%x,err=%d", h.Xid, op, h.Zxid, int32(h.Err))
		}
		started[k] = st
	}
	return out
}

func run() error {
	outDir := flag.String("out", "internal/proto/testdata/golden", "output directory")
	flag.Parse()
	if err := javatest.Installed(); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "zkcapture")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	srv, err := javatest.StartStandalone(tmp, nil)
	if err != nil {
		return err
	}
	defer srv.Stop()
	addr := srv.Addr
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	rec := &recorder{}
	go proxy(ln, addr, rec)

	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	for _, sc := range scripts() {
		outText, _, err := javatest.CLICombined(context.Background(), ln.Addr().String(), strings.Join(sc.commands, "\n")+"\n", nil)
		if err != nil {
			log.Printf("zkCli %s: %v", sc.name, err)
		}
		if err := os.WriteFile(filepath.Join(tmp, sc.name+".cli.txt"), []byte(outText), 0o644); err != nil {
			return err
		}
		// zkCli has exited; give the proxy a moment to see both sides close.
		time.Sleep(500 * time.Millisecond)
		frames := rec.take()
		var b strings.Builder
		fmt.Fprintf(&b, "# %s: %s\n", sc.name, sc.about)
		fmt.Fprintf(&b, "# captured between Java zkCli.sh and Java ZooKeeper (%s) by testdata/capture\n", javatest.Jar)
		b.WriteString("# commands:\n")
		for _, c := range sc.commands {
			fmt.Fprintf(&b, "#   %s\n", c)
		}
		b.WriteString("# <conn> <C|S> <label> <hex body>\n")
		for i, l := range labels(frames) {
			f := frames[i]
			fmt.Fprintf(&b, "%d %c %s %s\n", f.conn, f.dir, l, hex.EncodeToString(f.body))
		}
		if err := os.WriteFile(filepath.Join(*outDir, sc.name+".txt"), []byte(b.String()), 0o644); err != nil {
			return err
		}
		if os.Getenv("CAPTURE_SHOW_CLI") != "" {
			sc := bufio.NewScanner(strings.NewReader(string(outText)))
			for sc.Scan() {
				fmt.Println(sc.Text())
			}
		}
		log.Printf("%s: %d frames", sc.name, len(frames))
	}
	if err := clientScript(ln.Addr().String()); err != nil {
		return fmt.Errorf("client script: %w", err)
	}
	time.Sleep(500 * time.Millisecond)
	frames := rec.take()
	var b strings.Builder
	b.WriteString("# client: zkit's internal/client driving what zkCli cannot send (multi with every op, failed multi,\n")
	b.WriteString("# multiRead, create2, getChildren, checkWatches, removeWatches, setWatches with xid -8, setWatches2, ping);\n")
	b.WriteString("# the server's replies are Java's. See clientScript in testdata/capture/main.go for the calls.\n")
	b.WriteString("# <conn> <C|S> <label> <hex body>\n")
	for i, l := range labels(frames) {
		f := frames[i]
		fmt.Fprintf(&b, "%d %c %s %s\n", f.conn, f.dir, l, hex.EncodeToString(f.body))
	}
	if err := os.WriteFile(filepath.Join(*outDir, "client.txt"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	log.Printf("client: %d frames", len(frames))
	return nil
}

// clientScript drives our own client through the proxy for the opcodes
// and shapes zkCli.sh cannot produce. Errors the server is expected to
// return are ignored; anything else stops the capture.
func clientScript(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	open := proto.OpenACLUnsafe
	must := func(err error) {
		if err != nil {
			log.Printf("client script: %v", err)
		}
	}
	_, _, err = c.Create2(ctx, "/cl", []byte("root"), proto.FlagPersistent, open)
	must(err)
	_, _, err = c.Create2(ctx, "/cl/s-", nil, proto.FlagPersistentSequential, open)
	must(err)
	_, err = c.Multi(ctx,
		client.CreateOp("/cl/a", []byte("a"), 0, open),
		client.Create2Op("/cl/b", nil, 0, open),
		proto.MultiOp{Type: proto.OpCreateContainer, Record: &proto.CreateRequest{Path: "/cl/c", ACL: open, Flags: proto.FlagContainer}},
		proto.MultiOp{Type: proto.OpCreateTTL, Record: &proto.CreateTTLRequest{Path: "/cl/t", ACL: open, Flags: proto.FlagPersistentWithTTL, TTL: 60000}},
		client.SetDataOp("/cl/a", []byte("a2"), 0),
		client.CheckOp("/cl/a", 1),
		client.DeleteOp("/cl/b", -1),
	)
	must(err)
	_, err = c.Multi(ctx, client.CreateOp("/cl/x", nil, 0, open), client.CheckOp("/cl/a", 7), client.DeleteOp("/cl/a", -1))
	var me *client.MultiError
	if !errors.As(err, &me) {
		return fmt.Errorf("failed multi: %v", err)
	}
	_, err = c.MultiRead(ctx, client.GetDataOp("/cl/a"), client.GetChildrenOp("/cl"), client.GetDataOp("/cl/none"))
	must(err)
	if err := c.CheckWatches(ctx, "/cl/a", proto.WatcherData); !errors.Is(err, proto.ErrNoWatcher) {
		return fmt.Errorf("checkWatches: %v", err)
	}
	_, _, err = c.GetData(ctx, "/cl/a", true)
	must(err)
	must(c.CheckWatches(ctx, "/cl/a", proto.WatcherData))
	must(c.RemoveWatches(ctx, "/cl/a", proto.WatcherData))
	_, err = c.GetChildren(ctx, "/cl", true)
	must(err)
	_, err = c.Create(ctx, "/cl/k", nil, proto.FlagEphemeral, open)
	must(err)
	_, err = c.DoXid(ctx, proto.XidSetWatches, proto.OpSetWatches, &proto.SetWatches{
		RelativeZxid: 1, DataWatches: []string{"/cl/a"}, ExistWatches: []string{"/cl/none"}, ChildWatches: []string{},
	}, nil)
	must(err)
	must(c.SetWatches2(ctx, proto.SetWatches2{
		RelativeZxid: c.LastZxid(), DataWatches: []string{}, ExistWatches: []string{}, ChildWatches: []string{"/cl"},
		PersistentWatches: []string{"/cl/a"}, PersistentRecursiveWatches: []string{"/cl"},
	}))
	_, err = c.GetAllChildrenNumber(ctx, "/cl")
	must(err)
	must(c.Ping(ctx))
	_, _, err = c.GetConfig(ctx, false)
	must(err)
	return c.Close()
}

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}
