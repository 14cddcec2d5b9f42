import { isHa, type ComponentContext } from "../../plan/context";
import { Values } from "../merge";
import { spread } from "./core";

/** Go-style duration string for whole seconds, e.g. 300 → "5m0s". */
export function durationString(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m > 0 ? `${m}m${s}s` : `${s}s`;
}

/** cert-manager values: CRDs from the chart; the startup API check waits as long as the install. */
export function certManagerValues(ctx: ComponentContext, installTimeoutSeconds: number): Values {
  const v: Values = {
    crds: { enabled: true, keep: true },
    startupapicheck: { timeout: durationString(Math.max(installTimeoutSeconds, 300)) },
  };
  if (isHa(ctx)) {
    Object.assign(v, {
      replicaCount: 2,
      podDisruptionBudget: { enabled: true, minAvailable: 1 },
      topologySpreadConstraints: spread({
        "app.kubernetes.io/name": "cert-manager",
        "app.kubernetes.io/component": "controller",
      }),
      webhook: {
        replicaCount: 2,
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
        topologySpreadConstraints: spread({
          "app.kubernetes.io/name": "webhook",
          "app.kubernetes.io/component": "webhook",
        }),
      },
    });
  }
  return v;
}

/**
 * Kyverno values. KSail sets `admissionController.webhookServer.failurePolicy`, a key the chart does not
 * have; the chart's switch for the same intent (webhooks fail open) is `features.forceFailurePolicyIgnore`.
 */
export function kyvernoValues(ctx: ComponentContext): Values {
  const v: Values = { features: { forceFailurePolicyIgnore: { enabled: true } } };
  if (isHa(ctx)) {
    v.admissionController = {
      replicas: 2,
      podDisruptionBudget: { enabled: true, minAvailable: 1 },
      topologySpreadConstraints: spread({
        "app.kubernetes.io/component": "admission-controller",
        "app.kubernetes.io/instance": "kyverno",
      }),
    };
  }
  return v;
}

/**
 * Gatekeeper values. The chart's CRD-upgrade hook stays on (its default): a pre-install/pre-upgrade Job applies the
 * chart's CRDs, which Helm itself never upgrades (open-policy-agent/gatekeeper charts/gatekeeper/templates/
 * upgrade-crds-hook.yaml), so a chart bump brings its CRDs along. KSail sets
 * `webhook.failurePolicy`/`mutatingWebhook.failurePolicy`, keys the chart does not have; the chart's keys
 * are `validatingWebhookFailurePolicy`/`mutatingWebhookFailurePolicy`.
 */
export function gatekeeperValues(ctx: ComponentContext): Values {
  const v: Values = {
    validatingWebhookFailurePolicy: "Ignore",
    mutatingWebhookFailurePolicy: "Ignore",
  };
  if (isHa(ctx)) {
    v.replicas = 2;
    v.pdb = { controllerManager: { minAvailable: 1 } };
    v.controllerManager = {
      topologySpreadConstraints: spread({ "control-plane": "controller-manager", "gatekeeper.sh/operation": "webhook" }),
    };
  }
  return v;
}
