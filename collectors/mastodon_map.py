"""Mastodon statuses and accounts → X-API-v2-shaped pages, pure functions.

The raw layer keeps each Mastodon response exactly as it came; these functions build the
X-v2-shaped copy (``RawPage.canonical``) that :func:`warehouse.load.load_pages` reads.

Ids. A status has a different numeric ``id`` on every server that knows it, so:

* a post's id is the status ``uri`` (its ActivityPub id, the same on every server);
* an account's id is its profile ``url`` (``https://instance/@name``, the same on every
  server; the ActivityPub ``uri`` when ``url`` is missing) and its username the full
  ``acct`` (``name@instance``: a local account's bare ``acct`` gets the instance's domain);
* a reblog is a post by the booster (id = the reblog's own ``uri``) whose only reference is
  ``retweeted`` → the original's ``uri``; a quote (Mastodon ≥ 4.4 ``quote``) is ``quoted``.

Replies only carry *local* numeric ids (``in_reply_to_id``, ``in_reply_to_account_id``).
:class:`Known` remembers, per server, the statuses and accounts already seen (the collector
fills it from every page and from ``GET /api/v1/statuses/:id/context``), so a reply gets its
parent's ``uri``, the parent author's url, and the thread root's ``uri`` as
``conversation_id``. What cannot be resolved is recorded as far as it is known: the parent
author from the status's mentions (Mastodon mentions the person replied to), and, when the
parent itself is unknown, the conversation id ``https://<instance>/api/v1/statuses/<id>``
(the parent's address on that server) so replies to one unknown post stay together.

Content is HTML: :func:`html_to_text` strips tags, keeps line breaks and paragraph breaks,
and unescapes entities (the dashboard renders text literally). Mentions, hashtags and
links come from ``mentions``, ``tags`` and ``card`` plus the links in the content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Any

from collectors.bluesky_map import iso_utc
from collectors.v2shape import set_public_metrics

Doc = dict[str, Any]

LOCATION_FIELDS = re.compile(r"^\s*(location|localisation|lieu|ville|city|where|o[uù])\s*$", re.I)


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")
        elif tag == "a":
            a = dict(attrs)
            classes = (a.get("class") or "").split()
            href = a.get("href")
            if (
                href
                and "mention" not in classes
                and "hashtag" not in classes
                and href.startswith(("http://", "https://"))
            ):
                self.links.append(href)
        elif tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str | None) -> str:
    """Mastodon's HTML → plain text: tags stripped, ``<br>`` → newline, ``</p><p>`` → blank line."""
    if not html:
        return ""
    p = _TextParser()
    p.feed(html)
    p.close()
    return unescape("".join(p.parts)).strip()


def html_links(html: str | None) -> list[str]:
    """The links of a status's content that are neither mentions nor hashtags."""
    if not html:
        return []
    p = _TextParser()
    p.feed(html)
    p.close()
    return p.links


def full_acct(acct: str | None, domain: str) -> str | None:
    """``name`` (local to ``domain``) or ``name@other`` → ``name@domain``-style handle."""
    if not acct:
        return None
    acct = acct.lstrip("@")
    return acct if "@" in acct else f"{acct}@{domain}"


def account_id(acc: Doc) -> str | None:
    """The cross-server id of an account (or mention): its profile url, else its uri."""
    return acc.get("url") or acc.get("uri") or None


@dataclass
class Known:
    """Statuses and accounts one server has shown us, by that server's local ids."""

    domain: str
    statuses: dict[str, Doc] = field(default_factory=dict)  # local id → {uri, account, reply_to}
    accounts: dict[str, str] = field(default_factory=dict)  # local id → account id (url)

    def account(self, acc: Any) -> None:
        if isinstance(acc, dict) and acc.get("id") is not None and account_id(acc):
            self.accounts[str(acc["id"])] = account_id(acc)  # type: ignore[assignment]

    def status(self, st: Any) -> None:
        """Remember a status (and its reblogged / quoted originals, its mentions)."""
        if not isinstance(st, dict) or st.get("id") is None or not st.get("uri"):
            return
        self.account(st.get("account"))
        for m in st.get("mentions") or []:
            self.account(m)
        self.statuses[str(st["id"])] = {
            "uri": st["uri"],
            "account": account_id(st.get("account") or {}),
            "reply_to": str(st["in_reply_to_id"]) if st.get("in_reply_to_id") is not None else None,
        }
        self.status(st.get("reblog"))
        self.status(_quoted_status(st))

    def root(self, local_id: str) -> str | None:
        """The uri of the thread root above ``local_id``, if the whole chain is known."""
        seen: set[str] = set()
        cur: str | None = local_id
        while cur is not None and cur not in seen:
            seen.add(cur)
            st = self.statuses.get(cur)
            if st is None:
                return None
            if st["reply_to"] is None:
                return st["uri"]
            cur = st["reply_to"]
        return None


