import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from "node:http";
import { isIPv4, isIPv6 } from "node:net";
import { join } from "node:path";
import { z } from "zod";
import type { App } from "./app";
import type { AppConfig } from "./config";
import { ENV, HTTP_PORT, KUBERNETES } from "./contract";

const STATIC: Record<string, { readonly file: string; readonly type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

const MAX_BODY = 1 << 20;

// Sent with every answer. The page loads its own script and stylesheet and fetches /api/stats and
// /messages: nothing else, from nowhere else, and no other site may frame it (X-Frame-Options for
// browsers that ignore frame-ancestors). Its inline colours are set through element.style (CSSOM),
// which style-src does not govern.
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

// The kubelet's probes address the pod by its IP, so these answer whatever the Host; they change nothing
// and show only whether the process is up and connected. The metrics are on a listener of their own
// (createMetricsServer), which the NetworkPolicy opens to the monitoring namespace only.
const PROBES = new Set(["/healthz", "/readyz"]);

// Hosts a browser names when it reaches the app through `kubectl port-forward` (any local port), or a
// client in the cluster through the Service (its port; a Service name is a DNS label, no regex
// metacharacters). A page that rebinds its own DNS name to the app still names its own host.
const LOOPBACK_HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/;
const SERVICE_HOST = new RegExp(`^${KUBERNETES.service}(?:\\.[a-z0-9-]{1,63}\\.svc(?:\\.cluster\\.local)?)?:${HTTP_PORT}$`);

/**
 * Whether the TCP peer is this pod itself. `kubectl port-forward` connects from inside the pod's network
 * namespace to localhost (containerd and CRI-O both dial the port there), so the port-forward — and a local
 * run — shows as loopback; a peer in the cluster comes from its pod IP and cannot send from 127.0.0.0/8
 * (the kernel drops such packets arriving on a non-loopback interface). Unlike the Host header, this is
 * not the client's to choose.
 */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
  if (isIPv4(v4)) return v4.startsWith("127.");
  return isIPv6(address) && address === "::1";
}

/** The token's digest, so comparing takes the same time whatever the length and content of a guess. */
const digest = (token: string) => createHash("sha256").update(token, "utf8").digest();

/** How long a client refused for HTTP_MAX_BODIES should wait: bodies are read in well under a second on a healthy link. */
const BUSY_RETRY_AFTER_SECONDS = 1;

class BodyTooLarge extends Error {
  constructor() {
    super(`body larger than ${MAX_BODY} bytes`);
  }
}

const ownMessage = z.object({ key: z.string().min(1).max(256).optional(), value: z.string().max(100_000) });
const postBody = z.union([
  ownMessage.transform((m) => [m]),
  z.object({ messages: z.array(ownMessage).min(1).max(1000) }).transform((b) => b.messages),
]);

function send(res: ServerResponse, status: number, body: unknown, type = "application/json", headers: Record<string, string> = {}): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": type, "cache-control": "no-store", ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"]) > MAX_BODY) return reject(new BodyTooLarge());
    let size = 0;
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        // Keep nothing more: the rest flows on to no listener until the 413 closes the connection.
        req.off("data", onData);
        chunks.length = 0;
        reject(new BodyTooLarge());
      } else chunks.push(c);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

type TimeoutConfig = Pick<AppConfig, "httpHeadersTimeoutMs" | "httpRequestTimeoutMs">;

/** Node's server options for both listeners: slow clients are cut off after the configured timeouts. */
const serverOptions = (config: TimeoutConfig): ServerOptions => ({
  headersTimeout: config.httpHeadersTimeoutMs,
  requestTimeout: config.httpRequestTimeoutMs,
  // Node looks for expired requests this often (default 30 s): a timeout of a few seconds needs more.
  connectionsCheckingInterval: 1000,
});

/**
 * The HTTP API and dashboard; every asset is served from this process (no CDN). Slow clients are cut off
 * after the configured timeouts, at most `httpMaxBodies` request bodies are held at once, only the
 * port-forward's and the Service's Host names (and same-origin pages, for POST) are answered, and
 * `POST /messages` needs the stack's token (`postToken`), which `GET /api/token` gives only to the
 * port-forward's own page.
 */
