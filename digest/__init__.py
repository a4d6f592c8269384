"""digest: turn the feeds you follow into one good email a day.

    import digest
    with digest.open("digest.toml") as d:
        edition = d.build()
        print(edition.subject, [story.title for story in edition.stories])
        d.send(edition)

The names below are loaded when first used, so `import digest` (and the
command line's start) costs nothing.
"""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/digest-mail/digest"
USER_AGENT = f"digest/{__version__} (+{PROJECT_URL})"

__all__ = ["open", "Digester", "Edition", "Story", "Item", "DigestError", "ConfigError", "UsageError", "__version__"]

_LAZY = {
    "open": ("app", "open_digester"),
    "Digester": ("app", "Digester"),
    "Edition": ("app", "Edition"),
    "Story": ("models", "Story"),
    "Item": ("models", "Item"),
    "DigestError": ("errors", "DigestError"),
    "ConfigError": ("errors", "ConfigError"),
    "UsageError": ("errors", "UsageError"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'digest' has no attribute {name!r}")
    import importlib

    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(f".{module}", __name__), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
