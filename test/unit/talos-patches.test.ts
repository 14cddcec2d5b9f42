import { test, describe } from "node:test";
import * as assert from "node:assert/strict";
import { applyPatches, orderedPatches, parsePatch, parseDocuments, PatchFile, ConfigDocument } from "../../sdk/distributions/talos";
import { isKsailError } from "../../sdk/errors";

const BASE = `version: v1alpha1
machine:
  type: controlplane
  certSANs: [127.0.0.1]
  kubelet:
    extraArgs:
      a: "1"
      b: "2"
  network:
    interfaces:
      - interface: eth0
        dhcp: true
        vlans:
          - vlanId: 10
            mtu: 1500
      - deviceSelector:
          busPath: "0000:01:00.0"
        dhcp: false
cluster:
  network:
    podSubnets: [10.244.0.0/16]
    serviceSubnets: [10.96.0.0/12]
  apiServer:
    auditPolicy:
      apiVersion: audit.k8s.io/v1
      kind: Policy
      rules: [{level: Metadata}]
  inlineManifests:
    - name: one
      contents: "x"
    - name: two
      contents: "y"
---
apiVersion: v1alpha1
kind: HostnameConfig
auto: stable
---
apiVersion: v1alpha1
kind: RegistryMirrorConfig
name: docker.io
endpoints:
  - url: http://a:5000
---
apiVersion: v1alpha1
kind: NetworkRuleConfig
name: r
portSelector:
  ports: [10250]
  protocol: tcp
ingress:
  - subnet: 10.0.0.0/8
---
apiVersion: v1alpha1
kind: ExtensionServiceConfig
name: ext
configFiles:
  - mountPath: /etc/a
    content: old
`;

const apply = (...contents: string[]) =>
  applyPatches(
    parseDocuments(BASE),
    contents.map((content, i) => ({ source: `patch-${i}.yaml`, content })),
  );
const v1 = (docs: ConfigDocument[]): any => docs.find((d) => d.kind === undefined);
const doc = (docs: ConfigDocument[], kind: string, name?: string): any =>
  docs.find((d) => d.kind === kind && (name === undefined || d.name === name));

function throwsKsail(fn: () => unknown, re: RegExp) {
  assert.throws(fn, (e: unknown) => isKsailError(e) && re.test((e as Error).message));
}

