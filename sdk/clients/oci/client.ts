/**
 * A small OCI Distribution client (distribution-spec v1.1 "push" and "pull" categories): blob existence
 * (`HEAD /v2/<name>/blobs/<digest>`), blob upload (`POST /v2/<name>/blobs/uploads/` then one
 * `PUT <location>?digest=` with the bytes, or `PATCH` chunks with `Content-Range` and a closing empty
 * `PUT`), manifest push (`PUT /v2/<name>/manifests/<reference>`) and the reads a caller needs to check
 * what is there. Authentication: Basic, and the Bearer token flow of Docker's token spec; every request
 * has a timeout; network errors, 429 and 5xx are retried with capped exponential backoff (a failed blob
 * upload restarts from the existence check, since an upload session does not survive a failure).
 *
 * No maintained npm package does this (the ones that exist are unmaintained pull-only clients); the
 * protocol is small. Credentials are passed in at run time and never logged.
 */
import { basicHeader, parseChallenge, tokenFromResponse } from "./auth";
import { httpRequest, TransportError, type HttpResponse } from "./http";
import {
  MANIFEST_ACCEPT,
  OciRegistryError,
  LOOPBACK,
  sha256Digest,
  hostOf,
  RETRYABLE_STATUS,
  TLS_ERROR,
  registryErrorText,
  type OciClientOptions,
  type ManifestInfo,
} from "./registry";

export class OciClient {
  readonly baseUrl: string;
  private readonly opts: OciClientOptions;
  private readonly tokens = new Map<string, string>();
  private basic = false;

  constructor(opts: OciClientOptions) {
    if (!/^[A-Za-z0-9.\-[\]:]+$/.test(opts.registry) || opts.registry === "") {
      throw new Error(`registry "${opts.registry}" must be host[:port] (no scheme, no path)`);
    }
    this.opts = opts;
    const scheme = opts.scheme ?? (LOOPBACK.test(hostOf(opts.registry)) ? "http" : "https");
    this.baseUrl = `${scheme}://${opts.registry}`;
  }

  private get hasCredentials(): boolean {
    return (this.opts.username ?? "") !== "" || (this.opts.password ?? "") !== "";
  }

  private log(msg: string): void {
    this.opts.log?.(msg);
  }

  private async sleep(attempt: number): Promise<void> {
    const ms = Math.min((this.opts.backoffMs ?? 500) * 2 ** (attempt - 1), 10_000);
    await new Promise((r) => setTimeout(r, ms));
  }

  private raw(method: string, url: string, headers: Record<string, string>, body?: Buffer): Promise<HttpResponse> {
    return httpRequest({
      method,
      url,
      headers,
      body,
      timeoutMs: this.opts.timeoutMs ?? 60_000,
      ca: this.opts.ca,
      insecureSkipVerify: this.opts.insecureSkipVerify,
    });
  }

