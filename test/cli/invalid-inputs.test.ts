// One validation pipeline, checked over a table of invalid inputs (the newcomer review's list, the security
// review's cases, the document validator's cases and more): for every row, `validate`, `diff`, `render` and `plan`
// (a program that builds KSailCluster from the ksail.yaml) all refuse it with exit 1, the same field path and
// message, no stack trace, and `render` writes nothing. The commands run in one child process through the CLI's
// `main` (what bin/ksail-pulumi.js calls), with each command's stdout and stderr captured.
import { describe, test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { base, docker, documentCases, type Doc } from "../fixtures/spec/invalidDocuments";
import { repoRoot } from "../harness/paths";

const compiledMain = path.resolve(__dirname, "../../sdk/cli/main.js");

interface Row {
  name: string;
  /** Files of the project directory; `ksail.yaml` is the one every command gets. */
  files: Record<string, string>;
  /** Symbolic links to create: link (in the project) → target (absolute). */
  links?: Record<string, string>;
  env?: Record<string, string>;
  /** The field path the issue names (exactly, in validate's JSON; as text in the other commands' output). */
  path: string;
  message: RegExp;
  /** Commands that cannot see this input (e.g. a program takes no file argument). */
  skip?: ("validate" | "diff" | "render" | "plan")[];
}

const yaml = (d: unknown): string => YAML.stringify(d);
const withDoc = (d: Doc, f: (d: Doc) => void): Doc => {
  f(d);
  return d;
};
const talosDocker = (f: (d: Doc) => void = () => {}) => withDoc(docker("Talos"), f);
const kind = (f: (d: Doc) => void = () => {}) =>
  withDoc(docker("Vanilla"), (d) => {
    d.metadata!.name = "dev";
    f(d);
  });
const k3s = (f: (d: Doc) => void = () => {}) =>
  withDoc(docker("K3s"), (d) => {
    d.metadata!.name = "dev";
    f(d);
  });
const KIND = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: dev\n";
const K3D = "apiVersion: k3d.io/v1alpha5\nkind: Simple\nmetadata:\n  name: dev\n";
const BOMB =
  "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
/** A Talos-on-Docker project with one cluster-wide patch. */
const talosPatch = (content: string, version?: string, file = "talos/cluster/patch.yaml"): Record<string, string> => ({
  "ksail.yaml": yaml(talosDocker((d) => version && (d.spec.cluster.talos = { version }))),
  [file]: content,
});

const fileRows: Row[] = [
  // kind.yaml (Vanilla)
  {
    name: "kind.yaml: a field KSailCluster does not honour",
    files: { "ksail.yaml": yaml(kind()), "kind.yaml": `${KIND}featureGates: {A: true}\n` },
    path: "kind.yaml:featureGates",
    message: /KSailCluster does not pass kind's featureGates.*remove featureGates/,
  },
  {
    name: "kind.yaml: the wrong kind",
    files: { "ksail.yaml": yaml(kind()), "kind.yaml": "kind: Simple\napiVersion: k3d.io/v1alpha5\n" },
    path: "kind.yaml",
    message: /expected kind: Cluster with apiVersion kind\.x-k8s\.io/,
  },
  {
    name: "kind.yaml: a name other than metadata.name",
    files: { "ksail.yaml": yaml(kind()), "kind.yaml": KIND.replace("name: dev", "name: other") },
    path: "metadata.name",
    message: /is "dev" but kind\.yaml name is "other"; a cluster has one name/,
  },
  {
    name: "kind.yaml: YAML syntax error",
    files: { "ksail.yaml": yaml(kind()), "kind.yaml": "kind: [Cluster\n" },
    path: "kind.yaml",
    message: /YAML syntax error/,
  },
  {
    name: "kind.yaml: a __proto__ key",
    files: { "ksail.yaml": yaml(kind()), "kind.yaml": `${KIND}networking:\n  __proto__: {x: 1}\n` },
    path: "kind.yaml: networking.__proto__",
    message: /__proto__/,
  },
  {
    name: "kind.yaml: ${VAR} holding a line break",
    files: { "ksail.yaml": yaml(kind()), "kind.yaml": `${KIND}networking:\n  podSubnet: \${POD}\n` },
    env: { POD: "10.0.0.0/16\nnodes: []" },
    path: "kind.yaml",
    message: /environment variable POD holds a line break/,
  },
  {
    name: "kind.yaml: a node role kind does not know",
    files: { "ksail.yaml": yaml(kind()), "kind.yaml": `${KIND}nodes:\n  - role: master\n` },
    path: "kind.yaml:nodes[0].role",
    message: /is "master"; must be control-plane or worker/,
  },
  {
    name: "explicit distributionConfig that does not exist",
    files: { "ksail.yaml": yaml(kind((d) => (d.spec.cluster.distributionConfig = "cluster/kind.yaml"))) },
    path: "spec.cluster.distributionConfig",
    message: /does not exist/,
  },
  {
    name: "mirrorsDir that does not exist",
    files: { "ksail.yaml": yaml(kind((d) => (d.spec.cluster.vanilla = { mirrorsDir: "mirrors" }))) },
    path: "spec.cluster.vanilla.mirrorsDir",
    message: /does not exist/,
  },
  // k3d.yaml (K3s)
  {
    name: "k3d.yaml: a field KSailCluster does not honour",
    files: { "ksail.yaml": yaml(k3s()), "k3d.yaml": `${K3D}registries: {create: {name: r}}\n` },
    path: "k3d.yaml:registries",
    message: /creates the local registry from spec\.cluster\.localRegistry.*remove registries/,
  },
  {
    name: "k3d.yaml: the wrong apiVersion",
    files: { "ksail.yaml": yaml(k3s()), "k3d.yaml": K3D.replace("k3d.io/v1alpha5", "kind.x-k8s.io/v1alpha4") },
    path: "k3d.yaml",
    message: /expected kind: Simple with apiVersion k3d\.io/,
  },
  {
    name: "k3d.yaml: a name other than metadata.name",
    files: { "ksail.yaml": yaml(k3s()), "k3d.yaml": K3D.replace("name: dev", "name: other") },
    path: "metadata.name",
    message: /is "dev" but k3d\.yaml metadata\.name is "other"/,
  },
  {
    name: "k3d.yaml: constructor key",
    files: { "ksail.yaml": yaml(k3s()), "k3d.yaml": `${K3D}options:\n  constructor: {x: 1}\n` },
    path: "k3d.yaml: options.constructor",
    message: /constructor/,
  },
  // Talos patches: what Talos's decoder refuses (fields.json), and what is not a patch
  {
    name: "Talos patch: a misspelt field",
    files: talosPatch("machine:\n  kubelet:\n    extraArgz: {max-pods: '200'}\n"),
    path: "talos/cluster/patch.yaml: machine.kubelet.extraArgz",
    message: /unknown field "extraArgz"; Talos 1\.14 rejects the whole config.*extraArgs/,
  },
  {
    name: "Talos patch: a misspelt top-level section",
    files: talosPatch("machines:\n  sysctls: {a: '1'}\n"),
    path: "talos/cluster/patch.yaml: machines",
    message: /unknown field "machines"/,
  },
  {
    name: "Talos patch: a map where Talos wants a list",
    files: talosPatch("machine:\n  network:\n    interfaces: {eth0: {dhcp: true}}\n"),
    path: "talos/cluster/patch.yaml: machine.network.interfaces",
    message: /is a map, but Talos expects a list here/,
  },
  {
    name: "Talos patch: a list where Talos wants a single value",
    files: talosPatch("machine:\n  kubelet:\n    image: [a, b]\n"),
    path: "talos/cluster/patch.yaml: machine.kubelet.image",
    message: /is a list, but Talos expects a single value/,
  },
  {
    name: "Talos patch: an unknown field inside a list item",
    files: talosPatch("machine:\n  kubelet:\n    extraMounts:\n      - destination: /var/x\n        sauce: /var/x\n"),
    path: "talos/cluster/patch.yaml: machine.kubelet.extraMounts[0].sauce",
    message: /unknown field "sauce"/,
  },
  {
    name: "Talos patch: an unknown field of a multi-document kind",
    files: talosPatch("apiVersion: v1alpha1\nkind: KmsgLogConfig\nname: remote\nurl: tcp://10.0.0.1:5000\nformat: json\n"),
    path: "talos/cluster/patch.yaml: KmsgLogConfig: format",
    message: /unknown field "format"/,
  },
  {
    name: "Talos patch: a document kind Talos 1.11 does not know",
    files: talosPatch("apiVersion: v1alpha1\nkind: HCloudVIPConfig\nname: v\n", "1.11.6"),
    path: "talos/cluster/patch.yaml: HCloudVIPConfig/v",
    message: /Talos 1\.11 rejects the whole config/,
  },
  {
    name: "Talos patch: a misspelt document kind",
    files: talosPatch("apiVersion: v1alpha1\nkind: KmsgLogConfg\nname: v\n"),
    path: "talos/cluster/patch.yaml: KmsgLogConfg/v",
    message: /not a Talos 1\.14 config document.*Check the kind's spelling/,
  },
  {
    name: "Talos JSON patch: a path through an unknown field",
    files: talosPatch("- op: add\n  path: /machine/kubelet/extraArgz\n  value: {a: b}\n"),
    path: "talos/cluster/patch.yaml: operation 0",
    message: /path \/machine\/kubelet\/extraArgz: unknown field "extraArgz" under machine\.kubelet/,
  },
  {
    name: "Talos JSON patch: a value of the wrong shape",
    files: talosPatch("- op: add\n  path: /cluster/apiServer/certSANs\n  value: api.example.com\n"),
    path: "talos/cluster/patch.yaml: operation 0: value of cluster.apiServer.certSANs",
    message: /Talos expects a list here/,
  },
  {
    name: "Talos JSON patch: an operation RFC 6902 does not have",
    files: talosPatch("- op: merge\n  path: /machine\n  value: {}\n"),
    path: "talos/cluster/patch.yaml",
    message: /op "merge"; allowed: add, remove, replace, move, copy, test/,
  },
  {
    name: "Talos patch: not YAML",
    files: talosPatch("machine: [\n"),
    path: "talos/cluster/patch.yaml",
    message: /YAML syntax error in Talos patch/,
  },
  {
    name: "Talos patch: a worker patch with a misspelt field",
    files: talosPatch("machine:\n  nodeLabel: {a: b}\n", undefined, "talos/workers/labels.yaml"),
    path: "talos/workers/labels.yaml: machine.nodeLabel",
    message: /unknown field "nodeLabel".*nodeLabels/,
  },
  {
    name: "Talos patch: a control-plane patch with a misspelt field on Talos 1.12",
    files: talosPatch("cluster:\n  apiServer:\n    certSAN: [a]\n", "1.12.7", "talos/control-planes/sans.yaml"),
    path: "talos/control-planes/sans.yaml: cluster.apiServer.certSAN",
    message: /unknown field "certSAN"; Talos 1\.12 rejects/,
  },
  {
    name: "Talos patch: __proto__ key",
    files: talosPatch("machine:\n  __proto__: {type: controlplane}\n"),
    path: "talos/cluster/patch.yaml: machine.__proto__",
    message: /__proto__/,
  },
  // paths and links out of the project (security review)
  {
    name: "Talos patch that is a symbolic link out of the project",
    files: { "ksail.yaml": yaml(talosDocker()) },
    links: { "talos/cluster/passwd.yaml": "/etc/passwd" },
    path: "talos/cluster/passwd.yaml",
    message: /outside the directory of the ksail\.yaml/,
  },
  {
    name: "distributionConfig outside the project",
    files: { "ksail.yaml": yaml(talosDocker((d) => (d.spec.cluster.distributionConfig = "../elsewhere"))) },
    path: "spec.cluster.distributionConfig",
    message: /outside the directory of the ksail\.yaml/,
  },
  {
    name: "workload directory outside the project",
    files: { "ksail.yaml": yaml(talosDocker((d) => (d.spec.workload.sourceDirectory = "/etc"))) },
    path: "spec.workload.sourceDirectory",
    message: /outside the directory of the ksail\.yaml/,
  },
  {
    name: "kind mirrorsDir outside the project",
    files: { "ksail.yaml": yaml(kind((d) => (d.spec.cluster.vanilla = { mirrorsDir: "../../mirrors" }))), "kind.yaml": KIND },
    path: "spec.cluster.vanilla.mirrorsDir",
    message: /outside the directory of the ksail\.yaml/,
  },
  // the ksail.yaml itself, as text
  {
    name: "ksail.yaml: YAML alias bomb",
    files: {
      "ksail.yaml": BOMB,
    },
    path: "",
    message: /aliases expand past 100 nodes/,
  },
  { name: "ksail.yaml: empty", files: { "ksail.yaml": "" }, path: "", message: /empty; expected a KSail Cluster/ },
  { name: "ksail.yaml: YAML syntax error", files: { "ksail.yaml": "kind: [Cluster\n" }, path: "", message: /YAML syntax error/ },
  {
    name: "ksail.yaml: two documents",
    files: { "ksail.yaml": `${yaml(talosDocker())}---\n${yaml(talosDocker())}` },
    path: "",
    message: /2 YAML documents/,
  },
  {
    name: "ksail.yaml: a list, not a map",
    files: { "ksail.yaml": "- a\n- b\n" },
    path: "",
    message: /map|mapping|Cluster/,
  },
  {
    name: "ksail.yaml: __proto__ in the spec",
    files: { "ksail.yaml": yaml(talosDocker()).replace("spec:\n", "spec:\n  __proto__:\n    x: 1\n") },
    path: "spec.__proto__",
    message: /__proto__/,
  },
  // more of the same families, on other files and versions
  {
    name: "kind.yaml: YAML alias bomb",
    files: { "ksail.yaml": yaml(kind()), "kind.yaml": BOMB },
    path: "kind.yaml",
    message: /aliases expand past 100 nodes/,
  },
  {
    name: "Talos patch: YAML alias bomb",
    files: talosPatch(BOMB),
    path: "talos/cluster/patch.yaml",
    message: /aliases expand past 100 nodes/,
  },
  {
    name: "k3d.yaml: YAML syntax error",
    files: { "ksail.yaml": yaml(k3s()), "k3d.yaml": "apiVersion: [k3d\n" },
    path: "k3d.yaml",
    message: /YAML syntax error/,
  },
  {
    name: "k3d.yaml: ${VAR} holding a YAML document marker",
    files: { "ksail.yaml": yaml(k3s()), "k3d.yaml": `${K3D}image: \${IMAGE}\n` },
    env: { IMAGE: "rancher/k3s\n---\nkind: Secret" },
    path: "k3d.yaml",
    message: /environment variable IMAGE holds a line break or a YAML document marker/,
  },
  {
    name: "Talos patch: ${VAR} holding a line break",
    files: talosPatch("machine:\n  nodeLabels:\n    team: ${TEAM}\n"),
    env: { TEAM: "a\n  type: controlplane" },
    path: "talos/cluster/patch.yaml",
    message: /environment variable TEAM holds a line break/,
  },
  {
    name: "kind.yaml that is a symbolic link out of the project",
    files: { "ksail.yaml": yaml(kind()) },
    links: { "kind.yaml": "/etc/hostname" },
    path: "spec.cluster.distributionConfig",
    message: /outside the directory of the ksail\.yaml/,
  },
  {
    name: "scan exceptions file outside the project",
    files: { "ksail.yaml": yaml(talosDocker((d) => (d.spec.workload.scan = { exceptions: "../exceptions.yaml" }))) },
    path: "spec.workload.scan.exceptions",
    message: /outside the directory of the ksail\.yaml/,
  },
  {
    name: "Talos patch directory that is a symbolic link out of the project",
    files: { "ksail.yaml": yaml(talosDocker()) },
    links: { talos: "/etc" },
    path: "spec.cluster.distributionConfig",
    message: /outside the directory of the ksail\.yaml/,
  },
  {
    name: "Talos patch on Hetzner: a misspelt field",
    files: { "ksail.yaml": yaml(base()), "talos/cluster/vip.yaml": "machine:\n  network:\n    kubespan:\n      enabeld: true\n" },
    path: "talos/cluster/vip.yaml: machine.network.kubespan.enabeld",
    message: /unknown field "enabeld".*enabled/,
  },
  {
    name: "Talos patch: a field of another document kind's shape",
    files: talosPatch("apiVersion: v1alpha1\nkind: HCloudVIPConfig\nname: v\napiToken: {secret: x}\n"),
    path: "talos/cluster/patch.yaml: HCloudVIPConfig: apiToken",
    message: /is a map, but Talos expects a single value/,
  },
  {
    name: "Talos JSON patch: remove through an unknown field",
    files: talosPatch("- op: remove\n  path: /cluster/proxi\n"),
    path: "talos/cluster/patch.yaml: operation 0",
    message: /unknown field "proxi"/,
  },
  {
    name: "Talos patch on Talos 1.13: a misspelt field",
    files: talosPatch("cluster:\n  etcd:\n    extraArg: {a: b}\n", "1.13.9"),
    path: "talos/cluster/patch.yaml: cluster.etcd.extraArg",
    message: /unknown field "extraArg"; Talos 1\.13 rejects/,
  },
];

/** What the plan refuses: before this pipeline, validate said "valid" to each of these (newcomer review, item 1). */
const planRows: Row[] = [
  {
    name: "plan: Hetzner node autoscaler without a Talos snapshot",
    files: {
      "ksail.yaml": yaml(
        withDoc(base(), (d) => {
          d.spec.cluster.autoscaler = {
            node: { enabled: "Enabled", pools: [{ name: "general", serverType: "cx33", location: "fsn1", min: 0, max: 2 }] },
          };
        }),
      ),
    },
    path: "spec.cluster.autoscaler.node.enabled",
    message: /autoscaled Hetzner nodes boot from a Talos snapshot/,
  },
  {
    name: "plan: a Kubernetes version Talos 1.14 does not run",
    files: { "ksail.yaml": yaml(talosDocker((d) => (d.spec.cluster.kubernetesVersion = "v1.99.0"))) },
    path: "spec.cluster.kubernetesVersion",
    message: /1\.99/,
  },
  {
    name: "plan: K3s with more nodes than one Docker network holds",
    files: { "ksail.yaml": yaml(k3s((d) => (d.spec.cluster.workers = 300))) },
    path: "spec.cluster.workers",
    message: /exceed the 198 nodes one Docker network plan holds; lower/,
  },
  {
    name: "plan: Vanilla with 5000 workers",
    files: { "ksail.yaml": yaml(kind((d) => (d.spec.cluster.workers = 5000))), "kind.yaml": KIND },
    path: "spec.cluster.workers",
    message: /exceed the 198 nodes one Docker network plan holds; lower/,
  },
  {
    name: "plan: a Talos version this library does not build",
    files: { "ksail.yaml": yaml(talosDocker((d) => (d.spec.cluster.talos = { version: "1.9.0" }))) },
    path: "spec.cluster.talos.version",
    message: /1\.9/,
  },
  {
    name: "plan: a Hetzner location that does not exist",
    files: { "ksail.yaml": yaml(withDoc(base(), (d) => (d.spec.provider.hetzner = { location: "mars1" }))) },
    path: "spec.provider.hetzner.location",
    message: /mars1/,
  },
  {
    name: "plan: a Hetzner server type that does not exist",
    files: { "ksail.yaml": yaml(withDoc(base(), (d) => (d.spec.provider.hetzner = { controlPlaneServerType: "large" }))) },
    path: "spec.provider.hetzner.controlPlaneServerType",
    message: /"large" is not a Hetzner Cloud server type name: a family \(cx, cpx, cax, ccx\) and a size/,
  },
  {
    name: "plan: image verification on K3s",
    files: { "ksail.yaml": yaml(k3s((d) => (d.spec.cluster.imageVerification = "Enabled"))) },
    path: "spec.cluster.imageVerification",
    message: /this package gives K3s nodes no image verifier/,
  },
  {
    name: "plan: image verification on a Kind node image older than v1.35.1",
    files: {
      "ksail.yaml": yaml(
        kind((d) => {
          d.spec.cluster.imageVerification = "Enabled";
          d.spec.cluster.kubernetesVersion = "1.34.0";
        }),
      ),
      "kind.yaml": KIND,
    },
    path: "spec.cluster.imageVerification",
    message: /predates containerd's image-verifier support.*1\.35\.1 or newer/,
  },
  {
    name: "plan: Talos on Docker with more nodes than one Docker network holds",
    files: { "ksail.yaml": yaml(talosDocker((d) => (d.spec.cluster.workers = 250))) },
    path: "spec.cluster.workers",
    message: /exceed the 198 nodes one Docker network plan holds; lower/,
  },
];

const documentRows: Row[] = documentCases.map((c) => ({
  name: `document: ${c.name}`,
  files: { "ksail.yaml": yaml(c.input) },
  path: c.path,
  message: c.message,
}));

const rows: Row[] = [...documentRows, ...fileRows, ...planRows];

interface Run {
  code: number | null;
  crashed?: string;
  stdout: string;
  stderr: string;
}

const STACK = /^\s+at .+:\d+:\d+\)?$/m;
let work: string;
let results: Record<string, Record<string, Run>>;
/** Each project sits one level down, so "outside the directory" rows have somewhere to point. */
const dirOf = (row: Row): string => path.join(work, `r${rows.indexOf(row)}`, "project");

