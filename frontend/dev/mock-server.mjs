// A development stand-in for the studio: the HTTP API and the deployment websocket of
// docs/internals.md, with made-up but plausible data, plus the built app under /static/.
// Not shipped: used only to look at the UI without the backend
//   node dev/mock-server.mjs            (then open http://127.0.0.1:8765/)
//   RIFFLE_BACKEND=http://127.0.0.1:8765 npm run dev
// No dependencies: the websocket handshake and framing are done by hand.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { catalog, topologies } from "./mock-data.mjs";

const PORT = Number(process.env.MOCK_PORT ?? 8765);
const DIST = fileURLToPath(new URL("../dist/", import.meta.url));

const deployments = new Map();
let nextDeploymentId = 1;
const sockets = new Map(); // deployment id -> Set<socket>

function json(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

function readBody(req) {
  return new Promise((resolve) => {
    let data = "";
    req.on("data", (chunk) => (data += chunk));
    req.on("end", () => {
      try {
        resolve(data ? JSON.parse(data) : {});
      } catch {
        resolve({});
      }
    });
  });
}

function summary(t) {
  const v = t.versions[t.versions.length - 1];
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    latest_version: v ? { id: v.id, number: v.number, created_at: v.created_at } : null,
  };
}

function detail(t) {
  return { ...summary(t), latest_version: t.versions[t.versions.length - 1] ?? null };
}

function findVersion(versionId) {
  for (const t of topologies) {
    const v = t.versions.find((x) => x.id === versionId);
    if (v) return { topology: t, version: v };
  }
  return null;
}

function createDeployment(versionId, body) {
  const found = findVersion(versionId);
  if (!found) return null;
  const id = nextDeploymentId++;
  const doc = found.version.document;
  const now = new Date().toISOString();
  const d = {
    id,
    topology: found.topology.id,
    version: found.version.id,
    version_number: found.version.number,
    application_id: body.application_id ?? `${found.topology.slug}-${id}`,
    processing_guarantee: body.processing_guarantee ?? "at_least_once",
    replicas: body.replicas ?? 2,
    on_error: body.on_error ?? "fail",
    dead_letter_topic: body.on_error === "dead_letter" ? (body.dead_letter_topic ?? `${body.application_id ?? found.topology.slug}-dlq`) : "",
    desired_state: "running",
    observed_state: "starting",
    input_topics: doc.nodes.filter((n) => n.type.startsWith("source.")).flatMap((n) => n.params.topics ?? []),
    output_topics: doc.nodes.filter((n) => n.type.startsWith("sink.")).map((n) => n.params.topic),
    created_at: now,
    updated_at: now,
    last_error: null,
  };
  deployments.set(id, { record: d, sim: newSimulation(found.topology.slug, doc), metrics: {} });
  setTimeout(() => transition(id, "running"), 1500);
  return d;
}

function transition(id, observed) {
  const dep = deployments.get(id);
  if (!dep) return;
  dep.record = { ...dep.record, observed_state: observed, updated_at: new Date().toISOString() };
  broadcast(id, { type: "deployment", deployment: dep.record });
}

// ---- simulated engine ------------------------------------------------------------

const WORDS = "kafka streams table stream window join state store topic partition offset lag record key value count".split(" ");

function newSimulation(slug, doc) {
  const processors = [];
  for (const n of doc.nodes) {
    processors.push(n.id);
    if (n.type === "stream.group_by_key" || n.type === "stream.group_by") {
      processors.push(`${n.id}-repartition-sink`, `${n.id}-repartition-source`);
    }
  }
  const sources = doc.nodes.filter((n) => n.type.startsWith("source."));
  const topics = sources.flatMap((n) => n.params.topics ?? []);
  return {
    slug,
    processors,
    totals: Object.fromEntries(processors.map((p) => [p, 0])),
    partitions: topics.flatMap((topic) =>
      [0, 1, 2].map((partition) => ({ topic, partition, committed: 0, end_offset: 0 })),
    ),
    counts: new Map(),
    samples: [],
    errors: [],
    recordsIn: 0,
    recordsOut: 0,
    tick: 0,
  };
}

