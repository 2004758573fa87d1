package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"time"
)

// ZooKeeperRelease is the ZooKeeper release whose protocol and formats
// zkit speaks.
const ZooKeeperRelease = "3.8.0"

// Info describes a zkit binary.
type Info struct {
	// Module is zkit's module version ("v0.3.0", or "(devel)" in a build
	// from a checkout).
	Module string
	// Revision is the VCS commit ("" when not stamped) and Modified
	// whether the tree had uncommitted changes.
	Revision string
	Modified bool
	// Time is the commit's time (zero when not stamped).
	Time time.Time
	// GoVersion is the Go release the binary was built with.
	GoVersion string
}

// Read returns the running binary's build information.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Module: "(unknown)", GoVersion: runtime.Version()}
	}
	return FromBuildInfo(bi)
}

// FromBuildInfo extracts Info from bi (Read's logic, for tests).
func FromBuildInfo(bi *debug.BuildInfo) Info {
	in := Info{Module: bi.Main.Version, GoVersion: bi.GoVersion}
	if in.Module == "" {
		in.Module = "(devel)"
	}
	if in.GoVersion == "" {
		in.GoVersion = runtime.Version()
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		case "vcs.time":
			if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
				in.Time = t.UTC()
			}
		}
	}
	return in
}

// ShortRevision is the first 12 characters of the revision, with "-dirty"
// for a modified tree; "" when not stamped.
func (in Info) ShortRevision() string {
	r := in.Revision
	if len(r) > 12 {
		r = r[:12]
	}
	if r != "" && in.Modified {
		r += "-dirty"
	}
	return r
}

// ZooKeeperVersion is the version reported to ZooKeeper clients, in Java
// 3.8's "3.8.0-<revision>, built on <date>" shape.
func (in Info) ZooKeeperVersion() string {
	rev, built := "zkit", "unknown"
	if r := in.ShortRevision(); r != "" {
		rev += "-" + r
	}
	if !in.Time.IsZero() {
		built = in.Time.Format("2006-01-02 15:04") + " UTC"
	}
	return ZooKeeperRelease + "-" + rev + ", built on " + built
}

// String is the one-line `zkit version` output.
func (in Info) String() string {
	s := "zkit " + in.Module
	if r := in.ShortRevision(); r != "" {
		s += " (" + r
		if !in.Time.IsZero() {
			s += " " + in.Time.Format(time.RFC3339)
		}
		s += ")"
	}
	return fmt.Sprintf("%s %s %s/%s, ZooKeeper %s protocol", s, in.GoVersion, runtime.GOOS, runtime.GOARCH, ZooKeeperRelease)
}
