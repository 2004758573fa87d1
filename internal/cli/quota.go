package cli

import (
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
)

// Quotas, as zkCli's setquota, listquota and delquota do them: on the
// client, through ordinary creates, reads and writes of the nodes under
// /zookeeper/quota (Quotas.java). The server keeps the zookeeper_stats
// node's usage current and, with enforceQuota, refuses writes past a
// hard limit.

const (
	quotaRoot      = "/zookeeper/quota"
	quotaLimitNode = "zookeeper_limits"
	quotaStatNode  = "zookeeper_stats"
)

func quotaLimitPath(p string) string { return quotaRoot + p + "/" + quotaLimitNode }
func quotaStatPath(p string) string  { return quotaRoot + p + "/" + quotaStatNode }

// statsTrack is StatsTrack: named counts, printed "count=N,bytes=M" first
// and any other keys after an extra "=" (which old parsers ignore), sorted.
type statsTrack map[string]int64

func parseStatsTrack(b []byte) statsTrack {
	st := statsTrack{}
	for _, kv := range strings.FieldsFunc(string(b), func(r rune) bool { return r == ',' || r == ';' }) {
		parts := strings.Split(kv, "=")
		for len(parts) > 1 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1] // String.split drops trailing empties
		}
		if len(parts) < 2 {
			continue // Java throws here; keep what parses
		}
		if v, err := strconv.ParseInt(parts[1], 10, 64); err == nil {
			st[parts[0]] = v
		}
	}
	return st
}

func (st statsTrack) get(k string) int64 {
	if v, ok := st[k]; ok {
		return v
	}
	return -1
}

