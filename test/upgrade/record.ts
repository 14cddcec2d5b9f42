// Records the upgrade guard's fixtures (test/fixtures/upgrade/<layout>.json) from the code as it is now.
// Run: `npx tsx test/upgrade/record.ts [layout-id …]`. Record only from a release whose graph is the baseline:
// the guard (upgrade.test.ts) then fails when a later change renames, removes or replaces one of these resources.
import * as fs from "node:fs";
import * as path from "node:path";
import { FIXTURES, LAYOUTS, graphOf } from "./graph";

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  fs.mkdirSync(FIXTURES(), { recursive: true });
  for (const layout of LAYOUTS.filter((l) => only.length === 0 || only.includes(l.id))) {
    const graph = graphOf(layout, await layout.record());
    fs.writeFileSync(path.join(FIXTURES(), `${layout.id}.json`), `${JSON.stringify(graph, null, 2)}\n`);
    process.stdout.write(`${layout.id}: ${graph.resources.length} resources\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
