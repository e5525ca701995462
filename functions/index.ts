// The Worker: a Hono app over the model bucket. Bindings are declared in wrangler.toml and typed in env.ts.
import { createApp } from './app.js';

export default createApp();
