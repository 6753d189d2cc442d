import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { z } from "zod";
import type { App } from "./app";
import type { AppConfig } from "./config";
import { ENV } from "./contract";

const STATIC: Record<string, { readonly file: string; readonly type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

const MAX_BODY = 1 << 20;

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
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", ...headers });
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

/**
 * The HTTP API and dashboard; every asset is served from this process (no CDN). Slow clients are cut off
 * after the configured timeouts and at most `httpMaxBodies` request bodies are held at once.
 */
export function createHttpServer(
  app: App,
  publicDir: string,
  config: Pick<AppConfig, "httpHeadersTimeoutMs" | "httpRequestTimeoutMs" | "httpMaxBodies">,
): Server {
  // Loaded once: the image's root filesystem is read-only and the files never change at run time.
  const assets = new Map(Object.entries(STATIC).map(([path, a]) => [path, { ...a, body: readFileSync(join(publicDir, a.file)) }]));

  let bodies = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname: path, searchParams: query } = new URL(req.url ?? "/", "http://local");
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
        case "/metrics":
          return send(res, 200, await app.metrics.registry.metrics(), app.metrics.registry.contentType);
        case "/api/stats":
          return send(res, 200, app.stats(query.get("streams") === "1"));
      }
      return send(res, 404, { error: `no route ${path}` });
    }
    if (req.method === "POST" && path === "/messages") {
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

  return createServer(
    {
      headersTimeout: config.httpHeadersTimeoutMs,
      requestTimeout: config.httpRequestTimeoutMs,
      // Node looks for expired requests this often (default 30 s): a timeout of a few seconds needs more.
      connectionsCheckingInterval: 1000,
    },
    (req, res) => {
      handle(req, res).catch((err) => send(res, 500, { error: String(err) }));
    },
  );
}
