/* SQL fragments for ads, shared by every statement that returns them, so
 * that a summary has one shape everywhere (API.md "Ad summary"). */
#ifndef RURAL24_DB_AD_SQL_H
#define RURAL24_DB_AD_SQL_H

/* API.md's ad summary from an ads row a (or a row with AD_PAGE_COLUMNS) and
 * its categories row c. The thumbnail is the first image's. */
#define AD_SUMMARY                                                                                 \
    "json_build_object('id', a.id, 'title', a.title, 'price', a.price,"                            \
    " 'currency', a.currency, 'price_unit', a.price_unit, 'province', a.province,"                 \
    " 'locality', a.locality,"                                                                     \
    " 'category', json_build_object('id', c.id, 'slug', c.slug, 'name', c.name),"                  \
    " 'thumbnail_url', (SELECT '/api/images/' || i.id || '/thumb' FROM ad_images i"                \
    "                   WHERE i.ad_id = a.id ORDER BY i.position, i.id LIMIT 1),"                  \
    " 'is_featured', a.is_featured AND a.featured_until > now(),"                                  \
    " 'created_at', rfc3339(a.created_at))"

/* The columns a page of ads passes up to AD_SUMMARY. */
#define AD_PAGE_COLUMNS                                                                            \
    "a.id, a.created_at, a.price_ars, a.title, a.price, a.currency, a.price_unit, a.province,"     \
    " a.locality, a.category_id, a.is_featured, a.featured_until"

/* An ad is public (every visitor sees it: search, featured, a user's public
 * ads, favorites lists, the cached detail) while active, not past expires_at
 * and not under review (docs/MODERATION.md). */
#define AD_PUBLIC "(a.status = 'active' AND a.expires_at > now() AND NOT a.under_review)"

/* An ad's status as its owner sees it: an active ad past expires_at is
 * expired even before the sweep marks it so. */
#define AD_EFFECTIVE_STATUS                                                                        \
    "(CASE WHEN a.status = 'active' AND a.expires_at <= now() THEN 'expired' ELSE a.status END)"

#endif
