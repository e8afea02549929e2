import type { Server } from "node:http";

/**
 * Keeps a client's idle keep-alive connection open longer than any client waits before
 * reusing it (Node's guidance: the server's timeout above the clients'), so a request sent on
 * a reused connection is never met by the server closing it (Node's default is 5 s, the
 * `other side closed` a webhook sender saw).
 */
export function keepConnections(server: Server): Server {
	server.keepAliveTimeout = 65_000;
	// Node's guidance: headersTimeout above keepAliveTimeout.
	server.headersTimeout = 66_000;
	return server;
}
