package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
)

// cliError is Java's CliException: a message zkCli prints on stderr and
// the exit code it leaves (1 unless said otherwise).
type cliError struct {
	msg  string
	code int
}

func (e *cliError) Error() string { return e.msg }

func cliErr(msg string) error { return &cliError{msg: msg, code: 1} }

// numberFormatError is the uncaught NumberFormatException Java's zkCli
// dies of when -v or redo is given a non-number.
type numberFormatError string

func (e numberFormatError) Error() string {
	return `Exception in thread "main" java.lang.NumberFormatException: For input string: "` + string(e) + `"`
}

// parseJavaInt is Integer.parseInt.
func parseJavaInt(s string) (int32, error) {
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, numberFormatError(s)
	}
	return int32(v), nil
}

// wrapErr turns an operation's error into what the command prints: a
// KeeperException through CliWrapperException's messages, a bad path as
// MalformedPathException.
func wrapErr(err error, path string) error {
	if err == nil {
		return nil
	}
	var pe pathError
	if errors.As(err, &pe) {
		return cliErr(pe.Error())
	}
	var ke *keeperError
	if errors.As(err, &ke) {
		return cliErr(wrapperMessage(ke))
	}
	return cliErr(wrapperMessage(toKeeper(err, path, true)))
}

// toKeeper turns a client error into a KeeperException for path.
func toKeeper(err error, path string, hasPath bool) *keeperError {
	var ke *keeperError
	if errors.As(err, &ke) {
		return ke
	}
	var code proto.Code
	switch {
	case errors.As(err, &code):
	case errors.Is(err, errSessionDead), errors.Is(err, client.ErrClosed):
		code = proto.ErrConnectionLoss
	default:
		code = proto.ErrSystemError
	}
	return &keeperError{code: code, path: path, hasPath: hasPath}
}

// command is one zkCli command: its name, the option string of its
// usage line and its implementation (parse and execute, as the Java
// command's parse and exec).
type command struct {
	name  string
	usage string
	run   func(sh *Shell, tokens []string) error
}

func (c command) usageStr() string { return c.name + " " + c.usage }

// commands is the zkCli command table, ZooKeeperMain's commandMap.
var commands = map[string]command{}

func init() {
	for _, c := range []command{
		{"connect", "host:port", nil},
		{"history", "", nil},
		{"redo", "cmdno", nil},
		{"printwatches", "on|off", nil},
		{"quit", "", nil},
		{"close", "", runClose},
		{"create", "[-s] [-e] [-c] [-t ttl] path [data] [acl]", runCreate},
		{"delete", "[-v version] path", runDelete},
		{"deleteall", "path [-b batch size]", runDeleteAll},
		{"set", "[-s] [-v version] path data", runSet},
		{"get", "[-s] [-w] path", runGet},
		{"ls", "[-s] [-w] [-R] path", runLs},
		{"getAcl", "[-s] path", runGetACL},
		{"setAcl", "[-s] [-v version] [-R] path acl", runSetACL},
		{"stat", "[-w] path", runStat},
		{"sync", "path", runSync},
		{"setquota", "-n|-b|-N|-B val path", runSetQuota},
		{"listquota", "path", runListQuota},
		{"delquota", "[-n|-b|-N|-B] path", runDelQuota},
		{"addauth", "scheme auth", runAddAuth},
		{"reconfig", "[-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | [-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]", runReconfig},
		{"config", "[-c] [-w] [-s]", runConfig},
		{"removewatches", "path [-c|-d|-a] [-l]", runRemoveWatches},
		{"getEphemerals", "path", runGetEphemerals},
		{"getAllChildrenNumber", "path", runGetAllChildrenNumber},
		{"version", "", runVersion},
		{"addWatch", "[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE", runAddWatch},
		{"whoami", "", runWhoAmI},
	} {
		commands[c.name] = c
	}
}

// usageText is ZooKeeperMain.usage: the commands sorted as Java sorts
// strings (by UTF-16 unit, so upper case first).
func usageText() string {
	var b strings.Builder
	b.WriteString("ZooKeeper -server host:port -client-configuration properties-file cmd args\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "\t%s %s\n", n, commands[n].usage)
	}
	return b.String()
}

// ctx is the context of one command's calls. zkCli has no per-command
// timeout; the session's own connection handling bounds a call.
func (sh *Shell) ctx() context.Context { return context.Background() }

