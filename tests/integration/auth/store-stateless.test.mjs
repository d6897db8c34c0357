// The auth suite of API.md "Auth and sessions" (issue 5) against
// SESSION_STORE=stateless: no server state; refresh returns a new pair but the old one
// stays valid, revocation endpoints answer 501, access tokens live until they
// expire.
//
// The suite itself is tests/integration/lib/auth.mjs describeSessionStore():
// the same tests for every store, plus each store's own behaviour.

import { describeSessionStore } from '../lib/auth.mjs';

describeSessionStore('stateless');