def _quoted_status(st: Doc) -> Doc | None:
    q = st.get("quote")
    if isinstance(q, dict):
        qs = q.get("quoted_status")
        if isinstance(qs, dict):
            return qs
    return None


def account_to_user(acc: Doc, domain: str) -> Doc | None:
    """``Account`` → X v2 user (id = profile url, username = full acct)."""
    uid = account_id(acc)
    if not uid:
        return None
    user: Doc = {
        "id": uid,
        "username": full_acct(acc.get("acct") or acc.get("username"), domain),
        "name": acc.get("display_name") or acc.get("username"),
        "description": html_to_text(acc.get("note")),
    }
    if acc.get("created_at"):
        user["created_at"] = iso_utc(acc["created_at"])
    for f in acc.get("fields") or []:
        if isinstance(f, dict) and LOCATION_FIELDS.match(f.get("name") or ""):
            user["location"] = html_to_text(f.get("value"))
            break
    if acc.get("bot"):
        user["verified_type"] = "bot"
    set_public_metrics(user, acc, {
        "followers_count": "followers_count",
        "following_count": "following_count",
        "tweet_count": "statuses_count",
    })
    return user


def status_to_tweet(st: Doc, known: Known) -> Doc:
    """One ``Status`` (not a reblog) → X v2 tweet, replies resolved through ``known``."""
    acc = st.get("account") or {}
    text = html_to_text(st.get("content"))
    if st.get("spoiler_text"):
        text = f"{st['spoiler_text']}\n\n{text}" if text else st["spoiler_text"]
    tweet: Doc = {
        "id": st["uri"],
        "author_id": account_id(acc),
        "text": text,
        "created_at": iso_utc(st.get("created_at")),
    }
    if st.get("language"):
        tweet["lang"] = st["language"]
    refs: list[Doc] = []
    parent_local = st.get("in_reply_to_id")
    if parent_local is None:
        tweet["conversation_id"] = st["uri"]
    else:
        parent_local = str(parent_local)
        parent = known.statuses.get(parent_local)
        root = known.root(parent_local)
        if parent:
            refs.append({"type": "replied_to", "id": parent["uri"]})
        if root:
            tweet["conversation_id"] = root
        elif not parent:
            tweet["conversation_id"] = f"https://{known.domain}/api/v1/statuses/{parent_local}"
        reply_acc = st.get("in_reply_to_account_id")
        author = None
        if reply_acc is not None:
            reply_acc = str(reply_acc)
            if str(acc.get("id")) == reply_acc:
                author = account_id(acc)
            else:
                author = next(
                    (
                        account_id(m)
                        for m in st.get("mentions") or []
                        if str(m.get("id")) == reply_acc
                    ),
                    None,
                )
                author = author or known.accounts.get(reply_acc)
        tweet["in_reply_to_user_id"] = author or (parent or {}).get("account")
    quoted = _quoted_status(st)
    if quoted and quoted.get("uri"):
        refs.append({"type": "quoted", "id": quoted["uri"]})
    if refs:
        tweet["referenced_tweets"] = refs
    entities: Doc = {}
    mentions = [
        {"username": full_acct(m.get("acct"), known.domain), "id": account_id(m)}
        for m in st.get("mentions") or []
        if isinstance(m, dict)
    ]
    if mentions:
        entities["mentions"] = mentions
    tags = [
        {"tag": t["name"]} for t in st.get("tags") or [] if isinstance(t, dict) and t.get("name")
    ]
    if tags:
        entities["hashtags"] = tags
    links: list[str] = []
    for url in [*html_links(st.get("content")), (st.get("card") or {}).get("url")]:
        if url and url not in links:
            links.append(url)
    if links:
        entities["urls"] = [{"url": u, "expanded_url": u} for u in links]
    if entities:
        tweet["entities"] = entities
    set_public_metrics(tweet, st, {
        "retweet_count": "reblogs_count",
        "reply_count": "replies_count",
        "like_count": "favourites_count",
        "quote_count": "quotes_count",
    })
    return tweet


class PageBuilder:
    def __init__(self, known: Known) -> None:
        self.known = known
        self.data: dict[str, Doc] = {}
        self.included: dict[str, Doc] = {}
        self.users: dict[str, Doc] = {}

    def user(self, acc: Any) -> None:
        if isinstance(acc, dict):
            u = account_to_user(acc, self.known.domain)
            if u:
                self.users[u["id"]] = {
                    **self.users.get(u["id"], {}),
                    **{k: v for k, v in u.items() if v is not None},
                }

    def _tweet(self, tweet: Doc, in_data: bool) -> None:
        if in_data:
            self.included.pop(tweet["id"], None)
            self.data[tweet["id"]] = tweet
        elif tweet["id"] not in self.data:
            self.included[tweet["id"]] = tweet

    def status(self, st: Any, in_data: bool = True) -> None:
        if not isinstance(st, dict) or not st.get("uri"):
            return
        self.user(st.get("account"))
        original = st.get("reblog")
        if isinstance(original, dict) and original.get("uri"):
            self.status(original, in_data=False)
            self._tweet(
                {
                    "id": st["uri"],
                    "author_id": account_id(st.get("account") or {}),
                    "text": "",
                    "created_at": iso_utc(st.get("created_at")),
                    "conversation_id": st["uri"],
                    "referenced_tweets": [{"type": "retweeted", "id": original["uri"]}],
                },
                in_data,
            )
            return
        quoted = _quoted_status(st)
        if quoted:
            self.status(quoted, in_data=False)
        self._tweet(status_to_tweet(st, self.known), in_data)

    def page(self) -> Doc:
        return {
            "data": list(self.data.values()),
            "includes": {
                "users": list(self.users.values()),
                "tweets": list(self.included.values()),
            },
        }


