// Dashboard: polls /api/stats once a second and redraws. No libraries, nothing loaded from the network.
"use strict";

const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const num = (n) => (n === null || n === undefined ? "–" : fmt.format(n));
const ms = (n) => (n === null || n === undefined ? "–" : n < 10 ? `${n.toFixed(1)} ms` : `${fmt.format(n)} ms`);
const OWNER_COLOURS = ["#38bdf8", "#a78bfa", "#34d399", "#fbbf24", "#f472b6", "#60a5fa", "#f87171", "#4ade80"];

function text(id, value) {
  $(id).textContent = value;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, attrs);
  for (const c of children) e.append(c);
  return e;
}

function colourFor(memberId, members) {
  const i = members.findIndex((m) => m.memberId === memberId);
  return i < 0 ? "#64748b" : OWNER_COLOURS[i % OWNER_COLOURS.length];
}

function shortMember(m) {
  return `${m.clientId} · ${m.memberId.slice(-6)}`;
}

// One chart: series on a left axis and, optionally, one on a right axis (replicas are a few, lag thousands).
function drawChart(id, points, left, right, caption) {
  const canvas = $(id);
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight || 220;
  canvas.width = w * dpr;
  canvas.height = h * dpr;
  const g = canvas.getContext("2d");
  g.scale(dpr, dpr);
  g.clearRect(0, 0, w, h);
  const pad = { l: 56, r: right ? 40 : 12, t: 10, b: 22 };
  const values = (key) => points.map((p) => p[key]).filter((v) => v !== null);
  const max = Math.max(10, ...left.flatMap((s) => values(s.key))) * 1.1;
  const x = (i) => pad.l + (i / Math.max(1, 119)) * (w - pad.l - pad.r);
  const y = (v, top) => h - pad.b - (v / top) * (h - pad.t - pad.b);
  g.strokeStyle = "#23314f";
  g.fillStyle = "#8ea0bf";
  g.font = "11px system-ui, sans-serif";
  g.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const v = (max / 4) * k;
    g.beginPath();
    g.moveTo(pad.l, y(v, max));
    g.lineTo(w - pad.r, y(v, max));
    g.stroke();
    g.fillText(fmt.format(v), 4, y(v, max) + 4);
  }
  g.fillText(caption, pad.l, h - 6);
  const offset = 120 - points.length;
  const line = (series, top, step) => {
    g.strokeStyle = series.colour;
    g.lineWidth = series.width;
    g.beginPath();
    let drawing = false;
    points.forEach((p, i) => {
      const v = p[series.key];
      if (v === null) {
        drawing = false;
        return;
      }
      if (!drawing) g.moveTo(x(i + offset), y(v, top));
      else if (step) g.lineTo(x(i + offset), y(points[i - 1][series.key], top));
      if (drawing || step) g.lineTo(x(i + offset), y(v, top));
      drawing = true;
    });
    g.stroke();
  };
  for (const series of left) line(series, max, false);
  if (right) {
    // Whole replicas, drawn as steps: a count changes at an instant.
    const top = Math.max(2, ...values(right.key)) + 1;
    g.fillStyle = right.colour;
    for (let k = 0; k <= top; k += Math.ceil(top / 4)) g.fillText(String(k), w - pad.r + 8, y(k, top) + 4);
    line(right, top, true);
  }
}

