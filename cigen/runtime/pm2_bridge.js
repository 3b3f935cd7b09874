// cigen's bridge to a PM2 daemon, through PM2's programmatic API.
//
// One process per cigen command keeps one connection to the daemon: a start
// costs an RPC (milliseconds) instead of a `pm2` CLI run (a Node start-up),
// and process events (exit, restart overlimit) arrive as they happen instead
// of by polling `pm2 jlist`.
//
// Protocol: JSON lines. cigen writes requests {"id", "op", ...} on stdin; the
// bridge answers {"id", "ok": true, "result"} or {"id", "ok": false, "error"}
// on stdout, and pushes {"event": ...} lines for process events. Anything PM2
// prints goes to stderr, so stdout carries only the protocol. The bridge exits
// when stdin closes: it never outlives the cigen process that started it.
//
// Usage: node pm2_bridge.js <pm2 package folder>   (PM2_HOME in the environment)
"use strict";

const util = require("util");
const readline = require("readline");

for (const level of ["log", "info", "warn", "error", "debug"]) {
  console[level] = (...args) => process.stderr.write(util.format(...args) + "\n");
}
// Ctrl-C in a terminal reaches the whole process group; cigen decides what to stop.
process.on("SIGINT", () => {});

const pm2 = require(process.argv[2]);

function send(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

function describe(proc) {
  const env = proc.pm2_env || {};
  const monit = proc.monit || {};
  return {
    name: proc.name,
    pm_id: proc.pm_id,
    pid: proc.pid || null,
    status: env.status || "unknown",
    restarts: env.restart_time || 0,
    unstable_restarts: env.unstable_restarts || 0,
    exit_code: env.exit_code === undefined ? null : env.exit_code,
    uptime_since: env.pm_uptime || null,
    cpu: monit.cpu === undefined ? null : monit.cpu,
    memory: monit.memory === undefined ? null : monit.memory,
    out_log: env.pm_out_log_path || null,
    err_log: env.pm_err_log_path || null,
    spec_hash: (env.env && env.env.CIGEN_SPEC_HASH) || null,
    module: Boolean(env.pmx_module),
    autorestart: env.autorestart !== false && env.autorestart !== "false",
  };
}

function pingDaemon() {
  return new Promise((resolve) => pm2.Client.pingDaemon((alive) => resolve(alive)));
}

function call(method, ...args) {
  return new Promise((resolve, reject) => {
    pm2[method](...args, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

function errorText(err) {
  if (Array.isArray(err)) return err.map(errorText).join("; ");
  if (err && err.message) return err.message;
  return String(err);
}

// PM2 spawns its daemon, waits for the daemon's first message, then connects to its sockets, and
// waits for ever if the daemon dies before either: so while connecting, the child PM2 spawns is
// watched, and its exit fails the connect at once.
function daemonExit() {
  const childProcess = require("child_process");
  const spawn = childProcess.spawn;
  let fail;
  const died = new Promise((resolve, reject) => { fail = reject; });
  childProcess.spawn = function (...args) {
    const child = spawn.apply(this, args);
    if ((args[1] || []).some((arg) => /[\\/]Daemon\.js$/.test(String(arg)))) {
      child.once("exit", (code, signal) => fail(new Error(
        `the PM2 daemon (pid ${child.pid}) died while it started (${signal ? "killed by " + signal : "exit code " + code})`)));
    }
    return child;
  };
  return { died, restore: () => { childProcess.spawn = spawn; } };
}

let connected = false;

const ops = {
  async connect({ spawn }) {
    if (!spawn && !(await pingDaemon())) return { daemon: false, spawned: false };
    const watch = daemonExit();
    let meta;
    try {
      meta = await Promise.race([
        new Promise((resolve, reject) => pm2.connect((err, meta) => (err ? reject(err) : resolve(meta)))),
        watch.died,
      ]);
    } finally {
      watch.restore();
    }
    connected = true;
    const bus = await call("launchBus");
    bus.on("process:event", (packet) => {
      const p = packet.process || {};
      send({
        event: packet.event,
        name: p.name,
        pm_id: p.pm_id,
        exit_code: p.exit_code === undefined ? null : p.exit_code,
        status: p.status || null,
        restarts: p.restart_time || 0,
        manually: Boolean(packet.manually),
        at: typeof packet.at === "number" ? packet.at / 1000 : null,  // the daemon's Date.now() when it happened
      });
    });
    return { daemon: true, spawned: Boolean(meta && meta.new_pm2_instance) };
  },
  async list() {
    return (await call("list")).map(describe);
  },
  async start({ app }) {
    const started = await call("start", app);
    if (!started || started.length === 0) {
      throw new Error("PM2 did not launch it (see pm2.log in the logs folder)");
    }
    return started.map((proc) => ({ name: proc.pm2_env.name, pm_id: proc.pm2_env.pm_id,
                                     pid: proc.process ? proc.process.pid : null }));
  },
  async set({ key, value }) {
    await call("set", key, value);
    return null;
  },
  async install({ module }) {
    await call("install", module, {});
    return null;
  },
  async delete({ name }) {
    await call("delete", name);
    return null;
  },
  // A fault of cigen verify stops a service and starts it again with the definition PM2 keeps (its env too).
  async stop({ name }) {
    await call("stop", name);
    return null;
  },
  async restart({ name }) {
    await call("restart", name);
    return null;
  },
  async kill() {
    await call("killDaemon");
    connected = false;
    return null;
  },
};

const input = readline.createInterface({ input: process.stdin });
input.on("line", async (line) => {
  let request;
  try {
    request = JSON.parse(line);
  } catch (err) {
    send({ id: null, ok: false, error: "not JSON: " + line.slice(0, 200) });
    return;
  }
  const op = ops[request.op];
  if (!op) {
    send({ id: request.id, ok: false, error: "unknown operation " + request.op });
    return;
  }
  try {
    send({ id: request.id, ok: true, result: await op(request) });
  } catch (err) {
    send({ id: request.id, ok: false, error: errorText(err) });
  }
});
input.on("close", () => {
  if (!connected) process.exit(0);
  pm2.disconnect(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