/** The commands of one row, as argv for `main` (run from the project directory). */
function commands(dir: string): Record<string, string[]> {
  return {
    validate: ["validate", "-o", "json", path.join(dir, "ksail.yaml")],
    diff: ["diff", path.join(dir, "ksail.yaml"), path.join(dir, "ksail.yaml")],
    render: ["render", path.join(dir, "ksail.yaml"), "--out", path.join(dir, "rendered")],
    plan: ["plan", dir],
  };
}

// The driver: runs each command through main with stdout/stderr captured; a rejection of main is a crash (the
// binary would print it with its stack and exit 70).
const DRIVER = `
const main = require(process.argv[1]).main;
const jobs = JSON.parse(require("node:fs").readFileSync(process.argv[2], "utf8"));
(async () => {
  const out = {};
  const saved = { ...process.env };
  for (const job of jobs) {
    let stdout = "", stderr = "";
    const w1 = process.stdout.write, w2 = process.stderr.write;
    process.stdout.write = (s) => ((stdout += s), true);
    process.stderr.write = (s) => ((stderr += s), true);
    Object.assign(process.env, job.env || {});
    const r = { code: null };
    try { r.code = await main(job.argv); } catch (e) { r.crashed = String(e && e.stack || e); }
    process.stdout.write = w1; process.stderr.write = w2;
    for (const k of Object.keys(job.env || {})) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
    (out[job.row] ??= {})[job.command] = { ...r, stdout, stderr };
  }
  require("node:fs").writeFileSync(process.argv[3], JSON.stringify(out));
})();
`;

