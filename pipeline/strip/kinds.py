"""Names of the removal kinds, as constants (see :data:`pipeline.record_types.REMOVAL_KINDS`).

The values are written into the output (``Removal.kind``, the model's ``model.<kind>`` rule
ids, feature names), so they never change; code names a kind by its constant.
"""

from __future__ import annotations

PAYWALL_APPEAL = "paywall_appeal"
SUBSCRIPTION_PROMPT = "subscription_prompt"
COOKIE_NOTICE = "cookie_notice"
SOCIAL_WIDGET = "social_widget"
COMMENT_PROMPT = "comment_prompt"
NAVIGATION = "navigation"
DATELINE_HEADER = "dateline_header"
BYLINE_OR_PUBLISH_META = "byline_or_publish_meta"
SYNDICATION_CREDIT = "syndication_credit"
RELATED_LINK = "related_link"
AD_MARKER = "ad_marker"
PHOTO_CAPTION = "photo_caption"
LEGAL_NOTICE = "legal_notice"
DUPLICATE_HEADLINE = "duplicate_headline"
TRUNCATED_TEASER = "truncated_teaser"
OTHER = "other"