// parse runs the option parser and checks the minimum argument count
// (the command name counts), as most Java commands' parse methods do.
func parse(c string, spec optSpec, tokens []string, min int) (*parsedArgs, error) {
	p, err := parseOpts(spec, tokens)
	if err != nil {
		return nil, cliErr(err.Error())
	}
	if len(p.args) < min {
		return nil, cliErr(commands[c].usageStr())
	}
	return p, nil
}

// retain is the "cmd path [watch]" compatibility of ls, get and stat: a
// third argument is rewritten into -w (at raw token index 2, as Java
// does) and the line parsed again.
func (sh *Shell) retain(spec optSpec, tokens []string, p *parsedArgs, old, now string) (*parsedArgs, error) {
	if len(p.args) <= 2 {
		return p, nil
	}
	tokens = append([]string(nil), tokens...)
	tokens[2] = "-w"
	sh.errf("'%s' has been deprecated. Please use '%s' instead.\n", old, now)
	q, err := parseOpts(spec, tokens)
	if err != nil {
		return nil, cliErr(err.Error())
	}
	return q, nil
}

func runLs(sh *Shell, tokens []string) error {
	spec := optSpec{'?': false, 's': false, 'w': false, 'R': false}
	p, err := parse("ls", spec, tokens, 0)
	if err != nil {
		return err
	}
	if p.has('?') {
		sh.outf("usage: ls [options] path\n -?   help\n -R   recurse\n -s   stat\n -w   watch\n")
	}
	if p, err = sh.retain(spec, tokens, p, "ls path [watch]", "ls [-w] path"); err != nil {
		return err
	}
	if len(p.args) < 2 {
		return cliErr(commands["ls"].usageStr())
	}
	path := p.args[1]
	watch := p.has('w')
	if p.has('R') {
		if err := validatePath(path); err != nil {
			return wrapErr(err, path)
		}
		if _, _, err := sh.getData(path, watch); err != nil {
			return wrapErr(err, path)
		}
		sh.outf("%s\n", path)
		return wrapErr(sh.visit(path, watch, func(child string) { sh.outf("%s\n", child) }), path)
	}
	children, stat, err := sh.getChildren(path, watch, p.has('s'))
	if err != nil {
		return wrapErr(err, path)
	}
	sort.Strings(children)
	sh.outf("%s\n", javaStringList(children))
	if p.has('s') {
		sh.printStat(stat)
	}
	return nil
}

