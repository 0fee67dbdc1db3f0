"""Which outlet published an article: the registered domain of its URL (``bbc.co.uk`` for
``https://www.bbc.co.uk/news/x``), found with the public suffix list snapshot bundled with
tldextract. No network access and no disk cache, ever."""

from __future__ import annotations

from functools import lru_cache

import tldextract

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=4096)
def outlet_from_url(url: str | None) -> str | None:
    """The registered domain of ``url`` (lower case), or None for hosts without one
    (IP addresses, ``localhost``, unknown suffixes, no URL)."""
    if not url:
        return None
    parts = _EXTRACT(url.strip())
    return parts.top_domain_under_public_suffix.lower() or None


def choose_outlet(url: str | None, site_name: str | None, hinted: str | None) -> str | None:
    """The URL's registered domain, else the page's site name, else the container's hint."""
    for candidate in (outlet_from_url(url), site_name, hinted):
        if candidate and candidate.strip():
            return candidate.strip()
    return None
