"""digest: turn the feeds you follow into one good email a day."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/digest-mail/digest"
USER_AGENT = f"digest/{__version__} (+{PROJECT_URL})"
