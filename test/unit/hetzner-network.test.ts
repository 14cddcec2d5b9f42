// L0: the Hetzner network reachability model. For every endpoint mode × allowedCidrs × CNI × public/private node
// layout × image route × CCM load balancers × Talos minor, every flow the cluster needs passes both firewalls and
// nothing else does (over every source kind, node, interface and probed port); the rendered Talos machine configs
// carry exactly the model's rules; and the rules KSail used before (and this library copied) fail the same check
// in the ways the review found (workers' apid unreachable, allowedCidrs breaking KubePrism and pods, Typha and
// Cilium health blocked). Sources of the facts: see sdk/plan/hetznerNetwork.ts.
import { before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { planHetznerCluster, type HetznerPlanInput } from "../../sdk/plan/hetzner";
import { PROBE_PORTS, flowAllowed, flowNeeded, type Flow, type NetworkModel, type TalosIngressRule } from "../../sdk/plan/hetznerNetwork";
import { addressIn, cidrContains, cidrWithin } from "../../sdk/plan/hetznerCidr";
import { ENDPOINT_MODES } from "../../sdk/plan/hetznerEndpoint";
import { talosHetznerOptions } from "../../sdk/plan/talos";
import { renderMachineConfigs } from "../../sdk/distributions/talos";
import type { TalosSecretsBundle } from "../../sdk/pki/types";
import { talosSecrets } from "../fixtures/talos/secrets";

const OUTSIDERS = ["192.0.2.10", "2001:db8:ffff::10"];
const ALLOWED: Record<string, string[]> = {
  open: [],
  v4: ["203.0.113.0/24"],
  v6: ["2001:db8:100::/48"],
  both: ["203.0.113.0/24", "2001:db8:100::/48"],
};
const LAYOUTS: Record<string, Partial<HetznerPlanInput>> = {
  "all public": {},
  "workers IPv6 only": { workerPublicIPv4: false },
  "control planes IPv6 only": { controlPlanePublicIPv4: false },
  "IPv4 only": { controlPlanePublicIPv6: false, workerPublicIPv6: false },
};

/** Every flow of the probe universe for a plan: internet, private-network and pod sources to every node's interfaces. */
function universe(model: NetworkModel): Flow[] {
  const i = model.input;
  const internet = [...OUTSIDERS, ...i.allowedCidrs.map((c) => addressIn(c, 7))];
  const sources = [
    ...internet.map((address) => ({ kind: "internet" as const, address })),
    { kind: "private" as const, address: "10.0.1.9" },
    ...i.podCidrs.map((c) => ({ kind: "pod" as const, address: addressIn(c, 300) })),
  ];
  const flows: Flow[] = [];
  for (const n of i.nodes)
    for (const from of sources)
      for (const via of ["public", "private"] as const)
        for (const p of PROBE_PORTS) {
          flows.push({ from, to: { node: n.name, via }, ...p });
          if (i.isoRoute && from.kind === "internet") flows.push({ from, to: { node: n.name, via }, ...p, maintenance: true });
        }
  return flows;
}

/** Flows that cannot exist physically: an interface the node does not have, internet to a private address. */
function possible(model: NetworkModel, f: Flow): boolean {
  const n = model.input.nodes.find((x) => x.name === f.to.node)!;
  if (f.to.via === "private") return f.from.kind !== "internet";
  if (f.from.kind !== "internet") return false;
  return f.from.address.includes(":") ? n.publicIPv6 : n.publicIPv4;
}

function check(model: NetworkModel): string[] {
  const problems: string[] = [];
  for (const f of universe(model)) {
    if (!possible(model, f)) continue;
    const needed = flowNeeded(model, f);
    const verdict = flowAllowed(model, f);
    const label = `${f.maintenance ? "[maintenance] " : ""}${f.from.kind} ${f.from.address} → ${f.to.node} ${f.to.via} ${f.protocol}/${f.port}`;
    if (needed && !verdict.allowed) problems.push(`needed but blocked: ${label} (${needed}; ${verdict.reason})`);
    if (!needed && verdict.allowed && model.input.firewall) problems.push(`allowed but not needed: ${label} (${verdict.reason})`);
  }
  return problems;
}

describe("Hetzner network model: every needed flow passes, nothing else", () => {
  for (const mode of ENDPOINT_MODES)
    for (const [allowedName, allowedCidrs] of Object.entries(ALLOWED))
      for (const cni of ["Default", "Cilium", "Calico"] as const)
        for (const [layoutName, layout] of Object.entries(LAYOUTS))
          test(`${mode} × allowedCidrs ${allowedName} × ${cni} × ${layoutName}`, () => {
            if (mode === "first-control-plane" && layout.controlPlanePublicIPv4 === false) return; // a validation error
            for (const route of [{}, { snapshot: { id: 1 } }])
              for (const loadBalancerServices of [false, true])
                for (const talosVersion of ["1.13.9", "1.14.0"]) {
                  const plan = planHetznerCluster({
                    clusterName: "c",
                    controlPlanes: 3,
                    workers: 2,
                    endpointMode: mode,
                    allowedCidrs,
                    cni,
                    loadBalancerServices,
                    talosVersion,
                    ...layout,
                    ...route,
                  });
                  const problems = check(plan.reachability);
                  assert.deepEqual(
                    problems,
                    [],
                    `${"snapshot" in route ? "snapshot" : "iso"} lb=${loadBalancerServices} talos=${talosVersion}`,
                  );
                }
          });

  test("the needed flows are there at all: the operator reaches a control plane's apid and the API endpoint; workers only through the private network", () => {
    const plan = planHetznerCluster({
      clusterName: "c",
      controlPlanes: 1,
      workers: 1,
      allowedCidrs: ["203.0.113.0/24"],
      snapshot: { id: 1 },
    });
    const m = plan.reachability;
    const op = { kind: "internet" as const, address: "203.0.113.7" };
    const f = (to: Flow["to"], port: number, from: Flow["from"] = op): Flow => ({ from, to, protocol: "tcp", port });
    assert.equal(flowAllowed(m, f({ node: "c-control-plane-1", via: "public" }, 50000)).allowed, true);
    assert.equal(flowAllowed(m, f({ node: "c-control-plane-1", via: "public" }, 6443)).allowed, true);
    assert.equal(
      flowAllowed(m, f({ node: "c-worker-1", via: "public" }, 50000)).reason,
      "Hetzner firewall of the workers drops tcp/50000 from 203.0.113.7",
    );
    assert.equal(
      flowAllowed(m, f({ node: "c-worker-1", via: "private" }, 50000, { kind: "private", address: "10.0.1.2" })).reason,
      "Talos apid-ingress",
    );
    assert.equal(
      flowAllowed(m, f({ node: "c-control-plane-1", via: "public" }, 6443, { kind: "internet", address: "192.0.2.10" })).allowed,
      false,
    );
    // Pods reach the kubernetes Service's endpoints (private) whatever allowedCidrs says.
    assert.equal(
      flowAllowed(m, f({ node: "c-control-plane-1", via: "private" }, 6443, { kind: "pod", address: "10.244.1.5" })).allowed,
      true,
    );
  });

  // The ISO route's maintenance window: while a node waits unconfigured its Talos API takes a machine config from
  // whoever reaches it, so it must be reachable then (from allowedCidrs, which the plan warns about when empty), and
  // only then. Once configured, the Talos firewall (NetworkRuleConfig, part of the config that ends the maintenance)
  // drops the worker's apid from outside; the Hetzner rule stays for the workers added later.
  test("ISO route: a worker's Talos API is reachable from outside only while it waits in maintenance mode", () => {
    for (const allowedCidrs of [[], ["203.0.113.0/24"]]) {
      const plan = planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 1, allowedCidrs });
      const m = plan.reachability;
      const from = { kind: "internet" as const, address: "203.0.113.7" };
      const flow = (maintenance: boolean): Flow => ({
        from,
        to: { node: "c-worker-1", via: "public" },
        protocol: "tcp",
        port: 50000,
        maintenance,
      });
      assert.equal(flowAllowed(m, flow(true)).allowed, true, "the config is applied over the maintenance API");
      const after = flowAllowed(m, flow(false));
      assert.equal(after.allowed, false, JSON.stringify(after));
      assert.match(after.reason, /Talos firewall|drops/);
      assert.equal(flowNeeded(m, flow(false)), undefined);
    }
  });

  test("ingressFirewall Disabled: every needed flow passes (and the plan warns that nothing is filtered)", () => {
    const plan = planHetznerCluster({ clusterName: "c", controlPlanes: 3, workers: 1, ingressFirewall: "Disabled", cni: "Calico" });
    assert.deepEqual(check(plan.reachability), []);
    assert.equal(plan.reachability.talosIngress, undefined);
  });
});