def remember(doc: Any, known: Known) -> None:
    """Teach ``known`` every status and account of a response (list, notification, context)."""
    items = doc if isinstance(doc, list) else [doc]
    for item in items:
        if not isinstance(item, dict):
            continue
        if "ancestors" in item or "descendants" in item:
            for st in [*(item.get("ancestors") or []), *(item.get("descendants") or [])]:
                known.status(st)
        elif "type" in item and "account" in item and "uri" not in item:  # a notification
            known.account(item.get("account"))
            known.status(item.get("status"))
        elif "statuses" in item or "accounts" in item:  # v2 search
            for st in item.get("statuses") or []:
                known.status(st)
            for acc in item.get("accounts") or []:
                known.account(acc)
        elif "uri" in item and "content" in item:
            known.status(item)
        elif "acct" in item:
            known.account(item)


def statuses_page(doc: Any, known: Known) -> Doc:
    """``GET /api/v1/accounts/:id/statuses``, ``/api/v1/timelines/tag/:hashtag``,
    ``/api/v1/timelines/public`` or one ``/api/v1/statuses/:id`` → tweets page."""
    b = PageBuilder(known)
    for st in doc if isinstance(doc, list) else [doc]:
        b.status(st)
    return b.page()


def notifications_page(doc: Any, known: Known) -> Doc:
    """``GET /api/v1/notifications`` → tweets page: the statuses of mentions (and of
    reblog/quote notifications: the booster's reblog, the quoting status)."""
    b = PageBuilder(known)
    for n in doc if isinstance(doc, list) else [doc]:
        if not isinstance(n, dict):
            continue
        st = n.get("status")
        kind = n.get("type")
        if kind in ("mention", "quote") and isinstance(st, dict):
            b.status(st)
        elif (
            kind == "reblog"
            and isinstance(st, dict)
            and isinstance(n.get("account"), dict)
            and n.get("id")
        ):
            # the notification carries the original; the boost itself is the booster's act
            b.status(st, in_data=False)
            b.user(n["account"])
            rid = f"{st['uri']}#reblog-by-{account_id(n['account'])}"
            b._tweet(
                {
                    "id": rid,
                    "author_id": account_id(n["account"]),
                    "text": "",
                    "created_at": iso_utc(n.get("created_at")),
                    "conversation_id": rid,
                    "referenced_tweets": [{"type": "retweeted", "id": st["uri"]}],
                },
                True,
            )
    return b.page()


def context_page(doc: Doc, known: Known) -> Doc:
    """``GET /api/v1/statuses/:id/context`` → ancestors and descendants as data."""
    b = PageBuilder(known)
    for st in [*(doc.get("ancestors") or []), *(doc.get("descendants") or [])]:
        b.status(st)
    return b.page()


def search_page(doc: Doc, known: Known) -> Doc:
    """``GET /api/v2/search`` → its statuses (data) and accounts (users)."""
    b = PageBuilder(known)
    for st in doc.get("statuses") or []:
        b.status(st)
    for acc in doc.get("accounts") or []:
        b.user(acc)
    return b.page()


def accounts_page(doc: Any, known: Known) -> Doc:
    """``GET /api/v1/accounts/lookup`` / ``/api/v1/accounts/:id`` → users page."""
    b = PageBuilder(known)
    for acc in doc if isinstance(doc, list) else [doc]:
        b.user(acc)
    return {"data": list(b.users.values())}


def canonical(kind: str, doc: Any, known: Known) -> tuple[Doc, str]:
    """The X-v2-shaped page for a response and its page kind.

    ``kind`` is ``statuses``, ``notifications``, ``context``, ``search`` or ``accounts``.
    """
    mapper = {
        "statuses": statuses_page,
        "notifications": notifications_page,
        "context": context_page,
        "search": search_page,
        "accounts": accounts_page,
    }[kind]
    page = mapper(doc, known)
    if kind == "accounts":
        return page, "users" if page["data"] else "empty"
    if not page["data"] and not page["includes"]["tweets"] and not page["includes"]["users"]:
        return page, "empty"
    return page, "tweets"
