// L0: the add-ons Kind and K3s nodes used to install themselves, now rendered as Kubernetes objects and applied from
// Pulumi — each field checked against the upstream manifest it reproduces.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { kindnetObjects } from "../../sdk/distributions/kind/kindnet";
import { localPathObjects, localPathSettings } from "../../sdk/components/values/localPath";
import { nodeAddons } from "../../sdk/versions";

const byKind = (objs: Record<string, unknown>[], kind: string): any => {
  const o = objs.find((x) => x.kind === kind);
  assert.ok(o, `missing ${kind}`);
  return o;
};

describe("kindnet (kubernetes-sigs/kind pkg/build/nodeimage/const_cni.go at v0.32.0; installcni/cni.go)", () => {
  const objs = kindnetObjects({ image: nodeAddons.kindnetd, podSubnet: "10.244.0.0/16", controlPlaneEndpoint: "dev-control-plane-1:6443" });
  test("RBAC: list/watch nodes, pods, namespaces and networkpolicies; bound to kube-system/kindnet", () => {
    assert.deepEqual(
      objs.map((o) => o.kind),
      ["ClusterRole", "ClusterRoleBinding", "ServiceAccount", "DaemonSet"],
    );
    assert.deepEqual(byKind(objs, "ClusterRole").rules, [
      { apiGroups: [""], resources: ["nodes", "pods", "namespaces"], verbs: ["list", "watch"] },
      { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["list", "watch"] },
    ]);
    assert.deepEqual(byKind(objs, "ClusterRoleBinding").subjects, [{ kind: "ServiceAccount", name: "kindnet", namespace: "kube-system" }]);
  });
  test("DaemonSet: hostNetwork, tolerates everything, system-node-critical, the preloaded image, kind's env and mounts", () => {
    const ds = byKind(objs, "DaemonSet");
    assert.deepEqual([ds.metadata.name, ds.metadata.namespace], ["kindnet", "kube-system"]);
    assert.deepEqual(ds.metadata.labels, { tier: "node", app: "kindnet", "k8s-app": "kindnet" });
    const pod = ds.spec.template.spec;
    assert.equal(pod.hostNetwork, true);
    assert.deepEqual(pod.tolerations, [{ operator: "Exists" }]);
    assert.equal(pod.priorityClassName, "system-node-critical");
    assert.deepEqual(pod.nodeSelector, { "kubernetes.io/os": "linux" });
    const c = pod.containers[0];
    assert.equal(c.image, "docker.io/kindest/kindnetd:v20260528-9350166c");
    // POD_SUBNET is kind's template value, CONTROL_PLANE_ENDPOINT its JSON6902 patch on the first container.
    assert.deepEqual(
      c.env.map((e: any) => e.name),
      ["HOST_IP", "POD_IP", "POD_SUBNET", "CONTROL_PLANE_ENDPOINT"],
    );
    assert.equal(c.env[0].valueFrom.fieldRef.fieldPath, "status.hostIP");
    assert.equal(c.env[1].valueFrom.fieldRef.fieldPath, "status.podIP");
    assert.equal(c.env[2].value, "10.244.0.0/16");
    assert.equal(c.env[3].value, "dev-control-plane-1:6443");
    assert.deepEqual(
      c.volumeMounts.map((m: any) => m.mountPath),
      ["/etc/cni/net.d", "/run/xtables.lock", "/lib/modules", "/var/run/nri"],
    );
    assert.deepEqual(c.securityContext, { privileged: false, capabilities: { add: ["NET_RAW", "NET_ADMIN"] } });
    assert.deepEqual(c.resources, { requests: { cpu: "100m", memory: "50Mi" } }, "no limits (kind removed them)");
    assert.deepEqual(pod.volumes[1], { name: "xtables-lock", hostPath: { path: "/run/xtables.lock", type: "FileOrCreate" } });
  });
});

