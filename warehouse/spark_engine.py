"""The headline metrics computed by Apache Spark over the lake (docs/scale.md).

``territoires metrics --engine spark`` gives the same JSON as DuckDB's, key by key, from the
same definitions:

* the facts (interpellations and their first answers, relays, hashtags) are recomputed
  from the lake's base tables by the SQL of warehouse/interpellations.py,
  warehouse/relays.py and warehouse/facts.py, translated by warehouse/spark_sql.py;
* the service-hours calendar (holidays, daylight saving) is built by the same Python
  function as DuckDB's (:func:`warehouse.service_hours.calendar_params`) and handed to Spark
  as a table; the judgement "expects an answer" is the same Python function
  (:func:`warehouse.expectation.expects_answer`), run by Spark as a UDF;
* the headline statement is warehouse/metrics.py's, translated, and its row is shaped into
  JSON by the same Python code as DuckDB's.

pyspark is an optional extra (``uv sync --extra spark``) and needs Java; it is imported
here only, lazily (:func:`session`). The master is ``$TERRITOIRES_SPARK_MASTER``
(``local[2]`` by default; ``spark://…``, ``yarn``, ``k8s://…`` or a Spark Connect ``sc://…``).
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from model import Territory, settings
from warehouse import activity, facts, metrics, relays
from warehouse.metrics_base import (
    CITY_CTE,
    PENDING_DAYS,
    base_params,
    compose,
    locality_params,
    period_params,
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
_TRIAGE_PARAMS = ("tr_terr", "tr_seq", "tr_platform", "tr_post", "tr_decision", "tr_at",
                  "tr_service", "tr_created")
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


_TP = translate(_body(facts._ALL_TP_SQL, "CREATE OR REPLACE TEMP TABLE _fact_tp AS"))
_FACT_SQL = {
    "interpellation_facts": translate(
        _body(facts._INTER_INSERT_SQL, "INSERT INTO interpellation_facts")),
    "relay_facts": translate(_body(facts._RELAY_INSERT_SQL, "INSERT INTO relay_facts")),
    "hashtag_facts": translate(_body(facts._HASHTAG_INSERT_SQL, "INSERT INTO hashtag_facts")),
}
_CITY = translate(compose(with_ctes(CITY_CTE),
                          "SELECT platform, handle, id FROM city_ids ORDER BY ord"))
_SPAN = translate("SELECT min(created_at), max(created_at) FROM _fact_tp"
                  " WHERE created_at BETWEEN $first AND $last")
_TEXTS = translate(
    "SELECT f.platform, f.post_id, p.text, p.lang FROM interpellation_facts f"
    " JOIN posts p ON p.platform = f.platform AND p.id = f.post_id WHERE f.territory = $terr")
_HEADLINE = translate(metrics._HEADLINE_SQL)


def strip_accents(text: str | None) -> str | None:
    """DuckDB's ``strip_accents``: the marks of the decomposed text removed."""
    if text is None:
        return None
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


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
    definitions computed over it, per territory."""

    def __init__(self, spark: SparkSession, lake: str) -> None:
        from pyspark.sql import types as T

        self.spark = spark
        base = lake.rstrip("/")
        for table in LAKE_TABLES:
            path = f"{base}/{table}"
            df = spark.read.option("basePath", path).option("recursiveFileLookup", "false")
            df.parquet(path).createOrReplaceTempView(table)
        spark.udf.register("strip_accents", strip_accents, T.StringType())
        self._judge = T.StructType([T.StructField("expects", T.BooleanType()),
                                    T.StructField("rule", T.StringType())])
        self._facts: dict[str, dict[str, DataFrame]] = {}

    # -- running one translated statement ------------------------------------------------
    def sql(self, tr: Translation, values: dict[str, Any]) -> DataFrame:
        for table in tr.tables:
            schema = ", ".join(f"`{name}` {kind}" for name, _, kind in table.columns)
            lists = [values[param] for _, param, _ in table.columns]
            rows = list(zip(*lists, strict=True)) if lists else []
            self.spark.createDataFrame(rows, schema).createOrReplaceTempView(table.view)
        return self.spark.sql(tr.sql, args=_literals(tr.args(values)))

    # -- the facts ------------------------------------------------------------------------
    def _city_accounts(self, values: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [(r[0], r[1], r[2]) for r in self.sql(_CITY, values).collect()]

    def facts(self, territory: Territory) -> dict[str, DataFrame]:
        """The territory's facts as Spark DataFrames, computed once (cached)."""
        if territory.slug in self._facts:
            return self._facts[territory.slug]
        values = base_params(territory, datetime(1970, 1, 1), datetime(1970, 1, 1))
        tp = self.sql(_TP, values).cache()
        tp.createOrReplaceTempView("_fact_tp")
        out: dict[str, DataFrame] = {"_fact_tp": tp}
        span = self.sql(_SPAN, {"first": CALENDAR_FIRST, "last": CALENDAR_LAST}).collect()[0]
        cal = calendar_params(territory, self._city_accounts(values),
                              span[0] or CALENDAR_FIRST, span[1] or CALENDAR_FIRST)
        values.update(cal, tags=facts.tracked_tags(territory),
                      domains=[d.lower().strip(".") for d in territory.city_domains])
        for name, tr in _FACT_SQL.items():
            df = self.sql(tr, values).toDF(*_FACT_COLUMNS[name])
            out[name] = df.cache()
        out["territory_timeline"] = tp.selectExpr(
            f"'{_slug(territory)}' AS territory", "platform", "id AS post_id", "author_id",
            "created_at", "conversation_id", "in_reply_to_user_id", "reply_to_id", "quoted_id",
            "reposted_id", "is_repost")
        out["interpellation_facts"].createOrReplaceTempView("interpellation_facts")
        out["post_expectations"] = self._expectations(values)
        self._facts[territory.slug] = out
        return out

    def _expectations(self, values: dict[str, Any]) -> DataFrame:
        from pyspark.sql import functions as F

        judge = F.udf(_judge, self._judge)
        texts = self.sql(_TEXTS, values)
        return texts.select("platform", "post_id", judge("text", "lang").alias("j")).select(
            "platform", "post_id", "j.expects", "j.rule").cache()

    def use(self, territories: Sequence[Territory]) -> None:
        """Register the facts of ``territories`` as the views the headline reads."""
        per = [self.facts(t) for t in territories]
        for name in ("territory_timeline", "interpellation_facts", "relay_facts",
                     "hashtag_facts", "post_expectations"):
            df = per[0][name]
            for more in per[1:]:
                df = df.unionByName(more[name])
            df.createOrReplaceTempView(name)

    # -- the headline -----------------------------------------------------------------------
    def headlines(self, territory: Territory, periods: Sequence[tuple[date, date]],
                  as_of: datetime, *, platform: str | None = None) -> list[dict[str, Any]]:
        """:func:`warehouse.metrics.headlines`, computed by Spark."""
        self.use([territory])
        as_of = to_utc(as_of)
        bounds = [window_utc(territory, since, until) for since, until in periods]
        t0, t1 = min(b[0] for b in bounds), max(b[1] for b in bounds)
        first, last = min(p[0] for p in periods), max(p[1] for p in periods)
        # the parameters of metrics.headlines; the triage overlay is in the lake already
        values = base_params(territory, t0, t1, platform)
        values.update(as_of=as_of, pending_days=PENDING_DAYS)
        values.update({k: [] for k in _TRIAGE_PARAMS})
        values.update(relays.params(territory, first, last, platform))
        values.update(activity.params(territory, first, last, platform))
        values.update(period_params({territory.slug: bounds}))
        values.update(locality_params(territory))
        rows = [r.asDict() for r in self.sql(_HEADLINE, values).collect()]
        rows.sort(key=lambda r: r["k"])
        return [metrics._headline_dict(territory, since, until, as_of, got)
                for (since, until), got in zip(periods, rows, strict=True)]

    def headline(self, territory: Territory, since: date, until: date, as_of: datetime,
                 *, platform: str | None = None) -> dict[str, Any]:
        return self.headlines(territory, [(since, until)], as_of, platform=platform)[0]

    def has_territory(self, slug: str) -> bool:
        return bool(self.spark.sql("SELECT count(*) FROM territories WHERE territory = :slug",
                                   args={"slug": slug}).collect()[0][0])


def _slug(territory: Territory) -> str:
    assert "'" not in territory.slug, territory.slug  # a validated slug (model/territory.py)
    return territory.slug


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