export function createHttpServer(
  app: App,
  publicDir: string,
  config: TimeoutConfig & Pick<AppConfig, "httpMaxBodies" | "postToken">,
): Server {
  // Loaded once: the image's root filesystem is read-only and the files never change at run time.
  const assets = new Map(Object.entries(STATIC).map(([path, a]) => [path, { ...a, body: readFileSync(join(publicDir, a.file)) }]));

  let bodies = 0;
  const tokenDigest = config.postToken === undefined ? undefined : digest(config.postToken);

  // Why the token is safe to hand to the page: a client in the cluster that the NetworkPolicy lets reach
  // this port (only the peers the stack names) is not on loopback, so it cannot read the token here and
  // must be given it from the Secret; the developer's browser reaches the app through the port-forward,
  // i.e. on loopback. Another site's page in that browser cannot read the answer: a cross-origin fetch
  // sends an Origin (refused below) and gets no CORS header, a rebinding page names its own Host (refused
  // above), and Sec-Fetch-Site marks a <script src> or any other cross-site load.
  function tokenFor(req: IncomingMessage, host: string): { status: number; body: unknown } {
    const site = req.headers["sec-fetch-site"];
    const origin = req.headers.origin;
    if (!isLoopbackPeer(req.socket.remoteAddress) || !LOOPBACK_HOST.test(host)) {
      return { status: 403, body: { error: "the token is given only to the dashboard opened through kubectl port-forward" } };
    }
    if ((origin !== undefined && origin.toLowerCase() !== `http://${host}`) || (site !== undefined && site !== "same-origin")) {
      return { status: 403, body: { error: "the token is given only to the dashboard's own page" } };
    }
    if (config.postToken === undefined) return { status: 404, body: { error: `${ENV.postToken} is unset: POST /messages is off` } };
    return { status: 200, body: { token: config.postToken } };
  }

  // Checked before the body is read, so a client without the token costs no body slot.
  function refusal(req: IncomingMessage): string | undefined {
    if (tokenDigest === undefined) return `POST /messages is off: ${ENV.postToken} is unset`;
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "");
    if (!match || !timingSafeEqual(digest(match[1]), tokenDigest)) {
      return "POST /messages needs the stack's token as Authorization: Bearer <token> (the dashboard sends it)";
    }
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname: path, searchParams: query } = new URL(req.url ?? "/", "http://local");
    const host = (req.headers.host ?? "").toLowerCase();
    if (!PROBES.has(path) && !LOOPBACK_HOST.test(host) && !SERVICE_HOST.test(host)) {
      return send(res, 403, {
        error: `Host ${JSON.stringify(host)} is not this app's: use localhost or 127.0.0.1 (kubectl port-forward) or the Service ${KUBERNETES.service}:${HTTP_PORT}`,
      });
    }
    const origin = req.headers.origin;
    if (req.method !== "GET" && req.method !== "HEAD" && origin !== undefined && origin.toLowerCase() !== `http://${host}`) {
      return send(res, 403, { error: `Origin ${JSON.stringify(origin)} may not ${req.method} here: only the dashboard's own pages may` });
    }
    if (req.method === "GET" || req.method === "HEAD") {
      const asset = assets.get(path);
      if (asset) return send(res, 200, asset.body.toString(), asset.type);
      switch (path) {
        case "/healthz":
          return send(res, 200, { status: "ok" });
        case "/readyz": {
          const r = app.readiness();
          return send(res, r.ready ? 200 : 503, r);
        }
        case "/api/token": {
          const answer = tokenFor(req, host);
          return send(res, answer.status, answer.body);
        }
        case "/api/stats":
          return send(res, 200, app.stats(query.get("streams") === "1"));
      }
      return send(res, 404, { error: `no route ${path}` });
    }
    if (req.method === "POST" && path === "/messages") {
      const refused = refusal(req);
      if (refused !== undefined) {
        // Closing the connection spares reading a body that will not be used.
        return send(res, tokenDigest === undefined ? 403 : 401, { error: refused }, "application/json", {
          "www-authenticate": "Bearer",
          connection: "close",
        });
      }
      if (!app.producer) return send(res, 409, { error: `this process has ${ENV.role}=consumer; POST /messages needs producer or both` });
      if (bodies >= config.httpMaxBodies) {
        return send(
          res,
          503,
          { error: `${bodies} request bodies are being read, the most ${ENV.httpMaxBodies} allows; retry` },
          "application/json",
          { "retry-after": String(BUSY_RETRY_AFTER_SECONDS) },
        );
      }
      // The slot is held until the body is parsed; what the producer then holds is bounded by PRODUCE_RESEND_MAX_BYTES.
      bodies++;
      let body: ReturnType<typeof postBody.safeParse>;
      try {
        body = postBody.safeParse(JSON.parse(await readBody(req)));
      } catch (err) {
        if (err instanceof BodyTooLarge) return send(res, 413, { error: err.message }, "application/json", { connection: "close" });
        return send(res, 400, { error: `body must be JSON: ${(err as Error).message}` });
      } finally {
        bodies--;
      }
      if (!body.success) {
        return send(res, 400, {
          error: 'expected {"key"?: string, "value": string} or {"messages": [{"key"?, "value"}, ...]}',
          issues: body.error.issues,
        });
      }
      const result = await app.producer.sendOwn(body.data);
      if (result.status === "sent") return send(res, 201, result);
      return send(res, 503, result, "application/json", { "retry-after": String(result.retryAfterSeconds) });
    }
    return send(res, 405, { error: `${req.method} ${path} not allowed` });
  }

  return createServer(serverOptions(config), (req, res) => {
    handle(req, res).catch((err) => send(res, 500, { error: String(err) }));
  });
}

/**
 * The metrics listener: GET /metrics and nothing else, whatever the Host (Prometheus addresses the pod by
 * its IP). It is on a port of its own so the NetworkPolicy can admit the monitoring namespace to it and to
 * nothing else.
 */
export function createMetricsServer(app: App, config: TimeoutConfig): Server {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname: path } = new URL(req.url ?? "/", "http://local");
    if (path !== "/metrics") return send(res, 404, { error: `only /metrics is served on this port; no route ${path}` });
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, { error: `${req.method} ${path} not allowed` });
    return send(res, 200, await app.metrics.registry.metrics(), app.metrics.registry.contentType);
  }
  return createServer(serverOptions(config), (req, res) => {
    handle(req, res).catch((err) => send(res, 500, { error: String(err) }));
  });
}