describe("local-path-provisioner flavours", () => {
  test("kind (kubernetes-sigs/kind pkg/build/nodeimage/const_storage.go at v0.32.0): standard class, /var path, kind's images", () => {
    const s = localPathSettings("kind");
    assert.deepEqual(s, {
      namespace: "local-path-storage",
      storageClass: "standard",
      path: "/var/local-path-provisioner",
      image: "docker.io/kindest/local-path-provisioner:v20260521-9fb22683",
      helperImage: "docker.io/kindest/local-path-helper:v20260131-7181c60a",
      privilegedNamespace: false,
      defaultClass: true,
    });
    const objs = localPathObjects(s);
    const sc = byKind(objs, "StorageClass");
    assert.deepEqual(
      {
        name: sc.metadata.name,
        default: sc.metadata.annotations["storageclass.kubernetes.io/is-default-class"],
        p: sc.provisioner,
        b: sc.volumeBindingMode,
        r: sc.reclaimPolicy,
      },
      { name: "standard", default: "true", p: "rancher.io/local-path", b: "WaitForFirstConsumer", r: "Delete" },
    );
    const cm = byKind(objs, "ConfigMap");
    assert.deepEqual(JSON.parse(cm.data["config.json"]), {
      nodePathMap: [{ node: "DEFAULT_PATH_FOR_NON_LISTED_NODES", paths: ["/var/local-path-provisioner"] }],
    });
    assert.match(cm.data.setup, /mkdir -m 0777 -p "\$VOL_DIR"/);
    assert.match(cm.data.teardown, /rm -rf "\$VOL_DIR"/);
    assert.match(cm.data["helperPod.yaml"], /image: docker\.io\/kindest\/local-path-helper:v20260131-7181c60a/);
    const c = byKind(objs, "Deployment").spec.template.spec.containers[0];
    assert.deepEqual(c.command, [
      "local-path-provisioner",
      "start",
      "--helper-image",
      "docker.io/kindest/local-path-helper:v20260131-7181c60a",
      "--config",
      "/etc/config/config.json",
    ]);
    assert.ok(
      byKind(objs, "Deployment").spec.template.spec.tolerations.some((t: any) => t.key === "node-role.kubernetes.io/control-plane"),
    );
  });
  test("k3s (k3s-io/k3s manifests/local-storage.yaml): kube-system, local-path class, volumes in the k3s data dir", () => {
    const objs = localPathObjects(localPathSettings("k3s"));
    assert.ok(!objs.some((o) => o.kind === "Namespace"), "kube-system is not created");
    assert.equal(byKind(objs, "Deployment").metadata.namespace, "kube-system");
    assert.equal(byKind(objs, "StorageClass").metadata.name, "local-path");
    assert.deepEqual(JSON.parse(byKind(objs, "ConfigMap").data["config.json"]).nodePathMap[0].paths, ["/var/lib/rancher/k3s/storage"]);
    assert.match(byKind(objs, "ConfigMap").data["helperPod.yaml"], /rancher\/mirrored-library-busybox:1\.36\.1/);
  });
  test("talos (Talos docs, Kubernetes guides / local storage; Pod Security): a path under /var, namespace privileged", () => {
    const objs = localPathObjects(localPathSettings("talos"));
    assert.deepEqual(byKind(objs, "Namespace").metadata, {
      name: "local-path-storage",
      labels: { "pod-security.kubernetes.io/enforce": "privileged" },
    });
    const path = JSON.parse(byKind(objs, "ConfigMap").data["config.json"]).nodePathMap[0].paths[0];
    assert.ok(path.startsWith("/var/"), `${path}: /opt is read-only on Talos`);
  });
  test("every namespaced object lives in the flavour's namespace; the bindings name its ServiceAccount", () => {
    for (const f of ["kind", "k3s", "talos", "generic"] as const) {
      const s = localPathSettings(f);
      const objs = localPathObjects(s);
      for (const o of objs as any[])
        if (!["Namespace", "ClusterRole", "ClusterRoleBinding", "StorageClass"].includes(o.kind))
          assert.equal(o.metadata.namespace, s.namespace, `${f} ${o.kind}`);
      for (const b of objs.filter((o) => /Binding$/.test(String(o.kind))) as any[])
        assert.deepEqual(b.subjects, [{ kind: "ServiceAccount", name: "local-path-provisioner-service-account", namespace: s.namespace }]);
    }
  });
});
