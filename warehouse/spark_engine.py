"""The headline metrics computed by Apache Spark over the lake (docs/scale.md).

``territoires metrics --engine spark`` gives the same JSON as DuckDB's, key by key, from the
same definitions:

* the facts (interpellations and their first answers, relays, hashtags) are recomputed
  from the lake's base tables by the SQL of warehouse/interpellations.py,
  warehouse/relays.py and warehouse/facts.py, translated by warehouse/spark_sql.py, in one
  pass for every territory asked (those statements match the territory in every join; the
  per-territory settings, calendars, tracked hashtags and city domains, are tables);
* the headline of a set of territories is one statement over the set, as DuckDB's baromètre;
* the service-hours calendar (holidays, daylight saving) is built by the same Python
  function as DuckDB's (:func:`warehouse.service_hours.calendar_params`) and handed to Spark
  as a table; the judgement "expects an answer" is the same Python function
  (:func:`warehouse.expectation.expects_answer`), run by Spark as a UDF;
* that statement is warehouse/metrics.py's, translated, and its rows are shaped into JSON
  by the same Python code as DuckDB's.

pyspark is an optional extra (``uv sync --extra spark``) and needs Java; it is imported
here only, lazily (:func:`session`). The master is ``$TERRITOIRES_SPARK_MASTER``
(``local[2]`` by default; ``spark://…``, ``yarn``, ``k8s://…`` or a Spark Connect ``sc://…``).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from model import Territory, settings
from warehouse import facts, metrics, triage
from warehouse.lake import LAKE_VERSION
from warehouse.metrics_base import (
    CITY_CTE,
    PENDING_DAYS,
    compose,
    locality_params,
    period_params,
    territory_params,
    to_utc,
    window_utc,
    with_ctes,
)
from warehouse.service_hours import CALENDAR_FIRST, CALENDAR_LAST, calendar_params
from warehouse.spark_sql import Translation, translate

if TYPE_CHECKING:  # pyspark is an optional extra (mypy: ignore_missing_imports without it)
    from pyspark.sql import DataFrame, SparkSession

INSTALL_HINT = (
    "--engine spark needs pyspark and Java: `uv sync --extra spark` (or "
    "`pip install 'territoires[spark]'`) and `apt-get install default-jre-headless`"
)
# the lake's tables the definitions read (warehouse/lake.py)
LAKE_TABLES = (
    "posts", "post_hashtags", "post_mentions", "post_links", "territory_posts", "accounts",
    "territories", "territory_accounts", "triage_decisions",
)  # fmt: skip
_FACT_COLUMNS = {
    "interpellation_facts": (
        "territory", "platform", "post_id", "author_id", "created_at", "conversation_id",
        "acc_id", "addressed_handle", "answer_id", "answered_at", "answerer",
        "service_response_minutes"),
    "relay_facts": ("territory", "platform", "post_id", "author_id", "created_at",
                    "relay_kind", "reposted_id", "quoted_id"),
    "hashtag_facts": ("territory", "platform", "post_id", "author_id", "created_at", "tag",
                      "first_tag"),
}


def _body(sql: str, prefix: str) -> str:
    """A facts statement without its ``INSERT INTO …``/``CREATE … AS`` head (the SELECT)."""
    text = sql.strip()
    assert text.startswith(prefix), (prefix, text[:80])
    return text[len(prefix):]


_TP = translate(facts.SET_TP_SQL)
_FACT_SQL = {
    "interpellation_facts": translate(
        _body(facts._INTER_INSERT_SQL, "INSERT INTO interpellation_facts")),
    "relay_facts": translate(_body(facts._RELAY_INSERT_SQL, "INSERT INTO relay_facts")),
    "hashtag_facts": translate(_body(facts._HASHTAG_INSERT_SQL, "INSERT INTO hashtag_facts")),
}
_CITY = translate(compose(with_ctes(CITY_CTE),
                          "SELECT territory, platform, handle, id FROM city_ids ORDER BY ord"))
_SPANS = translate("SELECT territory, min(created_at), max(created_at) FROM _fact_tp"
                   " WHERE created_at BETWEEN $first AND $last GROUP BY territory")
# a post may be an interpellation in several territories; it is judged once
_TEXTS = translate(
    "SELECT DISTINCT f.platform, f.post_id, f.created_at, p.text, p.lang"
    " FROM interpellation_facts f"
    " JOIN posts p ON p.platform = f.platform AND p.id = f.post_id")
_EPOCH = datetime(1970, 1, 1)


@functools.cache
def _headline(n: int) -> Translation:
    """The headline statement over ``n`` territories, translated (once for each ``n``)."""
    return translate(metrics.headline_sql(n))


def _judge(text: str | None, lang: str | None) -> tuple[bool, str]:
    from warehouse.expectation import expects_answer

    verdict = expects_answer(text or "", lang)
    return verdict.expects, verdict.rule


def session(master: str | None = None, memory: str = "2g",
            conf: dict[str, str] | None = None) -> SparkSession:
    """A Spark session (``master``, else ``$TERRITOIRES_SPARK_MASTER``, else ``local[2]``),
    with ``conf`` added; :class:`ImportError` with :data:`INSTALL_HINT` when pyspark is
    missing."""
    try:
        # optional heavy library, loaded only for --engine spark
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    url = master or settings.SPARK_MASTER.get() or "local[2]"
    builder = SparkSession.builder.appName("territoires")
    builder = builder.remote(url) if url.startswith("sc://") else builder.master(url)
    for key, value in {
        "spark.driver.memory": memory,
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.timestampType": "TIMESTAMP_NTZ",  # the warehouse's instants: naive UTC
        "spark.sql.ansi.enabled": "false",  # x / 0 is NULL, as in DuckDB
        "spark.sql.shuffle.partitions": "4",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
        "spark.pyspark.python": sys.executable,
        # local mode: adaptive execution re-plans each of the headline's many small stages;
        # off, the headline took 40 s instead of 105-115 s at 100,000 posts (docs/scale.md)
        **({"spark.sql.adaptive.enabled": "false"} if url.startswith("local") else {}),
        **(conf or {}),
    }.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if not url.startswith("sc://"):
        # the UDFs' workers run this interpreter, where the project and its dependencies are
        # (pyspark reads only $PYSPARK_PYTHON for it, else a bare `python3`)
        spark.sparkContext.pythonExec = sys.executable
    return spark


class SparkMetrics:
    """The lake at ``lake`` (a folder or an ``s3a://…`` URL) as Spark views, and the
    definitions computed over it for a set of territories at once."""

    def __init__(self, spark: SparkSession, lake: str) -> None:
        from pyspark.sql import types as T

        self.spark = spark
        base = lake.rstrip("/")
        for table in LAKE_TABLES:
            path = f"{base}/{table}"
            df = spark.read.option("basePath", path).option("recursiveFileLookup", "false")
            df.parquet(path).createOrReplaceTempView(table)
        missing = [c for c in ("profile_fold", "profile_marked")
                   if c not in spark.table("accounts").columns]
        if missing:
            raise ValueError(
                f"{lake}: a lake of an older format (its accounts have no {missing[0]}, "
                f"lake version {LAKE_VERSION} has): export it again with "
                "`territoires export --lake`")
        self._judge = T.StructType([T.StructField("expects", T.BooleanType()),
                                    T.StructField("rule", T.StringType())])
        self._facts: tuple[frozenset[str], dict[str, DataFrame]] | None = None

    # -- running one translated statement ------------------------------------------------
    def sql(self, tr: Translation, values: dict[str, Any]) -> DataFrame:
        for table in tr.tables:
            schema = ", ".join(f"`{name}` {kind}" for name, _, kind in table.columns)
            lists = [values[param] for _, param, _ in table.columns]
            rows = list(zip(*lists, strict=True)) if lists else []
            self.spark.createDataFrame(rows, schema).createOrReplaceTempView(table.view)
        return self.spark.sql(tr.sql, args=_literals(tr.args(values)))

    # -- the facts ------------------------------------------------------------------------
    def facts(self, territories: Sequence[Territory]) -> dict[str, DataFrame]:
        """The facts of ``territories`` as Spark DataFrames, computed in one pass for the
        whole set (the statements match the territory in every join: warehouse/facts.py) and
        cached; a later call for territories of the same set reuses them."""
        slugs = frozenset(t.slug for t in territories)
        if self._facts is not None and slugs <= self._facts[0]:
            return self._facts[1]
        terrs = list({t.slug: t for t in territories}.values())
        values = territory_params([(t, _EPOCH, _EPOCH) for t in terrs])
        tp = self.sql(_TP, values).cache()
        tp.createOrReplaceTempView("_fact_tp")
        out: dict[str, DataFrame] = {"_fact_tp": tp}
        values.update(self._calendars(terrs, values), **facts.tracking_params(terrs))
        for name, tr in _FACT_SQL.items():
            out[name] = self.sql(tr, values).toDF(*_FACT_COLUMNS[name]).cache()
        out["territory_timeline"] = tp.selectExpr(
            "territory", "platform", "id AS post_id", "author_id", "created_at",
            "conversation_id", "in_reply_to_user_id", "reply_to_id", "quoted_id",
            "reposted_id", "is_repost")
        out["interpellation_facts"].createOrReplaceTempView("interpellation_facts")
        out["post_expectations"] = self._expectations()
        self._facts = (slugs, out)
        return out

    def _calendars(self, terrs: Sequence[Territory], values: dict[str, Any]) -> dict[str, list]:
        """Each territory's service-hours calendar over the span of its posts
        (:func:`warehouse.service_hours.calendar_params`, the lists joined end to end)."""
        spans = {r[0]: (r[1], r[2]) for r in self.sql(
            _SPANS, {"first": CALENDAR_FIRST, "last": CALENDAR_LAST}).collect()}
        city: dict[str, list[tuple[str, str, str]]] = {}
        for row in self.sql(_CITY, values).collect():
            city.setdefault(row[0], []).append((row[1], row[2], row[3]))
        out: dict[str, list] = {}
        for t in terrs:
            lo, hi = spans.get(t.slug, (CALENDAR_FIRST, CALENDAR_FIRST))
            for key, column in calendar_params(t, city.get(t.slug, []), lo, hi).items():
                out.setdefault(key, []).extend(column)
        return out

    def _expectations(self) -> DataFrame:
        from pyspark.sql import functions as F

        judge = F.udf(_judge, self._judge)
        texts = self.sql(_TEXTS, {})
        return texts.select("platform", "post_id", "created_at",
                            judge("text", "lang").alias("j")).select(
            "platform", "post_id", "created_at", "j.expects", "j.rule").cache()

    def use(self, territories: Sequence[Territory]) -> None:
        """Register the facts of ``territories`` as the views the headline reads."""
        for name, df in self.facts(territories).items():
            if name != "_fact_tp":
                df.createOrReplaceTempView(name)

    # -- the headline -----------------------------------------------------------------------
    def headlines_for(self, territories: Sequence[Territory],
                      periods: Sequence[tuple[date, date]], as_of: datetime,
                      *, platform: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """:func:`warehouse.metrics.headlines_for`, computed by Spark: one statement over the
        set, from facts computed once for it."""
        terrs = list({t.slug: t for t in territories}.values())
        if not periods or not terrs:
            return {t.slug: [] for t in terrs}
        self.use(terrs)
        as_of = to_utc(as_of)
        bounds = {t.slug: [window_utc(t, since, until) for since, until in periods]
                  for t in terrs}
        windows = [(t, min(b[0] for b in bounds[t.slug]), max(b[1] for b in bounds[t.slug]))
                   for t in terrs]
        # the parameters of metrics.headlines_for; the triage overlay is in the lake already
        values = territory_params(windows, platform)
        values.update(as_of=as_of, pending_days=PENDING_DAYS)
        values.update({k: [] for k in triage.OVERLAY_KEYS})
        values.update(locality_params(terrs))
        values.update(period_params(bounds))
        rows: dict[str, list[dict[str, Any]]] = {t.slug: [] for t in terrs}
        got = sorted((r.asDict() for r in self.sql(_headline(len(terrs)), values).collect()),
                     key=lambda r: (r["territory"], r["k"]))
        for row in got:
            rows[row["territory"]].append(row)
        return {t.slug: [metrics._headline_dict(t, since, until, as_of, r)
                         for (since, until), r in zip(periods, rows[t.slug], strict=True)]
                for t in terrs}

    def headlines(self, territory: Territory, periods: Sequence[tuple[date, date]],
                  as_of: datetime, *, platform: str | None = None) -> list[dict[str, Any]]:
        """:func:`warehouse.metrics.headlines`, computed by Spark."""
        return self.headlines_for([territory], periods, as_of, platform=platform)[territory.slug]

    def headline(self, territory: Territory, since: date, until: date, as_of: datetime,
                 *, platform: str | None = None) -> dict[str, Any]:
        return self.headlines(territory, [(since, until)], as_of, platform=platform)[0]

    def has_territory(self, slug: str) -> bool:
        return bool(self.spark.sql("SELECT count(*) FROM territories WHERE territory = :slug",
                                   args={"slug": slug}).collect()[0][0])


def _literals(args: dict[str, Any]) -> dict[str, Any]:
    """Bound values as Spark literals: lists as arrays (the SQL casts them)."""
    from pyspark.sql import functions as F

    out: dict[str, Any] = {}
    for name, value in args.items():
        if isinstance(value, list):
            out[name] = F.array(*[F.lit(v) for v in value])
        else:
            out[name] = F.lit(value)
    return out


__all__ = ["INSTALL_HINT", "SparkMetrics", "session"]
