// The live page of `rafa serve`: plain JS over the server's REST API and the
// match WebSocket (no build step).  A `?token=` in the page's address is
// passed on to every request (needed when the server is bound off loopback).
"use strict";

const TOKEN = new URLSearchParams(location.search).get("token");
const MAX_CALLS_DRAWN = 400;
const $ = (id) => document.getElementById(id);

function element(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (TOKEN) headers.Authorization = `Bearer ${TOKEN}`;
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || `${method} ${path}: ${response.status}`);
  return data;
}

function socketUrl(path) {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  if (TOKEN) url.searchParams.set("token", TOKEN);
  return url.toString();
}

// -- the new-match form ------------------------------------------------------

let games = [];

async function loadGames() {
  games = (await api("GET", "/games")).games;
  const select = $("game");
  for (const game of games) {
    select.append(element("option", { value: game.name, text: game.name }));
  }
  select.addEventListener("change", drawSeatChoices);
  drawSeatChoices();
}

function drawSeatChoices() {
  const game = games.find((g) => g.name === $("game").value);
  const box = $("seats");
  box.replaceChildren();
  for (const seat of game.seats) {
    const select = element("select", { "data-seat": seat, name: `seat-${seat}` });
    for (const kind of game.kinds) select.append(element("option", { value: kind, text: kind }));
    select.value = game.default_seats[seat];
    box.append(element("div", { class: "seat" },
      element("label", {}, element("span", { text: seat }), select)));
  }
}

async function startMatch(event) {
  event.preventDefault();
  $("form-error").textContent = "";
  const seats = {};
  for (const select of $("seats").querySelectorAll("select")) seats[select.dataset.seat] = select.value;
  const body = { game: $("game").value, seats, seed: Number($("seed").value || 0) };
  if ($("latency").value !== "") body.latency_scale = Number($("latency").value);
  $("start").disabled = true;
  try {
    const created = await api("POST", "/matches", body);
    location.hash = `#/matches/${created.id}`;
    refreshList();
  } catch (error) {
    $("form-error").textContent = error.message;
  } finally {
    $("start").disabled = false;
  }
}

// -- the match list ----------------------------------------------------------

async function refreshList() {
  let page;
  try {
    page = await api("GET", "/matches?limit=200");
  } catch (error) {
    return; // the server went away; the next refresh tries again
  }
  $("match-count").textContent = `(${page.total})`;
  const list = $("matches");
  list.replaceChildren();
  for (const match of page.matches.slice().reverse()) {
    const seats = Object.entries(match.seats).map(([s, k]) => `${s}: ${k}`).join(", ");
    const link = element("a", { href: `#/matches/${match.id}`, "data-match": match.id },
      element("span", { class: `status ${match.status}`, text: match.status }), " ",
      element("strong", { text: match.game }), " ",
      element("span", { class: "id", text: match.id }),
      element("div", { class: "seats", text: seats }));
    if (watched && watched.id === match.id) link.classList.add("current");
    list.append(element("li", {}, link));
  }
}

// -- one match, watched ------------------------------------------------------

let watched = null;

class Watched {
  constructor(id) {
    this.id = id;
    this.match = null;
    this.plans = new Map();   // seat -> its newest plan event
    this.calls = new Map();   // "seat:call" -> {seat, intent, start, end, outcome}
    this.offset = null;       // client clock - server clock, in seconds
    this.closed = false;
    this.socket = new WebSocket(socketUrl(`/matches/${id}/events`));
    this.socket.onmessage = (message) => this.receive(JSON.parse(message.data));
    this.socket.onclose = () => { this.closed = true; drawTimeline(this); };
    this.timer = setInterval(() => drawTimeline(this), 250);
  }

  stop() {
    clearInterval(this.timer);
    this.socket.onclose = null;
    this.socket.close();
  }

  now() {
    return this.offset === null ? 0 : performance.now() / 1000 - this.offset;
  }

