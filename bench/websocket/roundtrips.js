// WebSocket echo round trips: CONNECTIONS clients, each sending a SIZE-byte text message and waiting for it to come
// back, for SECONDS; prints the round trips a second and their median and 99th percentile latency as one JSON line.
// Uses the `ws` module that wscat brings (npm install -g wscat, as test.sh does).
"use strict";
const path = require("path");
const { execSync } = require("child_process");
const WebSocket = require(path.join(execSync("npm root -g").toString().trim(), "wscat", "node_modules", "ws"));

const [url, connections = "50", seconds = "5", size = "64"] = process.argv.slice(2);
const message = "x".repeat(Number(size));
const latencies = [];
let stopAt = 0;

function client() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let sent = 0n;
    ws.on("error", reject);
    ws.on("open", () => { sent = process.hrtime.bigint(); ws.send(message); });
    ws.on("message", data => {
      if (data.length !== message.length) reject(new Error("an echo came back with " + data.length + " bytes"));
      const now = process.hrtime.bigint();
      latencies.push(Number(now - sent) / 1000);
      if (Date.now() >= stopAt) { ws.close(); return; }
      sent = now;
      ws.send(message);
    });
    ws.on("close", resolve);
  });
}

(async () => {
  stopAt = Date.now() + Number(seconds) * 1000;
  const started = Date.now();
  await Promise.all(Array.from({ length: Number(connections) }, client));
  const elapsed = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = q => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  console.log(JSON.stringify({ roundTripsPerSecond: Math.round(latencies.length / elapsed), p50Microseconds: Math.round(at(0.5)), p99Microseconds: Math.round(at(0.99)) }));
})().catch(e => { console.error(e.message); process.exit(1); });
