// Polling helper for the e2e tests: waits (generously, never asserting on
// time) until `fn` returns something truthy.
import { T_MEDIA } from './lib.mjs';

export async function until(fn, what, timeout = T_MEDIA) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