  receive(event) {
    if (event.ts && this.offset === null) this.offset = performance.now() / 1000 - event.ts;
    switch (event.type) {
      case "Snapshot":
        this.match = event.match;
        for (const [seat, plan] of Object.entries(event.match.plans)) this.plans.set(seat, plan);
        for (const call of event.calls) this.calls.set(`${call.seat}:${call.call}`, call);
        drawMatch(this);
        drawBoard(this.match.game, this.match.grid, this.match.board);
        drawMoves(this.match.moves);
        drawPlans(this);
        break;
      case "TurnStarted":
        this.match.turn = event.turn;
        drawBoard(this.match.game, event.grid, event.state);
        break;
      case "MatchTransition":
        this.match.moves.push(event.actions);
        drawBoard(this.match.game, event.grid, event.state);
        drawMoves(this.match.moves);
        break;
      case "PlanStarted": case "PlanCompleted": case "PlanCancelled":
        this.plans.set(seatOf(event.episode), event);
        drawPlans(this);
        break;
      case "LLMCallStarted":
        this.calls.set(`${seatOf(event.episode)}:${event.call}`,
          { seat: seatOf(event.episode), intent: event.intent, start: event.ts, end: null, outcome: null });
        break;
      case "LLMCallEnded": {
        const key = `${seatOf(event.episode)}:${event.call}`;
        const call = this.calls.get(key) ||
          { seat: seatOf(event.episode), intent: event.intent, start: event.ts - event.latency };
        call.end = event.ts;
        call.outcome = event.outcome;
        this.calls.set(key, call);
        break;
      }
      case "MatchClosed":
        this.match.status = event.status;
        this.match.result = event.result;
        this.match.error = event.error;
        drawMatch(this);
        refreshList();
        break;
      default:
        break;
    }
  }
}

function seatOf(episode) {
  return episode.slice(episode.lastIndexOf(":") + 1);
}

function show(id) {
  if (watched) watched.stop();
  watched = id ? new Watched(id) : null;
  $("placeholder").hidden = Boolean(id);
  $("match").hidden = !id;
  refreshList();
}

function drawMatch(w) {
  const m = w.match;
  const seats = Object.entries(m.seats).map(([s, k]) => `${s} ${k}`).join(" vs ");
  $("match-title").textContent = `${m.game}: ${seats} (seed ${m.seed})`;
  const status = $("match-status");
  status.textContent = m.status;
  status.className = `status ${m.status}`;
  $("match").dataset.status = m.status;
  $("cancel").disabled = m.status !== "running";
  $("match-result").textContent = resultText(m);
}

function resultText(m) {
  if (m.status === "running") return "";
  if (m.status !== "finished" || !m.result) return m.error ? `${m.status}: ${m.error}` : m.status;
  const scores = Object.entries(m.result.scores);
  const best = Math.max(...scores.map(([, v]) => v));
  const winners = scores.filter(([, v]) => v === best).map(([s]) => s);
  const line = scores.map(([s, v]) => `${s} ${Number(v.toFixed(2))}`).join(", ");
  const game = games.find((g) => g.name === m.game);
  let verdict = "over";  // a share-scored game (gridworld): nobody wins
  if (game && game.scoring === "outcome") verdict = winners.length === 1 ? `${winners[0]} wins` : "draw";
  return `${verdict} after ${m.result.turns} turns (scores: ${line}; ${m.result.llm_calls} LLM calls)`;
}

function drawBoard(game, grid, text) {
  const board = $("board");
  const pre = $("board-text");
  board.replaceChildren();
  board.dataset.game = game;
  if (!grid) {
    board.hidden = true;
    pre.hidden = false;
    pre.textContent = text || "(no board yet)";
    return;
  }
  pre.hidden = true;
  board.hidden = false;
  board.className = `board ${game}${grid[0].length > 7 ? " small" : ""}`;
  board.style.gridTemplateColumns = `repeat(${grid[0].length}, auto)`;
  board.dataset.rows = grid.join("/");
  for (const row of grid) {
    for (const mark of row) {
      const cell = element("div", { class: `cell ${cellClass(mark)}` });
      cell.textContent = mark === "." ? "" : mark;
      board.append(cell);
    }
  }
}

function cellClass(mark) {
  if (mark === "*") return "food";
  if (/^[0-9+]$/.test(mark)) return "agent";
  return mark === "." ? "empty" : mark;
}

function drawMoves(moves) {
  const list = $("moves");
  list.replaceChildren(...moves.map((actions) => element("li", {
    text: Object.entries(actions).map(([s, a]) => `${s} ${a}`).join("  "),
  })));
  list.scrollTop = list.scrollHeight;
}

function drawPlans(w) {
  const box = $("plans");
  box.replaceChildren();
  for (const seat of Object.keys(w.match.seats)) {
    const plan = w.plans.get(seat);
    if (!plan) continue;
    const kind = plan.type === "PlanStarted" ? "planning"
      : plan.type === "PlanCancelled" ? "cancelled" : "ready";
    const head = element("div", { class: "plan-head" },
      element("strong", { text: `${seat} (${w.match.seats[seat]}): plan #${plan.plan} ${kind}` }));
    const card = element("div", { class: `plan ${kind}`, "data-seat": seat }, head);
    if (kind === "planning") {
      head.append(element("span", { class: "state", text: `from ${plan.state}` }));
    } else if (kind === "cancelled") {
      card.append(element("div", { text: plan.reason }));
    } else {
      head.append(element("span", { class: "state",
        text: `${plan.llm_calls} LLM calls, ${plan.elapsed.toFixed(2)} s` }));
      card.append(candidateTable(plan));
    }
    box.append(card);
  }
}

