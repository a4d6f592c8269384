"""The state file's schema: one migration per version, applied in order by
store.Store.open (a file from an older digest is brought up to date)."""

from __future__ import annotations

MIGRATIONS = {
    1: """
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY,
        title TEXT NOT NULL DEFAULT '',
        etag TEXT,
        last_modified TEXT,
        last_attempt REAL,
        last_success REAL,
        failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE TABLE builds (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        since REAL NOT NULL,
        item_count INTEGER NOT NULL,
        subject TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        feed_url TEXT NOT NULL,
        key TEXT NOT NULL,
        title TEXT NOT NULL,
        link TEXT NOT NULL,
        author TEXT NOT NULL DEFAULT '',
        published REAL,
        first_seen REAL NOT NULL,
        content_html TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL DEFAULT '',
        image TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        sent_build INTEGER REFERENCES builds(id),
        UNIQUE (feed_url, key)
    );
    CREATE INDEX items_link ON items(link) WHERE link != '';
    CREATE INDEX items_when ON items(coalesce(published, first_seen));
    """,
    # current_url: where a permanent redirect says the feed lives now (the
    # config's URL stays its identity). retired: when a 410 Gone ended it.
    2: """
    ALTER TABLE feeds ADD COLUMN current_url TEXT;
    ALTER TABLE feeds ADD COLUMN retired REAL;
    """,
    # The digest as it was sent (its JSON form), so `build --replay N` can
    # render it again exactly.
    3: """
    ALTER TABLE builds ADD COLUMN digest TEXT
    """,
    # sent_title: the title an item had when it was sent, so a re-fetch with
    # a new title can send it again, marked updated (new text alone cannot).
    4: """
    ALTER TABLE items ADD COLUMN sent_title TEXT;
    ALTER TABLE items ADD COLUMN updated INTEGER NOT NULL DEFAULT 0;
    UPDATE items SET sent_title = title WHERE sent_build IS NOT NULL
    """,
    # A build claims its items (state 'pending') before it delivers and
    # confirms them after; a build killed in between is settled by the next
    # one: confirmed when its -o file is there, whole, else released.
    # build_lock: one sending build at a time, taken over from a dead holder.
    5: """
    ALTER TABLE builds ADD COLUMN state TEXT NOT NULL DEFAULT 'sent';
    ALTER TABLE builds ADD COLUMN output TEXT;
    ALTER TABLE builds ADD COLUMN output_sha256 TEXT;
    CREATE TABLE build_lock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        since REAL NOT NULL
    )
    """,
    # The last grouping of items into stories, by a key over everything the
    # grouping depends on: a build over unchanged items skips clustering.
    6: """
    CREATE TABLE cluster_cache (
        key TEXT PRIMARY KEY,
        groups TEXT NOT NULL
    )
    """,
    # lead_text: where the story's lead begins (a standfirst, else its first
    # paragraphs), apart from the whole text; '' for items stored before,
    # whose lead is made from the text. last_warning: the feed's last
    # "malformed but readable" warning, said once until it changes.
    7: """
    ALTER TABLE items ADD COLUMN lead_text TEXT NOT NULL DEFAULT '';
    ALTER TABLE feeds ADD COLUMN last_warning TEXT
    """,
    # The size of each remote picture a digest showed, read from the first
    # bytes of its file (sources/picturesize.py): the email gives every
    # <img> its width and height, and an --offline build has them too.
    # width and height NULL: read, and the bytes gave no size.
    8: """
    CREATE TABLE picture_sizes (
        url TEXT PRIMARY KEY,
        width INTEGER,
        height INTEGER,
        checked REAL NOT NULL
    )
    """,
    # What a card's reading time needs: excerpt (the text is a teaser or an
    # episode's notes: no reading time), the episode's or video's length,
    # and date_only (the feed gave a day, no time).
    9: """
    ALTER TABLE items ADD COLUMN excerpt INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE items ADD COLUMN duration_seconds INTEGER;
    ALTER TABLE items ADD COLUMN date_only INTEGER NOT NULL DEFAULT 0
    """,
    # The article pages read for thin stories (sources/articles.py): what was
    # read from each (JSON; NULL when the last attempt failed), its ETag and
    # Last-Modified, when it was last checked and why it failed, so a second
    # build downloads nothing anew and an --offline build uses what was read.
    10: """
    CREATE TABLE article_pages (
        url TEXT PRIMARY KEY,
        page TEXT,
        etag TEXT,
        last_modified TEXT,
        checked REAL NOT NULL,
        error TEXT
    )
    """,
    # Several digests from one config ([digests.NAME]): each has its own
    # history and sent log. builds.name is the digest a build was of ('':
    # the top-level digest, whose rows of before keep their meaning, and
    # whose sent log stays items.sent_build/sent_title). digest_sent is the
    # sent log of the named ones: an item the daily sent can still be in
    # the weekly. build: the last build that sent it; pending: a build
    # still delivering it; sent_title: every title it went out under, one
    # per line ('' until the first is delivered), as items.sent_title.
    11: """
    ALTER TABLE builds ADD COLUMN name TEXT NOT NULL DEFAULT '';
    CREATE INDEX builds_name ON builds(name, state);
    CREATE TABLE digest_sent (
        digest TEXT NOT NULL,
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        build INTEGER REFERENCES builds(id),
        pending INTEGER REFERENCES builds(id),
        sent_title TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (digest, item_id)
    ) WITHOUT ROWID;
    CREATE INDEX digest_sent_pending ON digest_sent(pending) WHERE pending IS NOT NULL
    """,
    # What the last parse of each feed left of its raw entries (models.
    # KnownEntries as JSON: each entry's id, fingerprint, date and picture
    # candidates, and the feed-wide verdicts), so an entry whose bytes are
    # the same next time is skipped unread (sources/known.py). A table of
    # its own: feeds rows are read whole at every build.
    12: """
    CREATE TABLE feed_entries (
        feed_url TEXT PRIMARY KEY,
        marks TEXT NOT NULL
    )
    """,
    # Facts of this state file: 'installation' is a random id made once,
    # this installation's part of the web edition's Atom ids without
    # base_url (a uuid of the path alone was the same for everyone).
    13: """
    CREATE TABLE facts (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )
    """,
    # What a feed's channel says of itself besides its title: its language
    # (<language>, xml:lang; a BCP 47 tag), the cards' lang when their page
    # says none; and its site's address (<link>), which names the publisher
    # when the feed's own address cannot (a file, feeds.bbci.co.uk). Kept for
    # an --offline build and a feed that answers 304. The validators are
    # forgotten once, so the next fetch of each feed reads its channel anew
    # instead of hearing 304 until the feed next changes.
    14: """
    ALTER TABLE feeds ADD COLUMN language TEXT NOT NULL DEFAULT '';
    ALTER TABLE feeds ADD COLUMN site TEXT NOT NULL DEFAULT '';
    UPDATE feeds SET etag = NULL, last_modified = NULL
    """,
}
SCHEMA_VERSION = max(MIGRATIONS)


