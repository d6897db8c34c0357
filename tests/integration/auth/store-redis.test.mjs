// The auth suite of API.md "Auth and sessions" (issue 5) against
// SESSION_STORE=redis (REDIS_ENABLED=true, a redis-server of this file's own):
// live sessions in Redis, written through to the `sessions` table; the same
// contract as db.
//
// The suite itself is tests/integration/lib/auth.mjs describeSessionStore():
// the same tests for every store, plus each store's own behaviour.

import { describeSessionStore } from '../lib/auth.mjs';

describeSessionStore('redis');
