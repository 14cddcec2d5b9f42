import * as YAML from "yaml";
import { issueCa } from "./issue";
import { generateKey, privateKeyPem, loadPrivateKey } from "./keys";
import { base64ToPem, fromTalosKeyPem, pemToBase64, toTalosKeyPem } from "./pem";
import { bootstrapToken, randomBase64, randomBase64Url } from "./random";
import type { CertAndKey, TalosSecretsBundle } from "./types";

/**
 * A fresh Talos secrets bundle (contract of Talos ≥ 1.7): cluster id (URL-safe base64) and secret, bootstrap and trustd tokens,
 * secretbox key, the OS CA (Ed25519, O=talos), the Kubernetes, aggregator and etcd CAs (ECDSA P-256,
 * O=kubernetes / empty subject / O=etcd) and the RSA-4096 service-account key. All keys are generated
 * concurrently off the event loop; the RSA key dominates (about 1–3 s).
 */
export async function generateTalosBundle(opts: { now?: Date } = {}): Promise<TalosSecretsBundle> {
  const now = opts.now ?? new Date();
  const [etcd, k8s, k8sAggregator, os, sa] = await Promise.all([
    issueCa({ subject: { organizations: ["etcd"] }, algorithm: "ecdsa-p256", template: "talos", now }),
    issueCa({ subject: { organizations: ["kubernetes"] }, algorithm: "ecdsa-p256", template: "talos", now }),
    issueCa({ subject: {}, algorithm: "ecdsa-p256", template: "talos", now }),
    issueCa({ subject: { organizations: ["talos"] }, algorithm: "ed25519", template: "talos", now }),
    generateKey("rsa-4096"),
  ]);
  return {
    // Talos encodes the id URL-safe (it is used in discovery URLs) and the secret with the standard alphabet.
    cluster: { id: randomBase64Url(32), secret: randomBase64(32) },
    secrets: { bootstrapToken: bootstrapToken(), secretboxEncryptionSecret: randomBase64(32) },
    trustdInfo: { token: bootstrapToken() },
    certs: { etcd, k8s, k8sAggregator, k8sServiceAccount: { key: privateKeyPem(sa.privateKey) }, os },
  };
}

function talosPair(p: CertAndKey): { crt: string; key: string } {
  return { crt: pemToBase64(p.cert), key: pemToBase64(toTalosKeyPem(p.key, loadPrivateKey(p.key).asymmetricKeyType ?? "")) };
}

/**
 * The bundle as `talosctl gen secrets` writes it: top-level `cluster`, `secrets`, `trustdinfo`, `certs` with
 * lower-case keys; every `crt`/`key` is base64 of the PEM text, the Ed25519 OS CA key under Talos's
 * `ED25519 PRIVATE KEY` label, four-space indentation. (Checked when written: Talos's own secrets test fixture
 * parses with {@link talosBundleFromYaml} and re-serialises byte for byte; talosctl itself is not available here.)
 */
export function talosBundleToYaml(b: TalosSecretsBundle): string {
  const doc = {
    cluster: { id: b.cluster.id, secret: b.cluster.secret },
    secrets: { bootstraptoken: b.secrets.bootstrapToken, secretboxencryptionsecret: b.secrets.secretboxEncryptionSecret },
    trustdinfo: { token: b.trustdInfo.token },
    certs: {
      etcd: talosPair(b.certs.etcd),
      k8s: talosPair(b.certs.k8s),
      k8saggregator: talosPair(b.certs.k8sAggregator),
      k8sserviceaccount: { key: pemToBase64(b.certs.k8sServiceAccount.key) },
      os: talosPair(b.certs.os),
    },
  };
  return YAML.stringify(doc, { indent: 4, lineWidth: 0 });
}

/**
 * Parse a `talosctl gen secrets` YAML file (e.g. to adopt an existing cluster's identity). Keys come back
 * with standard PEM labels. Throws when a field is missing.
 */
export function talosBundleFromYaml(text: string): TalosSecretsBundle {
  const d = YAML.parse(text) as Record<string, Record<string, any>> | null;
  const need = (v: unknown, path: string): string => {
    if (typeof v !== "string" || v === "") throw new Error(`Talos secrets YAML: ${path} is missing or not a string`);
    return v;
  };
  const pair = (name: string): CertAndKey => ({
    cert: base64ToPem(need(d?.certs?.[name]?.crt, `certs.${name}.crt`)),
    key: fromTalosKeyPem(base64ToPem(need(d?.certs?.[name]?.key, `certs.${name}.key`))),
  });
  return {
    cluster: { id: need(d?.cluster?.id, "cluster.id"), secret: need(d?.cluster?.secret, "cluster.secret") },
    secrets: {
      bootstrapToken: need(d?.secrets?.bootstraptoken, "secrets.bootstraptoken"),
      secretboxEncryptionSecret: need(d?.secrets?.secretboxencryptionsecret, "secrets.secretboxencryptionsecret"),
    },
    trustdInfo: { token: need(d?.trustdinfo?.token, "trustdinfo.token") },
    certs: {
      etcd: pair("etcd"),
      k8s: pair("k8s"),
      k8sAggregator: pair("k8saggregator"),
      k8sServiceAccount: { key: base64ToPem(need(d?.certs?.k8sserviceaccount?.key, "certs.k8sserviceaccount.key")) },
      os: pair("os"),
    },
  };
}
