package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/zkit-go/zkit/internal/javaprops"
	"github.com/zkit-go/zkit/internal/vfs"
)

// editStaticConfig points the zoo.cfg at path to dynamicFile, as
// ZooKeeper's QuorumPeerConfig.editStaticConfig does after a
// configuration is activated: the membership keys (server.*, group*,
// weight*, peerType) and the old dynamicConfigFile are dropped, and the
// client port keys too when the member's server line names its client
// address; every other key keeps its value, in the file's order, and
// "dynamicConfigFile=<absolute path>" is appended. The file is replaced
// atomically.
func editStaticConfig(path, dynamicFile string, clientInLine bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	keys, props, err := javaprops.Parse(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	abs, err := filepath.Abs(dynamicFile)
	if err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	var b strings.Builder
	for _, k := range keys {
		if dropFromStaticConfig(k, clientInLine) {
			continue
		}
		fmt.Fprintf(&b, "%s=%s\n", escapeProperty(k), escapeProperty(strings.TrimSpace(props[k])))
	}
	fmt.Fprintf(&b, "dynamicConfigFile=%s\n", escapeProperty(abs))
	return vfs.WriteFileAtomic(vfs.OS{}, path, []byte(b.String()))
}

func dropFromStaticConfig(key string, clientInLine bool) bool {
	for _, prefix := range []string{"server.", "group", "weight", "dynamicConfigFile", "peerType"} {
		if strings.HasPrefix(key, prefix) {
			return true
		}
	}
	return clientInLine && strings.HasPrefix(key, "clientPort") // and clientPortAddress
}

// escapeProperty escapes what a .properties reader would otherwise
// unescape or split on, so the value reads back unchanged.
func escapeProperty(s string) string {
	if !strings.ContainsAny(s, "\\\n\r\t\f") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "\f", `\f`)
	return r.Replace(s)
}

// backupStaticConfig copies the zoo.cfg to zoo.cfg.bak before a member
// with reconfig enabled first rewrites it (QuorumPeerConfig's
// backupOldConfig, done when the membership is still in the zoo.cfg).
func backupStaticConfig(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return vfs.WriteFileAtomic(vfs.OS{}, path+".bak", b)
}