describe("Hetzner network model: the rendered machine configs carry exactly the model's Talos rules", () => {
  let secrets: TalosSecretsBundle;
  before(async () => {
    secrets = await talosSecrets();
  });

  /** The NetworkRuleConfig documents of a rendered config, as rules. */
  const rulesOf = (yaml: string): TalosIngressRule[] =>
    YAML.parseAllDocuments(yaml)
      .map((d) => d.toJS())
      .filter((d) => d?.kind === "NetworkRuleConfig")
      .map((d) => ({
        name: d.name,
        protocol: d.portSelector.protocol,
        ports: d.portSelector.ports,
        sources: d.ingress.map((x: any) => x.subnet),
      }));

  for (const mode of ENDPOINT_MODES)
    test(`${mode}: the model check passes with the rules read back from the rendered configs`, () => {
      const plan = planHetznerCluster({
        clusterName: "c",
        controlPlanes: 3,
        workers: 2,
        endpointMode: mode,
        allowedCidrs: ["203.0.113.0/24"],
        cni: "Cilium",
        loadBalancerServices: true,
      });
      const r = renderMachineConfigs({
        clusterName: "c",
        talosVersion: "1.13.9",
        kubernetesVersion: "1.36.0",
        endpoint: "https://203.0.113.10:6443",
        secrets,
        platform: "hetzner",
        cni: "Cilium",
        workers: 2,
        hetzner: talosHetznerOptions(plan),
      });
      const fromConfigs: NetworkModel = {
        ...plan.reachability,
        talosIngress: { "control-plane": rulesOf(r.controlPlane), worker: rulesOf(r.worker) },
      };
      assert.deepEqual(fromConfigs.talosIngress, plan.reachability.talosIngress);
      assert.deepEqual(check(fromConfigs), []);
    });
});