describe("Talos patches: strategic merge", () => {
  test("maps merge and scalars in the patch win", () => {
    const m = v1(apply("machine:\n  kubelet:\n    extraArgs:\n      b: '3'\n      c: '4'")).machine;
    assert.deepEqual(m.kubelet.extraArgs, { a: "1", b: "3", c: "4" });
    assert.equal(m.type, "controlplane");
  });

  test("lists append by default", () => {
    assert.deepEqual(v1(apply("machine:\n  certSANs: [dev.example.com]")).machine.certSANs, ["127.0.0.1", "dev.example.com"]);
  });

  test("pod/service subnets and the audit policy are replaced, not merged", () => {
    const c = v1(
      apply(
        "cluster:\n  network:\n    podSubnets: [10.1.0.0/16]\n    serviceSubnets: [10.2.0.0/16]\n  apiServer:\n    auditPolicy:\n      apiVersion: audit.k8s.io/v1\n      kind: Policy\n      rules: [{level: None}]",
      ),
    ).cluster;
    assert.deepEqual(c.network.podSubnets, ["10.1.0.0/16"]);
    assert.deepEqual(c.network.serviceSubnets, ["10.2.0.0/16"]);
    assert.deepEqual(c.apiServer.auditPolicy.rules, [{ level: "None" }]);
  });

  test("network interfaces merge by interface name and by deviceSelector; vlans by vlanId", () => {
    const ifs = v1(
      apply(
        [
          "machine:",
          "  network:",
          "    interfaces:",
          "      - interface: eth0",
          "        mtu: 9000",
          "        vlans:",
          "          - vlanId: 10",
          "            mtu: 1400",
          "          - vlanId: 20",
          "      - deviceSelector: {busPath: '0000:01:00.0'}",
          "        dhcp: true",
          "      - interface: eth1",
          "        dhcp: true",
        ].join("\n"),
      ),
    ).machine.network.interfaces;
    assert.equal(ifs.length, 3);
    assert.deepEqual(ifs[0], { interface: "eth0", dhcp: true, mtu: 9000, vlans: [{ vlanId: 10, mtu: 1400 }, { vlanId: 20 }] });
    assert.deepEqual(ifs[1], { deviceSelector: { busPath: "0000:01:00.0" }, dhcp: true });
    assert.deepEqual(ifs[2], { interface: "eth1", dhcp: true });
  });

  test("$patch: delete removes a map key, a keyed list entry and a plain list entry by its named fields", () => {
    const docs = apply(
      [
        "machine:",
        "  kubelet:",
        "    extraArgs:",
        "      a:",
        "        $patch: delete",
        "  network:",
        "    interfaces:",
        "      - interface: eth0",
        "        $patch: delete",
        "cluster:",
        "  inlineManifests:",
        "    - name: one",
        "      $patch: delete",
      ].join("\n"),
    );
    const m = v1(docs);
    assert.deepEqual(m.machine.kubelet.extraArgs, { b: "2" });
    assert.deepEqual(m.machine.network.interfaces, [{ deviceSelector: { busPath: "0000:01:00.0" }, dhcp: false }]);
    assert.deepEqual(m.cluster.inlineManifests, [{ name: "two", contents: "y" }]);
    const whole = v1(apply("machine:\n  kubelet:\n    $patch: delete")).machine;
    assert.equal(whole.kubelet, undefined);
  });

  test("$patch: replace replaces a map wholesale", () => {
    assert.deepEqual(v1(apply("machine:\n  kubelet:\n    $patch: replace\n    extraArgs:\n      z: '9'")).machine.kubelet, {
      extraArgs: { z: "9" },
    });
  });

  test("null in a patch changes nothing", () => {
    assert.deepEqual(v1(apply("machine:\n  certSANs: ~")).machine.certSANs, ["127.0.0.1"]);
  });

  test("multi-document: match by apiVersion+kind+name, merge; unmatched documents are appended", () => {
    const docs = apply(
      [
        "apiVersion: v1alpha1",
        "kind: RegistryMirrorConfig",
        "name: docker.io",
        "endpoints:",
        "  - url: http://b:5000",
        "---",
        "apiVersion: v1alpha1",
        "kind: RegistryMirrorConfig",
        "name: ghcr.io",
        "endpoints:",
        "  - url: http://g:5000",
        "---",
        "apiVersion: v1alpha1",
        "kind: HostnameConfig",
        "auto: off",
      ].join("\n"),
    );
    assert.deepEqual(doc(docs, "RegistryMirrorConfig", "docker.io").endpoints, [{ url: "http://a:5000" }, { url: "http://b:5000" }]);
    assert.deepEqual(doc(docs, "RegistryMirrorConfig", "ghcr.io"), {
      apiVersion: "v1alpha1",
      kind: "RegistryMirrorConfig",
      name: "ghcr.io",
      endpoints: [{ url: "http://g:5000" }],
    });
    assert.equal(doc(docs, "HostnameConfig").auto, "off");
    assert.equal(docs.filter((d) => d.kind === "HostnameConfig").length, 1);
    assert.deepEqual(
      docs.map((d) => d.kind ?? "v1alpha1"),
      ["v1alpha1", "HostnameConfig", "RegistryMirrorConfig", "NetworkRuleConfig", "ExtensionServiceConfig", "RegistryMirrorConfig"],
      "order kept, new documents appended",
    );
  });

  test("$patch: delete removes a whole document; deleting an absent one is a no-op", () => {
    const docs = apply(
      "apiVersion: v1alpha1\nkind: HostnameConfig\n$patch: delete\n---\napiVersion: v1alpha1\nkind: KubeFlannelCNIConfig\n$patch: delete",
    );
    assert.equal(doc(docs, "HostnameConfig"), undefined);
    assert.equal(docs.length, 4);
  });

  test("NetworkRuleConfig ingress and ports are replaced; ExtensionServiceConfig configFiles merge by mountPath", () => {
    const docs = apply(
      [
        "apiVersion: v1alpha1",
        "kind: NetworkRuleConfig",
        "name: r",
        "portSelector:",
        "  ports: [50000]",
        "ingress:",
        "  - subnet: 192.168.0.0/16",
        "---",
        "apiVersion: v1alpha1",
        "kind: ExtensionServiceConfig",
        "name: ext",
        "configFiles:",
        "  - mountPath: /etc/a",
        "    content: new",
        "  - mountPath: /etc/b",
        "    content: b",
      ].join("\n"),
    );
    const rule = doc(docs, "NetworkRuleConfig", "r");
    assert.deepEqual(rule.portSelector, { ports: [50000], protocol: "tcp" });
    assert.deepEqual(rule.ingress, [{ subnet: "192.168.0.0/16" }]);
    assert.deepEqual(doc(docs, "ExtensionServiceConfig", "ext").configFiles, [
      { mountPath: "/etc/a", content: "new" },
      { mountPath: "/etc/b", content: "b" },
    ]);
  });

  test("the input documents are not mutated", () => {
    const base = parseDocuments(BASE);
    const snapshot = JSON.stringify(base);
    applyPatches(base, [{ source: "p", content: "machine:\n  kubelet:\n    extraArgs:\n      a: changed\n  certSANs: [x]" }]);
    assert.equal(JSON.stringify(base), snapshot);
  });

  test("errors name the patch file", () => {
    throwsKsail(
      () => apply("kind: HostnameConfig\nauto: off"),
      /patch-0\.yaml \(document 1\): document of kind "HostnameConfig" has no apiVersion/,
    );
    throwsKsail(() => apply("version: v1alpha1\n$patch: delete"), /patch-0\.yaml \(document 1\): the v1alpha1 document cannot be deleted/);
    throwsKsail(() => apply("machine: [unclosed"), /patch-0\.yaml: patch document 1 is not valid YAML/);
    throwsKsail(() => apply("machine:\n  kubelet:\n    $patch: merge"), /unknown \$patch directive "merge"/);
  });
});

