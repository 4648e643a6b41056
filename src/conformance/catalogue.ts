/** Every check, in the order they run: cheap and harmless first, hostile input last. */
import type { Check } from './types.js';
import { envelopeChecks } from './checks/envelope.js';
import { identifyChecks } from './checks/identify.js';
import { faultChecks } from './checks/faults.js';
import { enumerationChecks } from './checks/enumeration.js';
import { shellChecks } from './checks/shell.js';
import { disconnectChecks } from './checks/disconnect.js';
import { powershellChecks } from './checks/powershell.js';
import { authChecks } from './checks/auth.js';
import { robustnessChecks } from './checks/robustness.js';
import { pass, fail, skip } from './types.js';

/** Judged after the others: every response envelope seen during the run validated against schemas/. */
export const schemaCheck: Check = {
  id: 'SCHEMA-001', title: 'Every response envelope validates against the WS-Management schemas', category: 'schema', severity: 'must',
  spec: 'DSP0226 Annex A; MS-WSMV §2.2',
  async run(ctx) {
    if (!ctx.options.validate) return skip('schema validation is off');
    await ctx.validateResponses();
    if (ctx.validatedResponses === 0) return skip('no response envelope was validated');
    const f = ctx.schemaFailures;
    if (!f.length) return pass(`${ctx.validatedResponses} responses validated`);
    const first = f[0]!;
    return fail(`${f.length} of ${ctx.validatedResponses} responses do not validate; first (${first.label}): ${first.errors[0] ?? ''}`);
  },
};

export const CATALOGUE: readonly Check[] = [
  ...envelopeChecks,
  ...identifyChecks,
  ...faultChecks,
  ...enumerationChecks,
  ...shellChecks,
  ...disconnectChecks,
  ...powershellChecks,
  ...authChecks,
  ...robustnessChecks,
  schemaCheck,
];
