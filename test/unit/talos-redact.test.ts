import { test, describe, before } from "node:test";
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { renderMachineConfigs, redactMachineConfig, REDACTED, TalosRenderInput } from "../../sdk/distributions/talos";
import type { TalosSecretsBundle } from "../../sdk/pki/types";
import { talosSecrets } from "../fixtures/talos/secrets";
import { schemaErrors } from "../fixtures/talos/schema";

let secrets: TalosSecretsBundle;
before(async () => {
  secrets = await talosSecrets();
});

const HCLOUD_TOKEN = "hcl0udT0kenValue1234567890abcdefABCDEFghijklmnopqrstuvwxyz0123";
const REGISTRY_PASSWORD = "s3cr3t-registry-pass";
const USER_KEY_PEM =
  "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKx1LZ0q8Zl0bJ9Zk3GmV4i5iWb3qO2mS9p6Yb9pYfJv\n-----END PRIVATE KEY-----\n";

/** Every string value in a multi-document YAML (including inline manifest contents, parsed). */
function strings(yaml: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string") {
      out.push(v);
      if (/\n/.test(v) && /apiVersion:/.test(v)) YAML.parseAllDocuments(v).forEach((d) => walk(d.toJS()));
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  YAML.parseAllDocuments(yaml).forEach((d) => walk(d.toJS()));
  return out;
}

/** The scan: no key material, token or known secret anywhere, decoded or not. */
function leaks(yaml: string, known: string[]): string[] {
  const found: string[] = [];
  if (/PRIVATE KEY/.test(yaml)) found.push("PEM private key text");
  const token = /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/.exec(yaml);
  if (token) found.push(`token-shaped value ${token[0]}`);
  for (const s of strings(yaml)) {
    const decoded = Buffer.from(s, "base64").toString("utf8");
    if (/PRIVATE KEY/.test(decoded)) found.push(`base64 private key in "${s.slice(0, 20)}…"`);
  }
  for (const k of known) if (yaml.includes(k)) found.push(`known secret ${k.slice(0, 12)}…`);
  return found;
}

