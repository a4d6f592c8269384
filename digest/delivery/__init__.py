"""Every way the product leaves digest (stdout, a file, a mail command,
Maildir, mbox, SMTP) and the claim/confirm/release protocol they share."""
