package server

import (
	"sort"
	"strings"
)

// The registry of every setting zkit understands: zoo.cfg keys and Java
// system properties, as ZooKeeper 3.8 reads them (QuorumPeerConfig,
// ZooKeeperServer, X509Util, ZKConfig, QuorumAuth, ServerCnxnFactory,
// NIOServerCnxnFactory, NettyServerCnxnFactory, the auth providers, the
// SASL server, the AdminServer, the metrics provider). Config.Check
// compares a configuration's keys with it.

// keyKind says where Java reads a setting from, which decides how a -D
// system property and a zoo.cfg key of the same name combine.
type keyKind uint8

const (
	// keyConfig is a QuorumPeerConfig field: read from zoo.cfg only; a
	// -Dzookeeper.K system property does not set it.
	keyConfig keyKind = iota
	// keyProperty is read as the system property "zookeeper."+name; a
	// zoo.cfg key K that QuorumPeerConfig does not know becomes that
	// property, overriding a -D of the same name.
	keyProperty
	// keyRaw is read only as the system property of exactly this name
	// (jute.maxbuffer, readonlymode.enabled, ...): a zoo.cfg key of that
	// name does nothing in Java. zkit takes the zoo.cfg key too; a -D of
	// the exact name wins over it.
	keyRaw
)

// keyInfo is one registry entry.
type keyInfo struct {
	name     string
	kind     keyKind
	prefix   bool // name ends in '.', and every key under it is known
	security bool // a setting that protects the server: typos near it are fatal
	unused   bool // a Java setting zkit accepts but does not act on
	check    func(string) error
}

// x509Suffixes are X509Util's keys after its prefix (ssl. or ssl.quorum.),
// plus ClientX509Util's authProvider.
var x509Suffixes = []string{
	"protocol", "enabledProtocols", "ciphersuites",
	"keyStore.location", "keyStore.password", "keyStore.passwordPath", "keyStore.type",
	"trustStore.location", "trustStore.password", "trustStore.passwordPath", "trustStore.type",
	"context.supplier.class", "hostnameVerification", "crl", "ocsp", "clientAuth",
	"allowReverseDnsLookup", // later 3.8 releases
	"handshakeDetectionTimeoutMillis", "authProvider",
}

// registry maps a key (without "zookeeper." for keyProperty entries) to
// its entry; prefixes lists the prefix entries.
var registry, prefixes = buildRegistry()