function step(dep) {
  const sim = dep.sim;
  sim.tick += 1;
  const running = dep.record.desired_state === "running";
  const incoming = running ? 3 + Math.floor(Math.random() * 6) : 0;
  const now = Date.now();
  const perProcessor = {};
  for (const p of sim.processors) perProcessor[p] = 0;
  for (let i = 0; i < incoming; i++) {
    const words = Array.from({ length: 2 + Math.floor(Math.random() * 4) }, () => WORDS[Math.floor(Math.random() * WORDS.length)]);
    for (const p of sim.processors.slice(0, 2)) perProcessor[p] += 1;
    for (const p of sim.processors.slice(2)) perProcessor[p] += words.length;
    for (const w of words) {
      const c = (sim.counts.get(w) ?? 0) + 1;
      sim.counts.set(w, c);
      const sink = sim.processors[sim.processors.length - 1];
      const value = sim.slug === "word-count" ? c : { ticker: w.toUpperCase(), count: c, avg: +(100 + Math.random() * 20).toFixed(2) };
      sim.samples.unshift({ node: sink, topic: dep.record.output_topics[0] ?? "out", key: w, value, timestamp: now - Math.floor(Math.random() * 900) });
      sim.recordsOut += 1;
    }
  }
  sim.samples = sim.samples.slice(0, 50);
  sim.recordsIn += incoming;
  for (const p of sim.processors) sim.totals[p] += perProcessor[p];
  for (const part of sim.partitions) {
    part.end_offset += Math.floor(incoming / 3) + (Math.random() < 0.4 ? 1 : 0);
    const behind = part.end_offset - part.committed;
    part.committed += running ? Math.max(0, behind - Math.floor(Math.random() * 4)) : 0;
  }
  if (sim.tick % 9 === 0 && running && sim.errors.length < 4) {
    sim.errors.unshift({
      node: sim.processors[1],
      topic: sim.partitions[0]?.topic ?? "in",
      partition: 1,
      offset: sim.partitions[1]?.committed ?? 0,
      message: "ExpressionError: 'NoneType' object has no attribute 'lower' (value was null)",
      timestamp: now,
    });
  }
  // Two replicas: replica 1 owns partitions 0 and 1, replica 2 owns partition 2.
  const split = (replica) => {
    const mine = (p) => (replica === "1" ? p.partition < 2 : p.partition === 2);
    const share = replica === "1" ? 2 / 3 : 1 / 3;
    const nodes = {};
    for (const p of sim.processors) {
      nodes[p] = {
        "process-total": Math.round(sim.totals[p] * share),
        "process-rate": +(perProcessor[p] * share).toFixed(2),
      };
    }
    return {
      application_id: dep.record.application_id,
      timestamp: now,
      state: running ? (sim.tick < 2 ? "REBALANCING" : "RUNNING") : "NOT_RUNNING",
      tasks: replica === "1" ? ["0_0", "0_1", "1_0", "1_1"] : ["0_2", "1_2"],
      nodes,
      partitions: sim.partitions.filter(mine).map((p) => ({ ...p, lag: p.end_offset - p.committed })),
      samples: sim.samples.filter((_, i) => (i % 3 === 2) === (replica === "2")),
      errors: replica === "1" ? sim.errors : [],
      totals: { "records-in": Math.round(sim.recordsIn * share), "records-out": Math.round(sim.recordsOut * share) },
    };
  };
  for (const replica of ["1", "2"]) {
    dep.metrics[replica] = split(replica);
    broadcast(dep.record.id, { type: "metrics", replica, metrics: dep.metrics[replica] });
  }
}

setInterval(() => {
  for (const dep of deployments.values()) {
    if (dep.record.observed_state === "running" || dep.record.observed_state === "stopping") step(dep);
  }
}, 1000);

// ---- websocket ---------------------------------------------------------------------