describe("Talos patches: RFC 6902", () => {
  test("a YAML or JSON list of operations is a JSON patch", () => {
    assert.equal(parsePatch({ source: "a.yaml", content: "- op: add\n  path: /machine/x\n  value: 1" }).type, "json6902");
    assert.equal(parsePatch({ source: "a.json", content: '[{"op":"remove","path":"/debug"}]' }).type, "json6902");
    assert.equal(parsePatch({ source: "a.yaml", content: "machine: {}" }).type, "strategic");
  });

  test("ops apply to the v1alpha1 document and keep the other documents", () => {
    const docs = apply(
      JSON.stringify([
        { op: "test", path: "/machine/type", value: "controlplane" },
        { op: "add", path: "/machine/kubelet/extraArgs/c", value: "3" },
        { op: "replace", path: "/cluster/network/podSubnets/0", value: "10.9.0.0/16" },
        { op: "remove", path: "/machine/certSANs" },
        { op: "copy", from: "/machine/kubelet/extraArgs/a", path: "/machine/kubelet/extraArgs/d" },
      ]),
    );
    const m = v1(docs);
    assert.deepEqual(m.machine.kubelet.extraArgs, { a: "1", b: "2", c: "3", d: "1" });
    assert.deepEqual(m.cluster.network.podSubnets, ["10.9.0.0/16"]);
    assert.equal(m.machine.certSANs, undefined);
    assert.equal(docs.length, 5);
  });

  test("a failing op is reported with the file, its index and the op", () => {
    throwsKsail(
      () => apply("- op: add\n  path: /machine/kubelet/extraArgs/e\n  value: '5'\n- op: remove\n  path: /machine/nope/deeper"),
      /patch-0\.yaml: JSON patch operation 1 \{"op":"remove","path":"\/machine\/nope\/deeper"\} failed/,
    );
    throwsKsail(() => apply('[{"op":"test","path":"/machine/type","value":"worker"}]'), /JSON patch operation 0 .* failed/);
    throwsKsail(
      () => apply('[{"op":"frobnicate","path":"/x"}]'),
      /operation 0 has op "frobnicate"; allowed: add, remove, replace, move, copy, test/,
    );
    throwsKsail(() => apply('[{"path":"/x"}]'), /operation 0 must be a mapping with "op" and "path"/);
  });
});

describe("Talos patches: order", () => {
  const f = (source: string): PatchFile => ({ source, content: "" });
  test("cluster files sorted, then the role's files sorted, then inline cluster, then inline role", () => {
    const files = {
      cluster: [f("talos/cluster/b.yaml"), f("talos/cluster/a.yaml")],
      controlPlanes: [f("talos/control-planes/z.yaml"), f("talos/control-planes/m.yaml")],
      workers: [f("talos/workers/w.yaml")],
    };
    const inline = { cluster: [f("inline-c2"), f("inline-c1")], controlPlanes: [f("inline-cp")], workers: [f("inline-w")] };
    assert.deepEqual(
      orderedPatches("controlplane", files, inline).map((p) => p.source),
      [
        "talos/cluster/a.yaml",
        "talos/cluster/b.yaml",
        "talos/control-planes/m.yaml",
        "talos/control-planes/z.yaml",
        "inline-c2",
        "inline-c1",
        "inline-cp",
      ],
    );
    assert.deepEqual(
      orderedPatches("worker", files, inline).map((p) => p.source),
      ["talos/cluster/a.yaml", "talos/cluster/b.yaml", "talos/workers/w.yaml", "inline-c2", "inline-c1", "inline-w"],
    );
    assert.deepEqual(orderedPatches("worker"), []);
  });

  test("later patches win", () => {
    const files = {
      cluster: [
        { source: "cluster/b.yaml", content: "machine:\n  kubelet:\n    extraArgs:\n      a: from-b" },
        { source: "cluster/a.yaml", content: "machine:\n  kubelet:\n    extraArgs:\n      a: from-a" },
      ],
      controlPlanes: [{ source: "control-planes/x.yaml", content: "machine:\n  kubelet:\n    extraArgs:\n      b: from-cp" }],
    };
    const inline = {
      controlPlanes: [{ source: "inline", content: '[{"op":"replace","path":"/machine/kubelet/extraArgs/b","value":"from-inline"}]' }],
    };
    const m = v1(applyPatches(parseDocuments(BASE), orderedPatches("controlplane", files, inline))).machine;
    assert.deepEqual(m.kubelet.extraArgs, { a: "from-b", b: "from-inline" });
  });
});
