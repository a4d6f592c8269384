"""What a reader gets: an edition rendered as email, HTML, text, MJML or
JSON through the templates, and past editions read back for a replay."""
