-- Photos (issue 10): what an ad image row holds once the server re-encodes
-- uploads (docs/IMAGES.md), the two writes that change an ad's images, and
-- the rule that a deleted ad keeps none.
--
-- ad_images had no writer before this migration (no route stored images),
-- so the new NOT NULL columns are added without defaults; a table that
-- somehow holds rows makes this migration fail rather than guess values.

ALTER TABLE ad_images
  ADD COLUMN width        integer NOT NULL,
  ADD COLUMN height       integer NOT NULL,
  ADD COLUMN thumbnail    bytea NOT NULL,
  ADD COLUMN thumb_sha256 text NOT NULL,
  ADD COLUMN thumb_width  integer NOT NULL,
  ADD COLUMN thumb_height integer NOT NULL,
  ADD CONSTRAINT ad_images_dimensions_check
    CHECK (width BETWEEN 1 AND 2048 AND height BETWEEN 1 AND 2048),
  ADD CONSTRAINT ad_images_thumb_dimensions_check
    CHECK (thumb_width BETWEEN 1 AND 400 AND thumb_height BETWEEN 1 AND 800),
  ADD CONSTRAINT ad_images_thumb_size_check CHECK (octet_length(thumbnail) BETWEEN 1 AND 5242880),
  ADD CONSTRAINT ad_images_thumb_sha256_check CHECK (thumb_sha256 ~ '^[0-9a-f]{64}$');

-- Encoded images do not compress: keep TOAST from trying (data already is).
ALTER TABLE ad_images ALTER COLUMN thumbnail SET STORAGE EXTERNAL;

-- Adds an image to an ad on behalf of a user, at most p_max per ad. The
-- ad's row lock (FOR NO KEY UPDATE, which the ad's own updates take too)
-- serializes every image write of one ad and its deletion, and the count is
-- a new statement, so it sees every image committed before the lock was
-- granted: two uploads racing for the tenth slot get one 201 and one 409.
-- Positions stay dense (0..n-1, see ad_image_delete) in upload order.
--
-- outcome: 'ok' (image is the API's {"id","url","thumbnail_url","width",
-- "height"}), 'not_found' (no such ad, deleted, or not public and not the
-- user's), 'forbidden' (public, another user's), 'full'.
CREATE FUNCTION ad_image_add(p_ad bigint, p_user bigint, p_content_type text, p_data bytea,
                             p_sha256 text, p_width integer, p_height integer,
                             p_thumbnail bytea, p_thumb_sha256 text, p_thumb_width integer,
                             p_thumb_height integer, p_max integer,
                             OUT outcome text, OUT image json)
  LANGUAGE plpgsql AS $$
DECLARE
  v_owner  bigint;
  v_public boolean;
  v_count  integer;
  v_id     bigint;
BEGIN
  SELECT a.user_id, (a.status = 'active' AND a.expires_at > now())
    INTO v_owner, v_public
    FROM ads a WHERE a.id = p_ad AND a.status <> 'deleted'
    FOR NO KEY UPDATE;
  IF NOT FOUND OR (v_owner <> p_user AND NOT v_public) THEN
    outcome := 'not_found';
    RETURN;
  END IF;
  IF v_owner <> p_user THEN
    outcome := 'forbidden';
    RETURN;
  END IF;
  SELECT count(*) INTO v_count FROM ad_images WHERE ad_id = p_ad;
  IF v_count >= p_max THEN
    outcome := 'full';
    RETURN;
  END IF;
  INSERT INTO ad_images (ad_id, position, content_type, data, sha256, width, height,
                         thumbnail, thumb_sha256, thumb_width, thumb_height)
  VALUES (p_ad, v_count, p_content_type, p_data, p_sha256, p_width, p_height,
          p_thumbnail, p_thumb_sha256, p_thumb_width, p_thumb_height)
  RETURNING id INTO v_id;
  outcome := 'ok';
  image := json_build_object('id', v_id, 'url', '/api/images/' || v_id,
                             'thumbnail_url', '/api/images/' || v_id || '/thumb',
                             'width', p_width, 'height', p_height);
END
$$;

-- Removes one image of an ad on behalf of a user and closes the gap in the
-- positions (the others keep their order). outcome: 'ok', 'not_found' (the
-- ad, as above), 'forbidden', 'no_image' (no such image on that ad).
CREATE FUNCTION ad_image_delete(p_ad bigint, p_image bigint, p_user bigint, OUT outcome text)
  LANGUAGE plpgsql AS $$
DECLARE
  v_owner    bigint;
  v_public   boolean;
  v_position smallint;
BEGIN
  SELECT a.user_id, (a.status = 'active' AND a.expires_at > now())
    INTO v_owner, v_public
    FROM ads a WHERE a.id = p_ad AND a.status <> 'deleted'
    FOR NO KEY UPDATE;
  IF NOT FOUND OR (v_owner <> p_user AND NOT v_public) THEN
    outcome := 'not_found';
    RETURN;
  END IF;
  IF v_owner <> p_user THEN
    outcome := 'forbidden';
    RETURN;
  END IF;
  DELETE FROM ad_images WHERE id = p_image AND ad_id = p_ad RETURNING position INTO v_position;
  IF NOT FOUND THEN
    outcome := 'no_image';
    RETURN;
  END IF;
  UPDATE ad_images SET position = position - 1 WHERE ad_id = p_ad AND position > v_position;
  outcome := 'ok';
END
$$;

-- A deleted ad keeps no image: whatever marks it deleted (its owner, an
-- admin, moderation), its image rows go in the same transaction, so no
-- orphan bytes stay behind and GET /api/images/{id} is 404 at once.
CREATE FUNCTION ads_drop_images() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM ad_images WHERE ad_id = NEW.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER ads_deleted_drop_images
  AFTER UPDATE OF status ON ads
  FOR EACH ROW WHEN (NEW.status = 'deleted' AND OLD.status <> 'deleted')
  EXECUTE FUNCTION ads_drop_images();