func buildRegistry() (map[string]*keyInfo, []*keyInfo) {
	m := make(map[string]*keyInfo)
	var pre []*keyInfo
	add := func(kind keyKind, opts func(*keyInfo), names ...string) {
		for _, n := range names {
			ki := &keyInfo{name: n, kind: kind, prefix: strings.HasSuffix(n, ".")}
			if opts != nil {
				opts(ki)
			}
			if ki.prefix {
				pre = append(pre, ki)
				continue
			}
			m[n] = ki
		}
	}
	sec := func(k *keyInfo) { k.security = true }
	unused := func(k *keyInfo) { k.unused = true }
	secBool := func(k *keyInfo) { k.security = true; k.check = checkStrictBool }

	// QuorumPeerConfig.parseProperties' fields.
	add(keyConfig, nil,
		"dataDir", "dataLogDir", "clientPort", "clientPortAddress", "localSessionsEnabled",
		"localSessionsUpgradingEnabled", "tickTime", "maxClientCnxns", "minSessionTimeout",
		"maxSessionTimeout", "initLimit", "syncLimit", "electionAlg", "peerType",
		"dynamicConfigFile", "autopurge.snapRetainCount", "autopurge.purgeInterval",
		"standaloneEnabled", "reconfigEnabled", "metricsProvider.className",
		"server.", "metricsProvider.")
	add(keyConfig, func(k *keyInfo) { k.check = checkPort }, "observerMasterPort")
	add(keyConfig, unused,
		"clientPortListenBacklog", "connectToLearnerMasterLimit", "quorumListenOnAllIPs",
		"syncEnabled", "group.", "weight.", "jvm.pause.info-threshold.ms",
		"jvm.pause.warn-threshold.ms", "jvm.pause.sleep.time.ms", "jvm.pause.monitor",
		"multiAddress.enabled", "multiAddress.reachabilityCheckTimeoutMs",
		"multiAddress.reachabilityCheckEnabled", "oraclePath")
	add(keyConfig, func(k *keyInfo) { k.security = true; k.check = checkPort }, "secureClientPort")
	add(keyConfig, sec, "secureClientPortAddress", "quorum.auth.learner.saslLoginContext",
		"quorum.auth.server.saslLoginContext", "quorum.auth.kerberos.servicePrincipal")
	add(keyConfig, secBool, "sslQuorum", "portUnification", "sslQuorumReloadCertFiles",
		"quorum.auth.enableSasl", "quorum.auth.serverRequireSasl", "quorum.auth.learnerRequireSasl")
	add(keyConfig, func(k *keyInfo) { k.check = checkPositive }, "quorum.cnxn.threads.size")

	// System properties read as zookeeper.<name>, which zoo.cfg keys
	// reach through QuorumPeerConfig's unknown-key rule.
	add(keyProperty, nil,
		"4lw.commands.whitelist", "extendedTypesEnabled", "digest.enabled", "enforceQuota",
		"skipACL", "forceSync", "snapCount", "snapshot.compression.method", "snapshot.trust.empty",
		"admin.commandURL", "admin.enableServer", "admin.idleTimeout", "admin.serverAddress",
		// Logging and JMX settings zkServer.sh passes; zkit logs through slog.
		"log.dir", "log.file", "root.logger", "console.threshold", "log.threshold",
		"tracelog.dir", "tracelog.file")
	add(keyConfig, func(k *keyInfo) { k.check = checkPort }, "metricsProvider.httpPort")
	add(keyProperty, func(k *keyInfo) { k.check = checkPort }, "admin.serverPort")
	add(keyProperty, func(k *keyInfo) { k.check = checkNonNegative }, "preAllocSize", "snapSizeLimitInKb")
	add(keyProperty, func(k *keyInfo) { k.check = checkPositive }, "nio.sessionlessCnxnTimeout",
		"netty.server.outstandingHandshake.limit")
	// Later 3.8 releases: store reloading on the client port (3.8.x
	// NettyServerCnxnFactory.CLIENT_CERT_RELOAD_KEY).
	add(keyProperty, secBool, "client.certReload")
	add(keyProperty, unused,
		"admin.forceHttps", "admin.httpVersion", "admin.portUnification",
		"audit.enable", "audit.impl.class", "bitHashCacheSize", "closeSessionTxn.enabled",
		"cnxTimeout", "commitLogCount", "commitProcessor.maxCommitBatchSize",
		"commitProcessor.maxReadBatchSize", "commitProcessor.numWorkerThreads",
		"commitProcessor.shutdownTimeout", "connection_throttle_decrease_ratio",
		"connection_throttle_drop_decrease", "connection_throttle_drop_increase",
		"connection_throttle_fill_count", "connection_throttle_fill_time",
		"connection_throttle_freeze_time", "connection_throttle_global_session_weight",
		"connection_throttle_local_session_weight", "connection_throttle_renew_session_weight",
		"connection_throttle_tokens", "connection_throttle_weight_enabled",
		"datadir.autocreate", "db.autocreate", "electionPortBindRetry", "emulate353TTLNodes",
		"enableEagerACLCheck", "fastleader.maxNotificationInterval",
		"fastleader.minNotificationInterval", "flushDelay",
		"follower.skipLearnerRequestToNextProcessor", "forceSnapshotSync",
		"forward_learner_requests_to_commit_processor_disabled", "globalOutstandingLimit",
		"intBufferStartingSizeBytes", "jmx.log4j.disable", "jmx.log4j.mbean",
		"jute.maxbuffer.extrasize", "largeRequestMaxBytes", "largeRequestThreshold",
		"leader.ackLoggingFrequency", "leader.closeSocketAsync", "leader.maxConcurrentDiffSyncs",
		"leader.maxConcurrentSnapSyncs", "leader.maxTimeToWaitForEpoch",
		"leaderConnectDelayDuringRetryMs", "leaderServes", "learner.asyncSending",
		"learner.closeSocketAsync", "maxBatchSize", "maxCnxns", "maxGetChildrenResponseCacheSize",
		"maxInProcessingDeadWatchers", "maxResponseCacheSize", "maxWriteQueuePollTime",
		"messageTracker.BufferSize", "messageTracker.Enabled",
		"netty.advancedFlowControl.enabled", "netty.server.earlyDropSecureConnectionHandshakes",
		"nio.directBufferBytes",
		"nio.numSelectorThreads", "nio.numWorkerThreads", "nio.shutdownTimeout",
		"observer.election.DelayMs", "observer.reconnectDelayMs", "observer.syncEnabled",
		"observerMaster.sizeLimit", "pathStats.delay", "pathStats.enabled",
		"pathStats.initialDelay", "pathStats.maxDepth", "pathStats.sampleRate",
		"pathStats.slotCapacity", "pathStats.slotDuration", "pathStats.topPathMax",
		"quorumCnxnTimeoutMs", "request.timeout", "request_stale_connection_check",
		"request_stale_latency_check", "request_throttle_drop_stale",
		"request_throttle_max_requests", "request_throttle_stall_time",
		"request_throttler.shutdownTimeout", "snapshotSizeFactor", "tcpKeepAlive",
		"testingonly.initialZxid", "throttled_op_wait_time", "txnLogSizeLimitInKb",
		"watchManagerName", "watcherCleanIntervalInSeconds", "watcherCleanThreadsNum",
		"watcherCleanThreshold", "DigestAuthenticationProvider.digestAlg",
		// Client-side settings (zkCli's -client-configuration), known so
		// that a shared file is not reported.
		"client.secure", "clientCnxnSocket", "disableAutoWatchReset", "server.principal", "server.realm", "sasl.client",
		"sasl.client.canonicalize.hostname", "sasl.client.username", "sasl.clientconfig")
	// Security settings, implemented by the TLS and SASL code.
	add(keyProperty, sec,
		"authProvider.", "DigestAuthenticationProvider.superDigest",
		"SASLAuthenticationProvider.superPassword", "X509AuthenticationProvider.superUser",
		"superUser", "superUser.", "serverCnxnFactory", "enforce.auth.schemes", "sasl.serverconfig",
		"ensembleAuthName", "kerberos.minReLoginTimeMs", "kinit", "security.auth_to_local",
		"requireKerberosConfig", "fips-mode",
		// An ACL id every SASL login matches, not a boolean.
		"letAnySaslUserDoX")
	add(keyProperty, secBool, "client.portUnification", "enforce.auth.enabled",
		"sessionRequireClientSASLAuth", "DigestAuthenticationProvider.enabled",
		"allowSaslFailedClients", "kerberos.canonicalizeHostNames",
		"kerberos.removeHostFromPrincipal", "kerberos.removeRealmFromPrincipal")
	for _, pfx := range []string{"ssl.", "ssl.quorum."} {
		for _, s := range x509Suffixes {
			ki := &keyInfo{name: pfx + s, kind: keyProperty, security: true}
			switch s {
			case "hostnameVerification", "crl", "ocsp", "allowReverseDnsLookup":
				ki.check = checkStrictBool
			case "clientAuth":
				ki.check = checkClientAuth
			case "keyStore.type", "trustStore.type":
				ki.check = checkStoreType
			case "handshakeDetectionTimeoutMillis":
				ki.check = checkPositive
			}
			m[ki.name] = ki
		}
	}

	// Read only under their own names.
	add(keyRaw, nil, "jute.maxbuffer", "readonlymode.enabled", "znode.container.checkIntervalMs",
		"znode.container.maxPerMinute")
	add(keyRaw, unused, "znode.container.maxNeverUsedIntervalMs", "leader.nodelay", "follower.nodelay")
	add(keyRaw, sec, "java.security.auth.login.config", "java.security.krb5.conf")
	sort.Slice(pre, func(i, j int) bool { return len(pre[i].name) > len(pre[j].name) })
	return m, pre
}

