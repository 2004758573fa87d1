package metrics

// Code below lists ZooKeeper 3.8's server metrics, read from its source
// (ServerMetrics, and the registerGauge/registerGaugeSet calls of
// ZooKeeperServer, LeaderZooKeeperServer, FollowerZooKeeperServer and
// QuorumZooKeeperServer). The order is the one Java 3.8's mntr prints for a
// quorum leader with its default metrics provider (gauges, gauge sets,
// counters, counter sets, basic summaries, advanced summaries, basic and
// advanced summary sets, each group in Java's hash order; a standalone
// server's and a follower's are subsequences of it).

// Kind is a metric's type in ZooKeeper's metrics API.
type Kind int

// Kinds. The sets carry a "key" label in Prometheus.
const (
	KindGauge Kind = iota
	KindGaugeSet
	KindCounter
	KindCounterSet
	KindSummary
	KindSummarySet
)

// Status says what zkit reports for a Java metric.
type Status int

const (
	// Measured metrics are kept by zkit as Java keeps them.
	Measured Status = iota
	// ZeroAlways metrics count something zkit never does and Java, in its
	// default configuration, does not either (Netty buffers, JVM pauses,
	// request throttling, the optimized watch manager): both report 0.
	ZeroAlways
	// ZeroStandalone metrics belong to a quorum member's pipeline (commit
	// processor, learners, proposals); a standalone Java server reports
	// them as 0, and so does a standalone zkit server. An ensemble member
	// does not report them until zkit measures them.
	ZeroStandalone
	// RoleMeasured metrics are gauges Java registers for some roles only
	// (the leader's learner and proposal gauges, a member's quorum_size);
	// the quorum package reports them in those roles, measured.
	RoleMeasured
	// QuorumMeasured metrics are 0 on a standalone server, as in Java, and
	// measured by the quorum package on an ensemble member.
	QuorumMeasured
	// Omitted metrics are ones Java reports with real values that zkit does
	// not measure yet; zkit leaves them out rather than report a false 0.
	// docs/operations.md lists them.
	Omitted
)

// Def is one Java metric.
type Def struct {
	Name   string
	Kind   Kind
	Level  Level // summaries only
	Status Status
}