function render(s) {
  const ready = $("ready");
  ready.textContent = s.ready ? "ready" : "connecting…";
  ready.className = s.ready ? "pill ok" : "pill";
  text("topic", s.topic);
  text("group", s.groupId);
  text("role", s.role);
  text("client", s.clientId);

  const last = s.rates[s.rates.length - 1] || { produced: 0, consumed: 0 };
  text("produced-rate", s.producer ? num(last.produced) : "–");
  text("produced", s.producer ? num(s.producer.produced) : "not a producer");
  text("consumed-rate", s.consumer ? num(last.consumed) : "–");
  text("consumed", s.consumer ? num(s.consumer.consumed) : "not a consumer");
  const totalLag = s.group.partitions.reduce((n, p) => n + p.lag, 0);
  text("lag", s.group.updatedAt ? num(totalLag) : "–");
  text("replicas", s.group.updatedAt ? num(s.group.members.length) : "–");
  const counts = s.rates.map((p) => p.members).filter((m) => m !== null);
  text("replicas-range", counts.length ? `${Math.min(...counts)}–${Math.max(...counts)} in the last 2 minutes` : "–");
  text("p50", s.consumer ? ms(s.consumer.latencyMs.p50) : "–");
  text("p99", s.consumer ? ms(s.consumer.latencyMs.p99) : "–");
  text("gaps", s.consumer ? num(s.consumer.gaps) : "–");
  text("duplicates", s.consumer ? num(s.consumer.duplicates) : "–");
  $("gaps-card").className = "card " + (s.consumer && s.consumer.gaps > 0 ? "bad" : "good");

  // Produced is drawn wider underneath, so it stays visible where consumed keeps up exactly.
  drawChart(
    "chart",
    s.rates,
    [
      { key: "produced", colour: "#38bdf8", width: 4 },
      { key: "consumed", colour: "#a78bfa", width: 1.5 },
    ],
    null,
    "last 2 minutes, messages/s",
  );
  drawChart(
    "scaling",
    s.rates,
    [{ key: "lag", colour: "#f59e0b", width: 2 }],
    { key: "members", colour: "#34d399", width: 2.5 },
    "last 2 minutes: lag in messages (left), consumers in the group (right)",
  );

  const owners = new Map();
  for (const m of s.group.members) for (const p of m.partitions) owners.set(p, m);
  const maxLag = Math.max(1, ...s.group.partitions.map((p) => p.lag));
  const rows = s.group.partitions.map((p) => {
    const owner = owners.get(p.partition);
    const badge = owner
      ? el("span", {
          className: "owner",
          textContent: shortMember(owner),
          style: `background:${colourFor(owner.memberId, s.group.members)}`,
        })
      : el("span", { className: "hint", textContent: "unassigned" });
    const bar = el("span", { className: "bar", style: `width:${Math.round((p.lag / maxLag) * 80)}px` });
    return el(
      "tr",
      {},
      el("td", { textContent: p.partition }),
      el("td", {}, badge),
      el("td", { textContent: num(p.end) }),
      el("td", { textContent: p.committed === null ? "–" : num(p.committed) }),
      el("td", {}, bar, num(p.lag)),
    );
  });
  $("partitions").tBodies[0].replaceChildren(...rows);
  text("group-state", s.group.error ? `admin: ${s.group.error}` : s.group.state);

  const me = s.consumer && s.consumer.memberId;
  $("members").replaceChildren(
    ...(s.group.members.length
      ? s.group.members.map((m) =>
          el(
            "li",
            {},
            el("span", { className: "owner", textContent: shortMember(m), style: `background:${colourFor(m.memberId, s.group.members)}` }),
            el("span", { textContent: `partitions ${m.partitions.join(", ") || "none"}` }),
            el("span", { className: "me", textContent: m.memberId === me ? "(this replica)" : m.host }),
          ),
        )
      : [el("li", { className: "hint", textContent: "no consumer in the group" })]),
  );
  text(
    "own",
    s.consumer ? `This replica owns partition(s): ${s.consumer.partitions.join(", ") || "none"}` : "This process does not consume.",
  );

  $("recent").tBodies[0].replaceChildren(
    ...s.recent
      .slice(-12)
      .reverse()
      .map((m) =>
        el(
          "tr",
          { className: m.duplicate ? "dup" : "" },
          el("td", { textContent: m.partition }),
          el("td", { textContent: m.offset }),
          el("td", { textContent: m.key }),
          el("td", { textContent: m.seq === null ? "–" : m.seq + (m.duplicate ? " dup" : "") }),
          el("td", { textContent: ms(m.latencyMs) }),
          el("td", { className: "value", textContent: m.preview }),
        ),
      ),
  );
}

async function tick() {
  try {
    const res = await fetch("/api/stats", { cache: "no-store" });
    render(await res.json());
  } catch (err) {
    $("ready").textContent = "app unreachable";
    $("ready").className = "pill";
  }
}

// POST /messages needs the stack's token; the app gives it to this page only when it is opened through
// kubectl port-forward (see http.ts). Fetched once, kept in memory only.
let token;
async function postToken() {
  if (token === undefined) {
    const res = await fetch("/api/token", { cache: "no-store" });
    const out = await res.json();
    if (res.status !== 200) throw new Error(`${res.status}: ${out.error}`);
    token = out.token;
  }
  return token;
}

$("send").addEventListener("submit", async (e) => {
  e.preventDefault();
  const key = $("send-key").value.trim();
  const body = { value: $("send-value").value, ...(key ? { key } : {}) };
  let bearer;
  try {
    bearer = await postToken();
  } catch (err) {
    text("send-result", `cannot send: ${err.message}`);
    return;
  }
  const res = await fetch("/messages", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
  });
  const out = await res.json();
  text(
    "send-result",
    res.status === 201
      ? `sent to partition ${out.records[0].partition}, offset ${out.records[0].baseOffset}`
      : `${res.status}: ${out.error}`,
  );
});

tick();
setInterval(tick, 1000);