function candidateTable(plan) {
  const lines = plan.candidates.length ? plan.candidates
    : [{ actions: plan.actions, value: plan.value }];
  const values = lines.map((c) => c.value);
  const low = Math.min(0, ...values);
  const span = Math.max(...values) - low || 1;
  const table = element("table");
  lines.forEach((candidate, i) => {
    const width = Math.round(80 * (candidate.value - low) / span);
    table.append(element("tr", { class: i === 0 ? "chosen" : "" },
      element("td", { class: "line", text: candidate.actions.join(" \u2192 ") || "(none)" }),
      element("td", { text: candidate.value.toFixed(2) }),
      element("td", {}, element("span", { class: "bar", style: `width:${width}px` }))));
  });
  return table;
}

function drawTimeline(w) {
  const svg = $("timeline");
  const calls = [...w.calls.values()].sort((a, b) => a.start - b.start).slice(-MAX_CALLS_DRAWN);
  const done = [...w.calls.values()].filter((c) => c.outcome);
  const inFlight = w.calls.size - done.length;
  const count = (o) => done.filter((c) => c.outcome === o).length;
  $("call-stats").textContent = `(${w.calls.size} in all: ${inFlight} in flight, ` +
    `${count("ok")} done, ${count("cancelled")} cancelled, ${count("failed")} failed)`;
  svg.dataset.calls = String(w.calls.size);
  svg.dataset.inflight = String(inFlight);
  if (!calls.length) { svg.replaceChildren(); return; }
  const live = w.match && w.match.status === "running" && !w.closed;
  const t0 = calls[0].start;
  const ends = calls.map((c) => (c.end === null ? (live ? w.now() : c.start) : c.end));
  const t1 = Math.max(t0 + 0.05, ...ends);
  const width = svg.clientWidth || 800;
  const laneEnds = [];
  const lanes = calls.map((c, i) => {
    let lane = laneEnds.findIndex((end) => end <= c.start);
    if (lane < 0) { lane = laneEnds.length; laneEnds.push(0); }
    laneEnds[lane] = ends[i];
    return lane;
  });
  const laneHeight = Math.max(2, Math.min(12, 140 / Math.max(1, laneEnds.length)));
  const x = (t) => 4 + (width - 8) * (t - t0) / (t1 - t0);
  const ns = "http://www.w3.org/2000/svg";
  const parts = calls.map((c, i) => {
    const rect = document.createElementNS(ns, "rect");
    rect.setAttribute("x", x(c.start).toFixed(1));
    rect.setAttribute("y", (4 + lanes[i] * laneHeight).toFixed(1));
    rect.setAttribute("width", Math.max(1.5, x(ends[i]) - x(c.start)).toFixed(1));
    rect.setAttribute("height", Math.max(1, laneHeight - 1).toFixed(1));
    rect.setAttribute("class", c.outcome === null ? "inflight" : c.outcome);
    const title = document.createElementNS(ns, "title");
    const took = c.end === null ? "in flight" : `${((c.end - c.start) * 1000).toFixed(0)} ms`;
    title.textContent = `${c.seat} ${c.intent}: ${c.outcome || "in flight"}, ${took}`;
    rect.append(title);
    return rect;
  });
  const label = document.createElementNS(ns, "text");
  label.setAttribute("x", String(width - 6));
  label.setAttribute("y", "154");
  label.setAttribute("text-anchor", "end");
  label.textContent = `${(t1 - t0).toFixed(1)} s`;
  svg.replaceChildren(...parts, label);
}

// -- wiring ------------------------------------------------------------------

function route() {
  const found = location.hash.match(/^#\/matches\/([A-Za-z0-9_-]+)$/);
  show(found ? found[1] : null);
}

$("new-match").addEventListener("submit", startMatch);
$("cancel").addEventListener("click", () => {
  if (watched) api("DELETE", `/matches/${watched.id}`).catch(() => undefined);
});
window.addEventListener("hashchange", route);
loadGames().then(route, (error) => { $("form-error").textContent = error.message; });
setInterval(refreshList, 2000);
