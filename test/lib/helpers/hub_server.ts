/**
 * A loopback stand-in for the Hugging Face hub: serves `/{name}/resolve/{revision}/{file}` from
 * local folders over real HTTP on 127.0.0.1 (random port), redirecting like the hub does.
 */
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";

export interface HubServer {
  endpoint: string;
  /** Paths requested so far. */
  requests: string[];
  /** Files (by name) to cut off half-way, closing the connection. */
  cut: Set<string>;
  close(): Promise<void>;
}

export async function startHubServer(models: Record<string, string>, revision = "main"): Promise<HubServer> {
  const requests: string[] = [];
  const cut = new Set<string>();
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? "");
    requests.push(url);
    // The hub answers /resolve/ with a redirect to its file store.
    const resolve = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
    if (resolve) {
      res.writeHead(302, { location: `/files/${resolve[1]}/${resolve[2]}/${resolve[3]}` });
      res.end();
      return;
    }
    const m = /^\/files\/(.+)\/([^/]+)\/([^/]+)$/.exec(url);
    // Models under "private/" need the bearer token "secret", as gated hub models need HF_TOKEN.
    if (m && m[1].startsWith("private/") && req.headers.authorization !== "Bearer secret") {
      res.writeHead(401, { "content-type": "text/plain" });
      res.end("Unauthorized");
      return;
    }
    const dir = m ? models[m[1]] : undefined;
    const file = m && dir && m[2] === revision ? path.join(dir, m[3]) : undefined;
    if (!file || !fs.existsSync(file)) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("Entry not found");
      return;
    }
    const data = fs.readFileSync(file);
    res.writeHead(200, { "content-length": String(data.length), "content-type": "application/octet-stream" });
    if (cut.has(m![3])) {
      res.write(data.subarray(0, Math.floor(data.length / 2)), () => res.destroy());
      return;
    }
    res.end(data);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    cut,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}
