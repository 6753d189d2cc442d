// A stand-in for the DigitalOcean API on 127.0.0.1, for the engine stage's `do` preview: it answers the
// read-only calls a preview makes (the provider honours DIGITALOCEAN_API_URL) and records every request,
// so a test can prove the preview asked for nothing else and never sent the token anywhere but here.
import { createServer, IncomingMessage, Server } from "http";
import { AddressInfo } from "net";

/** One request the stand-in received. */
export interface RecordedRequest {
  /** HTTP method. */
  readonly method: string;
  /** Path with query string. */
  readonly url: string;
  /** The Authorization header as sent. */
  readonly authorization?: string;
}

/** A running stand-in. */
export interface DoApiStandIn {
  /** http://127.0.0.1:<port>, for DIGITALOCEAN_API_URL. */
  readonly url: string;
  /** Every request so far, in order. */
  readonly requests: RecordedRequest[];
  /** Stops the server. */
  close(): Promise<void>;
}

/** Kubernetes versions the stand-in offers, newest first, as DOKS lists them. */
export const doKubernetesVersions = ["1.35.1-do.0", "1.34.4-do.1", "1.33.8-do.2"];

// GET /v2/kubernetes/options: what `getKubernetesVersions` reads (godo's KubernetesOptions).
const kubernetesOptions = {
  options: {
    versions: doKubernetesVersions.map((slug) => ({
      slug,
      kubernetes_version: slug.replace(/-do\.\d+$/, ""),
      supported_features: ["cluster-autoscaler"],
    })),
    regions: [{ name: "Amsterdam 3", slug: "ams3" }],
    sizes: [{ name: "s-4vcpu-8gb", slug: "s-4vcpu-8gb" }],
  },
};

/** Starts the stand-in on a free 127.0.0.1 port; unknown paths answer 404 with DigitalOcean's error shape. */
export async function startDoApi(): Promise<DoApiStandIn> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization });
    req.resume();
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url?.split("?")[0] === "/v2/kubernetes/options") {
      send(200, kubernetesOptions);
    } else {
      send(404, { id: "not_found", message: `the stand-in does not serve ${req.method} ${req.url}` });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
