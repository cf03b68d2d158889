// Package netshape is a userspace TCP proxy that makes a loopback connection
// behave like a slow, distant link, so benchmarks can measure the node and
// the gateway fallback under a realistic round-trip time and bandwidth on a
// machine without kernel netem.
//
// A Proxy listens on 127.0.0.1 and forwards every accepted connection (the
// client side) to one target address. Each direction is one simulated link,
// shared by all connections through the proxy:
//
//   - Propagation delay: half the configured RTT, per direction. A chunk read
//     from the sender at time t is written to the receiver at
//     t + queueing + serialization + delay, so a long transfer is pipelined
//     as on a wire rather than paying the delay per chunk.
//   - Serialization at a rate cap (bits per second, payload bytes only). The
//     link never runs ahead of the cap and earns no credit while idle, so
//     there are no bursts above it. Connections in one direction share the
//     link: while its queue has room they book it in the order their bytes
//     were read; once it is full they take turns, one chunk (at most 2 ms of
//     link time) each, so a bulk transfer cannot starve a small request.
//   - A bounded queue in front of each link (QueueLimit) and a bounded
//     in-flight budget per connection and direction (Buffer). When either is
//     full the proxy stops reading, so TCP back-pressure reaches the sender
//     instead of data being dropped, and memory stays bounded.
//   - The TCP handshake: the proxy starts reading the client's bytes one RTT
//     after accepting (when a real client's connect would have returned) and
//     connects to the target 1.5 RTT after accepting (when the handshake's
//     last ACK would arrive). A server that speaks first is heard by the
//     client after 2 RTT, as on a real network.
//   - Half-close: a FIN travels behind the data on its link, so
//     request/response protocols that shut down writing still work.
//
// Not modelled: packet loss, jitter, reordering, per-packet header overhead
// and MTU. The two TCP legs (client to proxy, proxy to target) run over
// loopback, so the endpoints' own TCP congestion control never sees the
// simulated RTT: there is no slow start and no loss recovery, and only
// application-level flow control (yamux stream windows, HTTP/2 windows)
// feels the RTT. The kernel socket buffers of both legs add buffering beyond
// QueueLimit for senders that write without a window of their own. The
// client's connect returns at once (only the proxy holds back its bytes). A
// reset or read error tears the connection down at once, dropping whatever
// is still in flight.
//
// # Usage
//
//	p, err := netshape.New(ctx, target.Addr().String(),
//		netshape.Latency(40*time.Millisecond),  // RTT: 20 ms each way
//		netshape.Bandwidth(50_000_000))         // 50 Mbit/s each way
//	if err != nil {
//		return err
//	}
//	defer p.Close()
//	conn, err := net.Dial("tcp", p.Addr()) // shaped path to target
//
// For libp2p, dial /ip4/127.0.0.1/tcp/PORT/p2p/ID with the port of Addr.
// Stats reports the bytes delivered each way.
package netshape