func (st statsTrack) String() string {
	var b strings.Builder
	b.WriteString("count=" + strconv.FormatInt(st.get("count"), 10))
	b.WriteString(",bytes=" + strconv.FormatInt(st.get("bytes"), 10))
	var extra []string
	for k := range st {
		if k != "count" && k != "bytes" {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		b.WriteString("=")
		for _, k := range extra {
			b.WriteString(";" + k + "=" + strconv.FormatInt(st[k], 10))
		}
	}
	return b.String()
}

// quotaOptions are the option group of setquota and delquota, in the order
// commons-cli lists them.
var quotaOptions = []struct {
	c    byte
	key  string
	desc string
}{
	{'n', "count", "num soft quota"},
	{'b', "bytes", "bytes soft quota"},
	{'N', "countHardLimit", "num hard quota"},
	{'B', "byteHardLimit", "bytes hard quota"},
}

// checkQuotaGroup applies commons-cli's OptionGroup rules: one option of
// the group at most (AlreadySelectedException), and one at least when the
// group is required (MissingOptionException).
func checkQuotaGroup(p *parsedArgs, required bool) error {
	var selected byte
	for _, c := range p.order {
		if selected != 0 && c != selected {
			return cliErr("org.apache.commons.cli.AlreadySelectedException: The option '" + string(c) +
				"' was specified but an option from this group has already been selected: '" + string(selected) + "'")
		}
		selected = c
	}
	if required && selected == 0 {
		var names []string
		for _, o := range quotaOptions {
			names = append(names, "-"+string(o.c)+" "+o.desc)
		}
		return cliErr("org.apache.commons.cli.MissingOptionException: Missing required option: [" + strings.Join(names, ", ") + "]")
	}
	return nil
}

// javaSplit is String.split("/"): trailing empty strings are dropped.
func javaSplit(s string) []string {
	parts := strings.Split(s, "/")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// quotaArgError is the IllegalArgumentException createQuota throws, which
// zkCli prints as a MalformedPathException.
type quotaArgError string

func (e quotaArgError) Error() string { return string(e) }

func runSetQuota(sh *Shell, tokens []string) error {
	p, err := parseOpts(optSpec{'n': true, 'b': true, 'N': true, 'B': true}, tokens)
	if err != nil {
		return cliErr(err.Error())
	}
	if err := checkQuotaGroup(p, true); err != nil {
		return err
	}
	if len(p.args) < 2 {
		return cliErr(commands["setquota"].usageStr())
	}
	path := p.args[1]
	if strings.HasPrefix(path, quotaRoot) {
		sh.errf("cannot set a quota under the path: %s\n", quotaRoot)
		return nil
	}
	quota := statsTrack{"count": -1, "bytes": -1, "countHardLimit": -1, "byteHardLimit": -1}
	for _, o := range quotaOptions {
		if !p.has(o.c) {
			continue
		}
		v := p.value(o.c)
		count := o.c == 'n' || o.c == 'N'
		bits := 64
		if count {
			bits = 32 // Integer.parseInt
		}
		n, err := strconv.ParseInt(v, 10, bits)
		if err != nil {
			sh.errf("NumberFormatException happens when parsing the option value\n")
			return nil
		}
		if count && n <= 0 {
			sh.errf("the num quota must be greater than zero\n")
			return nil
		}
		if !count && n < 0 {
			sh.errf("the bytes quota must be greater than or equal to zero\n")
			return nil
		}
		quota[o.key] = n
	}
	err = sh.createQuota(path, quota)
	var qe quotaArgError
	if errors.As(err, &qe) {
		return cliErr(qe.Error())
	}
	return wrapErr(err, path)
}

// createQuota is SetQuotaCommand.createQuota.
func (sh *Shell) createQuota(path string, quota statsTrack) error {
	exists := func(p string) (bool, error) {
		if err := validatePath(p); err != nil {
			return false, err
		}
		var found bool
		err := sh.sess.do(sh.ctx(), func(c *client.Conn) error {
			_, err := c.Exists(sh.ctx(), sh.sess.serverPath(p), false)
			found = err == nil
			if errors.Is(err, proto.ErrNoNode) {
				err = nil
			}
			return err
		})
		return found, err
	}
	create := func(p string, data []byte, ignoreExists bool) error {
		err := sh.sess.do(sh.ctx(), func(c *client.Conn) error {
			_, err := c.Create(sh.ctx(), sh.sess.serverPath(p), data, proto.FlagPersistent, proto.OpenACLUnsafe)
			return err
		})
		if ignoreExists && errors.Is(err, proto.ErrNodeExists) {
			return nil
		}
		if err != nil {
			return toKeeper(err, p, true)
		}
		return nil
	}
	ok, err := exists(path)
	if err != nil {
		return err
	}
	if !ok {
		return quotaArgError(path + " does not exist.")
	}
	if err := sh.checkChildQuota(path); err != nil {
		return err
	}
	if err := sh.checkParentQuota(path); err != nil {
		return err
	}
	if ok, err := exists(quotaRoot); err != nil {
		return err
	} else if !ok {
		// Java ignores NodeExists only for the pair together.
		if err := create("/zookeeper", nil, false); err == nil {
			if err := create(quotaRoot, nil, false); err != nil && !isCode(err, proto.ErrNodeExists) {
				return err
			}
		} else if !isCode(err, proto.ErrNodeExists) {
			return err
		}
	}
	quotaPath := quotaRoot
	for _, s := range javaSplit(path)[min(1, len(javaSplit(path))):] {
		quotaPath += "/" + s
		ok, err := exists(quotaPath)
		if err != nil {
			return err
		}
		if !ok {
			if err := create(quotaPath, nil, true); err != nil {
				return err
			}
		}
	}
	statPath := quotaPath + "/" + quotaStatNode
	limitPath := quotaPath + "/" + quotaLimitNode
	ok, err = exists(limitPath)
	if err != nil {
		return err
	}
	if !ok {
		if err := create(limitPath, []byte(quota.String()), false); err != nil {
			return err
		}
		if err := create(statPath, []byte(statsTrack{"count": 0, "bytes": 0}.String()), false); err != nil {
			return err
		}
		limits, err := sh.quotaData(limitPath)
		if err != nil {
			return err
		}
		stats, err := sh.quotaData(statPath)
		if err != nil {
			return err
		}
		sh.warnQuota(limits, stats)
		return nil
	}
	limits, err := sh.quotaData(limitPath)
	if err != nil {
		return err
	}
	for _, o := range quotaOptions {
		if v := quota.get(o.key); v > -1 {
			limits[o.key] = v
		}
	}
	stats, err := sh.quotaData(statPath)
	if err != nil {
		return err
	}
	sh.warnQuota(limits, stats)
	return sh.sess.do(sh.ctx(), func(c *client.Conn) error {
		_, err := c.SetData(sh.ctx(), sh.sess.serverPath(limitPath), []byte(limits.String()), -1)
		if err != nil {
			return toKeeper(err, limitPath, true)
		}
		return nil
	})
}

func isCode(err error, code proto.Code) bool {
	var ke *keeperError
	if errors.As(err, &ke) {
		return ke.code == code
	}
	return errors.Is(err, code)
}

// quotaData reads a quota node's StatsTrack.
func (sh *Shell) quotaData(p string) (statsTrack, error) {
	var data []byte
	err := sh.sess.do(sh.ctx(), func(c *client.Conn) (err error) {
		data, _, err = c.GetData(sh.ctx(), sh.sess.serverPath(p), false)
		return err
	})
	if err != nil {
		return nil, toKeeper(err, p, true)
	}
	return parseStatsTrack(data), nil
}

// warnQuota is SetQuotaCommand.checkQuota: a warning on standard output
// (System.out, not the command's error stream) for a limit below the
// current usage.
func (sh *Shell) warnQuota(limits, stats statsTrack) {
	if c, h := limits.get("count"), limits.get("countHardLimit"); (c > -1 && c < stats.get("count")) || (h > -1 && h < stats.get("count")) {
		sh.outf("[Warning]: the count quota you create is less than the existing count:%d\n", stats.get("count"))
	}
	if b, h := limits.get("bytes"), limits.get("byteHardLimit"); (b > -1 && b < stats.get("bytes")) || (h > -1 && h < stats.get("bytes")) {
		sh.outf("[Warning]: the bytes quota you create is less than the existing bytes:%d\n", stats.get("bytes"))
	}
}

func (sh *Shell) quotaChildren(p string) ([]string, error) {
	var children []string
	err := sh.sess.do(sh.ctx(), func(c *client.Conn) (err error) {
		children, err = c.GetChildren(sh.ctx(), sh.sess.serverPath(p), false)
		return err
	})
	return children, err
}

// checkChildQuota refuses a quota on a path below which another quota
// already sits (ZKUtil.visitSubTreeDFS over the quota subtree).
func (sh *Shell) checkChildQuota(path string) error {
	real := quotaRoot + path
	if err := validatePath(real); err != nil {
		return err
	}
	err := sh.sess.do(sh.ctx(), func(c *client.Conn) error {
		_, _, err := c.GetData(sh.ctx(), sh.sess.serverPath(real), false)
		return err
	})
	if errors.Is(err, proto.ErrNoNode) {
		return nil
	}
	if err != nil {
		return toKeeper(err, real, true)
	}
	check := func(p string) error {
		children, err := sh.quotaChildren(p)
		if err != nil {
			return nil // Java logs and goes on
		}
		for _, c := range children {
			if p != real && c == quotaLimitNode {
				return quotaArgError(path + " has a child " + p[len(quotaRoot):] + " which has a quota")
			}
		}
		return nil
	}
	if err := check(real); err != nil {
		return err
	}
	var walk func(p string) error
	walk = func(p string) error {
		children, err := sh.quotaChildren(p)
		if errors.Is(err, proto.ErrNoNode) {
			return nil
		}
		if err != nil {
			return toKeeper(err, p, true)
		}
		sort.Strings(children)
		for _, c := range children {
			if err := check(p + "/" + c); err != nil {
				return err
			}
		}
		for _, c := range children {
			if err := walk(p + "/" + c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(real)
}

// checkParentQuota refuses a quota on a path whose ancestor has one.
func (sh *Shell) checkParentQuota(path string) error {
	splits := javaSplit(path)
	quotaPath := quotaRoot
	for i := 1; i < len(splits)-1; i++ {
		quotaPath += "/" + splits[i]
		children, err := sh.quotaChildren(quotaPath)
		if errors.Is(err, proto.ErrNoNode) {
			return nil
		}
		if err != nil {
			return toKeeper(err, quotaPath, true)
		}
		if len(children) == 0 {
			return nil
		}
		for _, c := range children {
			if quotaPath != quotaRoot+path && c == quotaLimitNode {
				return quotaArgError(path + " has a parent " + quotaPath[len(quotaRoot):] + " which has a quota")
			}
		}
	}
	return nil
}

func runListQuota(sh *Shell, tokens []string) error {
	p, err := parse("listquota", optSpec{}, tokens, 2)
	if err != nil {
		return err
	}
	path := p.args[1]
	limitPath := quotaLimitPath(path)
	sh.errf("absolute path is %s\n", limitPath)
	if err := validatePath(limitPath); err != nil {
		return wrapErr(err, path)
	}
	limits, err := sh.quotaData(limitPath)
	if err == nil {
		var stats statsTrack
		if stats, err = sh.quotaData(quotaStatPath(path)); err == nil {
			sh.outf("Output quota for %s %s\n", path, limits)
			sh.outf("Output stat for %s %s\n", path, stats)
			return nil
		}
	}
	if isCode(err, proto.ErrNoNode) {
		sh.errf("quota for %s does not exist.\n", path)
		return nil
	}
	return wrapErr(err, path)
}

func runDelQuota(sh *Shell, tokens []string) error {
	p, err := parseOpts(optSpec{'n': false, 'b': false, 'N': false, 'B': false}, tokens)
	if err != nil {
		return cliErr(err.Error())
	}
	if err := checkQuotaGroup(p, false); err != nil {
		return err
	}
	if len(p.args) < 2 {
		return cliErr(commands["delquota"].usageStr())
	}
	path := p.args[1]
	err = sh.delQuota(path, p)
	if isCode(err, proto.ErrNoNode) {
		sh.errf("quota for %s does not exist.\n", path)
		return nil
	}
	return wrapErr(err, path)
}

// delQuota is DelQuotaCommand.delQuota: with no option, the quota's nodes
// go and the quota subtree is trimmed of empty parents; with options, the
// limits named are reset to -1.
func (sh *Shell) delQuota(path string, p *parsedArgs) error {
	parentPath := quotaRoot + path
	limitPath := quotaLimitPath(path)
	if err := validatePath(limitPath); err != nil {
		return err
	}
	var found bool
	err := sh.sess.do(sh.ctx(), func(c *client.Conn) error {
		_, err := c.Exists(sh.ctx(), sh.sess.serverPath(limitPath), false)
		found = err == nil
		if errors.Is(err, proto.ErrNoNode) {
			err = nil
		}
		return err
	})
	if err != nil {
		return toKeeper(err, limitPath, true)
	}
	if !found {
		sh.outf("Quota does not exist for %s\n", path)
		return nil
	}
	limits, err := sh.quotaData(limitPath)
	if err != nil {
		return err
	}
	del := func(p string) error {
		return sh.sess.do(sh.ctx(), func(c *client.Conn) error {
			if err := c.Delete(sh.ctx(), sh.sess.serverPath(p), -1); err != nil {
				return toKeeper(err, p, true)
			}
			return nil
		})
	}
	if len(p.order) == 0 {
		children, err := sh.quotaChildren(parentPath)
		if err != nil {
			return toKeeper(err, parentPath, true)
		}
		for _, c := range children {
			if err := del(parentPath + "/" + c); err != nil {
				return err
			}
		}
		// Trim the quota tree of parents left empty.
		for q := parentPath; q != quotaRoot; q = q[:strings.LastIndexByte(q, '/')] {
			children, err := sh.quotaChildren(q)
			if err != nil {
				return toKeeper(err, q, true)
			}
			if len(children) > 0 {
				break
			}
			if err := del(q); err != nil {
				return err
			}
		}
		return nil
	}
	for _, o := range quotaOptions {
		if p.has(o.c) {
			limits[o.key] = -1
		}
	}
	return sh.sess.do(sh.ctx(), func(c *client.Conn) error {
		if _, err := c.SetData(sh.ctx(), sh.sess.serverPath(limitPath), []byte(limits.String()), -1); err != nil {
			return toKeeper(err, limitPath, true)
		}
		return nil
	})
}