  /** Fetches a Bearer token for a scope from the challenge's realm. */
  private async fetchToken(params: Readonly<Record<string, string>>, scope: string): Promise<string> {
    if (!params.realm)
      throw new OciRegistryError("GET", this.baseUrl, 401, [], `registry ${this.opts.registry} sent a Bearer challenge without a realm`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set("service", params.service);
    url.searchParams.set("scope", scope);
    const headers: Record<string, string> = {};
    if (this.hasCredentials) headers.Authorization = basicHeader(this.opts.username ?? "", this.opts.password ?? "");
    const res = await this.raw("GET", url.toString(), headers);
    if (res.status !== 200) {
      const { codes, text } = registryErrorText(res);
      throw new OciRegistryError(
        "GET",
        `${url.origin}${url.pathname}`,
        res.status,
        codes,
        `token server ${url.origin}${url.pathname} refused a token for ${scope} (HTTP ${res.status}: ${text})` +
          (this.hasCredentials ? "; check the registry username and password" : "; the registry needs credentials"),
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(res.body.toString("utf8"));
    } catch {
      body = undefined;
    }
    const token = tokenFromResponse(body);
    if (!token)
      throw new OciRegistryError(
        "GET",
        `${url.origin}${url.pathname}`,
        200,
        [],
        `token server ${url.origin}${url.pathname} answered without a token`,
      );
    return token;
  }

  /**
   * One request with authentication (answers one 401 challenge) and, for idempotent steps, retries of
   * network errors, 429 and 5xx. Returns the response whatever its status; callers judge it.
   */
  private async send(
    method: string,
    url: string,
    scope: string,
    opts: { headers?: Record<string, string>; body?: Buffer; retry?: boolean } = {},
  ): Promise<HttpResponse> {
    const attempts = opts.retry === false ? 1 : Math.max(1, this.opts.maxAttempts ?? 4);
    for (let attempt = 1; ; attempt++) {
      try {
        let res = await this.raw(method, url, { ...(opts.headers ?? {}), ...this.authHeader(scope) }, opts.body);
        if (res.status === 401) {
          const header = res.headers["www-authenticate"];
          const challenge = parseChallenge(Array.isArray(header) ? header[0] : (header ?? ""));
          if (challenge?.scheme === "bearer") {
            // Ask for what this client needs (e.g. pull,push before a HEAD whose challenge names only pull),
            // so one token serves the whole push.
            this.tokens.set(scope, await this.fetchToken(challenge.params, scope));
          } else if (challenge?.scheme === "basic") {
            if (!this.hasCredentials) throw this.unauthorized(method, url, "the registry asks for Basic credentials and none were given");
            if (this.basic) throw this.unauthorized(method, url, "the registry rejected the username and password");
            this.basic = true;
          } else {
            throw this.unauthorized(method, url, `unsupported authentication challenge "${String(header ?? "")}"`);
          }
          res = await this.raw(method, url, { ...(opts.headers ?? {}), ...this.authHeader(scope) }, opts.body);
          if (res.status === 401)
            throw this.unauthorized(
              method,
              url,
              this.hasCredentials ? "the registry rejected the credentials" : "the registry needs credentials",
            );
        }
        if (RETRYABLE_STATUS(res.status) && attempt < attempts) {
          this.log(`${method} ${url}: HTTP ${res.status}, retrying (attempt ${attempt + 1}/${attempts})`);
          await this.sleep(attempt);
          continue;
        }
        return res;
      } catch (err) {
        if (err instanceof TransportError && attempt < attempts && !TLS_ERROR.test(err.code)) {
          this.log(`${err.message}; retrying (attempt ${attempt + 1}/${attempts})`);
          await this.sleep(attempt);
          continue;
        }
        if (err instanceof TransportError) {
          throw new TransportError(`registry ${this.opts.registry} unreachable after ${attempt} attempt(s): ${err.message}`, err.code);
        }
        throw err;
      }
    }
  }

  private authHeader(scope: string): Record<string, string> {
    const token = this.tokens.get(scope);
    if (token) return { Authorization: `Bearer ${token}` };
    if (this.basic) return { Authorization: basicHeader(this.opts.username ?? "", this.opts.password ?? "") };
    return {};
  }

  private unauthorized(method: string, url: string, why: string): OciRegistryError {
    return new OciRegistryError(method, url, 401, ["UNAUTHORIZED"], `${method} ${url}: unauthorized: ${why}`);
  }

  private fail(method: string, url: string, res: HttpResponse, what: string): OciRegistryError {
    const { codes, text } = registryErrorText(res);
    return new OciRegistryError(method, url, res.status, codes, `${what} failed: ${method} ${url} answered HTTP ${res.status}: ${text}`);
  }

  private repoUrl(repository: string, rest: string): string {
    if (!/^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/.test(repository)) {
      throw new Error(`repository "${repository}" is not a valid OCI repository name (lower-case path components of [a-z0-9._-])`);
    }
    return `${this.baseUrl}/v2/${repository}/${rest}`;
  }

  /** `GET /v2/` — reachability and credentials (a 401 here is answered like any other). */
  async ping(): Promise<void> {
    const url = `${this.baseUrl}/v2/`;
    const res = await this.send("GET", url, "registry:catalog:*");
    if (res.status !== 200) throw this.fail("GET", url, res, "registry check");
  }

  /** True when the repository already has the blob. */
  async blobExists(repository: string, digest: string, scope = `repository:${repository}:pull,push`): Promise<boolean> {
    const url = this.repoUrl(repository, `blobs/${digest}`);
    const res = await this.send("HEAD", url, scope);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw this.fail("HEAD", url, res, `checking blob ${digest}`);
  }

  /**
   * Uploads a blob unless the repository has it. Returns its digest and whether bytes were sent. The
   * whole sequence is retried on a retryable failure (a broken upload session cannot be resumed).
   */
  async pushBlob(
    repository: string,
    data: Buffer,
    opts: { chunkSize?: number } = {},
  ): Promise<{ digest: string; size: number; uploaded: boolean }> {
    const digest = sha256Digest(data);
    const scope = `repository:${repository}:pull,push`;
    const attempts = Math.max(1, this.opts.maxAttempts ?? 4);
    for (let attempt = 1; ; attempt++) {
      try {
        if (await this.blobExists(repository, digest, scope)) return { digest, size: data.length, uploaded: false };
        await this.upload(repository, data, digest, scope, opts.chunkSize ?? this.opts.chunkSize ?? 0);
        return { digest, size: data.length, uploaded: true };
      } catch (err) {
        const retryable =
          (err instanceof TransportError && !TLS_ERROR.test(err.code)) || (err instanceof OciRegistryError && RETRYABLE_STATUS(err.status));
        if (!retryable || attempt >= attempts) throw err;
        this.log(
          `upload of ${digest} to ${repository} failed (${(err as Error).message}); restarting (attempt ${attempt + 1}/${attempts})`,
        );
        await this.sleep(attempt);
      }
    }
  }

  private location(res: HttpResponse, base: string, what: string): string {
    const loc = res.headers.location;
    if (!loc)
      throw new OciRegistryError(
        "POST",
        base,
        res.status,
        [],
        `${what}: the registry answered HTTP ${res.status} without a Location header`,
      );
    return new URL(Array.isArray(loc) ? loc[0] : loc, base).toString();
  }

  private async upload(repository: string, data: Buffer, digest: string, scope: string, chunkSize: number): Promise<void> {
    const start = this.repoUrl(repository, "blobs/uploads/");
    const init = await this.send("POST", start, scope, { retry: false, body: Buffer.alloc(0) });
    if (init.status !== 202) throw this.fail("POST", start, init, `starting the upload of ${digest}`);
    let loc = this.location(init, start, `starting the upload of ${digest}`);
    let body: Buffer | undefined = data;
    if (chunkSize > 0 && data.length > 0) {
      for (let off = 0; off < data.length; off += chunkSize) {
        const chunk = data.subarray(off, Math.min(off + chunkSize, data.length));
        const res = await this.send("PATCH", loc, scope, {
          retry: false,
          body: chunk,
          headers: { "Content-Type": "application/octet-stream", "Content-Range": `${off}-${off + chunk.length - 1}` },
        });
        if (res.status !== 202) throw this.fail("PATCH", loc, res, `uploading bytes ${off}-${off + chunk.length - 1} of ${digest}`);
        loc = this.location(res, loc, `uploading a chunk of ${digest}`);
      }
      body = Buffer.alloc(0);
    }
    const put = new URL(loc);
    put.searchParams.set("digest", digest);
    const res = await this.send("PUT", put.toString(), scope, {
      retry: false,
      body,
      headers: { "Content-Type": "application/octet-stream" },
    });
    if (res.status !== 201) throw this.fail("PUT", put.toString(), res, `completing the upload of ${digest}`);
    const got = res.headers["docker-content-digest"];
    if (typeof got === "string" && got !== "" && got !== digest) {
      throw new OciRegistryError("PUT", put.toString(), res.status, ["DIGEST_INVALID"], `the registry stored ${got} for blob ${digest}`);
    }
    this.log(`uploaded ${digest} (${data.length} bytes) to ${repository}`);
  }

  /** Pushes a manifest under a tag or digest; returns the manifest digest. */
  async pushManifest(repository: string, reference: string, manifest: Buffer, mediaType: string): Promise<string> {
    const digest = sha256Digest(manifest);
    const url = this.repoUrl(repository, `manifests/${reference}`);
    const res = await this.send("PUT", url, `repository:${repository}:pull,push`, {
      body: manifest,
      headers: { "Content-Type": mediaType },
    });
    if (res.status !== 201) throw this.fail("PUT", url, res, `pushing manifest ${repository}:${reference}`);
    const got = res.headers["docker-content-digest"];
    if (typeof got === "string" && got !== "" && got !== digest) {
      throw new OciRegistryError("PUT", url, res.status, ["DIGEST_INVALID"], `the registry stored manifest ${got}, expected ${digest}`);
    }
    return digest;
  }

  /** The digest and media type a tag resolves to, or undefined when the repository or tag is unknown. */
  async resolveManifest(repository: string, reference: string): Promise<ManifestInfo | undefined> {
    const url = this.repoUrl(repository, `manifests/${reference}`);
    const res = await this.send("HEAD", url, `repository:${repository}:pull`, { headers: { Accept: MANIFEST_ACCEPT } });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.fail("HEAD", url, res, `resolving ${repository}:${reference}`);
    const digest = res.headers["docker-content-digest"];
    if (typeof digest === "string" && digest !== "") {
      return { digest, mediaType: String(res.headers["content-type"] ?? ""), size: Number(res.headers["content-length"] ?? 0) };
    }
    const m = await this.getManifest(repository, reference);
    return { digest: m.digest, mediaType: m.mediaType, size: m.body.length };
  }

  /** Reads a manifest; the digest is computed from the bytes (and checked when the reference is a digest). */
  async getManifest(repository: string, reference: string): Promise<{ body: Buffer; mediaType: string; digest: string }> {
    const url = this.repoUrl(repository, `manifests/${reference}`);
    const res = await this.send("GET", url, `repository:${repository}:pull`, { headers: { Accept: MANIFEST_ACCEPT } });
    if (res.status !== 200) throw this.fail("GET", url, res, `reading manifest ${repository}:${reference}`);
    const digest = sha256Digest(res.body);
    if (reference.startsWith("sha256:") && reference !== digest) {
      throw new OciRegistryError("GET", url, 200, ["DIGEST_INVALID"], `manifest ${reference} has digest ${digest}`);
    }
    return { body: res.body, mediaType: String(res.headers["content-type"] ?? ""), digest };
  }

  /** Reads a blob (following a redirect to storage) and checks its digest. */
  async getBlob(repository: string, digest: string): Promise<Buffer> {
    let url = this.repoUrl(repository, `blobs/${digest}`);
    let res = await this.send("GET", url, `repository:${repository}:pull`);
    for (let hops = 0; res.status >= 300 && res.status < 400 && res.headers.location && hops < 5; hops++) {
      url = new URL(String(res.headers.location), url).toString();
      res = await this.raw("GET", url, {});
    }
    if (res.status !== 200) throw this.fail("GET", url, res, `reading blob ${digest}`);
    const got = sha256Digest(res.body);
    if (got !== digest) throw new OciRegistryError("GET", url, 200, ["DIGEST_INVALID"], `blob ${digest} has digest ${got}`);
    return res.body;
  }
}

export { MEDIA_TYPES, OciRegistryError, sha256Digest, type ManifestInfo, type OciClientOptions } from "./registry";
