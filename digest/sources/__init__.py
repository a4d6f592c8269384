"""Where stories come from: fetch feeds (and pages), read them into Items,
take each entry's HTML apart. Knows nothing of stories, templates or mail."""
