/**
 * Node roles, named once. Kubernetes, kind, k3s, the plan and the node labels say `control-plane` / `worker`;
 * Talos's `machine.type` says `controlplane` / `worker`. `talosRole` is the one place that translates.
 */
export type NodeRole = "control-plane" | "worker";
export type TalosRole = "controlplane" | "worker";

export const NODE_ROLES: readonly NodeRole[] = ["control-plane", "worker"];

/** The Talos machine type of a node role. */
export function talosRole(role: NodeRole): TalosRole {
  return role === "control-plane" ? "controlplane" : "worker";
}