function frame(text) {
  const payload = Buffer.from(text);
  const len = payload.length;
  let header;
  if (len < 126) header = Buffer.from([0x81, len]);
  else if (len < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x81;
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x81;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([header, payload]);
}

function broadcast(id, message) {
  for (const socket of sockets.get(id) ?? []) socket.write(frame(JSON.stringify(message)));
}

function acceptSocket(req, socket) {
  const m = /^\/ws\/deployments\/(\d+)\/$/.exec(req.url ?? "");
  const dep = m && deployments.get(Number(m[1]));
  if (!dep) {
    socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
    return;
  }
  const accept = createHash("sha1")
    .update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
    .digest("base64");
  socket.write(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  const id = dep.record.id;
  if (!sockets.has(id)) sockets.set(id, new Set());
  sockets.get(id).add(socket);
  socket.write(frame(JSON.stringify({ type: "snapshot", deployment: dep.record, metrics: dep.metrics })));
  const drop = () => sockets.get(id)?.delete(socket);
  socket.on("data", (buf) => {
    if ((buf[0] & 0x0f) === 0x8) {
      socket.end(Buffer.from([0x88, 0]));
      drop();
    }
  });
  socket.on("close", drop);
  socket.on("error", drop);
}

// ---- HTTP ----------------------------------------------------------------------------

const TYPES = { ".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".map": "application/json", ".svg": "image/svg+xml" };

async function serveFile(res, path) {
  try {
    const body = await readFile(path);
    res.writeHead(200, { "Content-Type": TYPES[extname(path)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("Not found (run npm run build first)");
  }
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = url.pathname;
  const method = req.method ?? "GET";
  let m;

  if (path === "/api/me/") return json(res, 200, { username: "demo" });
  if (path === "/api/catalog/") return json(res, 200, catalog);
  if (path === "/api/topologies/") return json(res, 200, { count: topologies.length, results: topologies.map(summary) });
  if ((m = /^\/api\/topologies\/(\d+)\/$/.exec(path))) {
    const t = topologies.find((x) => x.id === Number(m[1]));
    return t ? json(res, 200, detail(t)) : json(res, 404, { message: "No such topology." });
  }
  if ((m = /^\/api\/topologies\/(\d+)\/versions\/$/.exec(path))) {
    const t = topologies.find((x) => x.id === Number(m[1]));
    return t ? json(res, 200, { count: t.versions.length, results: t.versions }) : json(res, 404, { message: "No such topology." });
  }
  if ((m = /^\/api\/topologies\/(\d+)\/versions\/(\d+)\/$/.exec(path))) {
    const t = topologies.find((x) => x.id === Number(m[1]));
    const v = t?.versions.find((x) => x.number === Number(m[2]));
    return v ? json(res, 200, v) : json(res, 404, { message: "No such version." });
  }
  if (path === "/api/deployments/" && method === "GET") {
    const topology = Number(url.searchParams.get("topology"));
    const list = [...deployments.values()].map((d) => d.record).filter((d) => !topology || d.topology === topology);
    return json(res, 200, { count: list.length, results: list });
  }
  if (path === "/api/deployments/" && method === "POST") {
    const body = await readBody(req);
    const found = findVersion(body.version);
    if (found?.version.problems.some((p) => p.severity === "error")) {
      return json(res, 400, { message: "This version does not compile.", problems: found.version.problems });
    }
    const d = createDeployment(body.version, body);
    return d ? json(res, 201, d) : json(res, 400, { message: `No version ${body.version}.` });
  }
  if ((m = /^\/api\/deployments\/(\d+)\/(start|stop)?\/?$/.exec(path))) {
    const dep = deployments.get(Number(m[1]));
    if (!dep) return json(res, 404, { message: "No such deployment." });
    if (m[2] && method === "POST") {
      const running = m[2] === "start";
      dep.record = { ...dep.record, desired_state: running ? "running" : "stopped", observed_state: running ? "starting" : "stopping" };
      broadcast(dep.record.id, { type: "deployment", deployment: dep.record });
      setTimeout(() => transition(dep.record.id, running ? "running" : "stopped"), 1500);
    }
    return json(res, 200, dep.record);
  }
  if (path.startsWith("/api/")) return json(res, 404, { message: `No mock for ${method} ${path}` });
  if (path === "/logout/") {
    res.writeHead(302, { Location: "/login/" });
    return res.end();
  }
  if (path === "/login/") {
    res.writeHead(200, { "Content-Type": "text/html" });
    return res.end('<!doctype html><title>Log in</title><p>Mock login page. <a href="/">Continue as demo</a></p>');
  }
  if (path.startsWith("/static/")) {
    const file = normalize(join(DIST, path.slice("/static/".length)));
    if (!file.startsWith(DIST)) return json(res, 403, { message: "no" });
    return serveFile(res, file);
  }
  return serveFile(res, join(DIST, "index.html"));
});

server.on("upgrade", acceptSocket);
server.listen(PORT, "127.0.0.1", () => {
  console.log(`mock studio on http://127.0.0.1:${PORT}/`);
  // A running deployment from the start, so the dashboard has something to show.
  createDeployment(topologies[0].versions.at(-1).id, { application_id: "word-count-demo" });
});