// visit is ZKUtil.visitSubTreeDFS below path: each node's children are
// reported (sorted), then visited in turn; a node deleted meanwhile is
// skipped.
func (sh *Shell) visit(path string, watch bool, f func(string)) error {
	children, _, err := sh.getChildren(path, watch, false)
	if errors.Is(err, proto.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	sort.Strings(children)
	prefix := path + "/"
	if path == "/" {
		prefix = "/"
	}
	for _, c := range children {
		f(prefix + c)
	}
	for _, c := range children {
		if err := sh.visit(prefix+c, watch, f); err != nil {
			return err
		}
	}
	return nil
}

func runGet(sh *Shell, tokens []string) error {
	spec := optSpec{'s': false, 'w': false}
	p, err := parse("get", spec, tokens, 2)
	if err != nil {
		return err
	}
	if p, err = sh.retain(spec, tokens, p, "get path [watch]", "get [-s] [-w] path"); err != nil {
		return err
	}
	path := p.args[1]
	data, stat, err := sh.getData(path, p.has('w'))
	if err != nil {
		return wrapErr(err, path)
	}
	if data == nil {
		data = []byte("null")
	}
	sh.outf("%s\n", javaUTF8(data))
	if p.has('s') {
		sh.printStat(stat)
	}
	return nil
}

// javaUTF8 is new String(bytes, UTF_8): invalid sequences become U+FFFD.
func javaUTF8(b []byte) string { return strings.ToValidUTF8(string(b), "\uFFFD") }

func runSet(sh *Shell, tokens []string) error {
	p, err := parse("set", optSpec{'s': false, 'v': true}, tokens, 3)
	if err != nil {
		return err
	}
	path, data := p.args[1], []byte(p.args[2])
	version := int32(-1)
	if p.has('v') {
		if version, err = parseJavaInt(p.value('v')); err != nil {
			return err
		}
	}
	if err := validatePath(path); err != nil {
		return wrapErr(err, path)
	}
	var stat proto.Stat
	err = sh.sess.do(sh.ctx(), func(c *client.Conn) (err error) {
		stat, err = c.SetData(sh.ctx(), sh.sess.serverPath(path), data, version)
		return err
	})
	if err != nil {
		return wrapErr(err, path)
	}
	if p.has('s') {
		sh.printStat(stat)
	}
	return nil
}

func runCreate(sh *Shell, tokens []string) error {
	p, err := parse("create", optSpec{'e': false, 's': false, 'c': false, 't': true}, tokens, 2)
	if err != nil {
		return err
	}
	hasE, hasS, hasC, hasT := p.has('e'), p.has('s'), p.has('c'), p.has('t')
	if hasC && (hasE || hasS) {
		return cliErr("-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.")
	}
	var ttl int64
	if hasT {
		if ttl, err = strconv.ParseInt(p.value('t'), 10, 64); err != nil {
			return cliErr("-t argument must be a long value")
		}
	}
	if hasT && hasE {
		return cliErr("TTLs cannot be used with Ephemeral znodes")
	}
	if hasT && hasC {
		return cliErr("TTLs cannot be used with Container znodes")
	}
	var flags int32
	switch {
	case hasE && hasS:
		flags = proto.FlagEphemeralSequential
	case hasE:
		flags = proto.FlagEphemeral
	case hasS && hasT:
		flags = proto.FlagPersistentSequentialWithTTL
	case hasS:
		flags = proto.FlagPersistentSequential
	case hasC:
		flags = proto.FlagContainer
	case hasT:
		flags = proto.FlagPersistentWithTTL
	default:
		flags = proto.FlagPersistent
	}
	if hasT && (ttl <= 0 || ttl > proto.MaxTTL) {
		return cliErr(fmt.Sprintf("ttl must be positive and cannot be larger than: %d", proto.MaxTTL))
	}
	path := p.args[1]
	var data []byte // no data argument: a null buffer, which get prints as "null"
	if len(p.args) > 2 {
		data = []byte(p.args[2])
	}
	acl := proto.OpenACLUnsafe
	if len(p.args) > 3 {
		acl = parseACL(p.args[3], sh.errWriter())
	}
	sequential := flags == proto.FlagEphemeralSequential || flags == proto.FlagPersistentSequential ||
		flags == proto.FlagPersistentSequentialWithTTL
	check := path
	if sequential {
		check += "1"
	}
	if err := validatePath(check); err != nil {
		return wrapErr(err, path)
	}
	if len(acl) == 0 {
		// ZooKeeper.validateACL throws before sending, with no path.
		ke := &keeperError{code: proto.ErrInvalidACL}
		sh.errf("%s\n", ke.Error())
		return cliErr(wrapperMessage(ke))
	}
	var created string
	err = sh.sess.do(sh.ctx(), func(c *client.Conn) (err error) {
		sp := sh.sess.serverPath(path)
		switch {
		case hasT:
			created, _, err = c.CreateTTL(sh.ctx(), sp, data, flags, acl, time.Duration(ttl)*time.Millisecond)
		case hasC:
			created, _, err = c.CreateContainer(sh.ctx(), sp, data, acl)
		default:
			created, err = c.Create(sh.ctx(), sp, data, flags, acl)
		}
		return err
	})
	if err != nil {
		ke := toKeeper(err, path, true)
		switch ke.code {
		case proto.ErrEphemeralOnLocalSession:
			sh.errf("Unable to create ephemeral node on a local session\n")
		case proto.ErrInvalidACL:
			sh.errf("%s\n", ke.Error())
		}
		return cliErr(wrapperMessage(ke))
	}
	sh.errf("Created %s\n", sh.sess.clientPath(created))
	return nil
}

func runDelete(sh *Shell, tokens []string) error {
	spec := optSpec{'v': true}
	p, err := parse("delete", spec, tokens, 2)
	if err != nil {
		return err
	}
	if len(p.args) > 2 {
		sh.errf("'delete path [version]' has been deprecated. Please use 'delete [-v version] path' instead.\n")
	}
	path := p.args[1]
	version := int32(-1)
	if p.has('v') {
		if version, err = parseJavaInt(p.value('v')); err != nil {
			return err
		}
	}
	if err := validatePath(path); err != nil {
		return wrapErr(err, path)
	}
	err = sh.sess.do(sh.ctx(), func(c *client.Conn) error {
		sp := sh.sess.serverPath(path)
		if path == "/" {
			sp = "/" // the root is never deletable, chroot or not
		}
		return c.Delete(sh.ctx(), sp, version)
	})
	return wrapErr(err, path)
}

func runDeleteAll(sh *Shell, tokens []string) error {
	p, err := parse("deleteall", optSpec{'b': true}, tokens, 2)
	if err != nil {
		return err
	}
	batch := 1000
	if p.has('b') {
		v, err := strconv.ParseInt(p.value('b'), 10, 32)
		if err != nil {
			return cliErr("-b argument must be an int value")
		}
		batch = int(v)
	}
	path := p.args[1]
	if err := validatePath(path); err != nil {
		return wrapErr(err, path)
	}
	// ZKUtil.listSubTreeBFS, then deletes from the leaves up in multis of
	// batch deletes; the first failed multi stops the rest.
	tree := []string{path}
	for i := 0; i < len(tree); i++ {
		node := tree[i]
		children, _, err := sh.getChildren(node, false, false)
		if err != nil {
			return wrapErr(err, node)
		}
		prefix := node + "/"
		if node == "/" {
			prefix = "/"
		}
		for _, c := range children {
			tree = append(tree, prefix+c)
		}
	}
	ok := true
	var ops []proto.MultiOp
	for i := len(tree) - 1; i >= 0; i-- {
		ops = append(ops, client.DeleteOp(sh.sess.serverPath(tree[i]), -1))
		if len(ops) == batch || i == 0 {
			err := sh.sess.do(sh.ctx(), func(c *client.Conn) error {
				_, err := c.Multi(sh.ctx(), ops...)
				return err
			})
			ops = nil
			if err != nil {
				ok = false
				break
			}
		}
	}
	if !ok {
		sh.errf("Failed to delete some node(s) in the subtree!\n")
	}
	return nil
}

func runStat(sh *Shell, tokens []string) error {
	spec := optSpec{'w': false}
	p, err := parse("stat", spec, tokens, 2)
	if err != nil {
		return err
	}
	if p, err = sh.retain(spec, tokens, p, "stat path [watch]", "stat [-w] path"); err != nil {
		return err
	}
	path := p.args[1]
	watch := p.has('w')
	if err := validatePath(path); err != nil {
		return wrapErr(err, path)
	}
	var stat proto.Stat
	err = sh.sess.do(sh.ctx(), func(c *client.Conn) (err error) {
		stat, err = c.Exists(sh.ctx(), sh.sess.serverPath(path), watch)
		return err
	})
	if watch {
		switch {
		case err == nil:
			sh.sess.trackWatch("data", path)
		case errors.Is(err, proto.ErrNoNode):
			sh.sess.trackWatch("exist", path)
		}
	}
	if err != nil {
		return wrapErr(err, path)
	}
	sh.printStat(stat)
	return nil
}

func runGetACL(sh *Shell, tokens []string) error {
	p, err := parse("getAcl", optSpec{'s': false}, tokens, 2)
	if err != nil {
		return err
	}
	path := p.args[1]
	if err := validatePath(path); err != nil {
		return wrapErr(err, path)
	}
	var (
		acl  []proto.ACL
		stat proto.Stat
	)
	err = sh.sess.do(sh.ctx(), func(c *client.Conn) (err error) {
		acl, stat, err = c.GetACL(sh.ctx(), sh.sess.serverPath(path))
		return err
	})
	if err != nil {
		return wrapErr(err, path)
	}
	for _, a := range acl {
		sh.outf("%s: %s\n", juteIDString(a.ID), permString(a.Perms))
	}
	if p.has('s') {
		sh.printStat(stat)
	}
	return nil
}

func runSetACL(sh *Shell, tokens []string) error {
	p, err := parse("setAcl", optSpec{'s': false, 'v': true, 'R': false}, tokens, 3)
	if err != nil {
		return err
	}
	path := p.args[1]
	acl := parseACL(p.args[2], sh.errWriter())
	version := int32(-1)
	if p.has('v') {
		if version, err = parseJavaInt(p.value('v')); err != nil {
			return err
		}
	}
	if err := validatePath(path); err != nil {
		return wrapErr(err, path)
	}
	setACL := func(path string) (proto.Stat, error) {
		var stat proto.Stat
		err := sh.sess.do(sh.ctx(), func(c *client.Conn) (err error) {
			stat, err = c.SetACL(sh.ctx(), sh.sess.serverPath(path), acl, version)
			return err
		})
		return stat, err
	}
	if p.has('R') {
		// Java prints a failing node's KeeperException message with no
		// newline and goes on.
		each := func(node string) {
			if _, err := setACL(node); err != nil {
				sh.outf("%s", toKeeper(err, node, true).Error())
			}
		}
		if _, _, err := sh.getData(path, false); err != nil {
			return wrapErr(err, path)
		}
		each(path)
		return wrapErr(sh.visit(path, false, each), path)
	}
	stat, err := setACL(path)
	if err != nil {
		return wrapErr(err, path)
	}
	if p.has('s') {
		sh.printStat(stat)
	}
	return nil
}

func runSync(sh *Shell, tokens []string) error {
	p, err := parse("sync", optSpec{}, tokens, 2)
	if err != nil {
		return err
	}
	path := p.args[1]
	if err := validatePath(path); err != nil {
		return wrapErr(err, path)
	}
	err = sh.sess.do(sh.ctx(), func(c *client.Conn) error {
		_, err := c.Sync(sh.ctx(), sh.sess.serverPath(path))
		return err
	})
	if err == nil {
		sh.outf("Sync is OK\n")
		return nil
	}
	var code proto.Code
	if errors.As(err, &code) {
		sh.outf("Sync has failed. rc=%d\n", int32(code))
		return nil
	}
	sh.outf("Sync has failed. rc=%d\n", int32(proto.ErrConnectionLoss))
	return nil
}

func runAddAuth(sh *Shell, tokens []string) error {
	p, err := parse("addauth", optSpec{}, tokens, 2)
	if err != nil {
		return err
	}
	var auth []byte
	if len(p.args) >= 3 {
		auth = []byte(p.args[2])
	}
	sh.sess.addAuth(sh.ctx(), p.args[1], auth)
	return nil
}

func runConfig(sh *Shell, tokens []string) error {
	p, err := parse("config", optSpec{'s': false, 'w': false, 'c': false}, tokens, 1)
	if err != nil {
		return err
	}
	watch := p.has('w')
	var (
		data []byte
		stat proto.Stat
	)
	// getConfig reads the config node directly, never through the chroot.
	err = sh.sess.do(sh.ctx(), func(c *client.Conn) (err error) {
		data, stat, err = c.GetConfig(sh.ctx(), watch)
		return err
	})
	if err != nil {
		return cliErr(wrapperMessage(toKeeper(err, client.ConfigPath, true)))
	}
	if watch {
		sh.sess.trackWatch("data", client.ConfigPath)
	}
	if data == nil {
		data = []byte("null")
	}
	if p.has('c') {
		sh.outf("%s\n", clientConfigString(javaUTF8(data)))
	} else {
		sh.outf("%s\n", javaUTF8(data))
	}
	if p.has('s') {
		sh.printStat(stat)
	}
	return nil
}

func runRemoveWatches(sh *Shell, tokens []string) error {
	p, err := parse("removewatches", optSpec{'c': false, 'd': false, 'a': false, 'l': false}, tokens, 2)
	if err != nil {
		return err
	}
	path := p.args[1]
	typ := proto.WatcherAny
	switch {
	case p.has('c'):
		typ = proto.WatcherChildren
	case p.has('d'):
		typ = proto.WatcherData
	}
	if err := validatePath(path); err != nil {
		return wrapErr(err, path)
	}
	removed, err := sh.sess.removeWatches(sh.ctx(), path, typ, p.has('l'))
	if err != nil {
		return cliErr(wrapperMessage(toKeeper(err, path, true)))
	}
	for _, t := range removed {
		sh.event(Event{Type: t, State: proto.StateSyncConnected, Path: path})
	}
	return nil
}

func runGetEphemerals(sh *Shell, tokens []string) error {
	p, err := parse("getEphemerals", optSpec{}, tokens, 0)
	if err != nil {
		return err
	}
	prefix := "/"
	if len(p.args) >= 2 {
		prefix = p.args[1]
	}
	if err := validatePath(prefix); err != nil {
		return wrapErr(err, prefix)
	}
	// Java sends the prefix without the chroot and prints the server's
	// paths as they come; so do we.
	var paths []string
	err = sh.sess.do(sh.ctx(), func(c *client.Conn) (err error) {
		paths, err = c.GetEphemerals(sh.ctx(), prefix)
		return err
	})
	if err != nil {
		return cliErr(wrapperMessage(toKeeper(err, "", false)))
	}
	sh.outf("%s\n", javaStringList(paths))
	return nil
}

func runGetAllChildrenNumber(sh *Shell, tokens []string) error {
	p, err := parse("getAllChildrenNumber", optSpec{}, tokens, 0)
	if err != nil {
		return err
	}
	if len(p.args) < 2 {
		return cliErr(commands["getAllChildrenNumber"].usageStr())
	}
	path := p.args[1]
	if err := validatePath(path); err != nil {
		return wrapErr(err, path)
	}
	var n int32
	err = sh.sess.do(sh.ctx(), func(c *client.Conn) (err error) {
		n, err = c.GetAllChildrenNumber(sh.ctx(), sh.sess.serverPath(path))
		return err
	})
	if err != nil {
		return wrapErr(err, path)
	}
	sh.outf("%d\n", n)
	return nil
}

func runAddWatch(sh *Shell, tokens []string) error {
	p, err := parseOpts(optSpec{'m': true}, tokens)
	if err != nil {
		return cliErr(err.Error())
	}
	if len(p.args) != 2 {
		return cliErr(commands["addWatch"].usageStr())
	}
	mode, kind := proto.AddWatchPersistentRecursive, "recursive"
	if p.has('m') {
		switch strings.ToUpper(p.value('m')) {
		case "PERSISTENT":
			mode, kind = proto.AddWatchPersistent, "persistent"
		case "PERSISTENT_RECURSIVE":
		default:
			return cliErr(commands["addWatch"].usageStr())
		}
	}
	path := p.args[1]
	if err := validatePath(path); err != nil {
		return wrapErr(err, path)
	}
	err = sh.sess.do(sh.ctx(), func(c *client.Conn) error {
		return c.AddWatch(sh.ctx(), sh.sess.serverPath(path), mode)
	})
	if err != nil {
		return wrapErr(err, path)
	}
	sh.sess.trackWatch(kind, path)
	return nil
}

func runWhoAmI(sh *Shell, _ []string) error {
	var infos []proto.ClientInfo
	err := sh.sess.do(sh.ctx(), func(c *client.Conn) (err error) {
		infos, err = c.WhoAmI(sh.ctx())
		return err
	})
	if err != nil {
		return cliErr(toKeeper(err, "", false).Error())
	}
	sh.outf("Auth scheme: User\n")
	for _, ci := range infos {
		sh.outf("%s: %s\n", ci.AuthScheme, ci.User)
	}
	return nil
}

func runClose(sh *Shell, _ []string) error {
	sh.sess.close(true)
	return nil
}

func runVersion(sh *Shell, tokens []string) error {
	if len(tokens) > 1 {
		return cliErr(commands["version"].usageStr())
	}
	sh.outf("ZooKeeper CLI version: zkit\n")
	return nil
}

// getData reads a node through the chroot, recording a data watch.
func (sh *Shell) getData(path string, watch bool) ([]byte, proto.Stat, error) {
	if err := validatePath(path); err != nil {
		return nil, proto.Stat{}, err
	}
	var (
		data []byte
		stat proto.Stat
	)
	err := sh.sess.do(sh.ctx(), func(c *client.Conn) (err error) {
		data, stat, err = c.GetData(sh.ctx(), sh.sess.serverPath(path), watch)
		return err
	})
	if err == nil && watch {
		sh.sess.trackWatch("data", path)
	}
	return data, stat, err
}

// getChildren lists a node through the chroot (getChildren2 when the
// Stat is wanted, as Java does), recording a child watch.
func (sh *Shell) getChildren(path string, watch, withStat bool) ([]string, proto.Stat, error) {
	if err := validatePath(path); err != nil {
		return nil, proto.Stat{}, err
	}
	var (
		children []string
		stat     proto.Stat
	)
	err := sh.sess.do(sh.ctx(), func(c *client.Conn) (err error) {
		if withStat {
			children, stat, err = c.GetChildren2(sh.ctx(), sh.sess.serverPath(path), watch)
		} else {
			children, err = c.GetChildren(sh.ctx(), sh.sess.serverPath(path), watch)
		}
		return err
	})
	if err == nil && watch {
		sh.sess.trackWatch("child", path)
	}
	return children, stat, err
}
