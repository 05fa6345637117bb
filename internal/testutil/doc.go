// Package testutil holds the test fixtures shared by the module's packages:
// real servers and network faults on loopback, never mocks.
//
// [Proxy] is a TCP proxy that injects faults between a client and a server
// (pass, blackhole, reset, latency, refuse), switchable at run time.
// [WSServer] is a gorilla/websocket server whose faults tests control:
// restart on the same port, close with any code, drop or reset
// connections, reject or hold upgrades, ignore pings, stop reading.
//
// Every fixture listens on 127.0.0.1 only and stops all of its goroutines
// when closed, so tests that use it can check for leaks with goleak.
package testutil
