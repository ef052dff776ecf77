"""Bluesky (AT Protocol) views → X-API-v2-shaped pages, pure functions.

The raw layer keeps each Bluesky response exactly as it came; these functions build the
X-v2-shaped copy (``RawPage.canonical``) that :func:`warehouse.load.load_pages` reads, so
Bluesky posts land in the same tables and obey the same metric definitions (docs/metrics.md).

The id scheme, chosen so that every view of one post maps to the same row:

* a post's id is its AT URI (``at://did:plc:…/app.bsky.feed.post/rkey``);
* an account's id is its DID, its username its handle;
* ``conversation_id`` is the reply root's URI (the post's own URI when it is not a reply);
* ``in_reply_to_user_id`` is the DID of the parent's author, read from the parent's AT URI;
* a repost is a post by the reposter whose only reference is ``retweeted`` → the original;
  its id is the repost record's URI (``…/app.bsky.feed.repost/rkey``) when the payload
  gives it, else a stable stand-in ``at://<reposter DID>/app.bsky.feed.repost/?<post URI>``;
* a quote is the embedded record (``app.bsky.embed.record`` or ``recordWithMedia``) when
  it is a post;
* facets give mentions (handle from the text span, id = DID), hashtags and links; an
  external card (``app.bsky.embed.external``) counts as a link too.

Lexicons: ``app.bsky.feed.defs`` (postView, feedViewPost, threadViewPost, reasonRepost),
``app.bsky.notification.listNotifications``, ``app.bsky.feed.searchPosts``,
``app.bsky.actor.defs`` (profileView*), ``app.bsky.richtext.facet``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from collectors.v2shape import set_public_metrics
from model import tag_key

Doc = dict[str, Any]

POST_COLLECTION = "app.bsky.feed.post"
NOTIFICATION_REASONS = ("mention", "reply", "quote", "repost")


def did_of(uri: str | None) -> str | None:
    """The repository DID of an AT URI (``at://did:plc:x/collection/rkey`` → ``did:plc:x``)."""
    if not isinstance(uri, str) or not uri.startswith("at://"):
        return None
    authority = uri[5:].split("/", 1)[0]
    return authority if authority.startswith("did:") else None


def collection_of(uri: str | None) -> str | None:
    if not isinstance(uri, str) or not uri.startswith("at://"):
        return None
    parts = uri[5:].split("/")
    return parts[1] if len(parts) > 1 else None


def iso_utc(value: Any) -> str | None:
    """An ISO-8601 instant as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (naive values are UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def profile_to_user(profile: Doc) -> Doc | None:
    """``app.bsky.actor.defs#profileView[Basic|Detailed]`` → X v2 user (only known fields)."""
    did = profile.get("did")
    if not isinstance(did, str):
        return None
    user: Doc = {"id": did, "username": profile.get("handle")}
    if profile.get("displayName"):
        user["name"] = profile["displayName"]
    elif profile.get("handle"):
        user["name"] = profile["handle"]
    if isinstance(profile.get("description"), str):
        user["description"] = profile["description"]
    if profile.get("createdAt"):
        user["created_at"] = iso_utc(profile["createdAt"])
    set_public_metrics(user, profile, {
        "followers_count": "followersCount",
        "following_count": "followsCount",
        "tweet_count": "postsCount",
    })
    return user


def _facet_text(text: str, index: Doc) -> str:
    """The text a facet covers (facets index UTF-8 bytes, not characters)."""
    raw = text.encode("utf-8")
    try:
        return raw[int(index["byteStart"]) : int(index["byteEnd"])].decode("utf-8", "replace")
    except (KeyError, TypeError, ValueError):
        return ""


def _entities(record: Doc) -> Doc:
    text = record.get("text") or ""
    mentions: list[Doc] = []
    hashtags: list[Doc] = []
    urls: list[Doc] = []
    seen_urls: set[str] = set()

    def add_url(uri: Any) -> None:
        if isinstance(uri, str) and uri and uri not in seen_urls:
            seen_urls.add(uri)
            urls.append({"url": uri, "expanded_url": uri})

    for facet in record.get("facets") or []:
        if not isinstance(facet, dict):
            continue
        for feature in facet.get("features") or []:
            if not isinstance(feature, dict):
                continue
            kind = feature.get("$type", "")
            if kind.endswith("#mention") and feature.get("did"):
                handle = _facet_text(text, facet.get("index") or {}).lstrip("@") or None
                mentions.append({"username": handle, "id": feature["did"]})
            elif kind.endswith("#tag") and feature.get("tag"):
                hashtags.append({"tag": str(feature["tag"]).lstrip("#")})
            elif kind.endswith("#link"):
                add_url(feature.get("uri"))
    for tag in record.get("tags") or []:  # hashtags given outside the text
        if (
            isinstance(tag, str)
            and tag
            and all(tag_key(h["tag"]) != tag_key(tag) for h in hashtags)
        ):
            hashtags.append({"tag": tag.lstrip("#")})
    embed = record.get("embed") or {}
    for e in (embed, embed.get("media") or {}):
        if isinstance(e, dict) and str(e.get("$type", "")).startswith("app.bsky.embed.external"):
            add_url((e.get("external") or {}).get("uri"))
    out: Doc = {}
    if mentions:
        out["mentions"] = mentions
    if hashtags:
        out["hashtags"] = hashtags
    if urls:
        out["urls"] = urls
    return out


def quoted_uri(record: Doc) -> str | None:
    """The post a record quotes (``app.bsky.embed.record`` / ``recordWithMedia``), if any."""
    embed = record.get("embed")
    if not isinstance(embed, dict):
        return None
    kind = str(embed.get("$type", ""))
    ref = None
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        ref = ((embed.get("record") or {}).get("record") or {}).get("uri")
    elif kind.startswith("app.bsky.embed.record"):
        ref = (embed.get("record") or {}).get("uri")
    return ref if collection_of(ref) == POST_COLLECTION else None


def record_to_tweet(
    uri: str, author_did: str | None, record: Doc, counts: Doc | None = None, indexed_at: Any = None
) -> Doc:
    """One ``app.bsky.feed.post`` record (with its URI and author) → X v2 tweet."""
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else None
    tweet: Doc = {
        "id": uri,
        "author_id": author_did or did_of(uri),
        "text": record.get("text") or "",
        "created_at": iso_utc(record.get("createdAt")) or iso_utc(indexed_at),
    }
    langs = record.get("langs")
    if isinstance(langs, list) and langs and isinstance(langs[0], str):
        tweet["lang"] = langs[0]
    refs: list[Doc] = []
    if reply:
        root = (reply.get("root") or {}).get("uri")
        parent = (reply.get("parent") or {}).get("uri")
        tweet["conversation_id"] = root or None
        if parent:
            refs.append({"type": "replied_to", "id": parent})
            tweet["in_reply_to_user_id"] = did_of(parent)
    else:
        tweet["conversation_id"] = uri
    quoted = quoted_uri(record)
    if quoted:
        refs.append({"type": "quoted", "id": quoted})
    if refs:
        tweet["referenced_tweets"] = refs
    entities = _entities(record)
    if entities:
        tweet["entities"] = entities
    if counts:
        set_public_metrics(tweet, counts, {
            "retweet_count": "repostCount",
            "reply_count": "replyCount",
            "like_count": "likeCount",
            "quote_count": "quoteCount",
        })
    return tweet


class PageBuilder:
    """Accumulates tweets (data / includes) and users for one canonical page, deduplicated."""

    def __init__(self) -> None:
        self.data: dict[str, Doc] = {}
        self.included: dict[str, Doc] = {}
        self.users: dict[str, Doc] = {}

    def user(self, profile: Any) -> None:
        if isinstance(profile, dict):
            u = profile_to_user(profile)
            if u:
                old = self.users.get(u["id"], {})
                self.users[u["id"]] = {**old, **{k: v for k, v in u.items() if v is not None}}

    def tweet(self, tweet: Doc, in_data: bool = True) -> None:
        if in_data:
            self.included.pop(tweet["id"], None)
            self.data[tweet["id"]] = {**self.data.get(tweet["id"], {}), **tweet}
        elif tweet["id"] not in self.data:
            self.included[tweet["id"]] = {**self.included.get(tweet["id"], {}), **tweet}

    def post_view(self, view: Any, in_data: bool = True) -> None:
        """``app.bsky.feed.defs#postView`` (plus the quoted post of its embed view)."""
        if not isinstance(view, dict) or not isinstance(view.get("uri"), str):
            return
        record = view.get("record")
        if not isinstance(record, dict):
            return
        author = view.get("author") or {}
        self.user(author)
        self.tweet(
            record_to_tweet(view["uri"], author.get("did"), record, view, view.get("indexedAt")),
            in_data,
        )
        self._embed_view(view.get("embed"))

    def _embed_view(self, embed: Any) -> None:
        """The quoted post shown in an embed view (``app.bsky.embed.record#viewRecord``)."""
        if not isinstance(embed, dict):
            return
        rec = embed.get("record")
        if isinstance(rec, dict) and isinstance(rec.get("record"), dict):  # recordWithMedia#view
            rec = rec["record"]
        if not isinstance(rec, dict) or not str(rec.get("$type", "")).endswith("#viewRecord"):
            return
        value = rec.get("value")
        if isinstance(value, dict) and collection_of(rec.get("uri")) == POST_COLLECTION:
            author = rec.get("author") or {}
            self.user(author)
            self.tweet(
                record_to_tweet(rec["uri"], author.get("did"), value, rec, rec.get("indexedAt")),
                False,
            )

    def repost(self, repost_uri: str | None, by: Any, subject_uri: str, created_at: Any) -> None:
        """A repost: a post by the reposter that only references the original."""
        if not isinstance(by, dict) or not by.get("did"):
            return
        self.user(by)
        rid = repost_uri or f"at://{by['did']}/app.bsky.feed.repost/?{subject_uri}"
        self.tweet(
            {
                "id": rid,
                "author_id": by["did"],
                "text": "",
                "created_at": iso_utc(created_at),
                "conversation_id": rid,
                "referenced_tweets": [{"type": "retweeted", "id": subject_uri}],
            }
        )

    def page(self) -> Doc:
        return {
            "data": list(self.data.values()),
            "includes": {
                "users": list(self.users.values()),
                "tweets": list(self.included.values()),
            },
        }


def notifications_page(doc: Doc) -> Doc:
    """``app.bsky.notification.listNotifications`` → tweets page (mention, reply, quote, repost).

    Likes and follows are not posts and are left out (they stay in the raw page).
    """
    b = PageBuilder()
    for n in doc.get("notifications") or []:
        if not isinstance(n, dict) or n.get("reason") not in NOTIFICATION_REASONS:
            continue
        record = n.get("record")
        author = n.get("author") or {}
        if not isinstance(record, dict) or not isinstance(n.get("uri"), str):
            continue
        if n["reason"] == "repost":
            subject = (record.get("subject") or {}).get("uri") or n.get("reasonSubject")
            if isinstance(subject, str):
                b.repost(n["uri"], author, subject, record.get("createdAt") or n.get("indexedAt"))
            continue
        b.user(author)
        b.tweet(record_to_tweet(n["uri"], author.get("did"), record, None, n.get("indexedAt")))
    return b.page()


def _feed_item(b: PageBuilder, item: Any) -> None:
    """``app.bsky.feed.defs#feedViewPost``: the post, its reply context, a repost reason."""
    if not isinstance(item, dict):
        return
    post = item.get("post")
    reason = item.get("reason")
    if (
        isinstance(reason, dict)
        and str(reason.get("$type", "")).endswith("#reasonRepost")
        and isinstance(post, dict)
    ):
        b.post_view(post, in_data=False)
        b.repost(reason.get("uri"), reason.get("by"), post.get("uri", ""), reason.get("indexedAt"))
    else:
        b.post_view(post)
    reply = item.get("reply")
    if isinstance(reply, dict):
        for key in ("root", "parent"):
            b.post_view(reply.get(key), in_data=False)


def feed_page(doc: Doc) -> Doc:
    """``app.bsky.feed.getAuthorFeed`` (or any ``{feed: [feedViewPost]}``) → tweets page."""
    b = PageBuilder()
    for item in doc.get("feed") or []:
        _feed_item(b, item)
    return b.page()


def search_page(doc: Doc) -> Doc:
    """``app.bsky.feed.searchPosts`` (``{posts: [postView]}``) → tweets page."""
    b = PageBuilder()
    for view in doc.get("posts") or []:
        b.post_view(view)
    return b.page()


def referenced_page(doc: Doc) -> Doc:
    """``app.bsky.feed.getPosts`` for posts only referenced (reposted, quoted, replied to):
    stored as referenced originals (``includes.tweets``), not counted as the territory's posts."""
    b = PageBuilder()
    for view in doc.get("posts") or []:
        b.post_view(view, in_data=False)
    return b.page()


def thread_page(doc: Doc) -> Doc:
    """``app.bsky.feed.getPostThread`` → every post of the thread (parents and replies) as data."""
    b = PageBuilder()
    stack: list[Any] = [doc.get("thread")]
    seen = 0
    while stack and seen < 100_000:
        node = stack.pop()
        seen += 1
        if not isinstance(node, dict) or not str(node.get("$type", "#threadViewPost")).endswith(
            "#threadViewPost"
        ):
            continue
        b.post_view(node.get("post"))
        stack.append(node.get("parent"))
        stack.extend(node.get("replies") or [])
    return b.page()


def record_page(doc: Doc) -> Doc:
    """``com.atproto.repo.getRecord`` of a post (``{uri, cid, value}``) → tweets page."""
    b = PageBuilder()
    value = doc.get("value")
    if isinstance(value, dict) and collection_of(doc.get("uri")) == POST_COLLECTION:
        b.tweet(record_to_tweet(doc["uri"], did_of(doc["uri"]), value))
    return b.page()


def profiles_page(doc: Doc) -> Doc:
    """``getProfile(s)``, ``getFollows``/``getFollowers`` → users page (``{data: [users]}``)."""
    b = PageBuilder()
    if "did" in doc:
        b.user(doc)
    for key in ("profiles", "follows", "followers", "actors"):
        for p in doc.get(key) or []:
            b.user(p)
    b.user(doc.get("subject"))
    return {"data": list(b.users.values())}


# endpoint (NSID) → (mapper, kind) used by the collector and by tests on recorded payloads
MAPPERS = {
    "app.bsky.notification.listNotifications": (notifications_page, "tweets"),
    "app.bsky.feed.getAuthorFeed": (feed_page, "tweets"),
    "app.bsky.feed.getPostThread": (thread_page, "tweets"),
    "app.bsky.feed.searchPosts": (search_page, "tweets"),
    "app.bsky.feed.getPosts": (referenced_page, "tweets"),
    "com.atproto.repo.getRecord": (record_page, "tweets"),
    "app.bsky.actor.getProfile": (profiles_page, "users"),
    "app.bsky.actor.getProfiles": (profiles_page, "users"),
    "app.bsky.graph.getFollows": (profiles_page, "users"),
    "app.bsky.graph.getFollowers": (profiles_page, "users"),
}


def canonical(endpoint: str, doc: Doc) -> tuple[Doc, str]:
    """The X-v2-shaped page for a response of ``endpoint``, and its kind (``tweets``/``users``).

    An empty mapping is kind ``empty`` (nothing for the loader to read).
    """
    mapper, kind = MAPPERS[endpoint]
    page = mapper(doc)
    if not page.get("data") and not (page.get("includes") or {}).get("tweets"):
        if not (page.get("includes") or {}).get("users"):
            return page, "empty"
    return page, kind