describe("Hetzner network model: the old rules fail it where the review said", () => {
  /** The rules KSail renders (and this library rendered): apid/6443 from allowedCidrs, worker apid from the network, VXLAN only. */
  function ksailRules(networkCidr: string, allowed: readonly string[], vxlan: number): NetworkModel["talosIngress"] {
    const r = (name: string, port: number | string, sources: readonly string[], protocol: "tcp" | "udp" = "tcp"): TalosIngressRule => ({
      name,
      protocol,
      ports: [port],
      sources,
    });
    return {
      "control-plane": [
        r("kubelet-ingress", 10250, [networkCidr]),
        r("apid-ingress", 50000, allowed),
        r("trustd-ingress", 50001, [networkCidr]),
        r("etcd-ingress", "2379-2380", [networkCidr]),
        r("kubernetes-api-ingress", 6443, allowed),
        r("cni-vxlan", vxlan, [networkCidr], "udp"),
      ],
      worker: [
        r("kubelet-ingress", 10250, [networkCidr]),
        r("apid-ingress", 50000, [networkCidr]),
        r("cni-vxlan", vxlan, [networkCidr], "udp"),
      ],
    };
  }
  const old = (input: Partial<HetznerPlanInput>, vxlan: number): NetworkModel => {
    const plan = planHetznerCluster({ clusterName: "c", controlPlanes: 3, workers: 2, snapshot: { id: 1 }, ...input });
    return { ...plan.reachability, talosIngress: ksailRules("10.0.0.0/16", plan.allowedCidrs, vxlan) };
  };
  const blocked = (m: NetworkModel) => check(m).filter((p) => p.startsWith("needed but blocked"));

  test("allowedCidrs with the first-control-plane endpoint: KubePrism's private fallback and pods calling the API are dropped", () => {
    const problems = blocked(old({ allowedCidrs: ["203.0.113.0/24"], cni: "Cilium" }, 8472)).join("\n");
    assert.match(problems, /private 10\.0\.1\.9 → c-control-plane-1 private tcp\/6443/);
    assert.match(problems, /pod 10\.244\.1\.44 → c-control-plane-1 private tcp\/6443/);
    assert.match(problems, /private 10\.0\.1\.9 → c-control-plane-2 private tcp\/50000/);
  });

  test("Calico's Typha and Cilium's health port are blocked", () => {
    assert.match(blocked(old({ cni: "Calico" }, 4789)).join("\n"), /c-worker-1 private tcp\/5473/);
    assert.match(blocked(old({ cni: "Cilium" }, 8472)).join("\n"), /c-worker-1 private tcp\/4240/);
  });

  test("the workers' apid is not reachable at their public address, so TalosMachine must route through a control plane", () => {
    const plan = planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 1, snapshot: { id: 1 } });
    const v = flowAllowed(plan.reachability, {
      from: { kind: "internet", address: "192.0.2.10" },
      to: { node: "c-worker-1", via: "public" },
      protocol: "tcp",
      port: 50000,
    });
    assert.equal(v.allowed, false);
    assert.deepEqual(plan.routes["c-worker-1"], { dial: "talos-endpoint", viaPrivate: true });
  });
});

describe("CIDR helpers", () => {
  test("IPv4 and IPv6 membership, nesting and the n-th address", () => {
    assert.equal(cidrContains("10.0.0.0/16", "10.0.255.1"), true);
    assert.equal(cidrContains("10.0.0.0/16", "10.1.0.1"), false);
    assert.equal(cidrContains("0.0.0.0/0", "192.0.2.1"), true);
    assert.equal(cidrContains("0.0.0.0/0", "2001:db8::1"), false);
    assert.equal(cidrContains("::/0", "2001:db8::1"), true);
    assert.equal(cidrContains("2001:db8:100::/48", "2001:db8:100:ffff::1"), true);
    assert.equal(cidrContains("2001:db8:100::/48", "2001:db8:101::1"), false);
    assert.equal(cidrContains("::ffff:0:0/96", "::ffff:192.0.2.1"), true);
    assert.equal(cidrWithin("10.0.1.0/24", "10.0.0.0/16"), true);
    assert.equal(cidrWithin("10.0.0.0/16", "10.0.1.0/24"), false);
    assert.equal(addressIn("203.0.113.0/24", 7), "203.0.113.7");
    assert.equal(addressIn("2001:db8:100::/48", 7), "2001:db8:100:0:0:0:0:7");
    assert.equal(cidrContains("10.0.0.0/33", "10.0.0.1"), false);
    assert.equal(cidrContains("nope", "10.0.0.1"), false);
  });
});
