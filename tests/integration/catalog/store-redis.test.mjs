// The catalog rows of API.md "Ads" that depend on who asks (issue 8): create,
// patch, delete, feature, my ads, public profiles and the exchange rate's
// PUT, against SESSION_STORE=redis. The suite is describeCatalogStore() in
// tests/integration/lib/catalog.mjs: the same tests for every store.

import { describeCatalogStore } from '../lib/catalog.mjs';

describeCatalogStore('redis');