function knownSecrets(s: TalosSecretsBundle): string[] {
  const keys = [s.certs.os.key, s.certs.k8s.key, s.certs.k8sAggregator.key, s.certs.etcd.key, s.certs.k8sServiceAccount.key];
  const keyBodies = keys.flatMap((k) => k.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----")));
  return [
    s.cluster.secret,
    s.secrets.bootstrapToken,
    s.secrets.secretboxEncryptionSecret,
    s.trustdInfo.token,
    HCLOUD_TOKEN,
    REGISTRY_PASSWORD,
    ...keyBodies,
    ...keys.map((k) => Buffer.from(k).toString("base64").slice(0, 40)),
  ];
}

const USER_PATCHES = {
  cluster: [
    {
      source: "talos/cluster/files.yaml",
      content: `machine:\n  files:\n    - path: /var/etc/user.key\n      op: create\n      permissions: 0o600\n      content: ${JSON.stringify(USER_KEY_PEM)}\n`,
    },
  ],
  controlPlanes: [
    {
      source: "talos/control-planes/ccm-secret.yaml",
      content: [
        "cluster:",
        "  inlineManifests:",
        "    - name: hcloud-secret",
        "      contents: |",
        "        apiVersion: v1",
        "        kind: Secret",
        "        metadata:",
        "          name: hcloud",
        "          namespace: kube-system",
        "        stringData:",
        `          token: ${HCLOUD_TOKEN}`,
        "          network: dev-network",
        "        ---",
        "        apiVersion: v1",
        "        kind: ConfigMap",
        "        metadata:",
        "          name: keep-me",
        "        data:",
        "          tolerationKey: visible",
      ].join("\n"),
    },
  ],
  workers: [],
};

function render(
  minor: string,
  platform: "docker" | "hetzner" | "metal",
  patches: TalosRenderInput["patches"] = USER_PATCHES,
): ReturnType<typeof renderMachineConfigs> {
  const over: Partial<TalosRenderInput> =
    platform === "hetzner"
      ? { hetzner: { vip: "203.0.113.10", apiToken: HCLOUD_TOKEN } }
      : {
          mirrors: [{ host: "docker.io", endpoints: ["http://dev-docker.io:5000"], auth: { username: "me", password: REGISTRY_PASSWORD } }],
        };
  return renderMachineConfigs({
    clusterName: "dev",
    endpoint: "https://203.0.113.10:6443",
    talosVersion: minor,
    secrets,
    platform,
    workers: 1,
    metricsServer: true,
    patches,
    ...over,
  });
}

describe("Talos redaction: scan finds no key material", () => {
  for (const minor of ["1.11", "1.12", "1.13"]) {
    for (const platform of ["docker", "hetzner", "metal"] as const) {
      test(`${minor} × ${platform}`, () => {
        const r = render(minor, platform);
        const known = knownSecrets(secrets);
        // The scan does find them in the secret rendering (so it would catch a leak):
        assert.ok(leaks(r.controlPlane, known).length >= 5, "the scan detects secrets in the unredacted config");
        for (const [name, red] of [
          ["controlPlane", r.controlPlaneRedacted],
          ["worker", r.workerRedacted],
        ] as const) {
          assert.deepEqual(leaks(red, known), [], `${minor}/${platform}/${name}`);
          assert.deepEqual(schemaErrors(red, minor), [], "redacted config still validates");
          assert.equal(redactMachineConfig(red), red, "redaction is idempotent");
        }
      });
    }
  }
});

describe("Talos redaction: what is kept and what is replaced", () => {
  test("certificates, cluster id and ordinary fields stay; secrets become the marker", () => {
    const r = render("1.13", "docker");
    const cp: any = YAML.parseAllDocuments(r.controlPlaneRedacted).map((d) => d.toJS())[0];
    assert.equal(Buffer.from(cp.machine.ca.crt, "base64").toString(), secrets.certs.os.cert);
    assert.equal(Buffer.from(cp.cluster.ca.crt, "base64").toString(), secrets.certs.k8s.cert);
    assert.equal(cp.cluster.id, secrets.cluster.id);
    for (const v of [
      cp.machine.ca.key,
      cp.machine.token,
      cp.cluster.secret,
      cp.cluster.token,
      cp.cluster.secretboxEncryptionSecret,
      cp.cluster.ca.key,
      cp.cluster.aggregatorCA.key,
      cp.cluster.serviceAccount.key,
      cp.cluster.etcd.ca.key,
      cp.machine.files[0].content,
    ]) {
      assert.equal(v, REDACTED);
    }
    assert.equal(cp.cluster.clusterName, "dev");
    assert.equal(cp.machine.files[0].path, "/var/etc/user.key");
    const worker: any = YAML.parseAllDocuments(r.workerRedacted).map((d) => d.toJS())[0];
    assert.equal(worker.machine.ca.key, "", "the worker's empty key stays empty");
  });

  test("inline manifests: Secret payloads redacted, other objects and toleration keys kept", () => {
    const cp: any = YAML.parseAllDocuments(render("1.12", "hetzner").controlPlaneRedacted).map((d) => d.toJS())[0];
    const manifests = Object.fromEntries(
      cp.cluster.inlineManifests.map((m: any) => [m.name, YAML.parseAllDocuments(m.contents).map((d) => d.toJS())]),
    );
    const [secret, cm] = manifests["hcloud-secret"];
    assert.deepEqual(secret.stringData, { token: REDACTED, network: REDACTED });
    assert.equal(secret.metadata.name, "hcloud");
    assert.deepEqual(cm.data, { tolerationKey: "visible" });
    const approver = manifests["kubelet-serving-cert-approver"];
    const dep = approver.find((d: any) => d.kind === "Deployment");
    assert.equal(
      dep.spec.template.spec.tolerations[0].key,
      "node-role.kubernetes.io/control-plane",
      "a toleration key is not a credential",
    );
  });

  test("Hetzner VIP token redacted in both contracts; registry password redacted", () => {
    const legacy: any = YAML.parse(render("1.11", "hetzner").controlPlaneRedacted.split("---\n")[0]);
    assert.equal(legacy.machine.network.interfaces[0].vip.hcloud.apiToken, REDACTED);
    const modern = YAML.parseAllDocuments(render("1.13", "hetzner").controlPlaneRedacted).map((d) => d.toJS());
    assert.equal(modern.find((d: any) => d.kind === "HCloudVIPConfig").apiToken, REDACTED);
    const reg = YAML.parseAllDocuments(render("1.13", "docker").workerRedacted).map((d) => d.toJS());
    assert.deepEqual(
      reg.find((d: any) => d.kind === "RegistryAuthConfig"),
      { apiVersion: "v1alpha1", kind: "RegistryAuthConfig", name: "docker.io", username: "me", password: REDACTED },
    );
  });

  test("allow-list: a string under a field not known to be safe is redacted, whatever it looks like", () => {
    const yaml = `version: v1alpha1\nmachine:\n  type: worker\n  env:\n    SOMETHING: ${Buffer.from(USER_KEY_PEM).toString("base64")}\n    TOKEN_LIKE: abcdef.0123456789abcdef\n    PLAIN: hello\n`;
    const out: any = YAML.parse(redactMachineConfig(yaml));
    assert.deepEqual(out.machine.env, { SOMETHING: REDACTED, TOKEN_LIKE: REDACTED, PLAIN: REDACTED });
    assert.equal(out.machine.type, "worker");
  });

  // The review's leak kinds (secrets in Talos patches that a deny-list let through), each planted through a
  // user patch into the real rendering, for every supported Talos minor.
  const PLANTED = {
    kernelArg: "kernel-Arg-Secret-0001",
    fileContent: "file-Content-Secret-0003",
    proxyPassword: "proxy-Password-0004",
    mirrorPassword: "mirror-Password-0005",
    etcdArg: "etcd-Arg-Secret-0006",
    headerToken: "header-Bearer-0007",
    apiServerArg: "apiserver-Arg-Secret-0008",
    kubeletArg: "kubelet-Arg-Secret-0009",
  };
  const LEAK_PATCHES = {
    cluster: [
      {
        source: "talos/cluster/leaks.yaml",
        content: [
          "machine:",
          "  env:",
          `    https_proxy: http://proxyuser:${PLANTED.proxyPassword}@proxy.internal:3128`,
          "  files:",
          "    - path: /var/etc/app.conf",
          "      op: create",
          "      permissions: 0o644",
          `      content: "password=${PLANTED.fileContent}"`,
          "  install:",
          "    extraKernelArgs:",
          `      - talos.custom.auth=${PLANTED.kernelArg}`,
          "  kubelet:",
          "    extraArgs:",
          `      bootstrap-token-secret: ${PLANTED.kubeletArg}`,
          '      rotate-server-certificates: "true"',
          "  registries:",
          "    mirrors:",
          "      ghcr.io:",
          "        endpoints:",
          `          - https://mirror:${PLANTED.mirrorPassword}@mirror.internal`,
          "cluster:",
          "  extraManifestHeaders:",
          `    Authorization: Bearer ${PLANTED.headerToken}`,
          "  apiServer:",
          "    extraArgs:",
          `      oidc-client-secret: ${PLANTED.apiServerArg}`,
          "  etcd:",
          "    extraArgs:",
          `      initial-cluster-token: ${PLANTED.etcdArg}`,
        ].join("\n"),
      },
    ],
    controlPlanes: [],
    workers: [],
  };

  test("the review's leak kinds planted through patches: none reaches the redacted configs; the config stays readable", () => {
    for (const minor of ["1.11", "1.12", "1.13", "1.14"]) {
      const r = render(minor, "docker", LEAK_PATCHES);
      for (const planted of Object.values(PLANTED))
        assert.ok(r.controlPlane.includes(planted), `${minor}: ${planted} is in the full config`);
      for (const [name, red, full] of [
        ["controlplane", r.controlPlaneRedacted, r.controlPlane],
        ["worker", r.workerRedacted, r.worker],
      ] as const) {
        for (const [kind, planted] of Object.entries(PLANTED)) assert.ok(!red.includes(planted), `${minor}/${name}: ${kind} leaked`);
        // Redaction adds no schema error (the patch uses v1alpha1 fields that newer minors moved to documents).
        assert.deepEqual(schemaErrors(red, minor), schemaErrors(full, minor), `${minor}/${name}: redaction keeps the schema verdict`);
      }
      const cp: any = YAML.parse(r.controlPlaneRedacted.split("---\n")[0]);
      assert.equal(cp.machine.env.https_proxy, REDACTED);
      assert.equal(cp.machine.files.find((f: any) => f.path === "/var/etc/app.conf").content, REDACTED);
      assert.equal(cp.machine.kubelet.extraArgs["rotate-server-certificates"], "true", "a harmless argument stays");
      assert.equal(cp.cluster.clusterName, "dev");
    }
  });
});
