/** TalosMachine `check`: what the new inputs may not do (version skips, downgrades, unknown document kinds, role changes). */
import { classifyMachineConfigChange, unknownDocumentKinds } from "../distributions/talos/classify";
import { kubernetesRefusal, parseTalosVersion, upgradeRefusal } from "../distributions/talos/versions";
import { containsUnknown } from "../impact/unknown";
import { type TalosMachineInputs, classifyMachineChange, kubernetesVersionOf, talosVersionOfImage } from "./talosMachine.plan";

export function controlPlaneOnly(oldConfig: string, newConfig: string): string | undefined {
  const oldK = kubernetesVersionOf(oldConfig);
  const newK = kubernetesVersionOf(newConfig);
  if (!oldK || !newK || oldK === newK) return undefined;
  return newConfig.replace(/(ghcr\.io\/siderolabs\/kubelet:v?)(\d+\.\d+\.\d+)/g, `$1${oldK}`);
}

export function checkFailures(olds: Partial<TalosMachineInputs>, news: TalosMachineInputs): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  const n = news.node;
  if (n === undefined || n === null || (typeof n !== "object" && !containsUnknown(n))) {
    failures.push({ property: "node", reason: "node is required: {name, role, platform, endpoint}" });
    return failures;
  }
  if (!containsUnknown(n)) {
    if (!["controlplane", "worker"].includes(n.role))
      failures.push({ property: "node", reason: `node.role "${n.role}" must be "controlplane" or "worker"` });
    if (!["docker", "hcloud", "metal"].includes(n.platform))
      failures.push({ property: "node", reason: `node.platform "${n.platform}" must be "docker", "hcloud" or "metal"` });
    if (!n.endpoint) failures.push({ property: "node", reason: "node.endpoint is required: the apid host[:port] to dial" });
    if ((n.via?.length ?? 0) > 0 && !n.address)
      failures.push({
        property: "node",
        reason: "node.via routes through other control planes' apid, so node.address (the node's own address) is required",
      });
  }
  if (typeof news.config !== "string" || news.config === "") {
    failures.push({ property: "config", reason: "config (the machine config YAML) is required" });
    return failures;
  }
  if (containsUnknown(news.config) || containsUnknown(news.talosVersion)) return failures;
  try {
    const unknown = unknownDocumentKinds(news.config, news.talosVersion);
    for (const u of unknown) failures.push({ property: "config", reason: `${u.path}: ${u.message}` });
  } catch (e) {
    failures.push({ property: "config", reason: (e as Error).message });
  }
  if (olds.config === undefined || failures.length > 0) return failures;
  const oldK = kubernetesVersionOf(olds.config);
  const newK = kubernetesVersionOf(news.config);
  const oldT = talosVersionOfImage(olds.installImage);
  const newT = talosVersionOfImage(news.installImage);
  // `check` sees the old inputs: the Talos version last applied is what the node runs (a refresh records drift).
  const running = typeof olds.talosVersion === "string" && !containsUnknown(olds.talosVersion) ? olds.talosVersion : undefined;
  if (oldK && newK && oldK !== newK && oldT && newT && oldT !== newT && n.platform !== "docker") {
    failures.push({
      property: "config",
      reason: `Talos (${oldT} → ${newT}) and Kubernetes (${oldK} → ${newK}) change together; Talos checks Kubernetes against the version it runs, so upgrade one at a time: first Talos with spec.cluster.kubernetesVersion pinned to ${oldK}, then Kubernetes`,
    });
  } else if (oldK && newK && oldK !== newK && running) {
    const refusal = kubernetesRefusal(parseTalosVersion(running.replace(/^v/, "").replace(/-.*$/, "")), newK);
    if (refusal) failures.push({ property: "config", reason: `${n.name} runs Talos ${running}: ${refusal}` });
  }
  if (newT && running && newT !== running.replace(/^v/, "") && n.platform !== "docker") {
    const refusal = upgradeRefusal(running, parseTalosVersion(newT));
    if (refusal) failures.push({ property: "installImage", reason: `${n.name}: ${refusal}` });
  }
  try {
    const c = classifyMachineChange(olds, news, classifyMachineConfigChange);
    if (c.kind === "reinstall") {
      failures.push({
        property: "config",
        reason: `${c.reasons.filter((r) => r.includes("reinstall")).join("; ")}. Talos keeps the system where it was installed: replace the node (remove it, then add it back) to move it.`,
      });
    }
  } catch (e) {
    failures.push({ property: "config", reason: (e as Error).message });
  }
  return failures;
}
