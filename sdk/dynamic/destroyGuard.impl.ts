/**
 * DestroyGuard provider logic (loaded by the trampoline in destroyGuard.ts; never serialized): a record with no
 * side effects. Its only job is its place in the graph (it depends on every resource of the cluster, so a destroy
 * reaches it first) and its `protect` option.
 */
export const handler = {
  async create(inputs: { clusterName: string }) {
    return { id: `${inputs.clusterName}-destroy-guard`, outs: { ...inputs } };
  },
  async update(_id: string, _olds: unknown, news: { clusterName: string }) {
    return { outs: { ...news } };
  },
  async delete() {
    // Nothing to undo.
  },
};
