# bench-lib.sh: what the bench-*.sh scripts share, sourced by them: build
# zkit, write zoo.cfg files, start zkit and Java ZooKeeper 3.8 servers and
# ensembles, wait for them, and stop every process started, on exit. All
# the load and the numbers come from `zkit bench` (internal/bench).
#
# The sourcing script sets JAVA_FLAGS (its JVM options) and calls
# bench_init NAME first: it makes WORK (a temp dir, removed on exit unless
# KEEP=1), builds ZKIT=$WORK/bin/zkit and sets the exit trap.

BENCH_JAR=/usr/share/java/zookeeper.jar
BENCH_PIDS=()

bench_init() { # name
	[ -f "$BENCH_JAR" ] || { echo "Java ZooKeeper not installed ($BENCH_JAR): apt-get install -y zookeeper" >&2; exit 1; }
	REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/zkit-$1.XXXXXX")}
	mkdir -p "$WORK/bin"
	trap bench_cleanup EXIT
	(cd "$REPO" && go build -o "$WORK/bin/zkit" ./cmd/zkit)
	ZKIT=$WORK/bin/zkit
}

bench_cleanup() {
	for p in "${BENCH_PIDS[@]}"; do stop_server "$p"; done
	if [ "${KEEP:-}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# java_cmd: the Java server's command line without its zoo.cfg, in JAVA_CMD.
java_cmd() {
	# shellcheck disable=SC2206 # JAVA_FLAGS is a list of words
	JAVA_CMD=(java ${JAVA_FLAGS:-} -cp "$BENCH_JAR:/usr/share/java/slf4j-simple.jar"
		-Dorg.slf4j.simpleLogger.defaultLogLevel=warn org.apache.zookeeper.server.quorum.QuorumPeerMain)
}

write_cfg() { # dir port [extra zoo.cfg lines]: a zoo.cfg both servers read, data in dir/data
	mkdir -p "$1/data"
	cat >"$1/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$1/data
clientPort=$2
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=*
${3:-}
CFG
}

start_server() { # kind dir: starts zkit or java on dir/zoo.cfg (log: dir/log); sets PID
	case $1 in
	zkit) "$ZKIT" server "$2/zoo.cfg" >>"$2/log" 2>&1 & ;;
	java) java_cmd; "${JAVA_CMD[@]}" "$2/zoo.cfg" >>"$2/log" 2>&1 & ;;
	*) echo "start_server: kind $1" >&2; return 1 ;;
	esac
	PID=$!
	BENCH_PIDS+=("$PID")
}

stop_server() { # pid: SIGTERM, SIGKILL after 10 s, and forget it
	kill "$1" 2>/dev/null || true
	for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$1" 2>/dev/null || true
	{ wait "$1"; } 2>/dev/null || true
	forget_pid "$1"
}

forget_pid() { # pid: a process that has ended (killed by zkit bench -mode failover)
	local p keep=()
	for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	BENCH_PIDS=("${keep[@]}")
}

mode_of() { # port: the server's srvr mode (standalone, leader, follower), or nothing
	"$ZKIT" status "127.0.0.1:$1" 2>/dev/null | sed -n 's/^Mode: //p'
}

wait_mode() { # regex port...: until every port's mode matches (60 s)
	local want=$1 p ok
	shift
	for _ in $(seq 1 600); do
		ok=1
		for p in "$@"; do mode_of "$p" | grep -qE "^($want)\$" || { ok=0; break; }; done
		[ $ok = 1 ] && return 0
		sleep 0.1
	done
	echo "servers on $* not serving as $want" >&2
	for p in "$@"; do echo "  $p: $(mode_of "$p")" >&2; done
	return 1
}

start_standalone() { # kind -> ADDR; the server's dir is $WORK/kind
	local port
	port=$(free_port)
	write_cfg "$WORK/$1" "$port"
	start_server "$1" "$WORK/$1"
	wait_mode standalone "$port"
	ADDR=127.0.0.1:$port
}

# start_ensemble kind: three members in $WORK/kind1..3; sets the arrays
# CPORT[kind.i] and MPID[kind.i] (declare -A CPORT MPID first) and waits
# for one leader and two followers.
start_ensemble() {
	local i lines=""
	for i in 1 2 3; do
		CPORT[$1.$i]=$(free_port)
		lines+="server.$i=127.0.0.1:$(free_port):$(free_port)"$'\n'
	done
	for i in 1 2 3; do
		write_cfg "$WORK/$1$i" "${CPORT[$1.$i]}" "$lines"
		echo "$i" >"$WORK/$1$i/data/myid"
		start_server "$1" "$WORK/$1$i"
		MPID[$1.$i]=$PID
	done
	wait_ensemble "$1"
}

wait_ensemble() { # kind: every member leading or following
	wait_mode "leader|follower" "${CPORT[$1.1]}" "${CPORT[$1.2]}" "${CPORT[$1.3]}"
}

restart_member() { # kind i
	start_server "$1" "$WORK/$1$2"
	MPID[$1.$2]=$PID
}

leader_of() { # kind: the leader's member number, or nothing
	local i
	for i in 1 2 3; do
		[ "$(mode_of "${CPORT[$1.$i]}")" = leader ] && { echo "$i"; return; }
	done
}

connect_string() { echo "127.0.0.1:${CPORT[$1.1]},127.0.0.1:${CPORT[$1.2]},127.0.0.1:${CPORT[$1.3]}"; }
