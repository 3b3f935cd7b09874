// A service for the monitoring tests: an HTTP /health server plus one behaviour, set through the environment:
//   PORT, NAME      as server.js (it appends its PID to ./pids/<NAME>.pid)
//   GROW_MB         after listening, allocate 1 MB every GROW_EVERY_MS (default 100) until GROW_MB are held
//   CHILD_MB        fork a child process that holds this many MB and does the work (the tree's memory has it)
//   THROW_AFTER_MS  this long after listening, throw an uncaught exception that a handler logs (it lives on)
//   EXIT_ON_FILE    exit with code 7 when this file appears (it removes it first: one exit, then PM2 restarts it)
//   CONNECT_PORTS   comma-separated ports on 127.0.0.1 to hold a TCP connection to (reconnecting when closed)
//   CALL_URL        every CALL_EVERY_MS (default 1000) GET this URL on a fresh connection that closes at once
//   CHATTY_MS       every CHATTY_MS write "line N" to stdout; every 10th is "FATAL N", every 25th "FATAL ignored N"
"use strict";
const fs = require("fs");
const http = require("http");
const net = require("net");
const { fork } = require("child_process");

if (process.argv[2] === "child") {
  const held = Buffer.alloc(Number(process.argv[3]) * 1024 * 1024, 1); // filled: resident, not only reserved
  setInterval(() => held[0]++, 1000);
  process.on("SIGINT", () => process.exit(0));
  return;
}

const name = process.env.NAME || "service";
fs.mkdirSync("pids", { recursive: true });
fs.appendFileSync(`pids/${name}.pid`, `${process.pid}\n`);
const env = (key) => process.env[key];
const held = []; // what GROW_MB allocates, referenced for the process's life (a closure's would be collected)

process.on("uncaughtException", (err) => {
  console.error(`uncaughtException: ${err.stack}`);
});

const server = http.createServer((req, res) => res.end(req.url === "/health" ? "ok" : `hello from ${name}`));
server.listen(Number(env("PORT")), "127.0.0.1", () => {
  console.log(`${name}: listening on ${env("PORT")}`);
  if (env("GROW_MB")) {
    const timer = setInterval(() => {
      held.push(Buffer.alloc(1024 * 1024, 1));
      if (held.length >= Number(env("GROW_MB"))) clearInterval(timer);
    }, Number(env("GROW_EVERY_MS") || 100));
  }
  if (env("CHILD_MB")) {
    const child = fork(__filename, ["child", env("CHILD_MB")], { stdio: "inherit" });
    fs.appendFileSync(`pids/${name}.pid`, `${child.pid}\n`);
    process.on("exit", () => child.kill("SIGINT"));
  }
  if (env("THROW_AFTER_MS")) {
    setTimeout(() => { throw new Error("boom: the cache went away"); }, Number(env("THROW_AFTER_MS")));
  }
  if (env("EXIT_ON_FILE")) {
    setInterval(() => {
      if (fs.existsSync(env("EXIT_ON_FILE"))) {
        fs.unlinkSync(env("EXIT_ON_FILE"));
        console.error(`${name}: told to exit`);
        process.exit(7);
      }
    }, 50);
  }
  for (const port of (env("CONNECT_PORTS") || "").split(",").filter(Boolean)) hold(Number(port));
  if (env("CALL_URL")) {
    setInterval(() => {
      http.get(env("CALL_URL"), { agent: false }, (res) => res.resume()).on("error", () => {});
    }, Number(env("CALL_EVERY_MS") || 1000));
  }
  if (env("CHATTY_MS")) {
    let n = 0;
    setInterval(() => {
      n += 1;
      console.log(n % 25 === 0 ? `FATAL ignored ${n}` : n % 10 === 0 ? `FATAL ${n}` : `line ${n}`);
    }, Number(env("CHATTY_MS")));
  }
});

function hold(port) {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => {});
  socket.on("close", () => setTimeout(() => hold(port), 100));
}

process.on("SIGINT", () => process.exit(0));
