// Package admin is zkit's AdminServer: ZooKeeper's HTTP command interface
// (JettyAdminServer and Commands in ZooKeeper 3.8), serving one engine.
//
// # Endpoints
//
//	GET <commandURL>          HTML links to every command's primary name, one
//	                          "<a href=...>name</a>" line and a "<br/>" line each
//	GET <commandURL>/<name>   the command's result as a JSON object, HTTP 200
//	                          even on error (as Jetty's servlet does)
//	anything else             404
//
// commandURL defaults to /commands. Query parameters are the command's
// arguments (set_trace_mask?traceMask=N).
//
// # JSON shape
//
// Every object has "command" (the primary name, whatever alias was asked
// for) and "error" (null, or a message: "Unknown command: x", or the
// command's own). Keys, nesting and value types follow ZooKeeper 3.8's
// Commands.java: snake_case keys, session ids as JSON numbers, maps keyed by
// strings. Names and aliases:
//
//	connection_stat_reset crst   configuration conf config   connections cons
//	dirs   dump   environment env envi   get_trace_mask gtmk   hash
//	initial_configuration icfg   is_read_only isro   last_snapshot lsnp
//	leader lead   monitor mntr   observer_connection_stat_reset orst   ruok
//	set_trace_mask stmk   server_stats srvr   stats stat   stat_reset srst
//	observers obsr   system_properties sysp   voting_view   watches wchc
//	watches_by_path wchp   watch_summary wchs   zabstate
//
// # Caller duties
//
// New builds the server; Start binds Config.Addr (port 0 picks a free one)
// and serves on a goroutine the Server owns; Close stops it and waits for
// that goroutine. Handler is the same routing without a listener, for
// tests and for mounting elsewhere.
package admin
