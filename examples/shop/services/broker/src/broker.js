import { createServer } from "node:net";
import { Aedes } from "aedes";
import { createLogger, listenAddress } from "@shop/core";

/**
 * An MQTT broker on HOST:PORT (default 1883, MQTT's port). Sessions and queued
 * QoS 1 messages live in memory: a subscriber that reconnects with the same
 * client id gets what was published while it was away, for as long as the
 * broker runs. Each client's arrival and departure and each publication is
 * logged, so a lost event can be traced in the logs.
 */
export async function createBroker(env = process.env) {
  const log = createLogger("broker");
  const aedes = await Aedes.createBroker();
  aedes.on("client", (client) => log.info("client connected", { client: client.id }));
  aedes.on("clientDisconnect", (client) => log.info("client disconnected", { client: client.id }));
  aedes.on("subscribe", (subscriptions, client) =>
    log.info("subscribed", { client: client.id, topics: subscriptions.map((s) => s.topic) }),
  );
  aedes.on("publish", (packet, client) => {
    if (client) log.info("published", { client: client.id, topic: packet.topic, bytes: packet.payload.length });
  });
  const server = createServer(aedes.handle);
  const sockets = new Set();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  return {
    log,
    start() {
      const { host, port } = listenAddress(env, 1883);
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          const url = `mqtt://${host.includes(":") ? `[${host}]` : host}:${server.address().port}`;
          log.info("listening", { url });
          resolve({ url, port: server.address().port });
        });
      });
    },
    stop() {
      return new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => aedes.close(() => resolve()));
      });
    },
  };
}