// Java38 is every server metric ZooKeeper 3.8 registers, in mntr order.
var Java38 = []Def{
	{"ephemerals_count", KindGauge, Basic, Measured},
	{"num_alive_connections", KindGauge, Basic, Measured},
	{"avg_latency", KindGauge, Basic, Measured},
	{"min_proposal_size", KindGauge, Basic, RoleMeasured},
	{"outstanding_requests", KindGauge, Basic, Measured},
	{"znode_count", KindGauge, Basic, Measured},
	{"global_sessions", KindGauge, Basic, Measured},
	{"non_mtls_remote_conn_count", KindGauge, Basic, Measured},
	{"last_client_response_size", KindGauge, Basic, Measured},
	{"packets_sent", KindGauge, Basic, Measured},
	{"packets_received", KindGauge, Basic, Measured},
	{"max_proposal_size", KindGauge, Basic, RoleMeasured},
	{"max_client_response_size", KindGauge, Basic, Measured},
	{"synced_followers", KindGauge, Basic, RoleMeasured},
	{"connection_drop_probability", KindGauge, Basic, Measured},
	{"watch_count", KindGauge, Basic, Measured},
	{"synced_non_voting_followers", KindGauge, Basic, RoleMeasured},
	{"synced_observers", KindGauge, Basic, RoleMeasured},
	{"auth_failed_count", KindGauge, Basic, Measured},
	{"min_latency", KindGauge, Basic, Measured},
	{"max_file_descriptor_count", KindGauge, Basic, Measured},
	{"approximate_data_size", KindGauge, Basic, Measured},
	{"open_file_descriptor_count", KindGauge, Basic, Measured},
	{"last_proposal_size", KindGauge, Basic, RoleMeasured},
	{"pending_syncs", KindGauge, Basic, RoleMeasured},
	{"leader_uptime", KindGauge, Basic, RoleMeasured},
	{"local_sessions", KindGauge, Basic, Measured},
	{"uptime", KindGauge, Basic, Measured},
	{"max_latency", KindGauge, Basic, Measured},
	{"outstanding_tls_handshake", KindGauge, Basic, Measured},
	{"learners", KindGauge, Basic, RoleMeasured},
	{"min_client_response_size", KindGauge, Basic, Measured},
	{"non_mtls_local_conn_count", KindGauge, Basic, Measured},
	{"quorum_size", KindGauge, Basic, RoleMeasured},
	{"quota_bytes_limit_per_namespace", KindGaugeSet, Basic, Measured},
	{"quota_count_usage_per_namespace", KindGaugeSet, Basic, Measured},
	{"quota_count_limit_per_namespace", KindGaugeSet, Basic, Measured},
	{"quota_bytes_usage_per_namespace", KindGaugeSet, Basic, Measured},
	{"proposal_count", KindCounter, Basic, QuorumMeasured},
	{"watch_bytes", KindCounter, Basic, Measured},
	{"outstanding_changes_removed", KindCounter, Basic, Omitted},
	{"throttled_ops", KindCounter, Basic, ZeroAlways},
	{"stale_requests_dropped", KindCounter, Basic, ZeroAlways},
	{"large_requests_rejected", KindCounter, Basic, Measured},
	{"insecure_admin_count", KindCounter, Basic, ZeroAlways},
	{"connection_rejected", KindCounter, Basic, Measured},
	{"cnxn_closed_without_zk_server_running", KindCounter, Basic, ZeroAlways},
	{"sessionless_connections_expired", KindCounter, Basic, Omitted},
	{"looking_count", KindCounter, Basic, QuorumMeasured},
	{"dead_watchers_queued", KindCounter, Basic, ZeroAlways},
	{"stale_requests", KindCounter, Basic, ZeroAlways},
	{"connection_drop_count", KindCounter, Basic, Omitted},
	{"learner_proposal_received_count", KindCounter, Basic, QuorumMeasured},
	{"digest_mismatches_count", KindCounter, Basic, Measured},
	{"dead_watchers_cleared", KindCounter, Basic, ZeroAlways},
	{"response_packet_cache_hits", KindCounter, Basic, Omitted},
	{"bytes_received_count", KindCounter, Basic, Measured},
	{"add_dead_watcher_stall_time", KindCounter, Basic, ZeroAlways},
	{"request_throttle_wait_count", KindCounter, Basic, ZeroAlways},
	{"requests_not_forwarded_to_commit_processor", KindCounter, Basic, ZeroStandalone},
	{"response_packet_cache_misses", KindCounter, Basic, Omitted},
	{"ensemble_auth_success", KindCounter, Basic, ZeroStandalone},
	{"prep_processor_request_queued", KindCounter, Basic, Measured},
	{"learner_commit_received_count", KindCounter, Basic, QuorumMeasured},
	{"stale_replies", KindCounter, Basic, ZeroAlways},
	{"connection_request_count", KindCounter, Basic, Measured},
	{"response_bytes", KindCounter, Basic, Measured},
	{"ensemble_auth_fail", KindCounter, Basic, ZeroStandalone},
	{"diff_count", KindCounter, Basic, QuorumMeasured},
	{"response_packet_get_children_cache_misses", KindCounter, Basic, Omitted},
	{"connection_revalidate_count", KindCounter, Basic, Omitted},
	{"quit_leading_due_to_disloyal_voter", KindCounter, Basic, ZeroStandalone},
	{"snap_count", KindCounter, Basic, QuorumMeasured},
	{"unrecoverable_error_count", KindCounter, Basic, ZeroAlways},
	{"unsuccessful_handshake", KindCounter, Basic, ZeroAlways},
	{"commit_count", KindCounter, Basic, QuorumMeasured},
	{"stale_sessions_expired", KindCounter, Basic, Measured},
	{"response_packet_get_children_cache_hits", KindCounter, Basic, Omitted},
	{"sync_processor_request_queued", KindCounter, Basic, Measured},
	{"outstanding_changes_queued", KindCounter, Basic, Omitted},
	{"request_commit_queued", KindCounter, Basic, ZeroStandalone},
	{"ensemble_auth_skip", KindCounter, Basic, ZeroStandalone},
	{"skip_learner_request_to_next_processor_count", KindCounter, Basic, ZeroStandalone},
	{"tls_handshake_exceeded", KindCounter, Basic, ZeroAlways},
	{"revalidate_count", KindCounter, Basic, QuorumMeasured},
	{"quota_exceeded_error_per_namespace", KindCounterSet, Basic, Measured},
	{"socket_closing_time", KindSummary, Basic, Omitted},
	{"proposal_process_time", KindSummary, Basic, Omitted},
	{"leader_unavailable_time", KindSummary, Basic, QuorumMeasured},
	{"node_created_watch_count", KindSummary, Basic, Measured},
	{"session_queues_drained", KindSummary, Basic, ZeroStandalone},
	{"write_commit_proc_req_queued", KindSummary, Basic, ZeroStandalone},
	{"connection_token_deficit", KindSummary, Basic, Omitted},
	{"read_commit_proc_req_queued", KindSummary, Basic, ZeroStandalone},
	{"node_deleted_watch_count", KindSummary, Basic, Measured},
	{"startup_txns_load_time", KindSummary, Basic, Measured},
	{"sync_processor_queue_size", KindSummary, Basic, Omitted},
	{"follower_sync_time", KindSummary, Basic, QuorumMeasured},
	{"prep_processor_queue_size", KindSummary, Basic, Omitted},
	{"fsynctime", KindSummary, Basic, Measured},
	{"inflight_snap_count", KindSummary, Basic, ZeroStandalone},
	{"reads_issued_from_session_queue", KindSummary, Basic, ZeroStandalone},
	{"learner_request_processor_queue_size", KindSummary, Basic, ZeroStandalone},
	{"snapshottime", KindSummary, Basic, Measured},
	{"unavailable_time", KindSummary, Basic, QuorumMeasured},
	{"startup_txns_loaded", KindSummary, Basic, Measured},
	{"reads_after_write_in_session_queue", KindSummary, Basic, ZeroStandalone},
	{"requests_in_session_queue", KindSummary, Basic, ZeroStandalone},
	{"write_commit_proc_issued", KindSummary, Basic, ZeroStandalone},
	{"prep_process_time", KindSummary, Basic, Omitted},
	{"pending_session_queue_size", KindSummary, Basic, ZeroStandalone},
	{"time_waiting_empty_pool_in_commit_processor_read_ms", KindSummary, Basic, ZeroStandalone},
	{"commit_process_time", KindSummary, Basic, ZeroStandalone},
	{"dbinittime", KindSummary, Basic, Measured},
	{"inflight_diff_count", KindSummary, Basic, ZeroStandalone},
	{"netty_queued_buffer_capacity", KindSummary, Basic, ZeroAlways},
	{"election_time", KindSummary, Basic, QuorumMeasured},
	{"commit_commit_proc_req_queued", KindSummary, Basic, ZeroStandalone},
	{"sync_processor_batch_size", KindSummary, Basic, Measured},
	{"node_children_watch_count", KindSummary, Basic, Measured},
	{"write_batch_time_in_commit_processor", KindSummary, Basic, ZeroStandalone},
	{"read_commit_proc_issued", KindSummary, Basic, ZeroStandalone},
	{"concurrent_request_processing_in_commit_processor", KindSummary, Basic, ZeroStandalone},
	{"observer_sync_time", KindSummary, Basic, QuorumMeasured},
	{"node_changed_watch_count", KindSummary, Basic, Measured},
	{"sync_process_time", KindSummary, Basic, Omitted},
	{"startup_snap_load_time", KindSummary, Basic, Measured},
	{"prep_processor_queue_time_ms", KindSummary, Advanced, Omitted},
	{"jvm_pause_time_ms", KindSummary, Advanced, ZeroAlways},
	{"close_session_prep_time", KindSummary, Advanced, Omitted},
	{"read_commitproc_time_ms", KindSummary, Advanced, ZeroStandalone},
	{"updatelatency", KindSummary, Advanced, Measured},
	{"local_write_committed_time_ms", KindSummary, Advanced, ZeroStandalone},
	{"request_throttle_queue_time_ms", KindSummary, Advanced, Omitted},
	{"readlatency", KindSummary, Advanced, Measured},
	{"quorum_ack_latency", KindSummary, Advanced, QuorumMeasured},
	{"om_commit_process_time_ms", KindSummary, Advanced, ZeroStandalone},
	{"read_final_proc_time_ms", KindSummary, Advanced, Omitted},
	{"commit_propagation_latency", KindSummary, Advanced, QuorumMeasured},
	{"dead_watchers_cleaner_latency", KindSummary, Advanced, ZeroAlways},
	{"write_final_proc_time_ms", KindSummary, Advanced, Omitted},
	{"proposal_ack_creation_latency", KindSummary, Advanced, QuorumMeasured},
	{"proposal_latency", KindSummary, Advanced, QuorumMeasured},
	{"om_proposal_process_time_ms", KindSummary, Advanced, ZeroStandalone},
	{"sync_processor_queue_and_flush_time_ms", KindSummary, Advanced, Omitted},
	{"propagation_latency", KindSummary, Advanced, Omitted},
	{"server_write_committed_time_ms", KindSummary, Advanced, ZeroStandalone},
	{"sync_processor_queue_time_ms", KindSummary, Advanced, Omitted},
	{"sync_processor_queue_flush_time_ms", KindSummary, Advanced, Omitted},
	{"write_commitproc_time_ms", KindSummary, Advanced, ZeroStandalone},
	{"learner_handler_qp_size", KindSummarySet, Basic, Omitted},
	{"read_per_namespace", KindSummarySet, Basic, Measured},
	{"write_per_namespace", KindSummarySet, Basic, Measured},
	{"learner_handler_qp_time_ms", KindSummarySet, Advanced, Omitted},
	{"ack_latency", KindSummarySet, Advanced, Omitted},
}

// java38Rank maps a name to its place in Java38.
var java38Rank = func() map[string]int {
	m := make(map[string]int, len(Java38))
	for i, d := range Java38 {
		m[d.Name] = i
	}
	return m
}()
