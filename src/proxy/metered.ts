// One metered request, in three named steps: admit (body, facts, plan, reserve), relay (upstream,
// client writes), and measure (what is charged, from what was seen), which relay hands to the
// settlement. A request the store refuses never opens a connection upstream.
import type { Context } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import type { EndUserSource } from '../auth/user-auth.js';
import type { Endpoint } from '../endpoints/endpoints.js';
import { createPlanner } from '../plan/plan.js';
import { createPromptEstimator } from '../plan/prompt/prompt-estimate.js';
import type { UpstreamRouter } from '../upstream/router.js';
import { admit } from './admit.js';
import { relay } from './relay.js';

export function createMeteredHandler(app: AppContext, endpoint: Endpoint, router: UpstreamRouter, endUser: EndUserSource) {
  const m = app.config.metering;
  const estimatePrompt = createPromptEstimator({
    tokensPerImage: m.tokens_per_image, tokensPerFile: m.tokens_per_file, bytesPerToken: m.prompt_bytes_per_token,
    calibrationSamples: m.calibration_samples, calibration: app.calibration,
  });
  const steps = { app, plan: createPlanner(app.config), estimatePrompt, endUser, router };

  return async function metered(c: Context<AppEnv>): Promise<Response> {
    const a = await admit(steps, endpoint, c);
    return relay({
      deps: app, c, endpoint, path: a.path, upstreams: a.upstreams, settlement: a.settlement, headers: a.headers, hideUsageChunk: a.hideUsageChunk,
      promptBytes: a.promptBytes, promptTokens: a.promptTokens, body: a.body,
    });
  };
}