describe("invalid inputs: every entry point refuses them alike (one validation pipeline)", () => {
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-invalid-"));
    const jobs: { row: string; command: string; argv: string[]; env?: Record<string, string> }[] = [];
    rows.forEach((row) => {
      const dir = dirOf(row);
      fs.mkdirSync(dir, { recursive: true });
      for (const [f, content] of Object.entries(row.files)) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), content);
      }
      for (const [link, target] of Object.entries(row.links ?? {})) {
        fs.mkdirSync(path.dirname(path.join(dir, link)), { recursive: true });
        fs.symlinkSync(target, path.join(dir, link));
      }
      // The program `plan` runs: KSailCluster from the ksail.yaml, as examples/local does.
      fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: invalid-input\nruntime: nodejs\nmain: index.js\n");
      fs.writeFileSync(
        path.join(dir, "index.js"),
        'const path = require("node:path");\nconst { KSailCluster, loadClusterConfig } = require("@ksail/pulumi");\n' +
          'new KSailCluster("c", loadClusterConfig(path.join(__dirname, "ksail.yaml")));\n',
      );
      for (const [command, argv] of Object.entries(commands(dir)))
        if (!row.skip?.includes(command as never)) jobs.push({ row: row.name, command, argv, env: row.env });
    });
    const jobsFile = path.join(work, "jobs.json");
    const outFile = path.join(work, "results.json");
    fs.writeFileSync(jobsFile, JSON.stringify(jobs));
    const r = spawnSync(process.execPath, ["-e", DRIVER, compiledMain, jobsFile, outFile], {
      cwd: repoRoot(),
      encoding: "utf8",
      env: { ...process.env, RELEASE_TAG: "" },
      timeout: 300_000,
    });
    assert.equal(r.status, 0, r.stderr);
    results = JSON.parse(fs.readFileSync(outFile, "utf8"));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  test("the table holds at least 150 distinct inputs", () => {
    assert.ok(rows.length >= 150, `only ${rows.length} rows`);
    assert.equal(new Set(rows.map((r) => r.name)).size, rows.length);
  });

  for (const row of rows) {
    test(row.name, () => {
      const byCommand = results[row.name];
      for (const [command, run] of Object.entries(byCommand)) {
        const where = `${command}: ${run.stdout}${run.stderr}`;
        assert.equal(run.crashed, undefined, `${command} crashed: ${run.crashed}`);
        assert.equal(run.code, 1, where);
        assert.doesNotMatch(run.stdout + run.stderr, STACK, `${command} printed a stack trace`);
        if (command === "validate") {
          const report = JSON.parse(run.stdout) as { valid: boolean; files: { issues: { path: string; message: string }[] }[] };
          assert.equal(report.valid, false);
          const hit = report.files[0].issues.find((i) => i.path === row.path && row.message.test(i.message));
          assert.ok(hit, `validate: no issue at "${row.path}" matching ${row.message}; got ${JSON.stringify(report.files[0].issues)}`);
        } else {
          if (row.path !== "") assert.ok(run.stderr.includes(row.path), `${command} does not name "${row.path}": ${where}`);
          assert.match(run.stderr, row.message, where);
        }
        if (command === "render") assert.ok(!fs.existsSync(path.join(dirOf(row), "rendered")), "render wrote output for a refused input");
      }
    });
  }
});
