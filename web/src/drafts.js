// Drafts of the publish and edit forms (docs/WEB.md "Failures"): a form
// refused because the session ended is kept in this tab's sessionStorage
// until its owner has logged in again and sent it. A draft belongs to one
// person: it is read only for them, and dropped when another person logs in
// in this tab or when someone logs out (a shared computer must not show one
// person's text to the next).

const PREFIX = 'rural24.draft.';

const keyOf = (adId) => `${PREFIX}${adId ? `ad.${adId}` : 'new'}`;

/** The draft of the form for adId (null: a new ad) kept for userId, or null. */
export function readDraft(adId, userId) {
  if (!userId) return null;
  try {
    const d = JSON.parse(sessionStorage.getItem(keyOf(adId)) ?? 'null');
    return d && d.user === userId ? d : null;
  } catch {
    return null;
  }
}

/** Keeps draft (which carries its owner in draft.user) for adId's form. A
 *  draft without an owner is not kept: nobody could be sure to be it. */
export function keepDraft(adId, draft) {
  if (!draft.user) return false;
  try {
    sessionStorage.setItem(keyOf(adId), JSON.stringify(draft));
    return true;
  } catch {
    return false; // storage disabled or full: the form on screen still holds the text
  }
}

export function dropDraft(adId) {
  try {
    sessionStorage.removeItem(keyOf(adId));
  } catch {
    /* nothing kept */
  }
}

/** Drops every draft but those of keepFor (a user id; null: drop all). */
export function dropDrafts(keepFor = null) {
  try {
    for (let i = sessionStorage.length - 1; i >= 0; i--) {
      const key = sessionStorage.key(i);
      if (!key?.startsWith(PREFIX)) continue;
      let owner = null;
      try {
        owner = JSON.parse(sessionStorage.getItem(key) ?? 'null')?.user ?? null;
      } catch {
        /* unreadable: dropped */
      }
      if (keepFor === null || owner !== keepFor) sessionStorage.removeItem(key);
    }
  } catch {
    /* storage disabled: nothing kept */
  }
}
