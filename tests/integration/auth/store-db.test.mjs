// The auth suite of API.md "Auth and sessions" (issue 5) against
// SESSION_STORE=db: sessions in the `sessions` table; refresh tokens rotate with a
// grace window and reuse detection; revocation is instant.
//
// The suite itself is tests/integration/lib/auth.mjs describeSessionStore():
// the same tests for every store, plus each store's own behaviour.

import { describeSessionStore } from '../lib/auth.mjs';

describeSessionStore('db');