// lookupKey finds the registry entry for a key as it appears in
// Config.Properties: a zoo.cfg key or a system property name. It returns
// the entry and the key's canonical (zoo.cfg) form.
func lookupKey(key string) (*keyInfo, string) {
	if ki, ok := registry[key]; ok {
		return ki, key
	}
	for _, p := range prefixes {
		if strings.HasPrefix(key, p.name) && len(key) > len(p.name) {
			return p, key
		}
	}
	if bare, ok := strings.CutPrefix(key, "zookeeper."); ok {
		if ki, k := lookupKey(bare); ki != nil && ki.kind != keyConfig {
			return ki, k
		}
	}
	return nil, key
}

// securityPrefixes are the namespaces (lower case, without "zookeeper.")
// where an unknown key is fatal: a misspelt protection must never leave a
// server serving with less protection than configured.
var securityPrefixes = []string{
	"ssl", "quorum.auth", "authprovider", "sasl", "secureclient", "securecnxn", "x509",
	"digestauthenticationprovider", "saslauthenticationprovider", "kerberos", "enforce.auth",
	"superuser", "java.security", "client.portunification", "portunification",
	"sessionrequireclientsasl", "servercnxnfactory",
}

func inSecurityNamespace(key string) bool {
	k := strings.ToLower(strings.TrimPrefix(key, "zookeeper."))
	for _, p := range securityPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// suggest returns the known key closest to key, if one is close enough
// to be a likely typo, and whether that key is a security setting.
func suggest(key string) (string, bool) {
	bare, hadPrefix := strings.CutPrefix(key, "zookeeper.")
	lower := strings.ToLower(bare)
	best, bestSec, bestD := "", false, -1
	consider := func(cand string, ki *keyInfo) {
		d := editDistance(lower, strings.ToLower(cand))
		if bestD < 0 || d < bestD || (d == bestD && cand < best) {
			best, bestSec, bestD = cand, ki.security, d
		}
	}
	for name, ki := range registry {
		consider(name, ki)
	}
	for _, p := range prefixes {
		// Compare the part of the key up to each '.' with the prefix,
		// keeping the rest: "authProvder.1" → "authProvider.1".
		for i := 0; i < len(bare); i++ {
			if bare[i] == '.' && i+1 < len(bare) {
				d := editDistance(strings.ToLower(bare[:i+1]), strings.ToLower(p.name))
				cand := p.name + bare[i+1:]
				if bestD < 0 || d < bestD {
					best, bestSec, bestD = cand, p.security, d
				}
			}
		}
	}
	if bestD < 0 || bestD > max(1, min(3, len(bare)/4)) {
		return "", false
	}
	if hadPrefix {
		if ki, _ := lookupKey(best); ki != nil && ki.kind == keyProperty {
			best = "zookeeper." + best
		}
	}
	return best, bestSec
}

// editDistance is the Levenshtein distance between a and b, counting an
// adjacent transposition as one edit.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
