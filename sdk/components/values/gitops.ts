import { isHa, type ComponentContext } from "../../plan/context";
import { sanitizeRepoName } from "../../config/registry";
import type { GitOpsSource } from "../../plan/components";
import { Values } from "../merge";
import { fluxDistribution, images } from "../../versions";

/** Flux's sync path inside the artifact: `./<kustomizationFile>` as KSail sets it, else the root. */
function syncPath(kustomizationFile: string | undefined): string {
  const p = (kustomizationFile ?? "")
    .trim()
    .replace(/^\.\/+/, "")
    .replace(/\/+$/, "");
  return p === "" ? "./" : `./${p}`;
}

/** The OCI URL and tag (or Git URL and branch) a source resolves to. */
export function resolveSource(source: GitOpsSource): { url: string; ref: string; path: string; insecure: boolean } {
  switch (source.type) {
    case "localRegistry":
      return {
        url: `oci://${source.clusterName}-local-registry:5000/${sanitizeRepoName(source.sourceDirectory ?? "k8s")}`,
        ref: source.tag ?? "dev",
        path: syncPath(source.kustomizationFile),
        insecure: true,
      };
    case "oci":
      return {
        url: source.url.startsWith("oci://") ? source.url : `oci://${source.url}`,
        ref: source.tag ?? "dev",
        path: syncPath(source.kustomizationFile),
        insecure: false,
      };
    case "git":
      return { url: source.url, ref: source.branch ?? "main", path: source.path ?? "./", insecure: false };
  }
}

/** flux-operator chart values: chart defaults (it installs its CRDs). */
export function fluxOperatorValues(ctx: ComponentContext): Values {
  return isHa(ctx) ? {} : {};
}

/** Names of the secrets the Flux installer may create in `flux-system`. */
export const fluxSecretNames = { pull: "ksail-registry-credentials", sopsAge: "sops-age" } as const;

/** `spec` of the FluxInstance `flux-system/flux`. */
export function fluxInstanceSpec(
  source: GitOpsSource,
  opts: { pullSecret: boolean; sops?: boolean; distributionVersion?: string; digest?: string },
): Values {
  const r = resolveSource(source);
  const sync: Values =
    source.type === "git"
      ? { kind: "GitRepository", url: r.url, ref: `refs/heads/${r.ref}`, path: r.path, interval: "1m" }
      : { kind: "OCIRepository", url: r.url, ref: r.ref, path: r.path, provider: "generic", interval: "1m" };
  if (opts.pullSecret) sync.pullSecret = fluxSecretNames.pull;
  const spec: Values = {
    distribution: {
      version: opts.distributionVersion ?? fluxDistribution.version,
      registry: fluxDistribution.registry,
      artifact: fluxDistribution.artifact,
    },
    sync,
  };
  const patches: Values[] = [];
  if (r.insecure) {
    // The local registry speaks plain HTTP: mark the generated OCIRepository insecure declaratively.
    patches.push({
      target: { kind: "OCIRepository", name: "flux-system" },
      patch: "- op: add\n  path: /spec/insecure\n  value: true\n",
    });
  }
  if (opts.digest && source.type !== "git") {
    // Pin the generated OCIRepository to the pushed artifact: source-controller pulls `ref.digest` in preference
    // to the tag, and the changed spec makes it reconcile at once (no `flux reconcile`, no annotation).
    patches.push({
      target: { kind: "OCIRepository", name: "flux-system" },
      patch: `- op: add\n  path: /spec/ref/digest\n  value: "${opts.digest}"\n`,
    });
  }
  if (opts.sops) {
    // Decrypt SOPS-encrypted manifests of the root Kustomization with the `sops-age` key.
    patches.push({
      target: { kind: "Kustomization", name: "flux-system" },
      patch: `- op: add\n  path: /spec/decryption\n  value:\n    provider: sops\n    secretRef:\n      name: ${fluxSecretNames.sopsAge}\n`,
    });
  }
  if (patches.length > 0) spec.kustomize = { patches };
  return spec;
}

/** The Argo CD config-management plugin name used for SOPS-encrypted manifests. */
export const argoSopsPlugin = "kustomize-sops";

/** Argo CD chart values: HA replicas and PDBs; with `sops`, a CMP sidecar that decrypts and builds. */
export function argoCdValues(ctx: ComponentContext, opts: { sops: boolean }): Values {
  const v: Values = {};
  if (isHa(ctx)) {
    v.server = { replicas: 2, pdb: { enabled: true, minAvailable: 1 } };
    v.repoServer = { replicas: 2, pdb: { enabled: true, minAvailable: 1 } };
  }
  if (!opts.sops) return v;
  v.configs = {
    cmp: {
      create: true,
      plugins: {
        [argoSopsPlugin]: {
          discover: { find: { glob: "**/kustomization.yaml" } },
          generate: {
            command: ["sh", "-c"],
            args: [
              'find . -name "*.sops.yaml" -o -name "*.enc.yaml" | while read -r f; do sops --decrypt --in-place "$f"; done; kustomize build .',
            ],
          },
        },
      },
    },
  };
  const repoServer = (v.repoServer as Values | undefined) ?? {};
  v.repoServer = {
    ...repoServer,
    initContainers: [
      {
        name: "install-sops",
        image: images.sops,
        command: ["sh", "-c", "cp /usr/local/bin/sops /custom-tools/sops"],
        volumeMounts: [{ name: "custom-tools", mountPath: "/custom-tools" }],
      },
    ],
    extraContainers: [
      {
        name: `cmp-${argoSopsPlugin}`,
        image: images.argoCd,
        command: ["/var/run/argocd/argocd-cmp-server"],
        env: [{ name: "SOPS_AGE_KEY_FILE", value: "/sops/age/sops.agekey" }],
        securityContext: { runAsNonRoot: true, runAsUser: 999 },
        volumeMounts: [
          { name: "var-files", mountPath: "/var/run/argocd" },
          { name: "plugins", mountPath: "/home/argocd/cmp-server/plugins" },
          { name: "argocd-cmp-cm", mountPath: "/home/argocd/cmp-server/config/plugin.yaml", subPath: `${argoSopsPlugin}.yaml` },
          { name: "custom-tools", mountPath: "/usr/local/bin/sops", subPath: "sops" },
          { name: "sops-age", mountPath: "/sops/age", readOnly: true },
          { name: "cmp-tmp", mountPath: "/tmp" },
        ],
      },
    ],
    volumes: [
      { name: "custom-tools", emptyDir: {} },
      { name: "sops-age", secret: { secretName: "sops-age", optional: true } },
      { name: "argocd-cmp-cm", configMap: { name: "argocd-cmp-cm" } },
      { name: "cmp-tmp", emptyDir: {} },
    ],
  };
  return v;
}

/** `spec` of the Argo CD Application `argocd/ksail`. */
export function argoApplicationSpec(source: GitOpsSource, opts: { sops: boolean; digest?: string }): Values {
  const r = resolveSource(source);
  const src: Values = {
    repoURL: r.url,
    // An OCI source's target revision is a tag or a digest: the pushed digest pins the Application to it.
    targetRevision: opts.digest && source.type !== "git" ? opts.digest : r.ref,
    path: source.type === "git" ? r.path : ".",
  };
  if (opts.sops) src.plugin = { name: argoSopsPlugin };
  return {
    project: "default",
    source: src,
    destination: { server: "https://kubernetes.default.svc", namespace: "default" },
    syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true"] },
  };
}
