package cli

import (
	"os"
	"strconv"
	"strings"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/members"
	"github.com/zkit-go/zkit/internal/proto"
)

// reconfigRequest is ReconfigRequest with Java's null strings: an option
// not given is sent as null (length -1), which the server tells apart from
// an empty string (newMembers "" is a non-incremental reconfig).
type reconfigRequest struct {
	joining, leaving, members *string
	curConfigID               int64
}

func (r *reconfigRequest) Encode(e *jute.Encoder) {
	for _, s := range []*string{r.joining, r.leaving, r.members} {
		if s == nil {
			e.NullString()
		} else {
			e.String(*s)
		}
	}
	e.Long(r.curConfigID)
}

func (r *reconfigRequest) Decode(d *jute.Decoder) {
	for _, s := range []**string{&r.joining, &r.leaving, &r.members} {
		v := d.String()
		*s = &v
	}
	r.curConfigID = d.Long()
}

// reconfigOpts are ReconfigCommand's options: -s, -v, -file, -members,
// -add, -remove (commons-cli, single dash, values in the next token).
var reconfigOpts = map[string]bool{"s": false, "v": true, "file": true, "members": true, "add": true, "remove": true}

// runReconfig is zkCli's reconfig: ZooKeeperAdmin.reconfigure, then
// "Committed new configuration:" and the new configuration.
func runReconfig(sh *Shell, tokens []string) error {
	opts := map[string]string{}
	for i := 1; i < len(tokens); i++ {
		tok := tokens[i]
		name := strings.TrimPrefix(tok, "-")
		takesArg, ok := reconfigOpts[name]
		if !strings.HasPrefix(tok, "-") || !ok {
			if strings.HasPrefix(tok, "-") {
				return cliErr(unrecognized(tok).Error())
			}
			continue // commons-cli keeps stray arguments; ReconfigCommand ignores them
		}
		if !takesArg {
			opts[name] = ""
			continue
		}
		if i+1 >= len(tokens) {
			return cliErr("org.apache.commons.cli.MissingArgumentException: Missing argument for option: " + name)
		}
		if _, seen := opts[name]; !seen {
			opts[name] = tokens[i+1]
		}
		i++
	}
	has := func(k string) bool { _, ok := opts[k]; return ok }
	if !(has("file") || has("members")) && !has("add") && !has("remove") {
		return cliErr(commands["reconfig"].usageStr())
	}
	req := &reconfigRequest{curConfigID: -1}
	if has("v") {
		v, err := strconv.ParseInt(opts["v"], 16, 64)
		if err != nil {
			return cliErr("-v must be followed by a long (configuration version)")
		}
		req.curConfigID = int64(v)
	}
	if (has("file") || has("members")) && (has("add") || has("remove")) {
		return cliErr("Can't use -file or -members together with -add or -remove (mixing incremental and non-incremental modes is not allowed)")
	}
	if has("file") && has("members") {
		return cliErr("Can't use -file and -members together (conflicting non-incremental modes)")
	}
	lower := func(k string) *string { s := strings.ToLower(opts[k]); return &s }
	if has("add") {
		req.joining = lower("add")
	}
	if has("remove") {
		req.leaving = lower("remove")
	}
	if has("members") {
		req.members = lower("members")
	}
	if has("file") {
		b, err := os.ReadFile(opts["file"])
		if err != nil {
			return cliErr("Error processing " + opts["file"] + err.Error())
		}
		ms, version, err := members.ParseText(string(b))
		if err != nil {
			return cliErr("Error processing " + opts["file"] + err.Error())
		}
		s := string(members.ConfigText(ms, version))
		req.members = &s
	}
	var resp proto.GetDataResponse
	err := sh.sess.do(sh.ctx(), func(c *client.Conn) error {
		_, err := c.Do(sh.ctx(), proto.OpReconfig, req, &resp)
		return err
	})
	if err != nil {
		return cliErr(wrapperMessage(toKeeper(err, "", false)))
	}
	sh.outf("Committed new configuration:\n%s\n", javaUTF8(resp.Data))
	if has("s") {
		sh.printStat(resp.Stat)
	}
	return nil
}
