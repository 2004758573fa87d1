// Package testport picks loopback ports for test servers that must be able
// to bind the same port again after a restart.
//
// A port from the kernel's ephemeral range (net.ipv4.ip_local_port_range)
// can, while its server is down, become the local port of some outgoing
// connection — even of a client dialling that very server — and then the
// server cannot bind it again. Listen therefore picks ports from the 16000
// ports just below the ephemeral range (falling back to port 0 when that
// range would dip below 1024).
//
// Callers: package testing (in-process members) and
// internal/client/clienttest (Java ZooKeeper members). It is a leaf
// package so that both can use it without an import cycle (package
// quorumnet's internal tests import clienttest, and package testing
// imports quorumnet).
package testport
